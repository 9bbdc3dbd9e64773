package chameleon.runtime.cli;

import chameleon.runtime.DemoTextEncoder;
import chameleon.runtime.PromptEncoder;
import chameleon.tensor.Backend;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a command finds the umT5 encoder: {@code --t5 PATH} and {@code --tokenizer DIR} together, or
 * the files of a Wan2.2 {@code --checkpoint DIR} ({@value PromptEncoder#T5_CHECKPOINT} and
 * {@value PromptEncoder#TOKENIZER_DIR}/), or, on the embedded demo, the demo's random tiny encoder
 * ({@link DemoTextEncoder}).
 */
final class PromptSource {
    private PromptSource() {
    }

    /** The encoder; a usage error when a real checkpoint gives none. */
    static PromptEncoder open(Arguments a, boolean demo, int textLen, Backend backend) {
        PromptEncoder e = openIfConfigured(a, demo, textLen, backend);
        if (e == null) {
            throw a.usage("a text prompt needs the umT5 encoder: --t5 PATH --tokenizer DIR, or --checkpoint DIR"
                    + " holding " + PromptEncoder.T5_CHECKPOINT + " and " + PromptEncoder.TOKENIZER_DIR + "/");
        }
        return e;
    }

    /**
     * The encoder the arguments name, or null when they name none and the {@code --checkpoint} folder
     * lacks {@value PromptEncoder#T5_CHECKPOINT} or {@value PromptEncoder#TOKENIZER_DIR}/ ({@code serve}
     * then runs without text prompts).
     */
    static PromptEncoder openIfConfigured(Arguments a, boolean demo, int textLen, Backend backend) {
        String t5 = a.option("t5");
        String tokenizer = a.option("tokenizer");
        if (t5 != null || tokenizer != null) {
            if (t5 == null || tokenizer == null) {
                throw a.usage("--t5 and --tokenizer go together (the encoder weights and the tokenizer folder)");
            }
            return PromptEncoder.open(Path.of(t5), Path.of(tokenizer), textLen, backend);
        }
        if (demo) {
            return DemoTextEncoder.open(textLen, backend);
        }
        if (a.option("checkpoint") == null) {
            return null;
        }
        Path dir = Path.of(a.option("checkpoint"));
        if (Files.exists(dir.resolve(PromptEncoder.T5_CHECKPOINT)) && Files.isDirectory(dir.resolve(PromptEncoder.TOKENIZER_DIR))) {
            return PromptEncoder.openCheckpoint(dir, textLen, backend);
        }
        return null;
    }
}
