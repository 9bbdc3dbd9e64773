package chameleon.tensor;

/**
 * The weights of a PyTorch {@code nn.Linear}: {@code y = x·Wᵀ + b}.
 *
 * @param weight [out, in] in the checkpoint's dtype
 * @param bias   [out], or null
 */
public record Linear(Tensor weight, Tensor bias) {
    public Linear {
        if (weight.shape().rank() != 2) {
            throw new IllegalArgumentException("Linear weight must be [out, in], got " + weight.shape());
        }
        if (bias != null && bias.numel() != weight.dim(0)) {
            throw new IllegalArgumentException("Linear bias " + bias.shape() + " does not match weight " + weight.shape());
        }
    }

    public int inFeatures() {
        return weight.dim(1);
    }

    public int outFeatures() {
        return weight.dim(0);
    }

    /** x [M, in] → [M, out]. */
    public Tensor apply(Backend backend, Tensor x) {
        return backend.linear(x, weight, bias);
    }
}
