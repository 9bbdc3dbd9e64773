package chameleon.tornado;

import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.replay.DitCaseReplay;
import chameleon.tensor.Tensor;
import chameleon.tornado.plan.LinearPlan;
import chameleon.weights.SafetensorsFile;
import chameleon.weights.TensorArchive;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The golden DiT case (prefill, 3 chunks × 4 steps + clean passes, KV eviction) replayed through the
 * TornadoVM backend: every output the case records, within 1e-3 of the official fp32 run. On PoCL
 * (CI) this checks the kernels' code generation; the same replay on the GPU is {@link GpuSmoke}.
 */
class TornadoDitGoldenTest {

    @Test
    void replaysTheGoldenDitCaseDeviceResident() throws Exception {
        replay(LinearPlan.Gemm.PARALLEL, true);
    }

    @Test
    void replaysTheGoldenDitCaseOpByOp() throws Exception {
        replay(LinearPlan.Gemm.PARALLEL, false);
    }

    @Test
    void replaysTheGoldenDitCaseOpByOpWithTheLocalMemoryGemm() throws Exception {
        replay(LinearPlan.Gemm.LOCAL, false);
    }

    private static void replay(LinearPlan.Gemm gemm, boolean resident) throws Exception {
        Path dir = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        Assumptions.assumeTrue(Files.isDirectory(dir), "golden data folder " + dir.toAbsolutePath()
                + " is absent: parity test skipped");
        try (TornadoBackend tornado = new TornadoBackend(gemm, false, resident);
             TensorArchive weights = TensorArchive.open(dir.resolve("dit.safetensors"));
             SafetensorsFile caseFile = SafetensorsFile.open(dir.resolve("dit_case.safetensors"))) {
            var json = new ObjectMapper().readTree(caseFile.metadata().get("json"));
            LinkedHashMap<String, Tensor> actual = DitCaseReplay.run(weights, caseFile, json, tornado);
            Map<String, Tensor> expected = new LinkedHashMap<>();
            for (String name : caseFile.names()) {
                expected.put(name, caseFile.tensor(name));
            }
            for (String name : new String[] {"x0_all", "prefill_v", "c2_clean_v", "kv_l1_k", "xattn_l0_v"}) {
                assertTrue(actual.containsKey(name), "replay did not produce " + name);
            }
            double worst = GpuSmoke.compare(expected, actual, System.out);
            assertTrue(worst <= 1e-3, "worst max |diff| " + worst + " exceeds 1e-3 (gemm " + gemm + ", resident " + resident + ", device "
                    + TornadoBackend.deviceDescription() + ")");
        }
    }
}
