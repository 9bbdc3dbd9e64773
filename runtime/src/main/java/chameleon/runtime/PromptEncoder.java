package chameleon.runtime;

import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.text.T5Config;
import chameleon.text.T5Tokenizer;
import chameleon.text.TokenizedPrompt;
import chameleon.text.UmT5Encoder;
import chameleon.weights.TensorArchive;
import chameleon.weights.WeightsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Prompt text to the DiT's context, in the JVM: Wan's umT5 tokenizer and encoder. The weights stay
 * memory-mapped in their checkpoint (the real {@code .pth} is ≈ 11 GB of bf16) until {@link #close}.
 */
public final class PromptEncoder implements AutoCloseable {
    /** The encoder checkpoint's name in a Wan2.2 folder. */
    public static final String T5_CHECKPOINT = "models_t5_umt5-xxl-enc-bf16.pth";
    /** The tokenizer folder's name in a Wan2.2 folder. */
    public static final String TOKENIZER_DIR = "google/umt5-xxl";
    /** Wan's {@code text_len}. */
    public static final int TEXT_LEN = 512;

    private final TensorArchive archive;
    private final T5Tokenizer tokenizer;
    private final UmT5Encoder encoder;
    private final int textLen;

    private PromptEncoder(TensorArchive archive, T5Tokenizer tokenizer, UmT5Encoder encoder, int textLen) {
        this.archive = archive;
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.textLen = textLen;
    }

    /**
     * Opens the encoder weights ({@code .pth} or safetensors, official state-dict names) and the tokenizer
     * folder ({@code spiece.model}, optionally {@code tokenizer.json}).
     *
     * @param textLen rows of every embedding (512 in the pipeline)
     */
    public static PromptEncoder open(Path t5Weights, Path tokenizerDir, int textLen, Backend backend) {
        if (textLen < 1) {
            throw new IllegalArgumentException("text length must be positive, got " + textLen);
        }
        if (!Files.isDirectory(tokenizerDir)) {
            throw new WeightsException(tokenizerDir + ": tokenizer folder does not exist (expected spiece.model"
                    + " and tokenizer.json, as in " + TOKENIZER_DIR + "/)");
        }
        T5Tokenizer tokenizer = T5Tokenizer.fromFolder(tokenizerDir);
        TensorArchive archive = TensorArchive.open(t5Weights);
        try {
            UmT5Encoder encoder = new UmT5Encoder(archive, T5Config.inferFrom(archive), backend);
            return new PromptEncoder(archive, tokenizer, encoder, textLen);
        } catch (RuntimeException e) {
            archive.close();
            throw e;
        }
    }

    /**
     * An encoder over weights already open (official state-dict names; the shape is read off them) and a
     * tokenizer; {@link #close} closes {@code archive}.
     */
    public static PromptEncoder of(TensorArchive archive, T5Tokenizer tokenizer, int textLen, Backend backend) {
        if (textLen < 1) {
            throw new IllegalArgumentException("text length must be positive, got " + textLen);
        }
        return new PromptEncoder(archive, tokenizer, new UmT5Encoder(archive, T5Config.inferFrom(archive), backend),
                textLen);
    }

    /** Opens {@link #T5_CHECKPOINT} and {@link #TOKENIZER_DIR} of a Wan2.2 checkpoint folder. */
    public static PromptEncoder openCheckpoint(Path checkpointDir, int textLen, Backend backend) {
        return open(checkpointDir.resolve(T5_CHECKPOINT), checkpointDir.resolve(TOKENIZER_DIR), textLen, backend);
    }

    /** The embedding width ({@code dim}, 4096 for umT5-XXL). */
    public int dim() {
        return encoder.config().dim();
    }

    public int textLen() {
        return textLen;
    }

    /**
     * [textLen, dim]: the prompt's umT5 embedding with the rows past its tokens exactly zero, what Wan's
     * pipeline passes to the DiT as {@code prompt_embeds}. Longer prompts are truncated as Wan truncates.
     */
    public Tensor encode(String text) {
        TokenizedPrompt prompt = tokenizer.encode(text, textLen);
        return encoder.encode(prompt);
    }

    /** [textLen, dim]: {@link #encode(String)} of tokens made by {@link #tokenize}. */
    public Tensor encode(TokenizedPrompt prompt) {
        if (prompt.textLen() != textLen) {
            throw new IllegalArgumentException("prompt has " + prompt.textLen() + " positions, this encoder "
                    + textLen);
        }
        return encoder.encode(prompt);
    }

    /** Tokens of {@code text} with EOS, before truncation to the text length. */
    public int tokenCount(String text) {
        return tokenizer.encodeUnpadded(text).length;
    }

    /** The tokens {@link #encode} would use. */
    public TokenizedPrompt tokenize(String text) {
        return tokenizer.encode(text, textLen);
    }

    @Override
    public void close() {
        archive.close();
    }
}
