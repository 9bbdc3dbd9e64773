package chameleon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chameleon.runtime.DemoCheckpoint;
import chameleon.runtime.cli.Main;
import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsWriter;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate} given bad images, bad prompt embeddings and bad arguments: each fails before any chunk
 * with its exact one-line message and the README's exit code (1: a file is wrong, 2: the command line is);
 * the odd but valid images (1 pixel, grayscale, alpha, CMYK JPEG) are accepted. The loaders' own tests
 * cover the decoding; these check what reaches the user.
 */
class GenerateBadInputsTest {
    private static final String IMAGE_FORMATS = "expected a PNG, JPEG, BMP or GIF image";
    /** A small video (64×96): the one run that succeeds stays quick. */
    private static final String[] SMALL = {"--width", "64", "--height", "96"};

    @TempDir
    Path tmp;
    private Path video;

    private record Result(int code, String out, String err) {
    }

    @BeforeEach
    void demo() {
        System.setProperty(DemoCheckpoint.DIR_PROPERTY, tmp.resolve("demo").toString());
        video = tmp.resolve("v.mp4");
    }

    /** {@code generate ARGS --out v.mp4} in this JVM, at the small size unless ARGS has a width. */
    private Result generate(String... args) {
        List<String> words = new ArrayList<>(List.of("generate"));
        words.addAll(List.of(args));
        if (!words.contains("--width")) {
            words.addAll(List.of(SMALL));
        }
        words.addAll(List.of("--out", video.toString()));
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(words.toArray(String[]::new), new PrintStream(o), new PrintStream(e));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** Exactly {@code "chameleon: " + message} on one line, the exit code, and no video. */
    private void assertFails(Result r, int code, String message) {
        assertEquals("chameleon: " + message, r.err().strip(), "stderr");
        assertEquals(code, r.code(), r.err());
        assertFalse(r.out().contains("chunk 1/"), "failed after a chunk: " + r.out());
        assertFalse(Files.exists(video), "a failed run must not leave a video");
    }

    // ---- images ----

    @Test
    void unusableImagesNameTheFile() throws IOException {
        Path text = Files.writeString(tmp.resolve("bad.png"), "this is not a picture\n");
        assertFails(generate("--reference", text.toString()), 1,
                text + ": is not a recognised image; " + IMAGE_FORMATS);
        Path empty = Files.createFile(tmp.resolve("empty.jpg"));
        assertFails(generate("--garment", empty.toString()), 1, empty + ": is empty (0 bytes); " + IMAGE_FORMATS);
        Path missing = tmp.resolve("missing.png");
        assertFails(generate("--reference", missing.toString()), 1, missing + ": no such file; " + IMAGE_FORMATS);
        assertFails(generate("--garment", tmp.toString()), 1, tmp + ": is a directory; " + IMAGE_FORMATS);
        Path zero = Files.write(tmp.resolve("zero.png"), withIhdrSize(png(8, 8), 0, 8));
        // the PNG reader itself refuses a zero side in IHDR (the PNG spec forbids it), before our size check
        assertFails(generate("--reference", zero.toString()), 1, zero + ": has a damaged PNG header (I/O error"
                + " reading PNG header!); expected a valid PNG image");
        Path huge = Files.write(tmp.resolve("huge.png"), withIhdrSize(png(8, 8), 10_001, 10_000));
        assertFails(generate("--switch", "2:" + huge, "--chunks", "2"), 1,
                huge + ": is 10001x10000 = 100.0 megapixels, more than the limit of 100; downscale it first");
    }

    @Test
    void onePixelGrayscaleAlphaAndCmykImagesAreAccepted() throws IOException {
        Path dot = tmp.resolve("dot.png");
        ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png", dot.toFile());
        Path gray = tmp.resolve("gray.png");
        ImageIO.write(new BufferedImage(20, 30, BufferedImage.TYPE_BYTE_GRAY), "png", gray.toFile());
        Path alpha = tmp.resolve("alpha.png");
        ImageIO.write(new BufferedImage(20, 30, BufferedImage.TYPE_INT_ARGB), "png", alpha.toFile());
        Path cmyk = tmp.resolve("print.jpg");
        try (InputStream in = getClass().getResourceAsStream("cmyk.jpg")) {
            Files.write(cmyk, in.readAllBytes());
        }
        Result r = generate("--reference", dot.toString(), "--garment", gray.toString(), "--chunks", "3",
                "--switch", "2:" + alpha, "--switch", "3:" + cmyk);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(2 switches)"), r.out());
        assertTrue(Files.size(video) > 0);
    }

    // ---- prompt embeddings ----

    @Test
    void badPromptEmbeddingsNameTheFileAndTheProblem() throws IOException {
        Path narrow = prompt("narrow.safetensors", new float[16 * 32], 16, 32);
        assertFails(generate("--prompt-embedding", narrow.toString()), 1, narrow + ": prompt embedding tensor 'prompt_embeds'"
                + " has shape [16, 32]: width 32 does not match the DiT's text_dim 64");
        float[] v = new float[16 * 64];
        v[2 * 64 + 5] = Float.NaN;
        Path nan = prompt("nan.safetensors", v, 16, 64);
        assertFails(generate("--prompt-embedding", nan.toString()), 1, nan + ": prompt embedding tensor 'prompt_embeds'"
                + " has 1 non-finite value, the first NaN at [2, 5]; expected finite values");
        Path none = prompt("none.safetensors", new float[0], 0, 64);
        assertFails(generate("--prompt-embedding", none.toString()), 1, none + ": prompt embedding tensor 'prompt_embeds'"
                + " has shape [0, 64]: no rows (L = 0), expected at least one");
        Path missing = tmp.resolve("missing.safetensors");
        assertFails(generate("--prompt-embedding", missing.toString()), 1, missing + ": file does not exist");
    }

    private Path prompt(String name, float[] values, int rows, int width) {
        Path file = tmp.resolve(name);
        SafetensorsWriter.write(file, Map.of("prompt_embeds", Tensor.of(values, rows, width)), Map.of());
        return file;
    }

    @Test
    void nonFiniteWeightsAreRefusedBeforeLoadingWhenAsked() throws IOException {
        Path checkpoint = Files.createDirectory(tmp.resolve("ckpt"));
        SafetensorsWriter.write(checkpoint.resolve("dit.safetensors"),
                Map.of("head.head.weight", Tensor.of(new float[] {Float.POSITIVE_INFINITY, 0}, 2)), Map.of());
        SafetensorsWriter.write(checkpoint.resolve("vae.safetensors"), Map.of("w", Tensor.of(new float[] {0}, 1)),
                Map.of());
        Path photo = tmp.resolve("photo.png");
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", photo.toFile());
        assertFails(generate("--checkpoint", checkpoint.toString(), "--reference", photo.toString(), "--garment",
                photo.toString(), "--check-finite"), 1, checkpoint.resolve("dit.safetensors") + ": 1 tensor holds"
                + " NaN or infinite values: head.head.weight (1 of 2 values, the first Infinity at flat index 0);"
                + " expected finite weights (a corrupt download or a broken conversion)");
    }

    // ---- arguments ----

    @Test
    void badArgumentsAreUsageErrors() throws IOException {
        Path shirt = tmp.resolve("shirt.png");
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", shirt.toFile());
        assertFails(generate("--chunks", "0"), 2, "generate: --chunks must be at least 1, got 0");
        assertFails(generate("--chunks", "many"), 2, "generate: --chunks must be a whole number, got \"many\"");
        assertFails(generate("--chunks", "3", "--switch", "1:" + shirt), 2,
                "generate: --switch chunk 1 is outside 2..3 (chunk 1 uses --garment; --chunks is 3)");
        assertFails(generate("--chunks", "3", "--switch", "two:" + shirt), 2,
                "generate: --switch chunk must be a whole number, got \"two\"");
        assertFails(generate("--chunks", "3", "--switch", "2:" + shirt, "--switch", "2:" + shirt), 2,
                "generate: --switch names chunk 2 twice");
        assertFails(generate("--seed", "x"), 2, "generate: --seed must be a whole number, got \"x\"");
        assertFails(generate("--width", "48", "--height", "96"), 2,
                "generate: --width and --height must be multiples of 32"
                + " (VAE stride 16 × DiT patch 2), got 48x96");
        assertFails(generate("extra"), 2, "generate: unexpected argument \"extra\"");
        Path demo = DemoCheckpoint.ensure(tmp.resolve("demo")).dit().getParent(); // a real checkpoint folder
        assertFails(generate("--checkpoint", demo.toString()), 2,
                "generate: --reference IMG is required with --checkpoint");
    }

    @Test
    void readOnlyOutputFolderIsAFailure() throws IOException {
        Path folder = Files.createDirectory(tmp.resolve("ro"));
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Assumptions.assumeFalse(Files.isWritable(folder), "running as root: permissions do not bind");
            video = folder.resolve("v.mp4");
            assertFails(generate("--chunks", "1"), 1, video + ": output folder is not writable");
        } finally {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static byte[] png(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
        return out.toByteArray();
    }

    /** The PNG with its IHDR width and height replaced (and the chunk's CRC fixed). */
    private static byte[] withIhdrSize(byte[] png, int width, int height) {
        byte[] out = png.clone();
        ByteBuffer b = ByteBuffer.wrap(out);
        b.putInt(16, width);
        b.putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(out, 12, 4 + 13);
        b.putInt(12 + 4 + 13, (int) crc.getValue());
        return out;
    }
}
