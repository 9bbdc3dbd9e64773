package chameleon.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import org.junit.jupiter.api.Test;

/** The golden tiny VAE as {@code torch.save(model.state_dict())} wrote it (see the golden README). */
class PthArchiveGoldenTest {

    static Path golden() {
        Path dir = Path.of(System.getProperty("chameleon.golden", "../../shared/golden"));
        assumeTrue(Files.isDirectory(dir), "golden data folder absent: " + dir.toAbsolutePath() + " (skipping)");
        return dir;
    }

    @Test
    void readsTheGoldenVaeCheckpoint() {
        try (PthArchive a = PthArchive.open(golden().resolve("vae.pth"))) {
            assertEquals(196, a.names().size());
            assertEquals("encoder.conv1.weight", a.names().getFirst());
            assertEquals("decoder.head.2.bias", a.names().getLast());

            long params = 0;
            for (String name : a.names()) {
                Tensor t = a.tensor(name);
                assertEquals(DType.F32, t.dtype(), name);
                assertEquals(a.info(name).shape(), t.shape(), name);
                assertTrue(t.segment().isMapped() && t.segment().heapBase().isEmpty(), name + " must be a view of the mapping");
                params += t.numel();
                // The README promises bf16-representable weights: a check that we read the right bytes.
                for (long i = 0; i < t.numel(); i++) {
                    float v = t.getFloat(i);
                    assertEquals(v, DType.bf16ToFloat(DType.floatToBf16(v)), name + "[" + i + "]");
                }
            }
            assertEquals(1_054_764, params);

            // Decoder dims [32,32,32,16,8] with z_dim 48; values read independently with Python's zipfile.
            Tensor conv1 = a.tensor("decoder.conv1.weight");
            assertEquals(Shape.of(32, 48, 3, 3, 3), conv1.shape());
            assertEquals(-0.0029754638671875f, conv1.getFloat(0));
            assertEquals(-0.03955078125f, conv1.getFloat(1));
            assertEquals(0.0185546875f, conv1.getFloat(2));
            assertEquals(0.0079345703125f, conv1.getFloat(41471));

            Tensor head = a.tensor("decoder.head.2.weight");
            assertEquals(Shape.of(12, 8, 3, 3, 3), head.shape());
            assertEquals(-0.07421875f, head.getFloat(0));
            assertEquals(0.055908203125f, head.getFloat(2591));

            Tensor enc = a.tensor("encoder.conv1.weight");
            assertEquals(Shape.of(8, 12, 3, 3, 3), enc.shape());
            assertEquals(0.004119873046875f, enc.getFloat(0));
            assertEquals(0.0830078125f, enc.getFloat(2591));

            Tensor bias = a.tensor("conv2.bias");
            assertEquals(Shape.of(48), bias.shape());
            assertEquals(-0.02294921875f, bias.getFloat(0));
            assertEquals(0.041259765625f, bias.getFloat(47));
        }
    }

    @Test
    void goldenPthAndSafetensorsHoldBitIdenticalTensors() {
        Path dir = golden();
        try (TensorArchive pth = TensorArchive.open(dir.resolve("vae.pth"));
             TensorArchive st = TensorArchive.open(dir.resolve("vae.safetensors"))) {
            assertInstanceOf(PthArchive.class, pth);
            assertEquals(196, st.names().size());
            assertEquals(new HashSet<>(st.names()), new HashSet<>(pth.names()));
            for (String name : pth.names()) {
                Tensor a = pth.tensor(name);
                Tensor b = st.tensor(name);
                assertEquals(b.dtype(), a.dtype(), name);
                assertEquals(b.shape(), a.shape(), name);
                assertEquals(-1, a.segment().mismatch(b.segment()), name + " differs between vae.pth and vae.safetensors");
            }
        }
    }
}
