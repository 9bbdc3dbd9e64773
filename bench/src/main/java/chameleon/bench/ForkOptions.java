package chameleon.bench;

/**
 * JVM options of every benchmark fork, as compile-time constants so that each benchmark class can name
 * them in {@code @Fork(jvmArgsAppend = ...)}: the CPU backend needs the incubating Vector API, the
 * loaders map files through the FFM API, and the heap is the one the tests use.
 */
final class ForkOptions {
    static final String VECTOR_API = "--add-modules=jdk.incubator.vector";
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    static final String HEAP = "-Xmx6g";

    private ForkOptions() {
    }
}
