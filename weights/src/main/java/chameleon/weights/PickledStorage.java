package chameleon.weights;

import chameleon.tensor.DType;

/**
 * A storage as a checkpoint's persistent id names it: {@code ('storage', torch.FloatStorage, key,
 * location, numel)}. Its bytes are the zip entry {@code <prefix>/data/<key>}; {@code location} (for
 * example {@code "cuda:0"}) only says where it lived when saved and is ignored, since we read into CPU
 * memory.
 *
 * @param numel number of elements of {@code dtype} the storage holds
 */
record PickledStorage(DType dtype, String key, String location, long numel) {

    PickledStorage {
        if (numel < 0 || numel > Long.MAX_VALUE / dtype.byteSize()) {
            throw new IllegalArgumentException("storage " + key + " has an impossible element count " + numel);
        }
    }

    long byteSize() {
        return numel * dtype.byteSize();
    }
}
