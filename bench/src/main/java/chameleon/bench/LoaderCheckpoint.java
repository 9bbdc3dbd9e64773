package chameleon.bench;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.weights.DitConfig;
import java.util.Map;

/**
 * The synthetic DiT checkpoints the loader benchmarks open. All three have the 5B model's layout
 * (30 blocks, the same ~800 tensor names, MODEL.md §2.2) and BF16 data, so their headers are about
 * the same size while their data differ by three orders of magnitude: that is what lets the open
 * benchmark show whether opening costs O(header) or O(data).
 */
enum LoaderCheckpoint {
    /** dim 128, ffn 384: about 15 MB. */
    SMALL(config(128, 384)),
    /** dim 512, ffn 1536: about 230 MB, the size the read benchmarks use. */
    LARGE(config(512, 1536)),
    /** Wan2.2-TI2V-5B itself: 10.0 GB, written sparse (a file-system hole where the data would be). */
    FULL_5B(DitConfig.wan22Ti2v5b());

    static final DType DTYPE = DType.BF16;

    private final DitConfig config;

    LoaderCheckpoint(DitConfig config) {
        this.config = config;
    }

    private static DitConfig config(int dim, int ffn) {
        DitConfig real = DitConfig.wan22Ti2v5b();
        return new DitConfig(dim, ffn, dim / DitConfig.HEAD_DIM, DitConfig.HEAD_DIM, real.numLayers(), real.inDim(),
                real.outDim(), real.patch(), real.textDim(), real.freqDim(), real.eps(), real.qkNorm(), real.crossAttnNorm());
    }

    /** Tensor names and shapes, in checkpoint order. */
    Map<String, Shape> tensors() {
        return config.expectedTensors();
    }

    /** Bytes of tensor data (headers and zip structure not counted). */
    long dataBytes() {
        long n = 0;
        for (Shape s : tensors().values()) {
            n += s.numel() * DTYPE.byteSize();
        }
        return n;
    }
}
