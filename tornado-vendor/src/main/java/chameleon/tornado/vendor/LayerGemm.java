package chameleon.tornado.vendor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import uk.ac.manchester.tornado.api.common.Access;
import uk.ac.manchester.tornado.api.common.LibraryTaskDescriptor;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.runtime.common.TornadoXPUDevice;
import uk.ac.manchester.tornado.runtime.library.spi.LibraryContext;
import uk.ac.manchester.tornado.runtime.library.spi.LibraryInvocation;
import uk.ac.manchester.tornado.runtime.library.spi.TornadoLibraryProvider;
import uk.ac.manchester.tornado.runtime.library.spi.TornadoNativeStreamSupport;

/**
 * A cuBLAS GemmEx library task that reads layer ℓ's weight inside the stacked weights of every layer, where TornadoVM's
 * own binding takes whole arrays only (so {@link CublasLinear} otherwise copies the layer's weight out first: 0.39 ms
 * of a 4.76 ms DiT block on the H100). ℓ is read on the host at each dispatch from the {@code layer} array the graph
 * uploads every execution, and the weight's device pointer advanced by ℓ·stride. A captured CUDA graph would replay
 * the first dispatch's pointer, so a plan with these tasks must run without CUDA graphs (they no longer pay once
 * tornado.max.events is small: 754 ms a vendor chunk without, 801 with, bench/gpu/results/2026-12-07-h100-session7).
 *
 * <p>A TornadoVM library provider written in Java: cuBLAS is called through the FFM API ({@code libcublas.so.13}, found
 * on the library path as TornadoVM's own binding finds it), on a handle bound to the execution plan's stream.
 * Registered in {@code META-INF/services}.
 */
public final class LayerGemm implements TornadoLibraryProvider {
    /** The library name of the tasks. */
    public static final String LIBRARY = "chameleon/cublas-layer";
    private static final String FUNCTION = "gemmExLayerF16F32";

    private static final int CUDA_R_16F = 2;
    private static final int CUDA_R_32F = 0;
    private static final int CUBLAS_COMPUTE_32F = 68;
    private static final int CUBLAS_GEMM_DEFAULT = -1;

    /** A cuBLAS handle on one plan's stream, with the two host scalars GemmEx reads. */
    private record Context(MemorySegment handle, MemorySegment alpha, MemorySegment beta) implements LibraryContext {
    }

    /**
     * C [n, ldc] (column-major m × n, F32) = op(A_ℓ)·op(B) with A_ℓ = stackedA + layer[layerAt]·strideA (F16), B F16,
     * F32 accumulation; the arguments of {@code cublasGemmEx} otherwise. Use as
     * {@code graph.libraryTask(name, LayerGemm::gemm, ...)}.
     *
     * @param stackedA [layers, strideA] F16
     * @param strideA  elements from one layer's A to the next
     * @param layer    the graph's parameter array, uploaded every execution; its host copy is read at dispatch
     */
    public static LibraryTaskDescriptor gemm(Integer transa, Integer transb, Integer m, Integer n, Integer k,
                                             HalfFloatArray stackedA, Integer lda, Long strideA, IntArray layer,
                                             Integer layerAt, HalfFloatArray b, Integer ldb, FloatArray c, Integer ldc) {
        Access[] access = new Access[14];
        java.util.Arrays.fill(access, Access.READ_ONLY);
        access[12] = Access.WRITE_ONLY;
        return new LibraryTaskDescriptor()
                .withLibrary(LIBRARY)
                .withFunction(FUNCTION)
                .withParameters(new Object[] {transa, transb, m, n, k, stackedA, lda, strideA, layer, layerAt, b, ldb, c,
                    ldc})
                .withAccess(access);
    }

    @Override
    public String libraryName() {
        return LIBRARY;
    }

    @Override
    public boolean canHandle(TornadoXPUDevice device) {
        return device instanceof TornadoNativeStreamSupport;
    }

