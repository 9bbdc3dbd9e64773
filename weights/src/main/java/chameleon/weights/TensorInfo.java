package chameleon.weights;

import chameleon.tensor.DType;
import chameleon.tensor.Shape;

/** Name, dtype and shape of one stored tensor, as its file declares them. */
public record TensorInfo(String name, DType dtype, Shape shape) {
    public long byteSize() {
        return shape.numel() * dtype.byteSize();
    }
}
