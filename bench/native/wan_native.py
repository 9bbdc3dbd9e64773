#!/usr/bin/env python3
"""Native PyTorch path of chameleon-j (issue 6): the FashionChameleon streaming DiT
(Wan2.2-TI2V-5B causal DiT, KV ring buffer with sink + rolling window, warped flow-matching
scheduler), written from /work/shared/MODEL.md sections 2 and 5. Needs only torch, numpy and
the standard library (no safetensors package: a small reader is below).

  --check-golden DIR   replay the golden DiT case in fp32 (TF32 off, exact softmax) and compare
                       every recorded output; exit 1 if any max |diff| > 1e-4.
  --bench              real 5B shape, deterministic random bf16 weights on the GPU, CUDA-event
                       timings of forwards and of a 7-chunk stream (see bench/native/README.md).

Output: one JSON object on stdout (and in --json FILE), with a human table under "table".
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

HEAD_DIM = 128
EPS = 1e-6
H100_BF16_PEAK_TFLOPS = 989.0


# ----------------------------------------------------------------------------------------------
# safetensors reader: u64 little-endian header length, JSON header, raw little-endian data
# ----------------------------------------------------------------------------------------------
_ST_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def read_safetensors(path):
    """Returns ({name: CPU tensor}, metadata dict). Each tensor owns its memory."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None) or {}
    base = 8 + n
    out = {}
    for name, info in header.items():
        dtype = _ST_DTYPES[info["dtype"]]
        shape = list(info["shape"])
        start, end = info["data_offsets"]
        count = 1
        for d in shape:
            count *= d
        itemsize = torch.empty((), dtype=dtype).element_size()
        if end - start != count * itemsize:
            raise ValueError(f"{path}: tensor {name} has {end - start} bytes, expected {count * itemsize}")
        if count == 0:
            out[name] = torch.empty(shape, dtype=dtype)
            continue
        chunk = bytearray(raw[base + start:base + end])  # fresh, aligned, writable buffer
        out[name] = torch.frombuffer(chunk, dtype=dtype).reshape(shape).clone()
    return out, meta


# ----------------------------------------------------------------------------------------------
# configuration and weight names (MODEL.md 2.1, 2.2)
# ----------------------------------------------------------------------------------------------
class DitConfig:
    def __init__(self, dim, ffn, layers, text_dim, in_dim=48, out_dim=48, freq_dim=256):
        if dim % HEAD_DIM:
            raise ValueError("dim must be a multiple of 128")
        self.dim, self.ffn, self.layers = dim, ffn, layers
        self.heads = dim // HEAD_DIM
        self.text_dim, self.in_dim, self.out_dim, self.freq_dim = text_dim, in_dim, out_dim, freq_dim

    def as_dict(self):
        return dict(dim=self.dim, ffn_dim=self.ffn, num_layers=self.layers, num_heads=self.heads,
                    head_dim=HEAD_DIM, text_dim=self.text_dim, in_dim=self.in_dim, out_dim=self.out_dim,
                    freq_dim=self.freq_dim, patch=[1, 2, 2], eps=EPS)


def weight_shapes(cfg):
    d, f = cfg.dim, cfg.ffn
    s = {
        "patch_embedding.weight": (d, cfg.in_dim, 1, 2, 2), "patch_embedding.bias": (d,),
        "text_embedding.0.weight": (d, cfg.text_dim), "text_embedding.0.bias": (d,),
        "text_embedding.2.weight": (d, d), "text_embedding.2.bias": (d,),
        "time_embedding.0.weight": (d, cfg.freq_dim), "time_embedding.0.bias": (d,),
        "time_embedding.2.weight": (d, d), "time_embedding.2.bias": (d,),
        "time_projection.1.weight": (6 * d, d), "time_projection.1.bias": (6 * d,),
        "head.modulation": (1, 2, d), "head.head.weight": (cfg.out_dim * 4, d), "head.head.bias": (cfg.out_dim * 4,),
    }
    for i in range(cfg.layers):
        p = f"blocks.{i}."
        s[p + "modulation"] = (1, 6, d)
        for a in ("self_attn", "cross_attn"):
            for m in ("q", "k", "v", "o"):
                s[f"{p}{a}.{m}.weight"] = (d, d)
                s[f"{p}{a}.{m}.bias"] = (d,)
            s[f"{p}{a}.norm_q.weight"] = (d,)
            s[f"{p}{a}.norm_k.weight"] = (d,)
        s[p + "norm3.weight"] = (d,)
        s[p + "norm3.bias"] = (d,)
        s[p + "ffn.0.weight"] = (f, d)
        s[p + "ffn.0.bias"] = (f,)
        s[p + "ffn.2.weight"] = (d, f)
        s[p + "ffn.2.bias"] = (d,)
    return s


def random_weights(cfg, device, dtype, seed):
    """Deterministic random weights created directly on the device: N(0,1)*0.02, norm weights 1,
    norm3 bias 0."""
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    w = {}
    for name, shape in weight_shapes(cfg).items():
        if name.endswith(("norm_q.weight", "norm_k.weight", "norm3.weight")):
            w[name] = torch.ones(shape, device=device, dtype=dtype)
        elif name.endswith("norm3.bias"):
            w[name] = torch.zeros(shape, device=device, dtype=dtype)
        else:
            t = torch.randn(shape, generator=g, device=device, dtype=dtype)
            w[name] = t.mul_(0.02)
    return w


# ----------------------------------------------------------------------------------------------
# elementary ops (MODEL.md 2.3, 2.4)
# ----------------------------------------------------------------------------------------------
def layer_norm(x):
    """LayerNorm without affine, computed in fp32 (returns fp32)."""
    return F.layer_norm(x.float(), (x.shape[-1],), eps=EPS)


def rms_norm(z, w):
    """RMSNorm over the full channel dim, normalised in fp32, cast back, times the weight."""
    zf = z.float()
    return (zf * torch.rsqrt(zf.pow(2).mean(-1, keepdim=True) + EPS)).to(z.dtype) * w


