package chameleon.tornado;

import chameleon.layers.vae.DeviceVaeDecoder;
import chameleon.layers.vae.WanVae;
import chameleon.tensor.Tensor;
import chameleon.tornado.plan.DecoderGraph;

/**
 * The VAE decoder of one {@link WanVae} on the device ({@link DecoderGraph}): activations and every causal cache
 * slot stay there between frames. Holds one stream's cache at a time; the graph is built for a latent size on
 * the first frame of that size (and rebuilt when a stream starts at another size).
 */
final class ResidentVaeDecoder implements DeviceVaeDecoder, AutoCloseable {
    private final WanVae vae;
    private final boolean mma;
    private DecoderGraph graph;
    private Object owner;     // the stream whose cache the device holds

    ResidentVaeDecoder(WanVae vae, boolean mma) {
        this.vae = vae;
        this.mma = mma;
    }

    @Override
    public synchronized Tensor decodeFrame(Object stream, Tensor x, boolean first) {
        if (!first && owner != stream) {
            throw new IllegalStateException("VAE stream displaced: another stream decoded on " + TornadoBackend.deviceDescription()
                    + " since this one's last frame (the device holds one stream's causal cache at a time; reset() the "
                    + "stream to start it again)");
        }
        int h = x.dim(2), w = x.dim(3);
        if (graph == null || !graph.fits(h, w)) {
            if (!first) {
                throw new IllegalStateException("latent frame [" + h + ", " + w + "] in the middle of a stream of another size");
            }
            close();
            graph = new DecoderGraph(vae.weights(), vae.config(), h, w, mma);
        }
        owner = stream;
        return graph.decode(x, first);
    }

    /** The device graph, or null before the first frame. */
    DecoderGraph graph() {
        return graph;
    }

    @Override
    public synchronized void close() {
        if (graph != null) {
            graph.close();
            graph = null;
        }
        owner = null;
    }
}
