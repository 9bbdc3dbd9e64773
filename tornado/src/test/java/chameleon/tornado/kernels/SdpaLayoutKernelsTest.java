package chameleon.tornado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Field;
import java.util.Random;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The index formulas of the F16 KV-cache kernels ({@link SdpaLayoutKernels}), replayed as plain Java (one thread
 * striding over every element) on a two-layer cache [layers 2, heads 3, cap 6, d 4] against the layouts written out
 * here: the F32 rows [row, head, d] written at absolute rows, a roll through a one-layer scratch, a short window packed
 * at its length (a whole layer packs nothing), cuDNN's output [heads, lq, d] back to rows. These kernels store F16
 * pairs, which only the CUDA backend compiles (PoCL cannot), so the GPU golden replay checks them on the device and this
 * test checks where every element goes.
 */
class SdpaLayoutKernelsTest {
    private static final int LAYERS = 2, CAP = 6, HEADS = 3, D = 4, ROW = HEADS * D;

    /** A KernelContext whose strided loops run every element on the calling thread (global size 1). */
    private static KernelContext oneThread() throws ReflectiveOperationException {
        KernelContext ctx = new KernelContext();
        Field size = KernelContext.class.getField("globalGroupSizeX");
        size.setAccessible(true);
        size.set(ctx, 1);
        return ctx;
    }

    /** Values F16 holds exactly, distinct per element. */
    private static FloatArray rows(int n, int seed) {
        FloatArray a = new FloatArray(n * ROW);
        for (int i = 0; i < a.getSize(); i++) {
            a.set(i, seed + i * 0.25f);
        }
        return a;
    }

    private static float cache(HalfFloatArray c, int row, int h, int col) {
        int layer = row / CAP;
        return c.get(((layer * HEADS + h) * CAP + row % CAP) * D + col).getFloat32();
    }

    private static IntArray params(int... v) {
        IntArray p = new IntArray(v.length);
        for (int i = 0; i < v.length; i++) {
            p.set(i, v[i]);
        }
        return p;
    }

    @Test
    void writesRollsAndPacksTheStackedF16Cache() throws ReflectiveOperationException {
        FloatArray k = rows(5, 1), v = rows(5, 300);                             // [5, heads, d] a chunk's rows
        HalfFloatArray kh = new HalfFloatArray(LAYERS * HEADS * CAP * D), vh = new HalfFloatArray(kh.getSize());
        // rows 1..3 of the chunk into layer 1's rows 2..4 (absolute 8..10)
        SdpaLayoutKernels.writeCacheRows(oneThread(), k, v, kh, vh, params(1, CAP + 2, 3), 0, 1, 2, CAP, HEADS, D);
        for (int j = 0; j < 3; j++) {
            for (int h = 0; h < HEADS; h++) {
                for (int c = 0; c < D; c++) {
                    assertEquals(k.get((1 + j) * ROW + h * D + c), cache(kh, CAP + 2 + j, h, c), "k row " + j);
                    assertEquals(v.get((1 + j) * ROW + h * D + c), cache(vh, CAP + 2 + j, h, c), "v row " + j);
                }
            }
        }
        assertEquals(0f, cache(kh, 2, 0, 0), "layer 0 untouched");
        assertEquals(0f, cache(kh, CAP + 1, HEADS - 1, D - 1), "row before the write untouched");

        // the roll: layer 1's rows 3..4 to rows 0..1 through a one-layer scratch
        HalfFloatArray sk = new HalfFloatArray(HEADS * CAP * D), sv = new HalfFloatArray(sk.getSize());
        IntArray roll = params(CAP + 3, CAP, 2, 0);                              // from, to, count, zero
        SdpaLayoutKernels.moveCacheRows(oneThread(), kh, vh, sk, sv, roll, 0, 3, 2, CAP, HEADS, D);
        SdpaLayoutKernels.moveCacheRows(oneThread(), sk, sv, kh, vh, roll, 3, 1, 2, CAP, HEADS, D);
        for (int j = 0; j < 2; j++) {
            for (int h = 0; h < HEADS; h++) {
                for (int c = 0; c < D; c++) {
                    assertEquals(k.get((2 + j) * ROW + h * D + c), cache(kh, CAP + j, h, c), "rolled k row " + j);
                    assertEquals(v.get((2 + j) * ROW + h * D + c), cache(vh, CAP + j, h, c), "rolled v row " + j);
                }
            }
        }

        // a short window of layer 1 packed [heads, length, d]; a whole layer packs nothing
        HalfFloatArray pk = new HalfFloatArray(HEADS * CAP * D), pv = new HalfFloatArray(pk.getSize());
        SdpaLayoutKernels.packWindow(oneThread(), kh, vh, params(CAP + 1, CAP + 4), pk, pv, CAP, HEADS, D);
        for (int h = 0; h < HEADS; h++) {
            for (int j = 0; j < 3; j++) {
                for (int c = 0; c < D; c++) {
                    assertEquals(cache(kh, CAP + 1 + j, h, c), pk.get((h * 3 + j) * D + c).getFloat32(), "packed k");
                    assertEquals(cache(vh, CAP + 1 + j, h, c), pv.get((h * 3 + j) * D + c).getFloat32(), "packed v");
                }
            }
        }
        HalfFloatArray untouched = new HalfFloatArray(pk.getSize());
        SdpaLayoutKernels.packWindow(oneThread(), kh, vh, params(CAP, 2 * CAP), untouched, untouched, CAP, HEADS, D);
        for (int i = 0; i < untouched.getSize(); i++) {
            assertEquals(0f, untouched.get(i).getFloat32(), "whole layer: read in place, nothing packed");
        }
    }

    @Test
    void unpacksCudnnOutputToRows() {
        int lq = 5, dp = D + SdpaLayoutKernels.MASK_COLUMNS;
        Random r = new Random(3);
        HalfFloatArray oh = new HalfFloatArray(HEADS * lq * dp);                   // [heads, lq, dp]
        for (int i = 0; i < oh.getSize(); i++) {
            oh.set(i, new uk.ac.manchester.tornado.api.types.HalfFloat(r.nextInt(2000) / 8f));
        }
        FloatArray out = new FloatArray(lq * ROW);
        HalfFloatArray outHalf = new HalfFloatArray(lq * ROW);
        SdpaLayoutKernels.unpackOutput(oh, out, lq, HEADS, D, dp);
        SdpaLayoutKernels.unpackOutputHalf(oh, outHalf, lq, HEADS, D, dp);
        for (int q = 0; q < lq; q++) {
            for (int h = 0; h < HEADS; h++) {
                for (int c = 0; c < D; c++) {
                    float want = oh.get((h * lq + q) * dp + c).getFloat32();
                    assertEquals(want, out.get(q * ROW + h * D + c), "F32 row " + q);
                    assertEquals(want, outHalf.get(q * ROW + h * D + c).getFloat32(), "F16 row " + q);
                }
            }
        }
    }
}
