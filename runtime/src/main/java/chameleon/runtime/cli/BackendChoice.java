package chameleon.runtime.cli;

import chameleon.tensor.Backend;
import chameleon.tensor.cpu.CpuBackend;

/** Maps {@code --backend NAME} to a {@link Backend}. */
final class BackendChoice {
    private BackendChoice() {
    }

    static Backend create(String name, Arguments a) {
        if (name == null || name.equals("cpu")) {
            return new CpuBackend();
        }
        if (name.equals("tornado")) {
            throw new CliException(ExitCode.FAILED, "--backend tornado: this build has no TornadoVM backend"
                    + " (install TornadoVM and build with -Ptornado; see the README)");
        }
        throw a.usage("--backend must be cpu or tornado, got \"" + name + "\"");
    }
}
