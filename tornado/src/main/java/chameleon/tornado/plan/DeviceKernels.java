package chameleon.tornado.plan;

import chameleon.tensor.Tensor;
import java.util.List;

/** Which kernels do the heavy lifting of a device-resident forward: GEMM and attention ({@code --kernels}). */
public interface DeviceKernels {
    /** "java" or "vendor", printed with every result. */
    String name();

    /**
     * @param weights one [n, k] weight a layer
     * @param biases  one [n] bias a layer (null entries, or a null list, for none)
     */
    DeviceLinear linear(List<Tensor> weights, List<Tensor> biases);

    DeviceAttention attention();

    /** Every kernel Java: {@link JavaLinear} and {@link JavaAttention}. */
    static DeviceKernels java() {
        return new DeviceKernels() {
            @Override
            public String name() {
                return "java";
            }

            @Override
            public DeviceLinear linear(List<Tensor> weights, List<Tensor> biases) {
                return new JavaLinear(weights, biases);
            }

            @Override
            public DeviceAttention attention() {
                return new JavaAttention();
            }
        };
    }
}
