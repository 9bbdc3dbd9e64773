package chameleon.kvcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * Invariants of the ring buffer (MODEL.md §2.6) on a tiny geometry: 2 tokens per frame, a 10-frame
 * window (20 rows), a 5-frame sink (10 rows). Every K row holds its absolute token index, so where
 * each token ended up can be read back.
 */
class KvRingBufferTest {
    private static final CpuBackend CPU = new CpuBackend();
    private static final int TPF = 2;

    /** [n, 1, 2] rows whose values are their absolute token index (and −index for V). */
    private static Tensor[] chunk(int firstToken, int n, float tag) {
        float[] k = new float[n * 2], v = new float[n * 2];
        for (int i = 0; i < n; i++) {
            k[2 * i] = firstToken + i;
            k[2 * i + 1] = tag;
            v[2 * i] = -(firstToken + i);
            v[2 * i + 1] = tag;
        }
        return new Tensor[] {Tensor.of(k, n, 1, 2), Tensor.of(v, n, 1, 2)};
    }

    private static AttentionWindow write(KvRingBuffer kv, int startFrame, int frames, float tag) {
        Tensor[] c = chunk(startFrame * TPF, frames * TPF, tag);
        return kv.write(CPU, c[0], c[1], startFrame * TPF);
    }

    private static float token(KvRingBuffer kv, int row) {
        return kv.keys().getFloat(row * 2L);
    }

    private static float tag(KvRingBuffer kv, int row) {
        return kv.keys().getFloat(row * 2L + 1);
    }

    private static KvRingBuffer buffer() {
        return new KvRingBuffer(10 * TPF, 1, 2, 5 * TPF, 10 * TPF);
    }

