package chameleon.tornado.vendor;

import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.Map;
import uk.ac.manchester.tornado.api.common.Access;
import uk.ac.manchester.tornado.api.common.LibraryTaskDescriptor;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.cublas.enums.CuBlasLtEpilogue;
import uk.ac.manchester.tornado.cublas.enums.CublasComputeType;
import uk.ac.manchester.tornado.cublas.enums.CudaDataType;
import uk.ac.manchester.tornado.runtime.common.TornadoXPUDevice;
import uk.ac.manchester.tornado.runtime.library.spi.LibraryContext;
import uk.ac.manchester.tornado.runtime.library.spi.LibraryInvocation;
import uk.ac.manchester.tornado.runtime.library.spi.TornadoLibraryProvider;
import uk.ac.manchester.tornado.runtime.library.spi.TornadoNativeStreamSupport;

/**
 * ffn.0 as one cuBLASLt product with the GELU_BIAS epilogue (F16 in and out, F32 accumulation) that reads layer ℓ's
 * weight and bias inside the stacked arrays of every layer, where TornadoVM's {@code CuBlasLt.ltMatmulGeluBiasFP16}
 * takes whole arrays (so {@link CublasLinear} copied the layer's 44 M-element weight out first: 0.105 ms of a 3.47-ms
 * DiT block on the H100, the last staging copy once {@link LayerGemm} reads the other weights in place). ℓ is read on
 * the host at each dispatch from the graph's parameter array, and the two device pointers advanced; a captured CUDA
 * graph would replay the first dispatch's, so the plan runs without CUDA graphs, as with {@link LayerGemm}.
 *
 * <p>Used with {@code -Dchameleon.tornado.vendor.weights=pointer-all} ({@link CublasLinear.Weights#IN_PLACE_ALL}). On the
 * H100 (session 11): golden vendor replay PASS, one A/B round 599.1 → 584.2 ms a chunk (inside a lease's ±5 %
 * spread), so not the default yet.
 *
 * <p>The cuBLASLt plans (matmul descriptor, layouts, heuristic algorithm) are those of TornadoVM's JNI binding
 * ({@code CuBlasLtNativeLib}), reached through its package-private natives ({@link TornadoNatives}), as {@link CudnnSdpa}
 * reaches tornado.cudnn's. Registered in {@code META-INF/services}.
 */
public final class LayerGeluGemm implements TornadoLibraryProvider {
    /** The library name of the tasks. */
    public static final String LIBRARY = "chameleon/cublaslt-layer";
    private static final String FUNCTION = "ltGeluBiasLayerF16";
    private static final long WORKSPACE_BYTES = 32L << 20;

    /** A cuBLASLt handle on one plan's stream, its workspace and its plans by shape. */
    private static final class Context implements LibraryContext {
        final long handle;
        final long stream;
        final long workspace;
        final Map<String, Long> plans = new HashMap<>();

        Context(long handle, long stream, long workspace) {
            this.handle = handle;
            this.stream = stream;
            this.workspace = workspace;
        }
    }

    /**
     * C [n, ldc] (column-major m × n, F16) = GELU_tanh(op(A_ℓ)·op(B) + bias_ℓ) with A_ℓ = stackedA + ℓ·strideA and
     * bias_ℓ = stackedBias + ℓ·m, ℓ = layer[layerAt]; the arguments of {@code cublasLtMatmul} otherwise. Use as
     * {@code graph.libraryTask(name, LayerGeluGemm::gemm, ...)}.
     *
     * @param stackedA    [layers, strideA] F16
     * @param stackedBias [layers, m] F16 (one bias per output row of the column-major C)
     * @param layer       the graph's parameter array, uploaded every execution; its host copy is read at dispatch
     */
    public static LibraryTaskDescriptor gemm(Integer transa, Integer transb, Integer m, Integer n, Integer k,
                                             HalfFloatArray stackedA, Integer lda, Long strideA, IntArray layer,
                                             Integer layerAt, HalfFloatArray b, Integer ldb, HalfFloatArray c,
                                             Integer ldc, HalfFloatArray stackedBias) {
        Access[] access = new Access[15];
        java.util.Arrays.fill(access, Access.READ_ONLY);
        access[12] = Access.WRITE_ONLY;
        return new LibraryTaskDescriptor()
                .withLibrary(LIBRARY)
                .withFunction(FUNCTION)
                .withParameters(new Object[] {transa, transb, m, n, k, stackedA, lda, strideA, layer, layerAt, b, ldb, c,
                    ldc, stackedBias})
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
        try {
            Native.LOAD.invokeExact();
            long stream = ((TornadoNativeStreamSupport) device).getNativeStream(executionPlanId);
            long handle = (long) Native.CREATE.invokeExact();
            if (handle == 0) {
                throw new IllegalStateException("cublasLtCreate failed");
            }
            long workspace = (long) Native.ALLOCATE.invokeExact(WORKSPACE_BYTES);
            if (workspace == 0) {
                Native.DESTROY.invokeExact(handle);
                throw new IllegalStateException("cannot allocate a cuBLASLt workspace of " + WORKSPACE_BYTES + " bytes");
            }
            return new Context(handle, stream, workspace);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("TornadoVM cuBLASLt native call failed", t);
        }
    }

