package chameleon.weights;

import chameleon.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;

/**
 * A view of an archive whose names all start with one prefix, presenting them without it. The
 * authors' training checkpoints store the DiT under {@code model.} ({@code model.blocks.0.ffn.0.weight});
 * the released weights and MODEL.md use the bare names, which is what the rest of the engine asks for.
 */
public final class PrefixStrippedArchive implements TensorArchive {

    /** The prefix of the authors' training checkpoints. */
    public static final String MODEL_PREFIX = "model.";

    private final TensorArchive inner;
    private final String prefix;
    private final List<String> names;

    /**
     * @throws WeightsException if some name of {@code inner} lacks the prefix (stripping would then mix
     *                          two naming schemes)
     */
    public PrefixStrippedArchive(TensorArchive inner, String prefix) {
        for (String name : inner.names()) {
            if (!name.startsWith(prefix)) {
                throw new WeightsException(inner.source() + ": tensor '" + name + "': expected every name to start with '"
                        + prefix + "'");
            }
        }
        this.inner = inner;
        this.prefix = prefix;
        this.names = inner.names().stream().map(n -> n.substring(prefix.length())).toList();
    }

    /**
     * {@code archive} seen without {@code prefix} if it is non-empty and every name starts with it;
     * otherwise {@code archive} itself.
     */
    public static TensorArchive stripIfAllPrefixed(TensorArchive archive, String prefix) {
        List<String> names = archive.names();
        boolean all = !names.isEmpty() && names.stream().allMatch(n -> n.startsWith(prefix));
        return all ? new PrefixStrippedArchive(archive, prefix) : archive;
    }

    /** The archive under the view, with the original names. */
    public TensorArchive inner() {
        return inner;
    }

    public String prefix() {
        return prefix;
    }

    @Override
    public Path source() {
        return inner.source();
    }

    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return inner.contains(prefix + name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo stored = inner.info(stored(name));
        return new TensorInfo(name, stored.dtype(), stored.shape());
    }

    @Override
    public Tensor tensor(String name) {
        return inner.tensor(stored(name));
    }

    private String stored(String name) {
        if (!inner.contains(prefix + name)) {
            throw new WeightsException(source() + ": tensor '" + name + "': no such tensor (looked for '"
                    + prefix + name + "': the file's names carry the prefix '" + prefix + "')");
        }
        return prefix + name;
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return inner + " without prefix '" + prefix + "'";
    }
}
