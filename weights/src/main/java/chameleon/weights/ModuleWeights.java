package chameleon.weights;

import chameleon.tensor.DType;
import chameleon.tensor.Linear;
import chameleon.tensor.Tensor;
import java.util.Arrays;

/**
 * The tensors of one checkpoint module: a {@link TensorArchive} seen under a name prefix such as
 * {@code decoder.middle.0.}. Every fetch checks presence, dtype and shape and fails with a
 * {@link WeightsException} that names the archive, the full tensor name and what was expected.
 */
public final class ModuleWeights {
    private final TensorArchive archive;
    private final String prefix;

    public ModuleWeights(TensorArchive archive, String prefix) {
        this.archive = archive;
        this.prefix = prefix;
    }

    /** The weights of submodule {@code name} (prefix {@code this.prefix + name + "."}). */
    public ModuleWeights child(String name) {
        return new ModuleWeights(archive, prefix + name + ".");
    }

    /** The submodule of index {@code i} of an {@code nn.Sequential} / {@code nn.ModuleList}. */
    public ModuleWeights child(int i) {
        return child(Integer.toString(i));
    }

    public String prefix() {
        return prefix;
    }

    public boolean has(String name) {
        return archive.contains(prefix + name);
    }

    /** The declared dims of {@code name}; {@link WeightsException} if absent. */
    public int[] dims(String name) {
        return info(name).shape().dims();
    }

    /** The tensor {@code name}, checked to be a float tensor of exactly {@code shape}. */
    public Tensor tensor(String name, int... shape) {
        TensorInfo info = info(name);
        if (!Arrays.equals(info.shape().dims(), shape)) {
            throw new WeightsException(archive.source() + ": tensor " + prefix + name + " has shape " + info.shape()
                    + ", expected " + Arrays.toString(shape));
        }
        if (info.dtype() != DType.F32 && info.dtype() != DType.BF16 && info.dtype() != DType.F16) {
            throw new WeightsException(archive.source() + ": tensor " + prefix + name + " is " + info.dtype()
                    + ", expected F32, BF16 or F16");
        }
        return archive.tensor(prefix + name);
    }

    /** A {@link Linear} from {@code name.weight} [out, in] and, if present, {@code name.bias} [out]. */
    public Linear linear(String name, int out, int in) {
        ModuleWeights m = child(name);
        return new Linear(m.tensor("weight", out, in), m.has("bias") ? m.tensor("bias", out) : null);
    }

    /** The archive these weights come from. */
    public TensorArchive archive() {
        return archive;
    }

    private TensorInfo info(String name) {
        if (!archive.contains(prefix + name)) {
            throw new WeightsException(archive.source() + ": missing tensor " + prefix + name);
        }
        return archive.info(prefix + name);
    }
}
