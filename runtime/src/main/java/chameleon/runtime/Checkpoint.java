package chameleon.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the two models of a FashionChameleon checkpoint live: the DiT (a safetensors file, a sharded
 * index or a {@code .pt}) and the Wan2.2 VAE ({@code Wan2.2_VAE.pth} or a safetensors copy).
 *
 * @param dit path to the DiT weights
 * @param vae path to the VAE weights
 */
public record Checkpoint(Path dit, Path vae) {

    /**
     * Finds both models in a folder laid out like {@code Wan-AI/Wan2.2-TI2V-5B} (a
     * {@code *.safetensors.index.json} and {@code Wan2.2_VAE.pth}) or like the demo ({@code dit.safetensors},
     * {@code vae.safetensors}).
     */
    public static Checkpoint locate(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": checkpoint folder not found");
        }
        Path vae = first(dir, List.of("Wan2.2_VAE.pth", "vae.safetensors", "vae.pth"));
        Path dit = first(dir, List.of("diffusion_pytorch_model.safetensors.index.json",
                "diffusion_pytorch_model.safetensors", "dit.safetensors", "model.safetensors", "model.pt"));
        if (dit == null) {
            try (Stream<Path> s = Files.list(dir)) {
                dit = s.filter(p -> p.getFileName().toString().endsWith(".safetensors.index.json")).findFirst().orElse(null);
            } catch (IOException e) {
                throw new IllegalArgumentException(dir + ": cannot list the folder: " + e.getMessage());
            }
        }
        if (dit == null || vae == null) {
            throw new IllegalArgumentException(dir + ": expected the DiT (diffusion_pytorch_model.safetensors.index.json,"
                    + " dit.safetensors or model.pt) and the VAE (Wan2.2_VAE.pth or vae.safetensors); missing "
                    + (dit == null ? "the DiT" : "") + (dit == null && vae == null ? " and " : "")
                    + (vae == null ? "the VAE" : ""));
        }
        return new Checkpoint(dit, vae);
    }

    private static Path first(Path dir, List<String> names) {
        for (String n : names) {
            Path p = dir.resolve(n);
            if (Files.exists(p)) {
                return p;
            }
        }
        return null;
    }
}
