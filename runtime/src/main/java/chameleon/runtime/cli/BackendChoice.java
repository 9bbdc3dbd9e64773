package chameleon.runtime.cli;

import chameleon.tensor.Backend;
import chameleon.tensor.cpu.CpuBackend;

/** Maps {@code --backend NAME [--kernels java|vendor]} to a {@link Backend}. */
final class BackendChoice {
    private BackendChoice() {
    }

    /** The TornadoVM backend lives in its own module (built with -Ptornado), found by name at run time. */
    private static Backend tornado() {
        Class<?> type;
        try {
            type = Class.forName("chameleon.tornado.TornadoBackend");
        } catch (ClassNotFoundException e) {
            throw new CliException(ExitCode.FAILED, "--backend tornado: this build has no TornadoVM backend"
                    + " (install TornadoVM as its documentation says, build with -Ptornado and run from the"
                    + " TornadoVM runtime bundle; see tornado/README.md)");
        }
        try {
            return (Backend) type.getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new CliException(ExitCode.FAILED, "--backend tornado: TornadoVM did not start: " + cause);
        }
    }

    static Backend create(String name, Arguments a) {
        String kernels = a.option("kernels");
        if (kernels != null && !"tornado".equals(name)) {
            throw a.usage("--kernels applies to --backend tornado only");
        }
        if (kernels != null && !kernels.equals("java") && !kernels.equals("vendor")) {
            throw a.usage("--kernels must be java or vendor, got \"" + kernels + "\"");
        }
        if (name == null || name.equals("cpu")) {
            return new CpuBackend();
        }
        if (name.equals("tornado")) {
            if (kernels != null) {
                // read by the TornadoVM backend when it builds its device-resident DiT (chameleon.tornado.kernels)
                System.setProperty("chameleon.tornado.kernels", kernels);
            }
            return tornado();
        }
        throw a.usage("--backend must be cpu or tornado, got \"" + name + "\"");
    }
}
