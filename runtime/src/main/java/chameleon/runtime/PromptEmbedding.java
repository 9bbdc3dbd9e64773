package chameleon.runtime;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsFile;
import chameleon.weights.TensorInfo;
import chameleon.weights.WeightsException;
import java.nio.file.Path;
import java.util.List;

/**
 * A prompt's text-encoder output, the DiT's cross-attention context before {@code text_embedding}:
 * [L, textDim] float32, read from a file made earlier ({@code encode-prompt}, or Python);
 * {@link PromptEncoder} computes it from text in the JVM. The file is a safetensors file holding one
 * [L, textDim] tensor (or [1, L, textDim], the pipeline's batched {@code prompt_embeds}) in F32, BF16
 * or F16.
 *
 * <p>A file with several tensors must name the embedding {@code prompt_embeds} (the pipeline's key) or
 * {@code context} (the DiT's argument name); anything else is ambiguous and refused.
 */
public final class PromptEmbedding {

    /** Names that mark the embedding in a file with several tensors, in order of preference. */
    public static final List<String> NAMES = List.of("prompt_embeds", "context");

    private PromptEmbedding() {
    }

    /**
     * Reads the embedding of {@code file} as a heap F32 tensor [L, textDim], independent of the file.
     *
     * @param textDim the DiT's {@code text_dim} (its {@code text_embedding.0.weight} is [dim, textDim])
     * @throws WeightsException naming the file (and the tensor) when the file cannot be read, holds no
     *                          unambiguous embedding, or the embedding has the wrong rank, width or dtype,
     *                          no rows, or a NaN or infinite value
     */
    public static Tensor load(Path file, int textDim) {
        try (SafetensorsFile archive = SafetensorsFile.open(file)) {
            String name = choose(archive);
            TensorInfo info = archive.info(name);
            DType dtype = info.dtype();
            if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
                throw error(file, name, "has dtype " + dtype + ", expected F32, BF16 or F16");
            }
            Shape shape = info.shape();
            int[] d = shape.dims();
            boolean batched = d.length == 3 && d[0] == 1; // [1, L, D]: the pipeline's batch of one prompt
            if (d.length != 2 && !batched) {
                throw error(file, name, "has shape " + shape + ", expected [L, " + textDim + "] or [1, L, " + textDim
                        + "]");
            }
            int rows = d[d.length - 2], width = d[d.length - 1];
            if (width != textDim) {
                throw error(file, name, "has shape " + shape + ": width " + width + " does not match the DiT's"
                        + " text_dim " + textDim);
            }
            if (rows == 0) {
                // An empty context would make cross-attention a softmax over nothing; a missing prompt is
                // zeros(textLen, textDim), as the pipeline's zero-padded rows.
                throw error(file, name, "has shape " + shape + ": no rows (L = 0), expected at least one");
            }
            Tensor values = archive.tensor(name).copy().reshape(rows, width); // heap F32, outlives the mapping
            checkFinite(file, name, values);
            return values;
        }
    }

    /**
     * The embedding to use when there is no prompt: [textLen, textDim] zeros, which is what the
     * pipeline's zero padding feeds for every row past a prompt's end.
     */
    public static Tensor zeros(int textLen, int textDim) {
        if (textLen <= 0 || textDim <= 0) {
            throw new IllegalArgumentException("prompt embedding size must be positive: " + textLen + " × " + textDim);
        }
        return Tensor.zeros(textLen, textDim);
    }

    /** The only tensor, else the first of {@link #NAMES} present. */
    private static String choose(SafetensorsFile archive) {
        List<String> names = archive.names();
        if (names.size() == 1) {
            return names.getFirst();
        }
        for (String preferred : NAMES) {
            if (names.contains(preferred)) {
                return preferred;
            }
        }
        throw new WeightsException(archive.source() + ": " + (names.isEmpty() ? "holds no tensors"
                : "holds " + names.size() + " tensors " + names + " and none is named " + String.join(" or ", NAMES))
                + "; expected one prompt embedding [L, textDim]");
    }

    /** A NaN or ±Inf row would poison every attention output it reaches, so it is refused at the door. */
    private static void checkFinite(Path file, String name, Tensor values) {
        float[] a = values.array();
        int width = values.dim(1);
        int bad = 0, first = -1;
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) {
                bad++;
                first = first < 0 ? i : first;
            }
        }
        if (bad > 0) {
            throw error(file, name, "has " + bad + " non-finite value" + (bad == 1 ? "" : "s") + ", the first "
                    + a[first] + " at [" + first / width + ", " + first % width + "]; expected finite values");
        }
    }

    private static WeightsException error(Path file, String tensor, String what) {
        return new WeightsException(file + ": prompt embedding tensor '" + tensor + "' " + what);
    }
}