    @Test
    void appendsUntilFullThenEvictsTheOldestNonSinkFrames() {
        KvRingBuffer kv = buffer();
        assertEquals(new AttentionWindow(0, 4), write(kv, 0, 2, 0));   // prefill: frames 0, 1
        assertEquals(new AttentionWindow(0, 10), write(kv, 2, 3, 0));  // chunk 0: frames 2–4
        assertEquals(new AttentionWindow(0, 16), write(kv, 5, 3, 0));  // chunk 1: frames 5–7
        // chunk 2 (frames 8–10) needs 6 rows, 4 are free: one frame (2 rows) is evicted.
        assertEquals(new AttentionWindow(0, 20), write(kv, 8, 3, 0));
        assertEquals(22, kv.globalEnd());
        assertEquals(20, kv.localEnd());
        for (int row = 0; row < 10; row++) {
            assertEquals(row, token(kv, row), "sink row " + row + " must stay in place");
        }
        // frame 5 (tokens 10, 11) is gone; frames 6, 7 moved left to rows 10..13; chunk 2 at 14..19.
        int[] expected = {12, 13, 14, 15, 16, 17, 18, 19, 20, 21};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], token(kv, 10 + i), "row " + (10 + i));
            assertEquals(-expected[i], kv.values().getFloat((10L + i) * 2), "value row " + (10 + i));
        }
    }

    @Test
    void repeatedStepsOfAChunkOverwriteInPlace() {
        KvRingBuffer kv = buffer();
        write(kv, 0, 2, 0);
        AttentionWindow first = write(kv, 2, 3, 1);
        for (float step = 2; step <= 5; step++) {
            assertEquals(first, write(kv, 2, 3, step), "a repeat must not move the window");
            assertEquals(10, kv.globalEnd());
            assertEquals(10, kv.localEnd());
        }
        for (int row = 4; row < 10; row++) {
            assertEquals(5f, tag(kv, row), "row " + row + " must hold the last (clean) write");
        }
        for (int row = 0; row < 4; row++) {
            assertEquals(0f, tag(kv, row), "conditioning row " + row + " untouched");
        }
    }

    @Test
    void repeatsAfterEvictionDoNotEvictAgain() {
        KvRingBuffer kv = buffer();
        write(kv, 0, 2, 0);
        write(kv, 2, 3, 0);
        write(kv, 5, 3, 0);
        write(kv, 8, 3, 1);
        float before = token(kv, 10);
        write(kv, 8, 3, 2);
        write(kv, 8, 3, 3);
        assertEquals(before, token(kv, 10), "in-place repeats must leave the rolled rows alone");
        assertEquals(20, kv.localEnd());
        assertEquals(3f, tag(kv, 19));
    }

    @Test
    void longSessionsKeepTheSinkAndAFixedFootprint() {
        KvRingBuffer kv = buffer();
        Tensor k = kv.keys();
        write(kv, 0, 2, 0);
        for (int c = 0; c < 400; c++) { // 1 202 frames: positions far past 1024
            int start = 2 + 3 * c;
            for (int step = 0; step < 5; step++) {
                write(kv, start, 3, step);
            }
            assertEquals((start + 3) * TPF, kv.globalEnd());
        }
        assertSame(k, kv.keys(), "the buffer is never reallocated");
        for (int row = 0; row < 10; row++) {
            assertEquals(row, token(kv, row), "sink row " + row);
        }
        // The last 5 window frames are the newest tokens, in order.
        int newest = kv.globalEnd();
        for (int row = 10; row < 20; row++) {
            assertEquals(newest - 20 + row, token(kv, row), "row " + row);
        }
    }

    @Test
    void rejectsWritesThatCannotBeHonoured() {
        KvRingBuffer kv = buffer();
        write(kv, 0, 2, 0);
        write(kv, 2, 3, 0);
        write(kv, 5, 3, 0);
        IllegalStateException old = assertThrows(IllegalStateException.class, () -> write(kv, 2, 3, 0));
        assertEquals(true, old.getMessage().contains("only the newest chunk can be recomputed"), old.getMessage());
        assertThrows(IllegalArgumentException.class, () -> write(kv, 16, 11, 0));
        assertThrows(IllegalArgumentException.class, () -> new KvRingBuffer(10, 1, 2, 11, 10));
    }

    @Test
    void truncateWithdrawsHistory() {
        KvRingBuffer kv = buffer();
        write(kv, 0, 2, 0);
        write(kv, 2, 3, 0);
        kv.truncate(4, 4);
        assertEquals(4, kv.localEnd());
        assertEquals(new AttentionWindow(0, 10), write(kv, 2, 3, 9));
        assertEquals(9f, tag(kv, 4));
    }

    @Test
    void attentionSpanLimitsTheWindowStart() {
        KvRingBuffer kv = new KvRingBuffer(20, 1, 2, 10, 8);
        write(kv, 0, 2, 0);
        assertEquals(new AttentionWindow(2, 10), write(kv, 2, 3, 0));
    }

    /**
     * A backend that keeps the rows elsewhere performs the moves {@link KvRingBuffer#planWrite} returns: replaying
     * them on a plain array (roll through a scratch copy, then the new rows) reproduces write() exactly, through
     * appends, eviction, in-place repeats and a slot overwrite.
     */
    @Test
    void plannedMovesReproduceTheHostWrites() {
        KvRingBuffer host = buffer();
        KvRingBuffer counters = buffer();
        float[] rows = new float[20 * 2]; // the "device" copy of the keys: [capacity, 1, 2]
        int[][] chunks = {{0, 2}, {2, 3}, {2, 3}, {5, 3}, {8, 3}, {8, 3}, {11, 3}, {14, 3}};
        float tag = 0;
        for (int[] c : chunks) {
            tag++;
            Tensor[] kv = chunk(c[0] * TPF, c[1] * TPF, tag);
            AttentionWindow w = host.write(CPU, kv[0], kv[1], c[0] * TPF);
            KvWrite move = counters.planWrite(c[1] * TPF, c[0] * TPF);
            assertEquals(w, move.window());
            apply(rows, move, kv[0]);
            assertEquals(host.localEnd(), counters.localEnd());
            assertEquals(host.globalEnd(), counters.globalEnd());
            for (int i = 0; i < host.localEnd() * 2; i++) {
                assertEquals(host.keys().getFloat(i), rows[i], "row " + i / 2 + " after tokens from " + c[0] * TPF);
            }
        }
        Tensor[] garment = chunk(100, TPF, 99);
        AttentionWindow w = host.overwrite(CPU, garment[0], garment[1], TPF, 6);
        KvWrite move = counters.planOverwrite(TPF, TPF, 6);
        assertEquals(w, move.window());
        apply(rows, move, garment[0]);
        for (int i = 0; i < host.localEnd() * 2; i++) {
            assertEquals(host.keys().getFloat(i), rows[i], "row " + i / 2 + " after the slot overwrite");
        }
    }

    private static void apply(float[] rows, KvWrite move, Tensor keys) {
        int width = 2;
        float[] scratch = new float[move.rolled() * width];
        System.arraycopy(rows, move.rollFrom() * width, scratch, 0, scratch.length);
        System.arraycopy(scratch, 0, rows, move.rollTo() * width, scratch.length);
        float[] k = keys.toFloatArray();
        System.arraycopy(k, 0, rows, move.row() * width, move.rows() * width);
    }
}
