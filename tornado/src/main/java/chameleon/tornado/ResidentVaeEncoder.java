package chameleon.tornado;

import chameleon.layers.vae.DeviceVaeEncoder;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.Tensor;
import chameleon.tornado.plan.EncoderGraph;

/**
 * The single-image encoder of one {@link WanVae} on the device ({@link EncoderGraph}): activations stay there from
 * the patchified image to μ. The graph is built on the first image of a size and reused for every image of it
 * (a session's reference, garments and switch frames); an image of another size rebuilds it.
 */
final class ResidentVaeEncoder implements DeviceVaeEncoder, AutoCloseable {
    private final WanVae vae;
    private final boolean mma;
    private EncoderGraph graph;

    ResidentVaeEncoder(WanVae vae, boolean mma) {
        this.vae = vae;
        this.mma = mma;
    }

    @Override
    public synchronized Tensor encodeMean(Tensor image) {
        if (image.shape().rank() != 4 || image.dim(1) != 1) {
            throw new IllegalArgumentException("device VAE encoder: image " + image.shape() + " is not [3, 1, H, W]");
        }
        int height = image.dim(2), width = image.dim(3);
        if (graph == null || !graph.fits(height, width)) {
            close();
            graph = new EncoderGraph(vae.weights(), vae.config(), height, width, mma);
        }
        return graph.encodeMean(image);
    }

    /** The device graph, or null before the first image. */
    synchronized EncoderGraph graph() {
        return graph;
    }

    @Override
    public synchronized void close() {
        if (graph != null) {
            graph.close();
            graph = null;
        }
    }
}
