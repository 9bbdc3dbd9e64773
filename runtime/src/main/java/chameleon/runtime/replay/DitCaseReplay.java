package chameleon.runtime.replay;

import chameleon.kvcache.KvCache;
import chameleon.kvcache.KvCacheGeometry;
import chameleon.layers.dit.ActivationProbe;
import chameleon.layers.dit.CausalWanModel;
import chameleon.runtime.ChunkDenoiser;
import chameleon.runtime.FlowMatchScheduler;
import chameleon.tensor.Backend;
import chameleon.tensor.Tensor;
import chameleon.weights.DitConfig;
import chameleon.weights.TensorArchive;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.LinkedHashMap;

/**
 * Replays a DiT case file ({@code dit_case.safetensors}, see {@code golden/README.md}): prefill of the
 * reference and garment latents, then every chunk's denoising steps and clean pass with the recorded
 * noise, returning every output under the case's own tensor names.
 */
public final class DitCaseReplay {
    private DitCaseReplay() {
    }

    /**
     * @param weights  the DiT state dict ({@code dit.safetensors})
     * @param caseFile the case tensors ({@code text}, {@code z_src}, {@code z_gar}, {@code noise_*})
     * @param json     the case description ({@code __metadata__["json"]})
     */
    public static LinkedHashMap<String, Tensor> run(TensorArchive weights, TensorArchive caseFile, JsonNode json,
                                                    Backend backend) {
        JsonNode stream = required(json, "stream");
        JsonNode schedule = required(json, "schedule");
        int condFrames = required(stream, "num_cond_frames").asInt();
        int chunks = required(stream, "num_chunks").asInt();
        int framesPerChunk = required(stream, "frames_per_chunk").asInt();
        int window = required(stream, "local_attn_size_frames").asInt();
        int sink = required(stream, "sink_size_frames").asInt();

        CausalWanModel model = new CausalWanModel(weights);
        DitConfig cfg = model.config();
        Tensor zSrc = caseFile.tensor("z_src").toF32();
        Tensor zGar = caseFile.tensor("z_gar").toF32();
        int tokensPerFrame = model.tokensPerFrame(zSrc.dim(2), zSrc.dim(3));
        // The reference attends to the whole filled cache here (golden README, harness note 7).
        KvCache cache = new KvCache(new KvCacheGeometry(tokensPerFrame, window, sink, window),
                cfg.numLayers(), cfg.numHeads(), cfg.headDim());

        FlowMatchScheduler scheduler = new FlowMatchScheduler(
                json.path("schedule").path("num_train_timesteps").asInt(1000),
                (float) required(schedule, "shift").asDouble());
        int[] nominal = ints(required(schedule, "nominal"));
        float[] steps = scheduler.warp(nominal);
        float[] recorded = floats(required(schedule, "t_warped"));
        if (!Arrays.equals(steps, recorded)) {
            throw new IllegalStateException(caseFile.source() + ": warped timesteps " + Arrays.toString(steps)
                    + " differ from the recorded " + Arrays.toString(recorded));
        }
        ChunkDenoiser denoiser = new ChunkDenoiser(model, backend, scheduler, steps);
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();

        Tensor context = model.embedText(backend, caseFile.tensor("text").toF32());
        Tensor cond = backend.concat(1, zSrc, zGar);
        out.put("prefill_v", denoiser.prefill(cond, 0, context, cache, probe(out, "dbg_prefill_")));
        putLayer0(out, denoiser, cache, "_after_prefill");

        Tensor noiseInit = caseFile.tensor("noise_init").toF32();
        Tensor[] results = new Tensor[chunks];
        for (int c = 0; c < chunks; c++) {
            final int chunk = c;
            Tensor noise = backend.slice(noiseInit, 1, c * framesPerChunk, (c + 1) * framesPerChunk);
            int[] next = {1};
            Tensor x0 = denoiser.denoise(noise, condFrames + c * framesPerChunk,
                    dims -> caseFile.tensor("noise_c" + chunk + "_s" + next[0]++).toF32(),
                    context, cache, new ChunkDenoiser.Observer() {
                        @Override
                        public ActivationProbe probe(int step) {
                            return chunk == 0 && step == 0 ? DitCaseReplay.probe(out, "dbg_c0s0_") : ActivationProbe.NONE;
                        }

                        @Override
                        public void onStep(int step, Tensor x, Tensor v, Tensor x0) {
                            String p = "c" + chunk + "_s" + step;
                            out.put(p + "_x", x.copy());
                            out.put(p + "_v", v);
                            out.put(p + "_x0", x0);
                        }

                        @Override
                        public void onClean(Tensor v) {
                            out.put("c" + chunk + "_clean_v", v);
                        }
                    });
            out.put("c" + c + "_x0", x0);
            results[c] = x0;
            if (c + 1 < chunks) {
                putLayer0(out, denoiser, cache, "_after_c" + c);
            }
        }
        out.put("x0_all", chunks == 1 ? results[0] : backend.concat(1, results));
        denoiser.syncToHost(cache);
        for (int i = 0; i < cfg.numLayers(); i++) {
            out.put("kv_l" + i + "_k", cache.self(i).keys().copy());
            out.put("kv_l" + i + "_v", cache.self(i).values().copy());
            out.put("xattn_l" + i + "_k", cache.cross(i).keys().copy());
            out.put("xattn_l" + i + "_v", cache.cross(i).values().copy());
        }
        return out;
    }

    private static ActivationProbe probe(LinkedHashMap<String, Tensor> out, String prefix) {
        return (name, value) -> out.put(prefix + name, value.copy());
    }

    private static void putLayer0(LinkedHashMap<String, Tensor> out, ChunkDenoiser denoiser, KvCache cache, String suffix) {
        denoiser.syncToHost(cache);
        out.put("kv_l0_k" + suffix, cache.self(0).keys().copy());
        out.put("kv_l0_v" + suffix, cache.self(0).values().copy());
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("case description lacks \"" + field + "\"");
        }
        return v;
    }

    private static int[] ints(JsonNode array) {
        int[] r = new int[array.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = array.get(i).asInt();
        }
        return r;
    }

    private static float[] floats(JsonNode array) {
        float[] r = new float[array.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) array.get(i).asDouble();
        }
        return r;
    }
}
