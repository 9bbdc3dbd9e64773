package chameleon.weights;

import chameleon.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link TensorArchive} over tensors already in memory (generated weights for benchmarks, tests).
 * Each name always returns the same {@link Tensor} object, so backends that cache uploaded weights by
 * identity see one weight once.
 */
public final class InMemoryArchive implements TensorArchive {
    private final Path source;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    /** @param source a name for messages, such as {@code <random weights>} */
    public InMemoryArchive(String source) {
        this.source = Path.of(source);
    }

    /** Adds or replaces {@code name}; returns this archive. */
    public InMemoryArchive put(String name, Tensor tensor) {
        tensors.put(name, tensor);
        return this;
    }

    /** Drops {@code name} if present; returns this archive. */
    public InMemoryArchive remove(String name) {
        tensors.remove(name);
        return this;
    }

    @Override
    public Path source() {
        return source;
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        Tensor t = tensor(name);
        return new TensorInfo(name, t.dtype(), t.shape());
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new WeightsException(source + ": missing tensor " + name);
        }
        return t;
    }

    @Override
    public void close() {
    }
}