def modulate(x, shift, scale, frames, dt):
    """LN(x)·(1+scale)+shift with per-frame [frames, dim] shift/scale (fp32), result in dt."""
    L, d = x.shape
    h = layer_norm(x).view(frames, L // frames, d)
    return (h * (1 + scale[:, None, :]) + shift[:, None, :]).view(L, d).to(dt)


def gated(y, gate, frames):
    L, d = y.shape
    return (y.view(frames, L // frames, d) * gate.to(y.dtype)[:, None, :]).view(L, d)


def rope_angles(start_frame, frames, gh, gw):
    """[L, 64] float64 angles: pairs 0-21 temporal (ω=10000^(-2j/44)), 22-42 rows, 43-63 columns
    (ω=10000^(-2j/42)); token order (f, h, w) row-major."""
    dt_ = HEAD_DIM - 4 * (HEAD_DIM // 6)  # 44
    ds_ = 2 * (HEAD_DIM // 6)  # 42
    wt = 1.0 / torch.pow(10000.0, torch.arange(0, dt_, 2, dtype=torch.float64) / dt_)
    ws = 1.0 / torch.pow(10000.0, torch.arange(0, ds_, 2, dtype=torch.float64) / ds_)
    f = torch.arange(start_frame, start_frame + frames, dtype=torch.float64)
    h = torch.arange(gh, dtype=torch.float64)
    w = torch.arange(gw, dtype=torch.float64)
    at = torch.outer(f, wt)[:, None, None, :].expand(frames, gh, gw, wt.numel())
    ah = torch.outer(h, ws)[None, :, None, :].expand(frames, gh, gw, ws.numel())
    aw = torch.outer(w, ws)[None, None, :, :].expand(frames, gh, gw, ws.numel())
    return torch.cat([at, ah, aw], dim=-1).reshape(frames * gh * gw, HEAD_DIM // 2)


def apply_rope(x, cos, sin):
    """x [L, H, 128]; adjacent pairs (x[2i], x[2i+1]) rotated by angle i; math in cos.dtype."""
    L, H, D = x.shape
    xr = x.to(cos.dtype).view(L, H, D // 2, 2)
    a, b = xr[..., 0], xr[..., 1]
    c, s = cos[:, None, :], sin[:, None, :]
    return torch.stack([a * c - b * s, a * s + b * c], dim=-1).view(L, H, D).to(x.dtype)


def to_heads(x):
    """[L, dim] -> [1, H, L, 128] contiguous."""
    L, d = x.shape
    return x.view(L, d // HEAD_DIM, HEAD_DIM).transpose(0, 1).contiguous().unsqueeze(0)


def from_heads(y):
    """[1, H, L, 128] -> [L, dim]."""
    _, H, L, D = y.shape
    return y[0].transpose(0, 1).reshape(L, H * D)


# set when the chosen SDPA backend refused the strided KV-window views; from then on the window is
# copied to contiguous tensors before each call (reported in the JSON as kv_window_copied)
SDPA_NEEDS_CONTIGUOUS_KV = []


def attention(q, k, v, exact):
    """q [1,H,Lq,D], k/v [1,H,Lk,D] (k/v may be views of the ring buffer [1,H,cap,D]).
    exact=True: softmax(QKᵀ/√D)·V in fp32; else SDPA with the backend chosen by the enclosing
    sdpa_kernel context."""
    if exact:
        s = torch.matmul(q.float(), k.float().transpose(-1, -2)) / math.sqrt(q.shape[-1])
        return torch.matmul(torch.softmax(s, dim=-1), v.float()).to(q.dtype)
    if SDPA_NEEDS_CONTIGUOUS_KV:
        return F.scaled_dot_product_attention(q, k.contiguous(), v.contiguous())
    try:
        return F.scaled_dot_product_attention(q, k, v)
    except RuntimeError as exc:
        if k.is_contiguous() and v.is_contiguous():
            raise
        SDPA_NEEDS_CONTIGUOUS_KV.append(str(exc).splitlines()[0])
        return F.scaled_dot_product_attention(q, k.contiguous(), v.contiguous())


# ----------------------------------------------------------------------------------------------
# block pieces as pure functions (so torch.compile can share one graph across the 30 blocks)
# ----------------------------------------------------------------------------------------------
def pre_attn(x, shift1, scale1, wq, bq, wk, bk, wv, bv, nq, nk, cos, sin, frames: int):
    L, d = x.shape
    h = modulate(x, shift1, scale1, frames, x.dtype)
    q = rms_norm(F.linear(h, wq, bq), nq)
    k = rms_norm(F.linear(h, wk, bk), nk)
    v = F.linear(h, wv, bv)
    H = d // HEAD_DIM
    q = apply_rope(q.view(L, H, HEAD_DIM), cos, sin).transpose(0, 1).contiguous().unsqueeze(0)
    k = apply_rope(k.view(L, H, HEAD_DIM), cos, sin).transpose(0, 1).contiguous().unsqueeze(0)
    v = v.view(L, H, HEAD_DIM).transpose(0, 1).contiguous().unsqueeze(0)
    return q, k, v


def post_self(x, y, wo, bo, gate1, w3, b3, wcq, bcq, ncq, frames: int):
    """x += gate1·o(y); then the cross-attention query from LN_affine(x)."""
    x = x + gated(F.linear(from_heads(y), wo, bo), gate1, frames)
    c = F.layer_norm(x.float(), (x.shape[-1],), w3.float(), b3.float(), EPS).to(x.dtype)
    qc = to_heads(rms_norm(F.linear(c, wcq, bcq), ncq))
    return x, qc


def post_cross(x, yc, wco, bco, shift2, scale2, gate2, w0, b0, w2, b2, frames: int):
    x = x + F.linear(from_heads(yc), wco, bco)
    h2 = modulate(x, shift2, scale2, frames, x.dtype)
    u = F.gelu(F.linear(h2, w0, b0), approximate="tanh")
    return x + gated(F.linear(u, w2, b2), gate2, frames)


# ----------------------------------------------------------------------------------------------
# KV ring buffer (MODEL.md 2.6; same rules as kvcache/KvRingBuffer.java)
# ----------------------------------------------------------------------------------------------
class KvRing:
    def __init__(self, capacity, heads, sink, max_attention, dtype, device):
        self.k = torch.zeros(1, heads, capacity, HEAD_DIM, dtype=dtype, device=device)
        self.v = torch.zeros(1, heads, capacity, HEAD_DIM, dtype=dtype, device=device)
        self.capacity, self.sink, self.max_attention = capacity, sink, max_attention
        self.global_end = 0
        self.local_end = 0

    def reset(self):
        self.global_end = 0
        self.local_end = 0

    def write(self, k, v, current_start):
        """k (already roped), v: [1, H, n, D]. Returns the attention window views of K and V."""
        n = k.shape[2]
        current_end = current_start + n
        if current_end < self.global_end:
            raise RuntimeError("only the newest chunk can be recomputed in place")
        if current_end > self.global_end and self.local_end + n > self.capacity:
            evicted = self.local_end + n - self.capacity
            rolled = self.local_end - evicted - self.sink
            if rolled > 0:
                a, b = self.sink + evicted, self.sink + evicted + rolled
                self.k[:, :, self.sink:self.sink + rolled] = self.k[:, :, a:b].clone()
                self.v[:, :, self.sink:self.sink + rolled] = self.v[:, :, a:b].clone()
            new_local_end = self.local_end + (current_end - self.global_end) - evicted
        else:
            new_local_end = self.local_end + (current_end - self.global_end)
        start = new_local_end - n
        if start < 0 or new_local_end > self.capacity:
            raise RuntimeError(f"KV write lands outside the buffer: rows {start}..{new_local_end}")
        self.k[:, :, start:new_local_end] = k
        self.v[:, :, start:new_local_end] = v
        self.global_end = current_end
        self.local_end = new_local_end
        lo = max(0, new_local_end - self.max_attention)
        return self.k[:, :, lo:new_local_end], self.v[:, :, lo:new_local_end]

    def rows(self, which):
        """[capacity, H, D] view as in the golden case files."""
        return (self.k if which == "k" else self.v)[0].permute(1, 0, 2)


# ----------------------------------------------------------------------------------------------
# flow-matching scheduler (MODEL.md 2.7)
# ----------------------------------------------------------------------------------------------
class Scheduler:
    def __init__(self, shift=5.0, steps=1000, nominal=(1000, 750, 500, 250)):
        u = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float32)[:-1]
        self.sigmas = shift * u / (1 + (shift - 1) * u)
        self.timesteps = self.sigmas * steps
        self.t = self.timesteps[torch.tensor([steps - n for n in nominal])]  # warped, fp32
        self.sigma = torch.stack([self.sigma_of(t) for t in self.t])          # fp32
        # the network sees the timestep after a bf16 round trip (MODEL.md 1.5)
        self.t_net = self.t.to(torch.bfloat16).to(torch.int64)

    def sigma_of(self, t):
        return self.sigmas[torch.argmin((self.timesteps - t).abs())]


def to_x0(x, v, sigma):
    return (x.double() - float(sigma) * v.double()).float()


def add_noise(x0, noise, sigma):
    """(1 − σ)·x0 + σ·ε in fp32 with σ and 1 − σ rounded to fp32 (no host-to-device copy)."""
    s = np.float32(float(sigma))
    keep = float(np.float32(1.0) - s)
    return x0 * keep + noise * float(s)


# ----------------------------------------------------------------------------------------------
# the causal DiT
# ----------------------------------------------------------------------------------------------
class CausalDiT:
    def __init__(self, cfg, weights, dtype, exact_attention, rope_dtype, compiled=False):
        self.cfg, self.w, self.dt = cfg, weights, dtype
        self.exact = exact_attention
        self.rope_dtype = rope_dtype
        self.pre, self.post1, self.post2 = pre_attn, post_self, post_cross
        if compiled:
            self.pre = torch.compile(pre_attn, dynamic=False)
            self.post1 = torch.compile(post_self, dynamic=False)
            self.post2 = torch.compile(post_cross, dynamic=False)
        self.xk, self.xv = None, None
        self._rope_cache = {}

    def set_text(self, text):
        """text [Lt, text_dim] -> per-layer cross-attention K (after norm_k) and V, [1, H, Lt, D]."""
        w = self.w
        t = text.to(self.dt)
        ctx = F.linear(F.gelu(F.linear(t, w["text_embedding.0.weight"], w["text_embedding.0.bias"]),
                              approximate="tanh"), w["text_embedding.2.weight"], w["text_embedding.2.bias"])
        self.xk, self.xv = [], []
        for i in range(self.cfg.layers):
            p = f"blocks.{i}.cross_attn."
            k = rms_norm(F.linear(ctx, w[p + "k.weight"], w[p + "k.bias"]), w[p + "norm_k.weight"])
            v = F.linear(ctx, w[p + "v.weight"], w[p + "v.bias"])
            self.xk.append(to_heads(k))
            self.xv.append(to_heads(v))
        return ctx

    def time_embedding(self, t_frames):
        """t_frames: int64 [F] -> e [F, dim], e0 [F, 6, dim] (one row per frame, not per token)."""
        w, half = self.w, self.cfg.freq_dim // 2
        pos = t_frames.to(torch.float64)
        ang = torch.outer(pos, torch.pow(10000.0, -torch.arange(half, dtype=torch.float64, device=pos.device) / half))
        s = torch.cat([torch.cos(ang), torch.sin(ang)], dim=1).to(self.dt)
        e = F.linear(F.silu(F.linear(s, w["time_embedding.0.weight"], w["time_embedding.0.bias"])),
                     w["time_embedding.2.weight"], w["time_embedding.2.bias"])
        e0 = F.linear(F.silu(e), w["time_projection.1.weight"], w["time_projection.1.bias"])
        return e, e0.view(len(t_frames), 6, self.cfg.dim)

    def rope(self, start_frame, frames, gh, gw, device):
        key = (start_frame, frames, gh, gw, str(device))
        if key not in self._rope_cache:
            ang = rope_angles(start_frame, frames, gh, gw)
            self._rope_cache[key] = (ang.cos().to(device, self.rope_dtype), ang.sin().to(device, self.rope_dtype))
        return self._rope_cache[key]

    def forward(self, lat, t_frames, start_frame, current_start, kv, probe=None):
        """lat [48, F, H, W] fp32; t_frames int64 [F]; returns v_pred [48, F, H, W] fp32."""
        cfg, w, dt = self.cfg, self.w, self.dt
        C, frames, Hl, Wl = lat.shape
        gh, gw = Hl // 2, Wl // 2
        x = F.conv3d(lat[None].to(dt), w["patch_embedding.weight"], w["patch_embedding.bias"], stride=(1, 2, 2))
        x = x.flatten(2).transpose(1, 2)[0].contiguous()  # [L, dim], token order (f, h, w)
        e, e0 = self.time_embedding(t_frames)
        if probe is not None:
            probe.update(patch_embed=x, time_e=e, time_e0=e0)
        cos, sin = self.rope(start_frame, frames, gh, gw, lat.device)
        for i in range(cfg.layers):
            p = f"blocks.{i}."
            m = (w[p + "modulation"].float() + e0.float()).unbind(1)  # 6 x [F, dim] fp32
            q, k, v = self.pre(x, m[0], m[1], w[p + "self_attn.q.weight"], w[p + "self_attn.q.bias"],
                               w[p + "self_attn.k.weight"], w[p + "self_attn.k.bias"],
                               w[p + "self_attn.v.weight"], w[p + "self_attn.v.bias"],
                               w[p + "self_attn.norm_q.weight"], w[p + "self_attn.norm_k.weight"],
                               cos, sin, frames)
            kw, vw = kv[i].write(k, v, current_start)
            y = attention(q, kw, vw, self.exact)
            x, qc = self.post1(x, y, w[p + "self_attn.o.weight"], w[p + "self_attn.o.bias"], m[2],
                               w[p + "norm3.weight"], w[p + "norm3.bias"],
                               w[p + "cross_attn.q.weight"], w[p + "cross_attn.q.bias"],
                               w[p + "cross_attn.norm_q.weight"], frames)
            yc = attention(qc, self.xk[i], self.xv[i], self.exact)
            x = self.post2(x, yc, w[p + "cross_attn.o.weight"], w[p + "cross_attn.o.bias"], m[3], m[4], m[5],
                           w[p + "ffn.0.weight"], w[p + "ffn.0.bias"], w[p + "ffn.2.weight"], w[p + "ffn.2.bias"],
                           frames)
            if probe is not None:
                probe[f"block{i}_out"] = x
        mh = w["head.modulation"].float() + e.float()[:, None, :]  # [F, 2, dim]: shift, scale
        out = F.linear(modulate(x, mh[:, 0], mh[:, 1], frames, dt), w["head.head.weight"], w["head.head.bias"])
        if probe is not None:
            probe["head_out"] = out
        # column (q*2+r)*48+c of token (f,h,w) -> v[c, f, 2h+q, 2w+r]
        out = out.float().view(frames, gh, gw, 1, 2, 2, cfg.out_dim)
        return out.permute(6, 0, 3, 1, 4, 2, 5).reshape(cfg.out_dim, frames, Hl, Wl)


def make_caches(cfg, capacity, sink, dtype, device):
    return [KvRing(capacity, cfg.heads, sink, capacity, dtype, device) for _ in range(cfg.layers)]


def frame_t(value, frames, device):
    return torch.full((frames,), int(value), dtype=torch.int64, device=device)


# ----------------------------------------------------------------------------------------------
# Wan2.2 VAE decoder with the causal per-frame feature cache (MODEL.md 3)
# ----------------------------------------------------------------------------------------------
def vae_decoder_shapes(dims, z_dim=48, num_res=2, temporal_up=(True, True, False)):
    """Names and shapes of conv2.* and decoder.* (MODEL.md 3.5) for decoder dims, e.g. [1024,1024,1024,512,256]."""
    s = {"conv2.weight": (z_dim, z_dim, 1, 1, 1), "conv2.bias": (z_dim,),
         "decoder.conv1.weight": (dims[0], z_dim, 3, 3, 3), "decoder.conv1.bias": (dims[0],)}

    def res(p, cin, cout):
        s[p + ".residual.0.gamma"] = (cin, 1, 1, 1)
        s[p + ".residual.2.weight"] = (cout, cin, 3, 3, 3)
        s[p + ".residual.2.bias"] = (cout,)
        s[p + ".residual.3.gamma"] = (cout, 1, 1, 1)
        s[p + ".residual.6.weight"] = (cout, cout, 3, 3, 3)
        s[p + ".residual.6.bias"] = (cout,)
        if cin != cout:
            s[p + ".shortcut.weight"] = (cout, cin, 1, 1, 1)
            s[p + ".shortcut.bias"] = (cout,)

    c = dims[0]
    res("decoder.middle.0", c, c)
    s["decoder.middle.1.norm.gamma"] = (c, 1, 1)
    s["decoder.middle.1.to_qkv.weight"] = (3 * c, c, 1, 1)
    s["decoder.middle.1.to_qkv.bias"] = (3 * c,)
    s["decoder.middle.1.proj.weight"] = (c, c, 1, 1)
    s["decoder.middle.1.proj.bias"] = (c,)
    res("decoder.middle.2", c, c)
    n = len(dims) - 1
    for i in range(n):
        cin, cout = dims[i], dims[i + 1]
        for j in range(num_res + 1):
            res(f"decoder.upsamples.{i}.upsamples.{j}", cin if j == 0 else cout, cout)
        if i != n - 1:
            p = f"decoder.upsamples.{i}.upsamples.{num_res + 1}"
            s[p + ".resample.1.weight"] = (cout, cout, 3, 3)
            s[p + ".resample.1.bias"] = (cout,)
            if i < len(temporal_up) and temporal_up[i]:
                s[p + ".time_conv.weight"] = (2 * cout, cout, 3, 1, 1)
                s[p + ".time_conv.bias"] = (2 * cout,)
    s["decoder.head.0.gamma"] = (dims[-1], 1, 1, 1)
    s["decoder.head.2.weight"] = (12, dims[-1], 3, 3, 3)
    s["decoder.head.2.bias"] = (12,)
    return s


_REP = "Rep"  # the upsample3d slot marker after latent frame 0


class VaeDecoder:
    """Decodes one latent frame per call; the feature cache persists across calls (reset() restarts).
    Tensors are [1, C, T, H, W]."""

    def __init__(self, w, dims, mean, std, num_res=2, temporal_up=(True, True, False)):
        self.w, self.dims, self.num_res, self.temporal_up = w, dims, num_res, temporal_up
        self.mean, self.std = mean, std
        self.reset()

    def reset(self):
        self.cache = {}
        self.frames = 0
        self.flops = 0  # 2·MACs of every convolution and attention matmul run since reset()

    def _count(self, y, wt):
        self.flops += 2 * y.numel() * wt[0].numel()
        return y

    def _rms(self, x, name):
        g = self.w[name]
        return F.normalize(x, dim=1) * (x.shape[1] ** 0.5) * g

    def _conv(self, x, name):
        """CausalConv3d: k=3 convs own a cache slot (the last 2 input frames), k=1 convs do not."""
        wt, b = self.w[name + ".weight"], self.w[name + ".bias"]
        if wt.shape[2] == 1:
            return self._count(F.conv3d(x, wt, b), wt)
        idx = self.idx
        self.idx += 1
        prev = self.cache.get(idx)
        keep = x[:, :, -2:].clone()
        if keep.shape[2] < 2 and prev is not None:
            keep = torch.cat([prev[:, :, -1:], keep], dim=2)
        front = 2
        if prev is not None:
            x = torch.cat([prev, x], dim=2)
            front -= prev.shape[2]
        kh = wt.shape[3] // 2
        y = self._count(F.conv3d(F.pad(x, (kh, kh, kh, kh, front, 0)), wt, b), wt)
        self.cache[idx] = keep
        return y

    def _res(self, x, p):
        h = self._conv(x, p + ".shortcut") if (p + ".shortcut.weight") in self.w else x
        y = self._conv(F.silu(self._rms(x, p + ".residual.0.gamma")), p + ".residual.2")
        y = self._conv(F.silu(self._rms(y, p + ".residual.3.gamma")), p + ".residual.6")
        return y + h

    def _attn(self, x, p):
        b, c, t, h, w = x.shape
        f = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
        f = self._rms(f, p + ".norm.gamma")
        qkv = self._count(F.conv2d(f, self.w[p + ".to_qkv.weight"], self.w[p + ".to_qkv.bias"]),
                          self.w[p + ".to_qkv.weight"])  # [bt, 3c, h, w]
        self.flops += 4 * b * t * (h * w) ** 2 * c
        qkv = qkv.reshape(b * t, 3 * c, h * w).transpose(1, 2)  # [bt, hw, 3c]
        q, k, v = qkv[..., :c], qkv[..., c:2 * c], qkv[..., 2 * c:]
        o = F.scaled_dot_product_attention(q[:, None], k[:, None], v[:, None])[:, 0]  # one head, scale 1/√c
        o = o.transpose(1, 2).reshape(b * t, c, h, w)
        o = self._count(F.conv2d(o, self.w[p + ".proj.weight"], self.w[p + ".proj.bias"]), self.w[p + ".proj.weight"])
        return o.reshape(b, t, c, h, w).permute(0, 2, 1, 3, 4) + x

    def _upsample(self, x, p, temporal):
        if temporal:
            idx = self.idx
            self.idx += 1
            prev = self.cache.get(idx)
            if prev is None:
                self.cache[idx] = _REP  # frame 0: no temporal doubling
            else:
                rep = isinstance(prev, str)
                keep = x[:, :, -2:].clone()
                if keep.shape[2] < 2:
                    keep = torch.cat([torch.zeros_like(keep) if rep else prev[:, :, -1:], keep], dim=2)
                inp = x if rep else torch.cat([prev, x], dim=2)
                front = 2 if rep else 2 - prev.shape[2]
                y = self._count(F.conv3d(F.pad(inp, (0, 0, 0, 0, front, 0)), self.w[p + ".time_conv.weight"],
                                         self.w[p + ".time_conv.bias"]), self.w[p + ".time_conv.weight"])  # [b, 2c, t, h, w]
                self.cache[idx] = keep
                b, c2, t, h, w = y.shape
                x = y.reshape(b, 2, c2 // 2, t, h, w).permute(0, 2, 3, 1, 4, 5).reshape(b, c2 // 2, 2 * t, h, w)
        b, c, t, h, w = x.shape
        f = F.interpolate(x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w), scale_factor=2.0, mode="nearest")
        f = self._count(F.conv2d(f, self.w[p + ".resample.1.weight"], self.w[p + ".resample.1.bias"], padding=1),
                        self.w[p + ".resample.1.weight"])
        return f.reshape(b, t, c, 2 * h, 2 * w).permute(0, 2, 1, 3, 4)

    @staticmethod
    def _dup_up(x, cout, ft, fs, first):
        b, cin, t, h, w = x.shape
        r = cout * ft * fs * fs // cin
        y = x.repeat_interleave(r, dim=1).view(b, cout, ft, fs, fs, t, h, w)
        y = y.permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(b, cout, t * ft, h * fs, w * fs)
        return y[:, :, ft - 1:] if first and ft > 1 else y

    def decode_frame(self, z):
        """z: normalised latent [48, 1, h, w] -> pixels [3, 1 or 4, 16h, 16w] (unclamped)."""
        first = self.frames == 0
        self.idx = 0
        x = z[None].float() / (1.0 / self.std.float()).view(1, -1, 1, 1, 1) + self.mean.float().view(1, -1, 1, 1, 1)
        x = self._count(F.conv3d(x.to(self.w["conv2.weight"].dtype), self.w["conv2.weight"], self.w["conv2.bias"]),
                        self.w["conv2.weight"])
        x = self._conv(x, "decoder.conv1")
        x = self._res(x, "decoder.middle.0")
        x = self._attn(x, "decoder.middle.1")
        x = self._res(x, "decoder.middle.2")
        n = len(self.dims) - 1
        for i in range(n):
            p = f"decoder.upsamples.{i}.upsamples"
            y = x
            for j in range(self.num_res + 1):
                y = self._res(y, f"{p}.{j}")
            if i != n - 1:
                temporal = i < len(self.temporal_up) and self.temporal_up[i]
                y = self._upsample(y, f"{p}.{self.num_res + 1}", temporal)
                y = y + self._dup_up(x, self.dims[i + 1], 2 if temporal else 1, 2, first)
            x = y
        x = self._conv(F.silu(self._rms(x, "decoder.head.0.gamma")), "decoder.head.2")  # [1, 12, T, H, W]
        self.frames += 1
        _, _, t, h, w = x.shape
        # unpatchify: channel c*4 + r*2 + q -> pixel (2h+q, 2w+r)
        return x[0].view(3, 2, 2, t, h, w).permute(0, 3, 4, 2, 5, 1).reshape(3, t, 2 * h, 2 * w)


def check_golden_vae(d, device, tol):
    """Replays the decode case of vae_case.safetensors frame by frame; returns comparison rows."""
    case, meta = read_safetensors(os.path.join(d, "vae_case.safetensors"))
    info = json.loads(meta["json"])
    vc = info["vae_config"]
    raw_w, _ = read_safetensors(os.path.join(d, "vae.safetensors"))
    dims = [vc["dec_dim"] * u for u in [vc["dim_mult"][-1]] + vc["dim_mult"][::-1]]
    shapes = vae_decoder_shapes(dims, vc["z_dim"], vc["num_res_blocks"], tuple(vc["temperal_upsample"]))
    missing = [n for n in shapes if n not in raw_w or tuple(raw_w[n].shape) != tuple(shapes[n])]
    extra = [n for n in raw_w if (n.startswith("decoder.") or n.startswith("conv2.")) and n not in shapes]
    if missing or extra:
        raise ValueError(f"VAE decoder weights: missing/wrong {missing[:5]}, unexpected {extra[:5]}")
    w = {n: raw_w[n].to(device=device, dtype=torch.float32) for n in shapes}
    dec = VaeDecoder(w, dims, case["latents_mean"].to(device), case["latents_std"].to(device),
                     vc["num_res_blocks"], tuple(vc["temperal_upsample"]))
    z = case["dec_latent_in"].to(device)
    with sdpa_kernel([SDPBackend.MATH]):
        outs = [dec.decode_frame(z[:, i:i + 1]) for i in range(z.shape[1])]
    raw = torch.cat(outs, dim=1)
    mine = {"dec_out_raw": raw, "dec_out": raw.clamp(-1, 1)}
    rows = []
    for name, got in mine.items():
        ref = case[name].to(torch.float64)
        got = got.detach().to("cpu", torch.float64)
        if tuple(ref.shape) != tuple(got.shape):
            rows.append(dict(tensor="vae:" + name, max_abs_diff=None, error=f"shape {tuple(got.shape)} vs {tuple(ref.shape)}"))
            continue
        rows.append(dict(tensor="vae:" + name, max_abs_diff=(ref - got).abs().max().item(), max_abs_ref=ref.abs().max().item()))
    frames_ok = [o.shape[1] for o in outs] == case["dec_frames_per_latent"].tolist()
    return rows, frames_ok



def bench_vae(args, device):
    """Wan2.2 VAE decoder at the real size (or tiny with --smoke), random bf16 weights, one latent
    frame per call with the causal cache. Frame 0 gives 1 pixel frame, later frames 4."""
    cuda = device.type == "cuda"
    dims = [32, 32, 32, 16, 8] if args.smoke else [1024, 1024, 1024, 512, 256]
    lh, lw = (2, 3) if args.smoke else (80, 44)
    dt = torch.bfloat16
    g = torch.Generator(device=device)
    g.manual_seed(args.seed + 7)
    w = {}
    for name, shape in vae_decoder_shapes(dims).items():
        if name.endswith("gamma"):
            w[name] = torch.ones(shape, device=device, dtype=dt)
        elif name.endswith("bias"):
            w[name] = torch.zeros(shape, device=device, dtype=dt)
        else:
            fan_in = 1
            for n in shape[1:]:
                fan_in *= n
            w[name] = torch.randn(shape, generator=g, device=device, dtype=dt).mul_(fan_in ** -0.5)
    dec = VaeDecoder(w, dims, torch.zeros(48, device=device), torch.ones(48, device=device))
    nlat = 1 + args.vae_frames
    z = torch.randn(48, nlat, lh, lw, generator=g, device=device)

    def timed(i):
        sync()
        f0 = dec.flops
        a = time.perf_counter() if not cuda else torch.cuda.Event(enable_timing=True)
        if cuda:
            a.record()
        out = dec.decode_frame(z[:, i:i + 1])
        if cuda:
            b = torch.cuda.Event(enable_timing=True)
            b.record()
        else:
            b = time.perf_counter()
        sync()
        return elapsed(a, b), dec.flops - f0, out

    dec.reset()
    cold = [timed(i)[0] for i in range(min(3, nlat))]  # warm-up on a fresh cache, excluded
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    dec.reset()
    ms, fl, shapes, finite = [], [], [], True
    for i in range(nlat):
        t, f, out = timed(i)
        ms.append(t)
        fl.append(f)
        shapes.append(list(out.shape))
        finite = finite and bool(torch.isfinite(out).all().item())
    later = ms[1:]
    med = statistics.median(later)
    res = dict(
        settings=dict(decoder_dims=dims, z_dim=48, latent=[lh, lw], pixels=shapes[0][2:], dtype="bf16",
                      weights=f"random N(0,1)/sqrt(fan_in), seed {args.seed + 7}; gamma 1, bias 0",
                      latent_frames=nlat, attention="SDPA default dispatch (one head of 1024)",
                      cache="causal feature cache, one latent frame per call, conv2 per frame"),
        warmup_excluded_ms=[round(v, 3) for v in cold],
        frame0_ms=ms[0], later_frame_median_ms=med, later_frames=_stats(later),
        output_shapes=shapes, output_finite=finite,
        tflop=dict(frame0=fl[0] / 1e12, later_frame=statistics.median(fl[1:]) / 1e12),
        tflops=dict(frame0=fl[0] / (ms[0] * 1e9), later_frames=statistics.median(fl[1:]) / (med * 1e9)),
        ms_per_pixel_frame_later=med / 4,
        peak_gpu_memory_gib=torch.cuda.max_memory_allocated(device) / 2 ** 30 if cuda else None,
    )
    res["tflops"]["fraction_of_peak_later"] = res["tflops"]["later_frames"] / H100_BF16_PEAK_TFLOPS
    res["table"] = "\n".join([
        f"Wan2.2 VAE decode, {_device_name(device)}, bf16, dims {dims}, {shapes[0][2]}x{shapes[0][3]} pixels",
        f"{'latent frame 0 (1 pixel frame)':<44}{ms[0]:>12.2f}  ms  ({res['tflop']['frame0']:.1f} TFLOP)",
        f"{'later latent frame (4 pixel frames), median':<44}{med:>12.2f}  ms  ({res['tflop']['later_frame']:.1f} TFLOP, "
        f"{res['tflops']['later_frames']:.0f} TFLOP/s)",
        f"{'peak GPU memory, VAE alone':<44}{(res['peak_gpu_memory_gib'] or float('nan')):>12.2f}  GiB",
    ])
    return res


def bench_vae_only(args):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type != "cuda" and not args.smoke:
        raise SystemExit("--vae-decode needs a CUDA device (use --smoke for a CPU dry run)")
    res = bench_vae(args, device)
    result = dict(tool="bench/native/wan_native.py", mode="vae-decode" + (" smoke" if args.smoke else ""),
                  card=_device_name(device), torch=torch.__version__, vae_decode=res, table=res["table"])
    return result, 0 if res["output_finite"] else 3


# ----------------------------------------------------------------------------------------------
# --check-golden
# ----------------------------------------------------------------------------------------------
def check_golden(args):
    d = args.check_golden
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    case, meta = read_safetensors(os.path.join(d, "dit_case.safetensors"))
    info = json.loads(meta["json"]) if "json" in meta else json.load(open(os.path.join(d, "dit_case.json")))
    wf = info.get("weights_file", "dit.safetensors")
    wfile = os.path.join(d, wf["name"] if isinstance(wf, dict) else wf)
    raw_w, _ = read_safetensors(wfile)
    dc = info["dit_config"]
    cfg = DitConfig(dc["dim"], dc["ffn_dim"], dc["num_layers"], dc["text_dim"], dc["in_dim"], dc["out_dim"],
                    dc["freq_dim"])
    if cfg.heads != dc["num_heads"]:
        raise ValueError("golden config head count does not match dim/128")
    expected = weight_shapes(cfg)
    missing = [n for n in expected if n not in raw_w]
    bad = [n for n in expected if n in raw_w and tuple(raw_w[n].shape) != tuple(expected[n])]
    if missing or bad:
        raise ValueError(f"weights: missing {missing[:5]}, wrong shape {bad[:5]}")
    w = {n: raw_w[n].to(device=device, dtype=torch.float32) for n in expected}

    st = info["stream"]
    H, W = info["latent"]["H"], info["latent"]["W"]
    tpf = (H // 2) * (W // 2)
    ncond, nchunks, fpc = st["num_cond_frames"], st["num_chunks"], st["frames_per_chunk"]
    capacity = st["local_attn_size_frames"] * tpf
    sink = st["sink_size_frames"] * tpf
    steps = len(info["schedule"]["nominal"])
    sched = Scheduler(shift=info["schedule"]["shift"], steps=info["schedule"]["num_train_timesteps"],
                      nominal=tuple(info["schedule"]["nominal"]))
    sched_ok = (torch.equal(sched.t, case["t_warped"].float()) and torch.equal(sched.sigma, case["sigma"].float())
                and torch.equal(sched.t_net, case["t_net"].long()))

    model = CausalDiT(cfg, w, torch.float32, exact_attention=(args.attn != "math"), rope_dtype=torch.float64)
    g = lambda n: case[n].to(device=device, dtype=torch.float32)  # noqa: E731
    kv = make_caches(cfg, capacity, sink, torch.float32, device)
    mine = {}
    text_ctx = model.set_text(g("text"))
    mine["dbg_prefill_text_ctx"] = mine["dbg_c0s0_text_ctx"] = text_ctx
    for i in range(cfg.layers):
        mine[f"xattn_l{i}_k"] = model.xk[i][0].permute(1, 0, 2)
        mine[f"xattn_l{i}_v"] = model.xv[i][0].permute(1, 0, 2)

    ctx = sdpa_kernel([SDPBackend.MATH]) if args.attn == "math" else _null()
    with ctx:
        cond = torch.cat([g("z_src"), g("z_gar")], dim=1)
        probe = {}
        mine["prefill_v"] = model.forward(cond, frame_t(0, ncond, device), 0, 0, kv, probe)
        mine.update({"dbg_prefill_" + k: t for k, t in probe.items()})
        mine["kv_l0_k_after_prefill"] = kv[0].rows("k").clone()
        mine["kv_l0_v_after_prefill"] = kv[0].rows("v").clone()
        noise_init = g("noise_init")
        outs = []
        for c in range(nchunks):
            sf = ncond + c * fpc
            x = noise_init[:, c * fpc:(c + 1) * fpc]
            x0 = None
            for s in range(steps):
                mine[f"c{c}_s{s}_x"] = x
                probe = {} if (c, s) == (0, 0) else None
                v = model.forward(x, frame_t(sched.t_net[s], fpc, device), sf, sf * tpf, kv, probe)
                if probe is not None:
                    mine.update({"dbg_c0s0_" + k: t for k, t in probe.items()})
                x0 = to_x0(x, v, sched.sigma[s])
                mine[f"c{c}_s{s}_v"] = v
                mine[f"c{c}_s{s}_x0"] = x0
                if s + 1 < steps:
                    x = add_noise(x0, g(f"noise_c{c}_s{s + 1}"), sched.sigma[s + 1])
            mine[f"c{c}_clean_v"] = model.forward(x0, frame_t(0, fpc, device), sf, sf * tpf, kv)
            mine[f"c{c}_x0"] = x0
            outs.append(x0)
            if c + 1 < nchunks:
                mine[f"kv_l0_k_after_c{c}"] = kv[0].rows("k").clone()
                mine[f"kv_l0_v_after_c{c}"] = kv[0].rows("v").clone()
        mine["x0_all"] = torch.cat(outs, dim=1)
        for i in range(cfg.layers):
            mine[f"kv_l{i}_k"] = kv[i].rows("k")
            mine[f"kv_l{i}_v"] = kv[i].rows("v")

    tol = args.tol
    rows = []
    worst = 0.0
    compared = 0
    for name in sorted(mine):
        if name not in case:
            continue
        ref = case[name].to(torch.float64)
        got = mine[name].detach().to("cpu", torch.float64)
        if tuple(ref.shape) != tuple(got.shape):
            rows.append(dict(tensor=name, max_abs_diff=None, error=f"shape {tuple(got.shape)} vs {tuple(ref.shape)}"))
            worst = float("inf")
            continue
        diff = (ref - got).abs().max().item()
        rows.append(dict(tensor=name, max_abs_diff=diff, max_abs_ref=ref.abs().max().item()))
        worst = max(worst, diff) if diff == diff else float("inf")
        compared += 1
    vae_frames_ok = None
    if os.path.exists(os.path.join(d, "vae_case.safetensors")) and not args.no_vae:
        vrows, vae_frames_ok = check_golden_vae(d, device, tol)
        for r in vrows:
            rows.append(r)
            diff = r["max_abs_diff"]
            worst = float("inf") if diff is None or diff != diff else max(worst, diff)
            compared += 1
    required = ["x0_all"] + [f"c{c}_s{s}_v" for c in range(nchunks) for s in range(steps)] + \
               [f"kv_l{i}_{t}" for i in range(cfg.layers) for t in ("k", "v")]
    absent = [n for n in required if n not in case or not any(r["tensor"] == n for r in rows)]
    kv_end_ok = None
    if "kv_end_after_last_call" in info:
        ends = info["kv_end_after_last_call"]
        kv_end_ok = len(ends) == len(kv) and all(
            kv[e["layer"]].global_end == e["global_end_index"] and kv[e["layer"]].local_end == e["local_end_index"]
            for e in ends)
    ok = (worst <= tol) and not absent and sched_ok and kv_end_ok is not False and compared > 0 \
        and vae_frames_ok is not False
    lines = [f"golden DiT case {d} on {device} ({_device_name(device)}), fp32, TF32 off, "
             f"attention {'SDPA math' if args.attn == 'math' else 'exact softmax'}",
             f"scheduler t/sigma/t_net equal to the case: {sched_ok} (t_net {sched.t_net.tolist()})",
             f"KV end indices after last call equal to the case: {kv_end_ok}",
             f"VAE decode case: {'not run' if vae_frames_ok is None else 'frames per latent as recorded: ' + str(vae_frames_ok)}",
             f"{'tensor':<26}{'max |diff|':>14}{'max |ref|':>12}"]
    for r in rows:
        if r.get("error"):
            lines.append(f"{r['tensor']:<26}  ERROR {r['error']}")
        else:
            flag = "" if r["max_abs_diff"] <= tol else "   <-- over tolerance"
            lines.append(f"{r['tensor']:<26}{r['max_abs_diff']:>14.3e}{r['max_abs_ref']:>12.3f}{flag}")
    lines.append(f"compared {compared} tensors; worst {worst:.3e}; tolerance {tol:g}; "
                 f"missing required: {absent or 'none'}; RESULT {'PASS' if ok else 'FAIL'}")
    result = dict(tool="bench/native/wan_native.py", mode="check-golden", case_dir=os.path.abspath(d),
                  device=_device_name(device), torch=torch.__version__, precision="fp32, TF32 off",
                  attention="sdpa-math" if args.attn == "math" else "exact-softmax",
                  scheduler_matches_case=sched_ok, kv_end_matches_case=kv_end_ok, vae_frames_match_case=vae_frames_ok,
                  tolerance=tol, worst_max_abs_diff=worst, compared=compared, missing_required=absent,
                  passed=ok, per_tensor=rows, table="\n".join(lines))
    return result, (0 if ok else 1)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "cpu"


# ----------------------------------------------------------------------------------------------
# --bench
# ----------------------------------------------------------------------------------------------
def forward_flops(cfg, lq, lkv, text_len):
    """MODEL.md 5: FLOPs = 2·MACs; attention 4·Lq·Lkv·dim per layer (QKᵀ and PV)."""
    d = cfg.dim
    lin_per_token = cfg.layers * 2 * (4 * d * d + 2 * d * d + 2 * d * cfg.ffn)  # self qkvo, cross q,o, ffn
    io_per_token = 2 * cfg.in_dim * 4 * d + 2 * d * cfg.out_dim * 4         # patch embed + head
    return dict(linear=lq * lin_per_token, patch_head=lq * io_per_token,
                self_attn=cfg.layers * 4 * lq * lkv * d, cross_attn=cfg.layers * 4 * lq * text_len * d,
                linear_per_token_layers=lin_per_token)


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def elapsed(a, b):
    """ms between two marks: CUDA events, or perf_counter floats on the CPU (smoke run only)."""
    return (b - a) * 1e3 if isinstance(a, float) else a.elapsed_time(b)


def _stats(ms):
    return dict(median=statistics.median(ms), min=min(ms), max=max(ms), n=len(ms), all=[round(v, 3) for v in ms])


def bench(args):
    if args.smoke:  # tiny shapes, CPU allowed: checks the benchmark's code path, measures nothing
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    else:
        raise SystemExit("--bench needs a CUDA device (use --smoke for a CPU dry run of the code path)")
    cuda = device.type == "cuda"
    dt = torch.bfloat16
    backend = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION,
               "math": SDPBackend.MATH, "efficient": SDPBackend.EFFICIENT_ATTENTION}[args.attn]
    if args.smoke:
        cfg = DitConfig(dim=256, ffn=512, layers=2, text_dim=64)
        text_len, tpf_h, tpf_w = 16, 8, 6
    else:
        cfg = DitConfig(dim=3072, ffn=14336, layers=args.layers, text_dim=4096)
        text_len, tpf_h, tpf_w = 512, 80, 44  # latent 80x44 -> 40x22 = 880 tokens per frame
    tpf = (tpf_h // 2) * (tpf_w // 2)
    fpc, ncond, window, sink_frames = 3, 2, 23, 5
    capacity, sink = window * tpf, sink_frames * tpf
    steps_n = 4

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    t0 = time.perf_counter()
    w = random_weights(cfg, device, dt, args.seed)
    sync()
    init_s = time.perf_counter() - t0
    nparams = sum(t.numel() for t in w.values())
    model = CausalDiT(cfg, w, dt, exact_attention=False, rope_dtype=torch.float32, compiled=args.compile)
    kv = make_caches(cfg, capacity, sink, dt, device)
    sched = Scheduler()
    sigma = [float(s) for s in sched.sigma]
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed + 1)
    text = torch.randn(text_len, cfg.text_dim, generator=gen, device=device)
    text[text_len * 300 // 512:] = 0.0  # padded rows are zero and still attended to, as in the reference
    z_cond = torch.randn(cfg.in_dim, ncond, tpf_h, tpf_w, generator=gen, device=device)
    model.rope(0, ncond, tpf_h // 2, tpf_w // 2, device)  # RoPE tables are built before any timing
    for c in range(max(args.chunks, args.warmup_chunks)):
        model.rope(ncond + c * fpc, fpc, tpf_h // 2, tpf_w // 2, device)

    def ev():
        if not cuda:
            return time.perf_counter()
        e = torch.cuda.Event(enable_timing=True)
        e.record()
        return e

    def reset_and_prefill():
        for c in kv:
            c.reset()
        sync()
        a, w0 = ev(), time.perf_counter()
        model.forward(z_cond, frame_t(0, ncond, device), 0, 0, kv)
        b = ev()
        sync()
        return elapsed(a, b), (time.perf_counter() - w0) * 1e3

    def run_chunk(c):
        """4 steps + clean pass for chunk c; returns (x0, event ms, wall ms, per-forward ms)."""
        sf = ncond + c * fpc
        sync()
        wall0 = time.perf_counter()
        marks = [ev()]
        x = torch.randn(cfg.in_dim, fpc, tpf_h, tpf_w, generator=gen, device=device)
        x0 = None
        for s in range(steps_n):
            v = model.forward(x, frame_t(sched.t_net[s], fpc, device), sf, sf * tpf, kv)
            marks.append(ev())
            x0 = to_x0(x, v, sigma[s])
            if s + 1 < steps_n:
                eps = torch.randn(x0.shape, generator=gen, device=device)
                x = add_noise(x0, eps, sigma[s + 1])
        model.forward(x0, frame_t(0, fpc, device), sf, sf * tpf, kv)
        marks.append(ev())
        sync()
        wall = (time.perf_counter() - wall0) * 1e3
        fwd = [elapsed(marks[i], marks[i + 1]) for i in range(len(marks) - 1)]
        return x0, elapsed(marks[0], marks[-1]), wall, fwd

    def repeat_forward(c, n):
        """n identical step-0 forwards of chunk c at its cache position (in-place overwrite)."""
        sf = ncond + c * fpc
        x = torch.randn(cfg.in_dim, fpc, tpf_h, tpf_w, generator=gen, device=device)
        ms = []
        for _ in range(n):
            sync()
            a = ev()
            model.forward(x, frame_t(sched.t_net[0], fpc, device), sf, sf * tpf, kv)
            b = ev()
            sync()
            ms.append(elapsed(a, b))
        return ms, kv[0].local_end

    result = dict(tool="bench/native/wan_native.py", mode="bench-smoke (tiny shapes, not a benchmark)" if args.smoke
                  else "bench", card=_device_name(device),
                  torch=torch.__version__, cuda=torch.version.cuda,
                  cudnn=torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None)
    result["settings"] = dict(
        attention=args.attn, sdpa_backend=str(backend), compile=bool(args.compile), dtype="bf16 weights, activations, KV cache; LayerNorm/RMSNorm/modulation in fp32; RoPE in fp32",
        tf32="on (irrelevant: all GEMMs are bf16)", cuda_graphs=False, weights=f"random N(0,1)*0.02, seed {args.seed}, norm weights 1",
        params=nparams, config=cfg.as_dict(), latent=[cfg.in_dim, tpf_h, tpf_w], tokens_per_frame=tpf,
        frames_per_chunk=fpc, cond_frames=ncond, kv_window_frames=window, kv_capacity_tokens=capacity,
        sink_frames=sink_frames, steps=[float(t) for t in sched.t], t_net=sched.t_net.tolist(),
        sigma=sigma, forwards_per_chunk=steps_n + 1, text_len=text_len, warmup_chunks=args.warmup_chunks,
        measured_chunks=args.chunks, forward_repeats=args.repeats)
    result["weight_init_s"] = init_s

    try:
        with sdpa_kernel([backend]):
            sync()
            a = ev()
            model.set_text(text)
            b = ev()
            sync()
            text_ms_cold = elapsed(a, b)
            a = ev()
            model.set_text(text)
            b = ev()
            sync()
            result["text_kv_ms"] = dict(cold=text_ms_cold, warm=elapsed(a, b),
                                        note="text embedding + 30 layers of cross-attn K/V, once per prompt")
            # 1. cold warm-up stream (includes cuBLAS/cuDNN init, autotuning and torch.compile if on)
            cold_prefill, cold_prefill_wall = reset_and_prefill()
            cold = []
            for c in range(args.warmup_chunks):
                _, ms, wall, _ = run_chunk(c)
                cold.append(dict(chunk=c, event_ms=ms, wall_ms=wall))
            result["warmup_excluded"] = dict(prefill_ms=cold_prefill, prefill_wall_ms=cold_prefill_wall, chunks=cold,
                                             note="first stream after start; excluded from every figure below; "
                                                  "chunk 0 here is the cold first-chunk latency (with compile time if --compile)")
            # 2. forward at the first-chunk window: cache = 2 cond frames + the chunk itself (5 frames)
            reset_and_prefill()
            f1, le1 = repeat_forward(0, args.repeats)
            # 3. measured stream
            prefill_ms, prefill_wall = reset_and_prefill()
            chunks = []
            x0 = None
            for c in range(args.chunks):
                x0, ms, wall, fwd = run_chunk(c)
                chunks.append(dict(chunk=c, event_ms=ms, wall_ms=wall, forward_ms=[round(v, 3) for v in fwd],
                                   window_tokens=kv[0].local_end, frames_out=9 if c == 0 else 12))
            finite = bool(torch.isfinite(x0).all().item())
            # 4. forward at the last chunk's window (23 frames = 20240 tokens once 7 chunks ran)
            f2, le2 = repeat_forward(args.chunks - 1, args.repeats)
            sync()
    except Exception as exc:  # e.g. "No available kernel" for a backend on this card
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["table"] = f"bench failed with attention {args.attn}: {result['error']}"
        return result, 2

    peak = torch.cuda.max_memory_allocated(device) if cuda else float("nan")
    later = [c["event_ms"] for c in chunks[1:]]
    first = chunks[0]["event_ms"]
    med_later = statistics.median(later) if later else float("nan")
    stream_ms = sum(c["event_ms"] for c in chunks)
    frames_total = sum(c["frames_out"] for c in chunks)

    def chunk_flops(window_tokens):
        fl = forward_flops(cfg, fpc * tpf, window_tokens, text_len)
        return (steps_n + 1) * (fl["linear"] + fl["patch_head"] + fl["self_attn"] + fl["cross_attn"])

    ff1 = forward_flops(cfg, fpc * tpf, le1, text_len)
    ff2 = forward_flops(cfg, fpc * tpf, le2, text_len)
    tot1 = sum(v for k, v in ff1.items() if k != "linear_per_token_layers")
    tot2 = sum(v for k, v in ff2.items() if k != "linear_per_token_layers")
    m1, m2 = statistics.median(f1), statistics.median(f2)
    stream_flops = sum(chunk_flops(c["window_tokens"]) for c in chunks)
    later_flops = [chunk_flops(c["window_tokens"]) for c in chunks[1:]]
    later_tflops = [fl / (ms * 1e9) for fl, ms in zip(later_flops, later)]

    result.update(
        forward_ms=dict(first_chunk_window=dict(_stats(f1), kv_tokens=le1),
                        full_window=dict(_stats(f2), kv_tokens=le2),
                        note="one DiT forward of a 3-frame chunk (2640 query tokens), CUDA events, synchronised before each"),
        prefill_ms=dict(event=prefill_ms, wall=prefill_wall, tokens=ncond * tpf),
        chunks=chunks,
        first_chunk_ms=first,
        later_chunks_median_ms=med_later,
        stream_ms=stream_ms,
        fps=dict(first_chunk=9 / (first / 1e3), later_chunks_median=12 / (med_later / 1e3),
                 stream=frames_total / (stream_ms / 1e3), stream_frames=frames_total,
                 note="DiT only: excludes VAE decode, text encoding, VAE encode of the conditioning images and "
                      "the prefill; 9 pixel frames for chunk 0, 12 for later chunks"),
        peak_gpu_memory_gib=peak / 2 ** 30,
        kv_cache_gib=sum(c.k.numel() + c.v.numel() for c in kv) * 2 / 2 ** 30,
        weights_gib=sum(t.numel() for t in w.values()) * 2 / 2 ** 30,
        flops=dict(formula="FLOPs = 2*MACs; per forward: tokens*linear_per_token + patch/head + 30*4*Lq*Lkv*dim (self) "
                           "+ 30*4*Lq*512*dim (cross); cross K/V of the text are cached and not counted",
                   linear_gflop_per_token_layers=ff1["linear_per_token_layers"] / 1e9,
                   first_window_forward_tflop={k: v / 1e12 for k, v in ff1.items() if k != "linear_per_token_layers"},
                   full_window_forward_tflop={k: v / 1e12 for k, v in ff2.items() if k != "linear_per_token_layers"},
                   stream_tflop=stream_flops / 1e12),
        tflops=dict(forward_first_window=tot1 / (m1 * 1e9), forward_full_window=tot2 / (m2 * 1e9),
                    stream=stream_flops / (stream_ms * 1e9),
                    later_chunks_median=statistics.median(later_tflops) if later_tflops else None,
                    peak_bf16_dense=H100_BF16_PEAK_TFLOPS),
        output_finite=finite,
        kv_window_copied=dict(copied=bool(SDPA_NEEDS_CONTIGUOUS_KV),
                              reason=SDPA_NEEDS_CONTIGUOUS_KV[0] if SDPA_NEEDS_CONTIGUOUS_KV else None,
                              note="true: the SDPA backend refused the strided KV-window views, so every "
                                   "self-attention call copies its window (that copy is inside the timings)"),
    )
    tf = result["tflops"]
    tf["fraction_of_peak"] = {k: tf[k] / H100_BF16_PEAK_TFLOPS for k in
                              ("forward_first_window", "forward_full_window", "stream") if tf[k] is not None}
    lines = [
        f"native PyTorch DiT, {result['card']}, torch {torch.__version__}, attention {args.attn}"
        f"{', torch.compile' if args.compile else ''}, bf16, {cfg.layers} blocks, random weights",
        f"warm-up: {args.warmup_chunks} chunks of a separate stream, excluded (cold chunk 0: "
        f"{cold[0]['event_ms']:.1f} ms)" if cold else "warm-up: none",
        f"{'figure':<44}{'value':>12}  unit",
        f"{'forward, first-chunk window (' + str(le1) + ' KV tokens)':<44}{m1:>12.2f}  ms (median of {len(f1)})",
        f"{'forward, full window (' + str(le2) + ' KV tokens)':<44}{m2:>12.2f}  ms (median of {len(f2)})",
        f"{'prefill (2 cond frames)':<44}{prefill_ms:>12.2f}  ms",
        f"{'first-chunk latency (5 forwards)':<44}{first:>12.2f}  ms",
        f"{'later chunks, median latency':<44}{med_later:>12.2f}  ms",
        f"{'FPS DiT only, first chunk (9 frames)':<44}{result['fps']['first_chunk']:>12.2f}  frames/s",
        f"{'FPS DiT only, later chunks (12 frames)':<44}{result['fps']['later_chunks_median']:>12.2f}  frames/s",
        f"{'FPS DiT only, whole stream (' + str(frames_total) + ' frames)':<44}{result['fps']['stream']:>12.2f}  frames/s",
        f"{'TFLOP/s forward first window':<44}{tf['forward_first_window']:>12.1f}  ({100 * tf['fraction_of_peak']['forward_first_window']:.1f} % of 989)",
        f"{'TFLOP/s forward full window':<44}{tf['forward_full_window']:>12.1f}  ({100 * tf['fraction_of_peak']['forward_full_window']:.1f} % of 989)",
        f"{'TFLOP/s whole stream':<44}{tf['stream']:>12.1f}  ({100 * tf['fraction_of_peak']['stream']:.1f} % of 989)",
        f"{'peak GPU memory (max_memory_allocated)':<44}{result['peak_gpu_memory_gib']:>12.2f}  GiB",
        "per-chunk ms: " + ", ".join("%.1f" % c["event_ms"] for c in chunks) + f"; output finite: {finite}",
        f"KV window copied before SDPA: {bool(SDPA_NEEDS_CONTIGUOUS_KV)}",
    ]
    if args.vae_decode:  # after the DiT figures: free the DiT, then time the VAE alone on this card
        model = kv = w = None
        import gc
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
        vae = bench_vae(args, device)
        result["vae_decode"] = vae
        n_lat = fpc * len(chunks)
        v0, vl = vae["frame0_ms"], vae["later_frame_median_ms"]
        result["fps_with_vae"] = dict(
            first_chunk=9 / ((first + v0 + (fpc - 1) * vl) / 1e3),
            later_chunks_median=12 / ((med_later + fpc * vl) / 1e3),
            stream=frames_total / ((stream_ms + v0 + (n_lat - 1) * vl) / 1e3),
            note="DiT chunk latency + VAE decode of its latent frames, run one after the other on the same GPU "
                 "(no overlap); VAE frame times measured separately in this process after the DiT")
        lines += [vae["table"],
                  f"{'FPS DiT + VAE, later chunks':<44}{result['fps_with_vae']['later_chunks_median']:>12.2f}  frames/s",
                  f"{'FPS DiT + VAE, whole stream':<44}{result['fps_with_vae']['stream']:>12.2f}  frames/s"]
    result["table"] = "\n".join(lines)
    return result, 0


# ----------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-golden", metavar="DIR", help="golden folder with dit_case.safetensors and dit.safetensors")
    ap.add_argument("--bench", action="store_true", help="real-shape benchmark on the GPU")
    ap.add_argument("--attn", default="flash", choices=["flash", "cudnn", "math", "efficient"],
                    help="SDPA backend for --bench; for --check-golden 'math' uses SDPA math, else exact softmax")
    ap.add_argument("--compile", action="store_true", help="torch.compile the three block pieces (bench)")
    ap.add_argument("--vae-decode", action="store_true",
                    help="time the Wan2.2 VAE decoder at the real size (alone, or after the DiT with --bench)")
    ap.add_argument("--vae-frames", type=int, default=6, help="later latent frames timed by --vae-decode")
    ap.add_argument("--layers", type=int, default=30, help="DiT blocks for --bench (30 = the real model)")
    ap.add_argument("--chunks", type=int, default=7, help="measured chunks (7 = 21 latent frames = 81 pixel frames)")
    ap.add_argument("--warmup-chunks", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=10, help="timed single forwards per window size")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--smoke", action="store_true", help="with --bench: tiny shapes (CPU allowed), code-path check only")
    ap.add_argument("--device", default=None, help="device for --check-golden (default cuda if available)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--no-vae", action="store_true", help="--check-golden: skip the VAE decode case")
    ap.add_argument("--json", metavar="FILE", help="also write the JSON result here")
    args = ap.parse_args()
    if bool(args.check_golden) + bool(args.bench or args.vae_decode) != 1:
        ap.error("give --check-golden DIR, or --bench and/or --vae-decode")
    if args.bench and args.chunks < 2:
        ap.error("--chunks must be at least 2")
    if args.check_golden:
        result, rc = check_golden(args)
    elif args.bench:
        result, rc = bench(args)
    else:
        result, rc = bench_vae_only(args)
    text = json.dumps(result, indent=1)
    print(text)
    print(result["table"], file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    sys.exit(rc)


if __name__ == "__main__":
    main()
