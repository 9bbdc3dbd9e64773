package chameleon.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code -Dchameleon.tornado.attention} names the op-by-op path's kernels (naive|private|tiled) and the resident DiT's
 * (reg|mma|scores): each path takes the other's names as "its default", and refuses anything else by name.
 * ScoreMatrixAttention's softmax width refuses values its kernel cannot take, naming the setting.
 */
class AttentionPropertyTest {
    private static final String KEY = "chameleon.tornado.attention";

    @AfterEach
    void clear() {
        System.clearProperty(KEY);
        System.clearProperty("chameleon.tornado.softmax.threads");
    }

    @Test
    void scoreMatrixSoftmaxWidthIsCheckedNotGuessed() {
        new ScoreMatrixAttention(256);
        new ScoreMatrixAttention(0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ScoreMatrixAttention(384))
                .getMessage().contains("got 384"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ScoreMatrixAttention(2048))
                .getMessage().contains("got 2048"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ScoreMatrixAttention(16))
                .getMessage().contains("got 16"));
        System.setProperty("chameleon.tornado.softmax.threads", "many");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ScoreMatrixAttention::new);
        assertTrue(e.getMessage().contains("chameleon.tornado.softmax.threads") && e.getMessage().contains("many"),
                e.getMessage());
        System.setProperty("chameleon.tornado.softmax.threads", "512");
        new ScoreMatrixAttention();
        assertEquals(1024, ScoreMatrixAttention.softmaxThreads(20240));
        assertEquals(256, ScoreMatrixAttention.softmaxThreads(4400));
        assertEquals(512, ScoreMatrixAttention.softmaxThreads(8200));
        assertEquals(256, ScoreMatrixAttention.softmaxThreads(512));
        assertEquals(256, ScoreMatrixAttention.softmaxThreads(1));
    }

    @Test
    void opByOpPathReadsItsNamesAndLeavesTheResidentOnesToItsDefault() {
        System.setProperty(KEY, "private");
        assertEquals(OpPlans.AttentionKernel.PRIVATE, OpPlans.AttentionKernel.fromSystemProperty());
        System.setProperty(KEY, "scores");
        assertEquals(OpPlans.AttentionKernel.TILED, OpPlans.AttentionKernel.fromSystemProperty());
        System.setProperty(KEY, "flash");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, OpPlans.AttentionKernel::fromSystemProperty);
        assertTrue(e.getMessage().contains("got flash"), e.getMessage());
    }

    @Test
    void residentKernelsRefuseAnUnknownName() {
        System.setProperty(KEY, "tiled");
        DeviceKernels.java();   // the op-by-op name: the resident default
        System.setProperty(KEY, "flash");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, DeviceKernels::java);
        assertTrue(e.getMessage().contains("reg, mma or scores"), e.getMessage());
    }
}
