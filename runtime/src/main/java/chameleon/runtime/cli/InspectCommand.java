package chameleon.runtime.cli;

import chameleon.layers.vae.VaeConfig;
import chameleon.tensor.DType;
import chameleon.weights.DitConfig;
import chameleon.weights.TensorArchive;
import chameleon.weights.TensorInfo;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code inspect PATH [--tensors] [--check-finite]}: what a checkpoint holds and which model it is, without
 * reading tensor data (except with {@code --check-finite}, which reads every value looking for NaN and Inf).
 */
final class InspectCommand {

    void run(String[] words, PrintStream out) {
        Arguments a = new Arguments("inspect", words, 1, Set.of(), Set.of("tensors", "check-finite"));
        if (a.positional().size() != 1) {
            throw a.usage("expects one checkpoint path (a .safetensors file, a sharded folder or index, a .pth/.pt)");
        }
        Path path = Path.of(a.positional().get(0));
        if (!Files.exists(path)) {
            throw new CliException(ExitCode.FAILED, path + ": no such file or folder");
        }
        try (TensorArchive archive = TensorArchive.open(path)) {
            Map<DType, long[]> byType = new TreeMap<>();
            long bytes = 0;
            for (String name : archive.names()) {
                TensorInfo info = archive.info(name);
                long[] c = byType.computeIfAbsent(info.dtype(), k -> new long[2]);
                c[0]++;
                c[1] += info.shape().numel();
                bytes += info.byteSize();
            }
            out.println("checkpoint: " + path);
            out.println("tensors:    " + archive.names().size());
            byType.forEach((t, c) -> out.printf("  %-5s %d tensors, %,d values%n", t, c[0], c[1]));
            out.printf("bytes:      %,d (%.2f GiB)%n", bytes, bytes / (1024.0 * 1024 * 1024));
            out.println("model:      " + describe(archive));
            if (a.flag("tensors")) {
                for (String name : archive.names()) {
                    TensorInfo info = archive.info(name);
                    out.println("  " + name + "  " + info.dtype() + " " + info.shape());
                }
            }
            if (a.flag("check-finite")) {
                archive.checkFinite(); // reads every value; throws naming the bad tensors
                out.println("finite:     every floating-point value");
            }
        }
    }

    private static String describe(TensorArchive archive) {
        if (archive.contains("patch_embedding.weight")) {
            DitConfig cfg = DitConfig.infer(archive);
            cfg.validate(archive);
            return "Wan DiT, " + cfg.summary();
        }
        if (archive.contains("decoder.conv1.weight") || archive.contains("encoder.conv1.weight")) {
            return "Wan2.2 VAE, " + VaeConfig.infer(archive);
        }
        return "unknown (neither a Wan DiT nor a Wan2.2 VAE state dict)";
    }
}
