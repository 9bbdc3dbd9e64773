package chameleon.tornado;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelBench}'s small cases on the default device (PoCL in CI): the register-tiled attention
 * against the CPU reference; the MMA GEMM cases run only where the backend lowers MMA (PTX/CUDA), and
 * are proven on the H100 by the full bench.
 */
class KernelBenchTest {
    @Test
    void smallCasesMatchTheCpuReference() {
        List<KernelBench.Result> results = KernelBench.run(true);
        assertFalse(results.isEmpty());
        for (KernelBench.Result r : results) {
            assertFalse(r.failed(), r.line());
            assertEquals(0, r.nonFinite(), r.line());
            double tol = r.line().startsWith("gemm mma") ? 2e-3 : 1e-4;
            assertTrue(r.relErr() <= tol, r.line());
        }
    }
}
