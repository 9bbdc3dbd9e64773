package chameleon.tornado.vendor;

import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.Map;
import uk.ac.manchester.tornado.api.common.Access;
import uk.ac.manchester.tornado.api.common.LibraryTaskDescriptor;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.runtime.common.TornadoXPUDevice;
import uk.ac.manchester.tornado.runtime.library.spi.LibraryContext;
import uk.ac.manchester.tornado.runtime.library.spi.LibraryInvocation;
import uk.ac.manchester.tornado.runtime.library.spi.TornadoLibraryProvider;
import uk.ac.manchester.tornado.runtime.library.spi.TornadoNativeStreamSupport;

/**
 * cuDNN's fused SDPA over a key window chosen at run time, read in place when it is a whole layer of an F16 cache
 * [layers, heads, cap, d]: TornadoVM's own binding ({@code CuDnn.sdpaForward}) fixes both sequence lengths in the task
 * and takes whole arrays, so a rolling window had to be packed every call into a buffer of length cap with a mask
 * column (head dim 136: 1.76 ms bare on the H100 against 1.16 at 128, tornado/README). Here the window {from, to}
 * (absolute rows of the stacked cache) is read on the host at each dispatch from the graph's parameter array: a whole
 * layer is handed to cuDNN as a pointer into the cache, any other window comes from the packed buffers (filled by
 * {@code SdpaLayoutKernels.packWindow} at the window's length), each length with its own cuDNN plan, built on first
 * use. A captured CUDA graph would replay the first dispatch's pointers, so a plan with these tasks runs without.
 *
 * <p>The cuDNN plans are those of TornadoVM's JNI binding (cudnn-frontend, packed BHSD, F16 in and out, F32 softmax),
 * reached through {@code CuDnnNativeLib}'s package-private natives ({@link TornadoNatives}). Registered in
 * {@code META-INF/services}.
 */
public final class CudnnSdpa implements TornadoLibraryProvider {
    /** The library name of the tasks. */
    public static final String LIBRARY = "chameleon/cudnn-sdpa";
    private static final String FUNCTION = "sdpaCacheWindow";

    /** A cuDNN handle on one plan's stream, its plans by key length, and a grow-only workspace. */
    private static final class Context implements LibraryContext {
        final long handle;
        final Map<String, Long> plans = new HashMap<>();
        long workspace;
        long workspaceBytes;

        Context(long handle) {
            this.handle = handle;
        }
    }

    /**
     * o = softmax(q·kᵀ·scale)·v over key rows [window[0], window[1]) of the stacked cache, all F16 packed BHSD. Use as
     * {@code graph.libraryTask(name, CudnnSdpa::sdpa, ...)}.
     *
     * @param q       [heads, lq, d]
     * @param kCache  [layers, heads, cap, d]: read in place when the window is a whole layer
     * @param vCache  [layers, heads, cap, d]
     * @param kPacked [heads, length, d] (length = window[1] − window[0]): read for any other window
     * @param vPacked [heads, length, d]
     * @param o       [heads, lq, d]
     * @param window  {from, to}, uploaded every execution; its host copy is read at dispatch
     */
    public static LibraryTaskDescriptor sdpa(HalfFloatArray q, HalfFloatArray kCache, HalfFloatArray vCache,
                                             HalfFloatArray kPacked, HalfFloatArray vPacked, HalfFloatArray o,
                                             IntArray window, Integer heads, Integer lq, Integer cap, Integer d,
                                             Float scale) {
        Access[] access = new Access[12];
        java.util.Arrays.fill(access, Access.READ_ONLY);
        access[5] = Access.WRITE_ONLY;
        return new LibraryTaskDescriptor()
                .withLibrary(LIBRARY)
                .withFunction(FUNCTION)
                .withParameters(new Object[] {q, kCache, vCache, kPacked, vPacked, o, window, heads, lq, cap, d, scale})
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
        Native.call(Native.LOAD);
        long stream = ((TornadoNativeStreamSupport) device).getNativeStream(executionPlanId);
        long handle = (long) Native.call(Native.CREATE_HANDLE);
        if (handle == 0) {
            throw new IllegalStateException("cudnnCreate failed");
        }
        check((int) Native.call(Native.SET_STREAM, handle, stream), "cudnnSetStream");
        return new Context(handle);
    }

    /** Builds the whole-layer plan before the first execution (the one a full window uses every call). */
    @Override
    public void prepare(LibraryTaskDescriptor descriptor, LibraryContext context) {
        Object[] p = descriptor.getParameters();
        plan((Context) context, (int) p[7], (int) p[8], (int) p[9], (int) p[10], (float) p[11]);
    }

