package chameleon.tornado.vendor;

import uk.ac.manchester.tornado.api.TornadoExecutionPlan;

/**
 * The check that TornadoVM's vendor library tasks can run here: the CUDA (NVRTC) backend is the default
 * device's, and the library provider module is resolved (the JVM was started with it in --add-modules).
 * Without it the first library task would fail with an opaque NoClassDefFoundError or "no provider".
 */
final class VendorLibraries {
    private VendorLibraries() {
    }

    /** @param module e.g. {@code tornado.cublas}; @param what e.g. {@code cuBLAS GEMM} */
    static void require(String module, String what) {
        if (ModuleLayer.boot().findModule(module).isEmpty()) {
            throw new IllegalStateException(what + " needs TornadoVM's " + module + " module: build TornadoVM with its CUDA"
                    + " backend and run from a bundle of tornado/make-bundle --backend cuda (its argfile adds " + module
                    + " to --add-modules)");
        }
        String backend = String.valueOf(TornadoExecutionPlan.DEFAULT_DEVICE.getTornadoVMBackend());
        if (!backend.toUpperCase(java.util.Locale.ROOT).contains("CUDA")) {
            throw new IllegalStateException(what + " runs only on TornadoVM's CUDA (NVRTC) backend; the default device"
                    + " is on " + backend + " (make the bundle with --backend cuda)");
        }
    }
}
