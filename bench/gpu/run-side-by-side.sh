#!/usr/bin/env bash
# One device command for issues 6 and 7: the native PyTorch path and chameleon-j's TornadoVM backend (each of
# our kernel modes) at the real Wan2.2-TI2V-5B shape on the same card in the same run, then the side-by-side
# table with ratios. Run on the GPU machine from the repository root with a bundle carried (tornado/make-bundle;
# the vendor mode needs one made with --backend cuda):
#   BUNDLE=.bundle-cuda bench/gpu/run-side-by-side.sh OUT_DIR [GpuBench args, default: --iters 3 --budget-seconds 110]
# env: BUNDLE (default .bundle), KERNEL_MODES (default "vendor java"), NATIVE_COMPILE (default 0: skip the
# optional torch.compile run), CHAMELEON_JAVA_OPTS.
set -u
out="${1:?usage: run-side-by-side.sh OUT_DIR [GpuBench args]}"; shift
mkdir -p "$out"
bundle="${BUNDLE:-.bundle}"
args=("$@"); [ ${#args[@]} -eq 0 ] && args=(--iters 3 --budget-seconds 110)
NATIVE_COMPILE="${NATIVE_COMPILE:-0}" timeout 240 bench/native/run-native.sh "$bundle/golden" "$out" > "$out/native.log" 2>&1
echo "native rc=$?" >> "$out/native.log"
for mode in ${KERNEL_MODES:-vendor java}; do
  CHAMELEON_JAVA_OPTS="${CHAMELEON_JAVA_OPTS:--Dtornado.device.memory=70GB -Xmx48g} -Dchameleon.tornado.kernels=$mode" \
    timeout 170 "$bundle/run-on-device.sh" chameleon.tornado.GpuBench "${args[@]}" > "$out/gpubench-$mode.log" 2>&1
  echo "gpubench rc=$?" >> "$out/gpubench-$mode.log"
done
python3 "$(dirname "$0")/side_by_side.py" "$out"
