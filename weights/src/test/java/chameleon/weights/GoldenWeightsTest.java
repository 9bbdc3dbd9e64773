package chameleon.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The golden checkpoints written by the reference safetensors library open and hold what they should. */
class GoldenWeightsTest {

    private static Path golden;

    @BeforeAll
    static void findGolden() {
        String dir = System.getProperty("chameleon.golden", "../shared/golden");
        golden = Path.of(dir);
        Assumptions.assumeTrue(Files.isDirectory(golden),
                "SKIPPED: golden folder " + golden.toAbsolutePath() + " is absent (see ENGINEERING.md)");
    }

    @Test
    void tinyDitOpensInfersAndValidates() {
        try (TensorArchive dit = TensorArchive.open(golden.resolve("dit.safetensors"))) {
            assertEquals(69, dit.names().size());
            for (String name : dit.names()) {
                assertEquals(DType.BF16, dit.info(name).dtype(), name);
            }
            DitConfig config = DitConfig.infer(dit);
            assertEquals(256, config.dim());
            assertEquals(2, config.numLayers());
            assertEquals(2, config.numHeads());
            assertEquals(128, config.headDim());
            assertEquals(512, config.ffnDim());
            assertEquals(48, config.inDim());
            assertEquals(48, config.outDim());
            assertEquals(new DitConfig.Patch(1, 2, 2), config.patch());
            assertEquals(64, config.textDim());
            assertEquals(256, config.freqDim());
            assertEquals(1e-6, config.eps());
            assertTrue(config.qkNorm());
            assertTrue(config.crossAttnNorm());
            config.validate(dit);

            long params = 0;
            for (String name : dit.names()) {
                params += dit.info(name).shape().numel();
            }
            assertEquals(2_292_672, params, "parameter count stated in the golden README");

            // Values as numpy reads them from the same file.
            Tensor bias = dit.tensor("patch_embedding.bias");
            assertEquals(Shape.of(256), bias.shape());
            assertEquals(-0.032470703125f, bias.getFloat(0));
            assertEquals(0.0030059814453125f, bias.getFloat(1));
            assertEquals(0.00115203857421875f, bias.getFloat(2));
            assertEquals(-0.0198974609375f, bias.getFloat(3));
            assertEquals(0.22917938232421875, sum(bias), 1e-12);
            Tensor ffn2 = dit.tensor("blocks.1.ffn.2.weight");                 // [256, 512]
            assertEquals(Shape.of(256, 512), ffn2.shape());
            assertEquals(-0.0361328125f, ffn2.getFloat(ffn2.numel() - 1));
            assertEquals(-17.130609206855297, sum(ffn2), 1e-9);
        }
    }

    @Test
    void ditCaseHasJsonMetadataAndExactSchedule() {
        try (SafetensorsFile c = SafetensorsFile.open(golden.resolve("dit_case.safetensors"))) {
            assertTrue(c.metadata().containsKey("json"));
            assertTrue(c.metadata().get("json").contains("\"kind\": \"dit_case\""));
            Tensor tNet = c.tensor("t_net");
            assertEquals(DType.I64, tNet.dtype());
            assertEquals(1000, tNet.getLong(0));
            assertEquals(936, tNet.getLong(1));
            assertEquals(832, tNet.getLong(2));
            assertEquals(624, tNet.getLong(3));
            Tensor sigma = c.tensor("sigma");
            assertEquals(0x1.aaaaaap-1f, sigma.getFloat(2));
            assertEquals(0.9375f, sigma.getFloat(1));
            assertEquals(Shape.of(48, 9, 8, 6), c.info("x0_all").shape());
            assertEquals(Shape.of(120, 2, 128), c.info("kv_l1_k").shape());
        }
    }

    @Test
    void tinyVaeOpens() {
        try (TensorArchive vae = TensorArchive.open(golden.resolve("vae.safetensors"))) {
            assertEquals(196, vae.names().size());
            long params = 0;
            for (String name : vae.names()) {
                assertEquals(DType.F32, vae.info(name).dtype(), name);
                params += vae.info(name).shape().numel();
            }
            assertEquals(1_054_764, params, "parameter count stated in the golden README");
        }
    }

    @Test
    void goldenFolderIsAmbiguousAndSaysWhy() {
        // It holds several safetensors files and no index, so opening the folder must name them.
        WeightsException e = assertThrows(WeightsException.class, () -> TensorArchive.open(golden));
        assertTrue(e.getMessage().contains("dit.safetensors") && e.getMessage().contains("vae.safetensors")
                && e.getMessage().contains("expected one index or exactly one .safetensors file"), e.getMessage());
        WeightsException pth = assertThrows(WeightsException.class, () -> TensorArchive.open(golden.resolve("vae.pth")));
        assertTrue(pth.getMessage().endsWith("vae.pth: PyTorch checkpoints: not available in this build"
                + " (convert it to .safetensors, or use a build with the .pth reader)"), pth.getMessage());
    }

    private static double sum(Tensor t) {
        double s = 0;
        for (long i = 0; i < t.numel(); i++) {
            s += t.getFloat(i);
        }
        return s;
    }
}
