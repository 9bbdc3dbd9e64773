#!/usr/bin/env bash
# One device command for issue 6: the native PyTorch path and chameleon-j's TornadoVM backend at the real
# Wan2.2-TI2V-5B shape on the same card in the same run, then the side-by-side table with ratios.
# Run on the GPU machine from the repository root with the bundle carried (.bundle, see tornado/make-bundle):
#   bench/gpu/run-side-by-side.sh OUT_DIR [GpuBench args, default: --layers 2 --iters 3 --budget-seconds 150]
set -u
out="${1:?usage: run-side-by-side.sh OUT_DIR [GpuBench args]}"; shift
mkdir -p "$out"
args=("$@"); [ ${#args[@]} -eq 0 ] && args=(--layers 2 --iters 3 --budget-seconds 150)
NATIVE_COMPILE=0 timeout 200 bench/native/run-native.sh .bundle/golden "$out" > "$out/native.log" 2>&1
echo "native rc=$?" >> "$out/native.log"
CHAMELEON_JAVA_OPTS="${CHAMELEON_JAVA_OPTS:--Dtornado.device.memory=60GB -Xmx64g}" \
  timeout 300 .bundle/run-on-device.sh chameleon.tornado.GpuBench "${args[@]}" > "$out/gpubench.log" 2>&1
echo "gpubench rc=$?" >> "$out/gpubench.log"
python3 "$(dirname "$0")/side_by_side.py" "$out"
