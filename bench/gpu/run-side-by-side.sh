#!/usr/bin/env bash
# One device command for issues 6 and 7: the native PyTorch path and chameleon-j's TornadoVM backend (each of
# our kernel modes, then our VAE decoder) at the real Wan2.2-TI2V-5B shape on the same card in the same run, then
# the side-by-side table with ratios. Run on the GPU machine from the repository root with a bundle carried
# (tornado/make-bundle; the vendor mode needs one made with --backend cuda):
#   BUNDLE=.bundle-cuda bench/gpu/run-side-by-side.sh OUT_DIR [GpuBench args, default: --iters 2 --budget-seconds 60]
# env: BUNDLE (default .bundle), KERNEL_MODES (default "vendor java"), OURS_VAE (default 1: time our VAE decoder
# with VaeBench), NATIVE_COMPILE (default 0: skip the optional torch.compile run), CHAMELEON_JAVA_OPTS.
# The parts run one after the other, never overlapping; each of ours is sampled by nvidia-smi every 200 ms for its
# peak device memory (OUT_DIR/gpumem-PART.txt: MiB in use on GPU 0, CUDA context included). Everything fits the
# device tool's 600 s per command: native ≤ 200 s, each GpuBench ≤ 145 s (its budget counts from the end of its first
# forward, 17-39 s of JIT and upload before it, so keep --budget-seconds ≤ 80), VaeBench ≤ 100 s. At the end every file but
# side-by-side.json goes into OUT_DIR/side-by-side-parts.tar.gz (the device tool returns at most 8 files).
set -u
out="${1:?usage: run-side-by-side.sh OUT_DIR [GpuBench args]}"; shift
mkdir -p "$out"
bundle="${BUNDLE:-.bundle}"
args=("$@"); [ ${#args[@]} -eq 0 ] && args=(--iters 2 --budget-seconds 60)
opts="${CHAMELEON_JAVA_OPTS:--Dtornado.device.memory=70GB -Xmx48g}"
stamp() { echo "== $(date -u +%FT%TZ) $*" | tee -a "$out/timeline.txt"; }

# runs "$@" while nvidia-smi samples GPU 0's memory in use; the peak goes to $out/gpumem-$part.txt
sampled() {
  local part="$1"; shift
  local log="$out/gpumem-$part.samples"
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 200 > "$log" 2>/dev/null &
  local sampler=$!
  "$@"
  local rc=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  sort -n "$log" | tail -1 > "$out/gpumem-$part.txt"
  return $rc
}

stamp "native (golden check, flash + VAE decode, cuDNN)"
NATIVE_COMPILE="${NATIVE_COMPILE:-0}" timeout 200 bench/native/run-native.sh "$bundle/golden" "$out" > "$out/native.log" 2>&1
echo "native rc=$?" >> "$out/native.log"
for mode in ${KERNEL_MODES:-vendor java}; do
  stamp "ours GpuBench --kernels $mode"
  CHAMELEON_JAVA_OPTS="$opts -Dchameleon.tornado.kernels=$mode" \
    sampled "$mode" timeout 145 "$bundle/run-on-device.sh" chameleon.tornado.GpuBench "${args[@]}" > "$out/gpubench-$mode.log" 2>&1
  echo "gpubench rc=$?" >> "$out/gpubench-$mode.log"
done
if [ "${OURS_VAE:-1}" != 0 ]; then
  stamp "ours VaeBench (device-resident decoder, tensor-core conv)"
  CHAMELEON_JAVA_OPTS="$opts" sampled vae timeout 100 "$bundle/run-on-device.sh" chameleon.tornado.VaeBench \
    --frames 6 --budget-seconds 75 > "$out/vaebench.log" 2>&1
  echo "vaebench rc=$?" >> "$out/vaebench.log"
fi
stamp "table"
python3 "$(dirname "$0")/side_by_side.py" "$out"
rc=$?
# The device tool brings back at most 8 files from its OUT: every part goes into one archive beside the JSON
# (KEEP_PARTS=1 keeps the loose files too).
parts=$(cd "$out" && ls -A | grep -v -x -e side-by-side.json -e side-by-side-parts.tar.gz)
(cd "$out" && tar czf side-by-side-parts.tar.gz $parts) || rc=1
if [ "${KEEP_PARTS:-0}" = 0 ] && [ $rc = 0 ]; then
  (cd "$out" && rm -f $parts)
fi
exit $rc
