package chameleon.runtime.cli;

import chameleon.runtime.PromptEncoder;
import chameleon.tensor.Tensor;
import chameleon.weights.SafetensorsWriter;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code encode-prompt "text" --out FILE}: runs the umT5 tokenizer and encoder and writes the
 * [textLen, dim] embedding as tensor {@code prompt_embeds} of a safetensors file, which
 * {@code generate --prompt-embedding} reads back.
 */
final class EncodePromptCommand {
    private static final Set<String> VALUED = Set.of("kernels", "t5", "tokenizer", "checkpoint", "out", "text-len", "backend");

    void run(String[] words, PrintStream out) {
        Arguments a = new Arguments("encode-prompt", words, 1, VALUED, Set.of());
        if (a.positional().size() != 1) {
            throw a.usage("expected one prompt text, got " + a.positional().size() + " arguments");
        }
        if (a.option("out") == null) {
            throw a.usage("--out FILE is required");
        }
        int textLen = a.intOption("text-len", PromptEncoder.TEXT_LEN, 1);
        Path target = Path.of(a.option("out"));
        long t0 = System.nanoTime();
        try (PromptEncoder encoder = PromptSource.open(a, false, textLen, BackendChoice.create(a.option("backend"), a))) {
            String text = a.positional().getFirst();
            int tokens = encoder.tokenize(text).length();
            Tensor embedding = encoder.encode(text);
            SafetensorsWriter.write(target, Map.of("prompt_embeds", embedding),
                    Map.of("text_len", Integer.toString(textLen), "tokens", Integer.toString(tokens)));
            out.printf(Locale.ROOT, "wrote %s: prompt_embeds [%d, %d], %d tokens, %.2f s%n", target, textLen,
                    encoder.dim(), tokens, (System.nanoTime() - t0) / 1e9);
        }
    }
}
