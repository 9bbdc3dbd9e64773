package chameleon.runtime;

import chameleon.layers.vae.VaeConfig;
import chameleon.tensor.DType;
import chameleon.weights.DitConfig;
import chameleon.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The embedded demo model: the real DiT and VAE architectures at a tiny size with deterministic random
 * weights, so the whole pipeline can run (and be tested end to end) without the 20 GB checkpoints. Its
 * output is not a picture of anything; it only exercises every code path with finite numbers.
 *
 * <p>The two files are created on first use in a cache folder and reused afterwards. Creation writes
 * both into a temporary sibling folder and renames that folder into place, so the cache folder either
 * does not exist or holds both complete files; a concurrent creator that loses the race discards its
 * copy. The bytes are a pure function of this class (fixed seed, configs and metadata), so two
 * creations give identical files.
 *
 * @param dit the DiT checkpoint ({@link #DIT_FILE}, BF16, config {@link #ditConfig()})
 * @param vae the VAE state dict ({@link #VAE_FILE}, F32, config {@link #vaeConfig()})
 */
public record DemoCheckpoint(Path dit, Path vae) {

    /** Name of the cache folder; a new name for any change to the weights, so stale caches are never read. */
    public static final String VERSION = "demo-v1";

    /** System property that overrides {@link #defaultDir()}. */
    public static final String DIR_PROPERTY = "chameleon.demo.dir";

    public static final String DIT_FILE = "dit.safetensors";
    public static final String VAE_FILE = "vae.safetensors";

    /**
     * Pixel height of the demo's images and video. The VAE's spatial stride (16) times the DiT's patch
     * (2) means H and W must be multiples of 32: 256 → 16 latent rows → 8 token rows.
     */
    public static final int HEIGHT = 256;

    /** Pixel width: 160 → 10 latent columns → 5 token columns, so 40 tokens per latent frame. */
    public static final int WIDTH = 160;

    /** Rows of the demo's prompt embedding ([TEXT_LEN, textDim]), as in the golden tiny DiT. */
    public static final int TEXT_LEN = 16;

    private static final long SEED = 20_260_601L;
    private static final AtomicLong TEMP_COUNTER = new AtomicLong();

    /**
     * The demo DiT: dim 256 (2 heads × 128), 2 layers, ffn 512, in/out 48, patch (1, 2, 2), text width
     * 64, frequency width 256, with qk-norm and the cross-attention norm, like the golden tiny DiT.
     */
    public static DitConfig ditConfig() {
        return new DitConfig(256, 512, 2, DitConfig.HEAD_DIM, 2, 48, 48, new DitConfig.Patch(1, 2, 2), 64, 256,
                DitConfig.EPS, true, true);
    }

    /** The demo VAE: the Wan2.2 layout (z 48, dim_mult [1, 2, 4, 4], 2 residual blocks) at width 8. */
    public static VaeConfig vaeConfig() {
        return new VaeConfig(8, 8, 48, new int[] {1, 2, 4, 4}, 2, new boolean[] {false, true, true},
                new boolean[] {true, true, false});
    }

    /** {@code -Dchameleon.demo.dir} if set, else {@code ${user.home}/.cache/chameleon-j/demo-v1}. */
    public static Path defaultDir() {
        String override = System.getProperty(DIR_PROPERTY);
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "chameleon-j", VERSION);
    }

    /**
     * The demo checkpoint in {@code cacheDir}, created there first if the folder does not exist (or is
     * empty). Safe to call from several processes at once.
     *
     * @throws IllegalStateException naming the folder when it exists but lacks one of the two files
     *                               (not made by this class: delete it to have it recreated)
     * @throws UncheckedIOException  when the folder cannot be created
     */
    public static DemoCheckpoint ensure(Path cacheDir) {
        Path dir = cacheDir.toAbsolutePath().normalize();
        DemoCheckpoint existing = existing(dir);
        if (existing != null) {
            return existing;
        }
        Path temp = dir.resolveSibling("." + dir.getFileName() + "." + ProcessHandle.current().pid() + "."
                + TEMP_COUNTER.incrementAndGet() + ".tmp");
        try {
            Files.createDirectories(temp);
            write(temp);
            try {
                // rename(2) replaces an empty folder and refuses a non-empty one, so it never mixes files.
                Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new UncheckedIOException(dir + ": cannot create the demo checkpoint atomically: this file "
                        + "system cannot rename a folder (" + e.getMessage() + ")", e);
            } catch (IOException e) {
                if (existing(dir) == null) {
                    throw e;
                }
                deleteTree(temp); // another creator got there first; its files are identical to ours
            }
        } catch (IOException e) {
            deleteTreeQuietly(temp);
            throw new UncheckedIOException(dir + ": cannot create the demo checkpoint: " + e, e);
        } catch (RuntimeException | Error e) {
            deleteTreeQuietly(temp);
            throw e;
        }
        DemoCheckpoint made = existing(dir);
        if (made == null) {
            throw new IllegalStateException(dir + ": the demo checkpoint vanished right after it was created");
        }
        return made;
    }

    /** The checkpoint in {@code dir} if both files are there; null if the folder is absent or empty. */
    private static DemoCheckpoint existing(Path dir) {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        Path dit = dir.resolve(DIT_FILE), vae = dir.resolve(VAE_FILE);
        if (Files.isRegularFile(dit) && Files.isRegularFile(vae)) {
            return new DemoCheckpoint(dit, vae);
        }
        try (Stream<Path> entries = Files.list(dir)) {
            if (entries.findAny().isEmpty()) {
                return null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list the demo checkpoint folder: " + e, e);
        }
        throw new IllegalStateException(dir + ": not a complete demo checkpoint (expected " + DIT_FILE + " and "
                + VAE_FILE + "); delete the folder to have it recreated");
    }

    /** Both files into {@code folder}: the DiT in BF16 as the official checkpoints, the VAE in F32. */
    private static void write(Path folder) {
        DitConfig ditConfig = ditConfig();
        VaeConfig vaeConfig = vaeConfig();
        SafetensorsWriter.write(folder.resolve(DIT_FILE),
                RandomStateDict.generate(ditConfig.expectedTensors(), SEED, DType.BF16),
                metadata("dit_weights", ditConfig.summary(), SEED));
        SafetensorsWriter.write(folder.resolve(VAE_FILE),
                RandomStateDict.generate(vaeConfig.expectedTensors(), SEED + 1, DType.F32),
                metadata("vae_weights", vaeConfig.toString(), SEED + 1));
    }

    /** Fixed text only (no time, host or path), so the files are reproducible byte for byte. */
    private static Map<String, String> metadata(String kind, String config, long seed) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kind", kind);
        m.put("demo", VERSION);
        m.put("config", config);
        m.put("seed", Long.toString(seed));
        m.put("note", "untrained deterministic random weights for demos and tests; the output means nothing");
        return m;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void deleteTreeQuietly(Path root) {
        try {
            deleteTree(root);
        } catch (IOException e) {
            // The original failure is the one worth reporting; a leftover .tmp folder is harmless.
        }
    }
}
