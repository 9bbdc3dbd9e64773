package chameleon.tensor.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * Splits index ranges over a fork-join pool with one worker per core. The common pool is not used: on
 * a 2-core machine its parallelism is 1, which would leave a core idle. {@code -Dchameleon.cpu.threads=N}
 * overrides the size.
 */
final class CpuParallel {
    private static final ForkJoinPool POOL = new ForkJoinPool(Integer.getInteger("chameleon.cpu.threads",
            Runtime.getRuntime().availableProcessors()));

    private CpuParallel() {
    }

    /** Workers of the pool. */
    static int threads() {
        return POOL.getParallelism();
    }

    /** Runs {@code body.accept(i)} for every i in [0, n), in parallel. */
    static void forEach(int n, IntConsumer body) {
        if (n <= 0) {
            return;
        }
        if (n == 1 || POOL.getParallelism() <= 1) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        POOL.invoke(new Range(0, n, body));
    }

    private static final class Range extends RecursiveAction {
        private final int from;
        private final int to;
        private final IntConsumer body;

        Range(int from, int to, IntConsumer body) {
            this.from = from;
            this.to = to;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (to - from == 1) {
                body.accept(from);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Range(from, mid, body), new Range(mid, to, body));
        }
    }
}
