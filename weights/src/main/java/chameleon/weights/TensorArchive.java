package chameleon.weights;

import chameleon.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;

/**
 * A read-only collection of named tensors: a safetensors file, a sharded safetensors checkpoint or a
 * PyTorch zip checkpoint. Callers cannot tell the formats apart. Tensors are read lazily: opening an
 * archive reads its index, never the tensor data of tensors nobody asks for.
 */
public interface TensorArchive extends AutoCloseable {

    /** The file or folder this archive was opened from (for messages). */
    Path source();

    /** Tensor names in file order. */
    List<String> names();

    boolean contains(String name);

    /** Declared dtype and shape; {@link WeightsException} naming the file if absent. */
    TensorInfo info(String name);

    /**
     * The tensor, in its stored dtype. Memory-mapped formats return a view of the mapping (no copy);
     * valid until {@link #close()}. {@link WeightsException} naming the file and tensor if absent.
     */
    Tensor tensor(String name);

    @Override
    void close();
}