    @Override
    public void dispatch(String functionName, LibraryInvocation inv) {
        if (!FUNCTION.equals(functionName)) {
            throw new IllegalArgumentException(LIBRARY + " has no function " + functionName);
        }
        Context ctx = (Context) inv.getContext();
        int transa = (int) inv.getArg(0), transb = (int) inv.getArg(1);
        int m = (int) inv.getArg(2), n = (int) inv.getArg(3), k = (int) inv.getArg(4);
        int lda = (int) inv.getArg(6), ldb = (int) inv.getArg(11), ldc = (int) inv.getArg(13);
        long stride = (long) inv.getArg(7);
        int layer = ((IntArray) inv.getArg(8)).get((int) inv.getArg(9));
        long stackedA = ((HalfFloatArray) inv.getArg(5)).getSize();
        long stackedBias = ((HalfFloatArray) inv.getArg(14)).getSize();
        if (layer < 0 || (layer + 1) * stride > stackedA || (long) (layer + 1) * m > stackedBias) {
            // a pointer past the stacked arrays would read another allocation without any error from cuBLASLt
            throw new IllegalArgumentException("layer " + layer + " of a stacked weight of " + stackedA + " halves ("
                    + stride + " a layer) and bias of " + stackedBias + " (" + m + " a layer)");
        }
        long a = inv.getDevicePointer(5) + layer * stride * Short.BYTES;
        long bias = inv.getDevicePointer(14) + (long) layer * m * Short.BYTES;
        String key = transa + ":" + transb + ":" + m + ":" + n + ":" + k + ":" + lda + ":" + ldb + ":" + ldc;
        try {
            Long plan = ctx.plans.get(key);
            if (plan == null) {
                int half = CudaDataType.CUDA_R_16F.value();
                plan = (long) Native.CREATE_PLAN.invokeExact(ctx.handle, transa, transb, m, n, k, lda, ldb, ldc, half,
                        half, half, CublasComputeType.CUBLAS_COMPUTE_32F.value(), CudaDataType.CUDA_R_32F.value(),
                        CuBlasLtEpilogue.CUBLASLT_EPILOGUE_GELU_BIAS.value(), WORKSPACE_BYTES);
                if (plan == 0) {
                    throw new IllegalStateException("cuBLASLt GELU_BIAS plan failed for " + key);
                }
                ctx.plans.put(key, plan);
            }
            int status = (int) Native.EXECUTE.invokeExact(ctx.handle, (long) plan, ctx.stream, 1f, a,
                    inv.getDevicePointer(10), 0f, inv.getDevicePointer(12), bias, ctx.workspace, WORKSPACE_BYTES);
            if (status != 0) {
                throw new IllegalStateException("cublasLtMatmul GELU_BIAS (layer " + layer + ") failed: status " + status);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("TornadoVM cuBLASLt native call failed", t);
        }
    }

    @Override
    public void destroyContext(LibraryContext context) {
        Context ctx = (Context) context;
        try {
            for (long plan : ctx.plans.values()) {
                Native.DESTROY_PLAN.invokeExact(plan);
            }
            ctx.plans.clear();
            Native.FREE.invokeExact(ctx.workspace);
            Native.DESTROY.invokeExact(ctx.handle);
        } catch (Throwable t) {
            throw new IllegalStateException("TornadoVM cuBLASLt native call failed", t);
        }
    }

    /** TornadoVM's cuBLAS(Lt) natives ({@code uk.ac.manchester.tornado.cublas.provider}), bound on first use. */
    private static final class Native {
        private static final String PACKAGE = "uk.ac.manchester.tornado.cublas.provider.";

        static final MethodHandle LOAD = bind("CuBlasNativeLib", "load", void.class);
        static final MethodHandle ALLOCATE = bind("CuBlasNativeLib", "allocateDeviceMemory", long.class, long.class);
        static final MethodHandle FREE = bind("CuBlasNativeLib", "freeDeviceMemory", void.class, long.class);
        static final MethodHandle CREATE = bind("CuBlasLtNativeLib", "ltCreate", long.class);
        static final MethodHandle DESTROY = bind("CuBlasLtNativeLib", "ltDestroy", void.class, long.class);
        // (handle, transa, transb, m, n, k, lda, ldb, ldc, aType, bType, cType, computeType, scaleType, epilogue, ws)
        static final MethodHandle CREATE_PLAN = bind("CuBlasLtNativeLib", "ltCreatePlan", long.class, long.class,
                int.class, int.class, int.class, int.class, int.class, int.class, int.class, int.class, int.class,
                int.class, int.class, int.class, int.class, int.class, long.class);
        static final MethodHandle DESTROY_PLAN = bind("CuBlasLtNativeLib", "ltDestroyPlan", void.class, long.class);
        // (handle, plan, stream, alpha, A, B, beta, C, bias, workspace, workspaceBytes)
        static final MethodHandle EXECUTE = bind("CuBlasLtNativeLib", "ltExecutePlan", int.class, long.class, long.class,
                long.class, float.class, long.class, long.class, float.class, long.class, long.class, long.class,
                long.class);

        private static MethodHandle bind(String cls, String name, Class<?> result, Class<?>... params) {
            return TornadoNatives.bind("tornado.cublas", PACKAGE + cls, name, result, params);
        }
    }
}
