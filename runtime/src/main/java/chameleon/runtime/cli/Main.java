package chameleon.runtime.cli;

import chameleon.text.TokenizerException;
import chameleon.weights.WeightsException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Entry point of the {@code chameleon} command. Every error ends in one line on stderr and a non-zero
 * exit code ({@link ExitCode}); {@code --debug} adds the stack trace.
 */
public final class Main {
    private static final String USAGE = """
            usage: chameleon <command> [options]
              generate [--checkpoint DIR --reference IMG --garment IMG | --random-weights NAME]
                       [--switch CHUNK:IMG]... [--prompt TEXT [--t5 PATH --tokenizer DIR] | --prompt-embedding FILE]
                       [--chunks N] [--seed S] [--out video.mp4 | --no-video] [--frames DIR]
                       [--width W --height H] [--backend cpu|tornado] [--check-finite]
                                                  stream a video with garment switches into an MP4, printing
                                                  seconds per chunk (DiT and VAE decode apart);
                                                  without --checkpoint: the embedded demo (random weights);
                                                  --random-weights wan2.2-ti2v-5b: the real shape with
                                                  deterministic random weights in memory (needs about
                                                  -Xmx40g on the CPU, -Xmx24g with --backend tornado);
                                                  --no-video: generate only, write no MP4
              serve [--port N] [--checkpoint DIR] [--prompt-embedding FILE] [--backend cpu] [--max-sessions N]
                                                  the live page on http://127.0.0.1:N/ (default 8080; 0 picks
                                                  a free port): stream and switch garments in a browser
              encode-prompt TEXT --out FILE (--t5 PATH --tokenizer DIR | --checkpoint DIR) [--text-len N]
                                                  run umT5 on a prompt, write prompt_embeds [N, dim]
              inspect PATH [--tensors] [--check-finite]
                                                  show a checkpoint's inferred config, dtypes and size;
                                                  --check-finite: read every weight, refuse NaN/Inf
              replay CASE --out RESULT [--weights FILE] [--backend cpu]
                                                  replay a golden case file and write every output tensor
            options for every command: --debug (stack traces on errors)""";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean debug = Arrays.asList(args).contains("--debug");
        String[] words = Arrays.stream(args).filter(a -> !a.equals("--debug")).toArray(String[]::new);
        try {
            if (words.length == 0 || words[0].equals("--help") || words[0].equals("help")) {
                out.println(USAGE);
                return words.length == 0 ? ExitCode.USAGE : ExitCode.OK;
            }
            switch (words[0]) {
                case "inspect" -> new InspectCommand().run(words, out);
                case "replay" -> new ReplayCommand().run(words, out);
                case "generate" -> new GenerateCommand().run(words, out);
                case "serve" -> new ServeCommand().run(words, out);
                case "encode-prompt" -> new EncodePromptCommand().run(words, out);
                default -> throw new CliException(ExitCode.USAGE, "unknown command \"" + words[0]
                        + "\" (commands: generate, serve, encode-prompt, inspect, replay; see chameleon --help)");
            }
            return ExitCode.OK;
        } catch (CliException e) {
            report(err, e, e.getMessage(), debug);
            return e.exitCode();
        } catch (WeightsException | TokenizerException | IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            report(err, e, e.getMessage(), debug);
            return ExitCode.FAILED;
        } catch (OutOfMemoryError e) {
            report(err, e, "out of memory (raise -Xmx through JAVA_OPTS): " + e.getMessage(), debug);
            return ExitCode.FAILED;
        } catch (Exception e) {
            report(err, e, e.getClass().getSimpleName() + ": " + e.getMessage(), debug);
            return ExitCode.FAILED;
        }
    }

    private static void report(PrintStream err, Throwable e, String message, boolean debug) {
        err.println("chameleon: " + message);
        if (debug) {
            e.printStackTrace(err);
        }
    }
}