    @Override
    public void dispatch(String functionName, LibraryInvocation inv) {
        if (!FUNCTION.equals(functionName)) {
            throw new IllegalArgumentException(LIBRARY + " has no function " + functionName);
        }
        Context ctx = (Context) inv.getContext();
        IntArray window = (IntArray) inv.getArg(6);
        int heads = (int) inv.getArg(7), lq = (int) inv.getArg(8), cap = (int) inv.getArg(9), d = (int) inv.getArg(10);
        int from = window.get(0), to = window.get(1);
        int length = to - from;
        long layerHalves = (long) heads * cap * d;
        long cacheHalves = ((HalfFloatArray) inv.getArg(1)).getSize();
        if (length <= 0 || length > cap || from < 0 || (long) to * heads * d > cacheHalves) {
            // a window outside the cache would hand cuDNN pointers into other allocations, without an error from it
            throw new IllegalArgumentException("key window [" + from + ", " + to + ") of a cache of "
                    + cacheHalves / layerHalves + " layers × " + cap + " rows");
        }
        long k;
        long v;
        if (from % cap == 0 && length == cap) {
            long offset = from / cap * layerHalves * Short.BYTES;
            k = inv.getDevicePointer(1) + offset;
            v = inv.getDevicePointer(2) + offset;
        } else {
            k = inv.getDevicePointer(3);
            v = inv.getDevicePointer(4);
        }
        long plan = plan(ctx, heads, lq, length, d, (float) inv.getArg(11));
        int status;
        try {
            // invokeExact: no argument array and no boxing on the dispatch path (once a block)
            status = (int) Native.EXECUTE.invokeExact(ctx.handle, plan, inv.getDevicePointer(0), k, v,
                    inv.getDevicePointer(5), ctx.workspace);
        } catch (Throwable t) {
            throw new IllegalStateException("TornadoVM cuDNN native call failed", t);
        }
        check(status, "cuDNN SDPA (keys [" + from + ", " + to + "))");
    }

    private static long plan(Context ctx, int heads, int lq, int keys, int d, float scale) {
        String key = heads + ":" + lq + ":" + keys + ":" + d + ":" + scale;
        Long plan = ctx.plans.get(key);
        if (plan == null) {
            plan = (long) Native.call(Native.CREATE_PLAN, ctx.handle, 1, heads, lq, keys, d, scale, false);
            if (plan == 0) {
                throw new IllegalStateException("cuDNN SDPA plan failed for " + heads + " heads, " + lq + " queries, "
                        + keys + " keys, head dim " + d + " (needs Ampere or later, d a multiple of 8 and ≤ 256)");
            }
            long bytes = (long) Native.call(Native.WORKSPACE_BYTES, plan);
            if (bytes > ctx.workspaceBytes) {
                if (ctx.workspace != 0) {
                    Native.call(Native.FREE, ctx.workspace);
                }
                ctx.workspace = (long) Native.call(Native.ALLOCATE, bytes);
                if (ctx.workspace == 0) {
                    throw new IllegalStateException("cannot allocate a cuDNN workspace of " + bytes + " bytes");
                }
                ctx.workspaceBytes = bytes;
            }
            ctx.plans.put(key, plan);
        }
        return plan;
    }

    @Override
    public void destroyContext(LibraryContext context) {
        Context ctx = (Context) context;
        for (long plan : ctx.plans.values()) {
            Native.call(Native.DESTROY_PLAN, plan);
        }
        ctx.plans.clear();
        if (ctx.workspace != 0) {
            Native.call(Native.FREE, ctx.workspace);
            ctx.workspace = 0;
        }
        Native.call(Native.DESTROY_HANDLE, ctx.handle);
    }

    private static void check(int status, String what) {
        if (status != 0) {
            throw new IllegalStateException(what + " failed: status " + status);
        }
    }

    /** TornadoVM's cuDNN natives ({@code uk.ac.manchester.tornado.cudnn.provider.CuDnnNativeLib}), bound on first use. */
    private static final class Native {
        private static final String CLASS = "uk.ac.manchester.tornado.cudnn.provider.CuDnnNativeLib";

        static final MethodHandle LOAD = bind("load", void.class);
        static final MethodHandle CREATE_HANDLE = bind("cudnnCreateHandle", long.class);
        static final MethodHandle SET_STREAM = bind("cudnnSetStream", int.class, long.class, long.class);
        static final MethodHandle DESTROY_HANDLE = bind("cudnnDestroyHandle", void.class, long.class);
        // (handle, b, h, sQ, sKv, d, scale, causal)
        static final MethodHandle CREATE_PLAN = bind("createSdpaPlan", long.class, long.class, int.class, int.class,
                int.class, int.class, int.class, float.class, boolean.class);
        static final MethodHandle WORKSPACE_BYTES = bind("sdpaPlanWorkspaceBytes", long.class, long.class);
        // (handle, plan, q, k, v, o, workspace)
        static final MethodHandle EXECUTE = bind("executeSdpaPlan", int.class, long.class, long.class, long.class,
                long.class, long.class, long.class, long.class);
        static final MethodHandle DESTROY_PLAN = bind("destroySdpaPlan", void.class, long.class);
        static final MethodHandle ALLOCATE = bind("allocateDeviceMemory", long.class, long.class);
        static final MethodHandle FREE = bind("freeDeviceMemory", void.class, long.class);

        private static MethodHandle bind(String name, Class<?> result, Class<?>... params) {
            return TornadoNatives.bind("tornado.cudnn", CLASS, name, result, params);
        }

        static Object call(MethodHandle h, Object... args) {
            try {
                return h.invokeWithArguments(args);
            } catch (RuntimeException e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("TornadoVM cuDNN native call failed", t);
            }
        }
    }
}
