package chameleon.tornado.vendor;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Method handles on TornadoVM's package-private JNI natives ({@code CuDnnNativeLib}, {@code CuBlasLtNativeLib}, ...):
 * its library modules are open, so a private lookup reaches them without a launcher flag, and our own library providers
 * ({@link CudnnSdpa}, {@link LayerGeluGemm}) reuse its plans with pointers of their choosing.
 */
final class TornadoNatives {
    private TornadoNatives() {
    }

    /**
     * The static method {@code name} of TornadoVM's class {@code className} (module {@code module}, for the message).
     *
     * @throws IllegalStateException naming the class or the method when this TornadoVM lacks it or no longer opens it
     */
    static MethodHandle bind(String module, String className, String name, Class<?> result, Class<?>... params) {
        Class<?> c;
        MethodHandles.Lookup lookup;
        try {
            c = Class.forName(className);
            lookup = MethodHandles.privateLookupIn(c, MethodHandles.lookup());
        } catch (ReflectiveOperationException | IllegalAccessError | SecurityException e) {
            throw new IllegalStateException("cannot reach " + className + " (TornadoVM's " + module + " module, a bundle"
                    + " of tornado/make-bundle --backend cuda), or this TornadoVM no longer opens it", e);
        }
        try {
            return lookup.findStatic(c, name, MethodType.methodType(result, params));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(className + " has no " + name + " of this TornadoVM version", e);
        }
    }
}
