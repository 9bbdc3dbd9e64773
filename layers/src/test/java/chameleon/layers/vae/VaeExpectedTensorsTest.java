package chameleon.layers.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import chameleon.tensor.Shape;
import chameleon.weights.TensorArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@link VaeConfig#expectedTensors()} lists exactly the official state dict, derived from the architecture. */
class VaeExpectedTensorsTest {
    private static final VaeConfig GOLDEN_TINY = new VaeConfig(8, 8, 48, new int[] {1, 2, 4, 4}, 2,
            new boolean[] {false, true, true}, new boolean[] {true, true, false});

    @Test
    void goldenTinyConfigListsExactlyTheGoldenFile() throws Exception {
        Path golden = Path.of(System.getProperty("chameleon.golden", "../shared/golden"));
        Assumptions.assumeTrue(Files.isDirectory(golden), "SKIPPED: golden folder " + golden.toAbsolutePath() + " is absent");
        try (TensorArchive a = TensorArchive.open(golden.resolve("vae.safetensors"))) {
            Map<String, Shape> actual = new TreeMap<>();
            for (String name : a.names()) {
                actual.put(name, a.info(name).shape());
            }
            // TreeMaps so that a failure shows the two listings side by side in one sorted order.
            assertEquals(actual, new TreeMap<>(GOLDEN_TINY.expectedTensors()));
            assertEquals(196, actual.size());
            assertEquals(GOLDEN_TINY.toString(), VaeConfig.infer(a).toString());
        }
    }

    @Test
    void wan22LayoutHas196TensorsWithTheDocumentedDecoderShapes() {
        VaeConfig real = VaeConfig.wan22();
        Map<String, Shape> t = real.expectedTensors();
        assertEquals(196, t.size());
        assertEquals(110, t.keySet().stream().filter(n -> n.startsWith("decoder.") || n.startsWith("conv2.")).count());
        assertEquals(Shape.of(2048, 1024, 3, 1, 1), t.get("decoder.upsamples.0.upsamples.3.time_conv.weight"));
        assertEquals(Shape.of(256, 512, 1, 1, 1), t.get("decoder.upsamples.3.upsamples.0.shortcut.weight"));
        assertEquals(Shape.of(96, 640, 3, 3, 3), t.get("encoder.head.2.weight"));
        assertEquals(Shape.of(640, 640, 3, 1, 1), t.get("encoder.downsamples.2.downsamples.2.time_conv.weight"));
        assertEquals("encoder.conv1.weight", t.keySet().iterator().next());
    }
}
