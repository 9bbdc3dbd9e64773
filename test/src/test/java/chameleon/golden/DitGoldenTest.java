package chameleon.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chameleon.runtime.replay.DitCaseReplay;
import chameleon.tensor.Tensor;
import chameleon.tensor.cpu.CpuBackend;
import chameleon.weights.SafetensorsFile;
import chameleon.weights.TensorArchive;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The golden DiT case through the CPU backend: every step's v, every chunk's x0, the clean passes,
 * the prefill, both layers' KV ring buffers (with the chunk-2 eviction) and the intermediate
 * activations, within the README's 1e-4 for an fp32 port.
 */
class DitGoldenTest {

    @Test
    void replaysTheOfficialStreamingRunWithinTolerance() throws Exception {
        Path dir = GoldenData.dir();
        try (TensorArchive weights = TensorArchive.open(dir.resolve("dit.safetensors"));
             SafetensorsFile caseFile = SafetensorsFile.open(dir.resolve("dit_case.safetensors"))) {
            var json = new ObjectMapper().readTree(caseFile.metadata().get("json"));
            LinkedHashMap<String, Tensor> actual = DitCaseReplay.run(weights, caseFile, json, new CpuBackend());
            Map<String, Tensor> expected = new LinkedHashMap<>();
            for (String name : caseFile.names()) {
                expected.put(name, caseFile.tensor(name));
            }
            List<String> required = new ArrayList<>(List.of("x0_all", "prefill_v"));
            for (int c = 0; c < 3; c++) {
                required.add("c" + c + "_x0");
                required.add("c" + c + "_clean_v");
                for (int s = 0; s < 4; s++) {
                    required.add("c" + c + "_s" + s + "_v");
                    required.add("c" + c + "_s" + s + "_x0");
                }
            }
            for (int l = 0; l < 2; l++) {
                required.addAll(List.of("kv_l" + l + "_k", "kv_l" + l + "_v", "xattn_l" + l + "_k", "xattn_l" + l + "_v"));
            }
            required.addAll(List.of("kv_l0_k_after_prefill", "kv_l0_k_after_c0", "kv_l0_v_after_c1",
                    "dbg_prefill_block1_out", "dbg_c0s0_head_out", "dbg_c0s0_time_e0"));
            GoldenData.assertWithin(expected, actual, required, 1e-4);
            // Every tensor the case records must be reproduced, inputs aside.
            long produced = expected.keySet().stream().filter(actual::containsKey).count();
            long inputs = expected.keySet().stream().filter(n -> n.equals("text") || n.startsWith("z_")
                    || n.startsWith("noise_") || n.equals("t_warped") || n.equals("t_net") || n.equals("sigma")).count();
            assertEquals(expected.size() - inputs, produced, "outputs of the case not produced by the replay");
        }
    }
}
