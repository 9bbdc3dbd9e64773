package chameleon.runtime.cli;

import chameleon.runtime.replay.DitCaseReplay;
import chameleon.runtime.replay.VaeCaseReplay;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsFile;
import chameleon.weights.SafetensorsWriter;
import chameleon.weights.TensorArchive;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code replay CASE --out RESULT [--weights FILE] [--backend cpu]}: runs the procedure a golden case
 * file records (its {@code __metadata__["json"]}, kind {@code dit_case} or {@code vae_case}) with the
 * recorded inputs and noise, and writes every output under the case's own tensor names.
 */
final class ReplayCommand {

    void run(String[] words, PrintStream out) {
        Arguments a = new Arguments("replay", words, 1, Set.of("out", "weights", "backend", "kernels"), Set.of());
        if (a.positional().size() != 1) {
            throw a.usage("expects one case file (e.g. ../shared/golden/dit_case.safetensors)");
        }
        String outArg = a.option("out");
        if (outArg == null) {
            throw a.usage("--out RESULT.safetensors is required");
        }
        Backend backend = BackendChoice.create(a.option("backend"), a);
        Path casePath = Path.of(a.positional().get(0));
        Path outPath = Path.of(outArg);
        Path outDir = outPath.toAbsolutePath().getParent();
        if (outDir == null || !Files.isDirectory(outDir) || !Files.isWritable(outDir)) {
            throw new CliException(ExitCode.FAILED, outPath + ": output folder does not exist or is not writable");
        }
        try (SafetensorsFile caseFile = SafetensorsFile.open(casePath)) {
            String text = caseFile.metadata().get("json");
            if (text == null) {
                throw new CliException(ExitCode.FAILED, casePath + ": not a case file (no __metadata__ \"json\")");
            }
            JsonNode json = new ObjectMapper().readTree(text);
            String kind = json.path("kind").asText("");
            long start = System.nanoTime();
            LinkedHashMap<String, Tensor> result;
            Path weightsPath;
            switch (kind) {
                case "dit_case" -> {
                    weightsPath = weights(a, casePath, json.path("weights_file").path("name").asText("dit.safetensors"));
                    try (TensorArchive weights = TensorArchive.open(weightsPath)) {
                        result = DitCaseReplay.run(weights, caseFile, json, backend);
                        SafetensorsWriter.write(outPath, result, Map.of("kind", kind + "_result", "case", casePath.toString()));
                    }
                }
                case "vae_case" -> {
                    weightsPath = weights(a, casePath, "vae.safetensors");
                    try (TensorArchive weights = TensorArchive.open(weightsPath)) {
                        result = VaeCaseReplay.run(weights, caseFile, backend);
                        SafetensorsWriter.write(outPath, result, Map.of("kind", kind + "_result", "case", casePath.toString()));
                    }
                }
                default -> throw new CliException(ExitCode.FAILED, casePath + ": unknown case kind \"" + kind
                        + "\" (expected dit_case or vae_case)");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf("replayed %s (%s) with %s on %s in %.2f s: %d tensors written to %s%n",
                    casePath.getFileName(), kind, weightsPath.getFileName(), backend.name(), seconds, result.size(), outPath);
        } catch (IOException e) {
            throw new CliException(ExitCode.FAILED, casePath + ": " + e.getMessage());
        }
    }

    private static Path weights(Arguments a, Path casePath, String recorded) {
        String given = a.option("weights");
        Path p = given != null ? Path.of(given) : casePath.toAbsolutePath().resolveSibling(recorded);
        if (!Files.exists(p)) {
            throw new CliException(ExitCode.FAILED, p + ": weights not found"
                    + (given == null ? " (named by the case; pass --weights FILE)" : ""));
        }
        return p;
    }
}
