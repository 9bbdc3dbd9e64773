package chameleon.runtime.cli;

import chameleon.runtime.PromptEncoder;
import chameleon.tensor.Backend;
import java.nio.file.Path;

/**
 * Where a command finds the umT5 encoder: {@code --t5 PATH} and {@code --tokenizer DIR} together, or
 * the files of a Wan2.2 {@code --checkpoint DIR} ({@value PromptEncoder#T5_CHECKPOINT} and
 * {@value PromptEncoder#TOKENIZER_DIR}/).
 */
final class PromptSource {
    private PromptSource() {
    }

    static PromptEncoder open(Arguments a, int textLen, Backend backend) {
        String t5 = a.option("t5");
        String tokenizer = a.option("tokenizer");
        if (t5 != null || tokenizer != null) {
            if (t5 == null || tokenizer == null) {
                throw a.usage("--t5 and --tokenizer go together (the encoder weights and the tokenizer folder)");
            }
            return PromptEncoder.open(Path.of(t5), Path.of(tokenizer), textLen, backend);
        }
        if (a.option("checkpoint") != null) {
            return PromptEncoder.openCheckpoint(Path.of(a.option("checkpoint")), textLen, backend);
        }
        throw a.usage("a text prompt needs the umT5 encoder: --t5 PATH --tokenizer DIR, or --checkpoint DIR"
                + " holding " + PromptEncoder.T5_CHECKPOINT + " and " + PromptEncoder.TOKENIZER_DIR + "/");
    }
}
