package chameleon.tornado.kernels;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import uk.ac.manchester.tornado.api.KernelContext;

/**
 * Runs a {@link KernelContext} kernel's 1-D work groups on the CPU with the semantics a device gives them: one Java
 * (virtual) thread per work item, the local arrays of a work group shared by its items (the n-th allocation of every
 * item is the group's n-th array) and {@code localBarrier} a real barrier. A kernel whose items disagree on the
 * barriers they reach fails (the barrier times out) instead of hanging. For kernels without MMA: on the CPU
 * {@code KernelContext}'s MMA calls are no-ops.
 * <p>
 * Its items' context subclasses {@link KernelContext}; once that class is loaded, TornadoVM's compiler leaves calls on
 * {@code KernelContext} as virtual invokes it cannot lower ("address origin unimplemented: InvokeNode"), so tests
 * using it are named {@code *SimulationTest} and run in a JVM of their own (the tornado module's pom).
 */
final class SimulatedWorkGroups {
    private static final long BARRIER_SECONDS = 30;

    private SimulatedWorkGroups() {
    }

    /**
     * Runs work groups {@code ids} of a launch of {@code groups} work groups of {@code items} items each (global size
     * groups·items); the others are not run.
     */
    static void run(int[] ids, int groups, int items, Consumer<KernelContext> kernel) {
        for (int g : ids) {
            if (g < 0 || g >= groups) {
                throw new IllegalArgumentException("work group " + g + " of " + groups);
            }
            Group group = new Group(items);
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int i = 0; i < items; i++) {
                ItemContext ctx = new ItemContext(group);
                set(ctx, "groupIdx", g);
                set(ctx, "localIdx", i);
                set(ctx, "globalIdx", g * items + i);
                set(ctx, "localGroupSizeX", items);
                set(ctx, "globalGroupSizeX", groups * items);
                threads.add(Thread.ofVirtual().unstarted(() -> {
                    try {
                        kernel.accept(ctx);
                    } catch (Throwable t) {
                        synchronized (failures) {
                            failures.add(t);
                        }
                        group.barrier.reset();   // release the others
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            if (!failures.isEmpty()) {
                throw new AssertionError("work group " + g + ": " + failures.size() + " of " + items + " items failed",
                        failures.getFirst());
            }
        }
    }

    private static void set(KernelContext ctx, String field, int value) {
        try {
            Field f = KernelContext.class.getField(field);
            f.setAccessible(true);
            f.set(ctx, value);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("KernelContext." + field, e);
        }
    }

    /** One work group's local memory and barrier. */
    private static final class Group {
        final CyclicBarrier barrier;
        final List<Object> locals = new ArrayList<>();

        Group(int items) {
            barrier = new CyclicBarrier(items);
        }

        synchronized Object local(int index, Object fresh) {
            if (index == locals.size()) {
                locals.add(fresh);
            }
            Object shared = locals.get(index);
            if (shared.getClass() != fresh.getClass() || java.lang.reflect.Array.getLength(shared)
                    != java.lang.reflect.Array.getLength(fresh)) {
                throw new IllegalStateException("local array " + index + " allocated differently by two items");
            }
            return shared;
        }
    }

    /** The context of one work item: local arrays from its group, barriers on its group's barrier. */
    private static final class ItemContext extends KernelContext {
        private final Group group;
        private int allocations;

        ItemContext(Group group) {
            this.group = group;
        }

        @Override
        public float[] allocateFloatLocalArray(int size) {
            return (float[]) group.local(allocations++, new float[size]);
        }

        @Override
        public int[] allocateIntLocalArray(int size) {
            return (int[]) group.local(allocations++, new int[size]);
        }

        @Override
        public void localBarrier() {
            try {
                group.barrier.await(BARRIER_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (BrokenBarrierException | TimeoutException e) {
                throw new IllegalStateException("items of one work group reached different barriers", e);
            }
        }
    }
}
