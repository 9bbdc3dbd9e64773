package chameleon.layers.vae;

import chameleon.tensor.Tensor;
import chameleon.weights.TensorArchive;
import chameleon.weights.TensorInfo;
import chameleon.weights.WeightsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An in-memory {@link TensorArchive} for tests. */
final class MapArchive implements TensorArchive {
    final Map<String, Tensor> tensors = new LinkedHashMap<>();

    MapArchive put(String name, Tensor t) {
        tensors.put(name, t);
        return this;
    }

    @Override
    public Path source() {
        return Path.of("memory");
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        Tensor t = tensor(name);
        return new TensorInfo(name, t.dtype(), t.shape());
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new WeightsException("memory: missing tensor " + name);
        }
        return t;
    }

    @Override
    public void close() {
    }
}
