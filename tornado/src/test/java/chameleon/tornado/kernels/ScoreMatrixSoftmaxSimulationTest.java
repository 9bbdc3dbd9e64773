package chameleon.tornado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * {@link ScoreMatrixKernels#softmaxTiles} run as its work groups would run on a device ({@link SimulatedWorkGroups}:
 * an item a thread, local memory shared, real barriers), at every width the plan may choose, on a window whose
 * length is no multiple of the width, of 4, or of 32: each P row against softmax in double, the columns past the
 * window zero up to the next multiple of 32, nothing written past that, every row in its own head's tiles. Rows are
 * 128 a head, as the plan's A tiles need; five of the 256 rows run (first, second and last of head 0, two of head 1).
 * On the device the kernel runs in the GPU golden replay only; PoCL has no fp16 stores.
 */
class ScoreMatrixSoftmaxSimulationTest {
    private static final int HEADS = 2, LQ = 128, LEN = 1337, KEY_PAD = 1408, KEY_STEPS = 44;   // cap 1 400
    private static final int[][] ROWS = {{0, 0}, {0, 1}, {0, 127}, {1, 0}, {1, 5}};           // (head, row)

    @Test
    void everyWidthWritesTheRowsSoftmaxIntoItsTiles() {
        Random rnd = new Random(5);
        FloatArray s = new FloatArray(HEADS * LQ * KEY_PAD);      // [heads·lq, keyPad]
        for (int i = 0; i < s.getSize(); i++) {
            // a spread of about ±12 and one row of a single huge score: exp must not overflow
            s.set(i, (float) (rnd.nextGaussian() * 4));
        }
        s.set((LQ + 5) * KEY_PAD + 1000, 900f);
        int[] groups = new int[ROWS.length];
        for (int i = 0; i < ROWS.length; i++) {
            groups[i] = ROWS[i][0] * LQ + ROWS[i][1];
        }
        IntArray window = IntArray.fromElements(7, 7 + LEN);
        for (int threads : new int[] {32, 256, 512, 1024}) {
            HalfFloatArray p = new HalfFloatArray(HEADS * LQ * KEY_STEPS * 32);
            p.init(new HalfFloat(Float.NaN));
            SimulatedWorkGroups.run(groups, HEADS * LQ, threads,
                    ctx -> ScoreMatrixKernels.softmaxTiles(ctx, s, p, window, LQ, KEY_PAD, KEY_STEPS, threads));
            double worst = 0;
            for (int[] hr : ROWS) {
                int h = hr[0], r = hr[1];
                int row = (h * LQ + r) * KEY_PAD;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int c = 0; c < LEN; c++) {
                    max = Math.max(max, s.get(row + c));
                }
                for (int c = 0; c < LEN; c++) {
                    sum += Math.exp(s.get(row + c) - max);
                }
                int tiles = h * LQ * KEY_STEPS * 32;
                for (int c = 0; c < KEY_STEPS * 32; c++) {
                    float got = p.get(tiles + MmaGemmKernels.aTileHalf(r, c, KEY_STEPS)).getFloat32();
                    if (c < LEN) {
                        double want = Math.exp(s.get(row + c) - max) / sum;
                        // fp16: 2^-11 relative, and its subnormals' absolute step
                        worst = Math.max(worst, Math.abs(got - want) / (Math.abs(want) + 1e-4));
                    } else if (c < (LEN + 31) / 32 * 32) {
                        assertEquals(0f, got, "width " + threads + ": head " + h + " row " + r + " column " + c
                                + " past the window up to the k-step: zero");
                    } else {
                        assertTrue(Float.isNaN(got), "width " + threads + ": column " + c + " past the last k-step"
                                + " written");
                    }
                }
            }
            assertTrue(worst < 2e-3, "width " + threads + ": relative error " + worst);
        }
    }
}