    @Override
    public LibraryContext createContext(TornadoXPUDevice device, long executionPlanId) {
        long stream = ((TornadoNativeStreamSupport) device).getNativeStream(executionPlanId);
        Arena arena = Arena.global();
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        check(call(Native.CREATE, out), "cublasCreate_v2");
        MemorySegment handle = out.get(ValueLayout.ADDRESS, 0);
        check(call(Native.SET_STREAM, handle, MemorySegment.ofAddress(stream)), "cublasSetStream_v2");
        MemorySegment alpha = arena.allocate(ValueLayout.JAVA_FLOAT);
        alpha.set(ValueLayout.JAVA_FLOAT, 0, 1f);
        MemorySegment beta = arena.allocate(ValueLayout.JAVA_FLOAT);
        beta.set(ValueLayout.JAVA_FLOAT, 0, 0f);
        return new Context(handle, alpha, beta);
    }

    @Override
    public void dispatch(String functionName, LibraryInvocation inv) {
        if (!FUNCTION.equals(functionName)) {
            throw new IllegalArgumentException(LIBRARY + " has no function " + functionName);
        }
        Context ctx = (Context) inv.getContext();
        int layer = ((IntArray) inv.getArg(8)).get((int) inv.getArg(9));
        long stride = (long) inv.getArg(7);
        long stacked = ((HalfFloatArray) inv.getArg(5)).getSize();
        if (layer < 0 || (layer + 1) * stride > stacked) {
            // a pointer past the stacked weights would read another allocation without any error from cuBLAS
            throw new IllegalArgumentException("layer " + layer + " of a stacked weight of " + stacked + " halves ("
                    + stride + " a layer)");
        }
        long a = inv.getDevicePointer(5) + layer * stride * Short.BYTES;
        int status;
        try {
            // invokeExact: no argument array and no boxing on the dispatch path (seven products a block)
            status = (int) Native.GEMM_EX.invokeExact(ctx.handle(), (int) inv.getArg(0), (int) inv.getArg(1),
                    (int) inv.getArg(2), (int) inv.getArg(3), (int) inv.getArg(4), ctx.alpha(),
                    MemorySegment.ofAddress(a), CUDA_R_16F, (int) inv.getArg(6),
                    MemorySegment.ofAddress(inv.getDevicePointer(10)), CUDA_R_16F, (int) inv.getArg(11), ctx.beta(),
                    MemorySegment.ofAddress(inv.getDevicePointer(12)), CUDA_R_32F, (int) inv.getArg(13),
                    CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        } catch (Throwable t) {
            throw new IllegalStateException("cublasGemmEx through FFM failed", t);
        }
        check(status, "cublasGemmEx (layer " + layer + ")");
    }

    @Override
    public void destroyContext(LibraryContext context) {
        call(Native.DESTROY, ((Context) context).handle());
    }

    private static void check(int status, String what) {
        if (status != 0) {
            throw new IllegalStateException(what + " failed: cublasStatus_t " + status);
        }
    }

    private static int call(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new IllegalStateException("cuBLAS call through FFM failed", t);
        }
    }

    /** The four cuBLAS entry points, bound on first use. */
    private static final class Native {
        private static final SymbolLookup LIB = SymbolLookup.libraryLookup("libcublas.so.13", Arena.global());
        private static final Linker LINKER = Linker.nativeLinker();
        private static final ValueLayout P = ValueLayout.ADDRESS;
        private static final ValueLayout I = ValueLayout.JAVA_INT;
        static final MethodHandle CREATE = bind("cublasCreate_v2", FunctionDescriptor.of(I, P));
        static final MethodHandle SET_STREAM = bind("cublasSetStream_v2", FunctionDescriptor.of(I, P, P));
        static final MethodHandle DESTROY = bind("cublasDestroy_v2", FunctionDescriptor.of(I, P));
        // (handle, transa, transb, m, n, k, *alpha, A, Atype, lda, B, Btype, ldb, *beta, C, Ctype, ldc, computeType, algo)
        static final MethodHandle GEMM_EX = bind("cublasGemmEx",
                FunctionDescriptor.of(I, P, I, I, I, I, I, P, P, I, I, P, I, I, P, P, I, I, I, I));

        private static MethodHandle bind(String name, FunctionDescriptor d) {
            return LINKER.downcallHandle(LIB.find(name).orElseThrow(
                    () -> new IllegalStateException("libcublas.so.13 has no " + name)), d);
        }
    }
}
