package chameleon.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code -Dchameleon.tornado.attention} names the op-by-op path's kernels (naive|private|tiled) and the resident DiT's
 * (reg|mma|scores): each path takes the other's names as "its default", and refuses anything else by name.
 */
class AttentionPropertyTest {
    private static final String KEY = "chameleon.tornado.attention";

    @AfterEach
    void clear() {
        System.clearProperty(KEY);
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
