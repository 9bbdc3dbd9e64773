#!/usr/bin/env bash
# Native PyTorch path (issue 6): golden check, then the real-shape DiT benchmark with the flash and
# the cuDNN SDPA backends, one JSON file each in OUT_DIR. Usage:
#   bench/native/run-native.sh GOLDEN_DIR OUT_DIR [extra --bench arguments]
# Runs on the GPU machine (torch, numpy, standard library only). Exit status: non-zero if the golden
# check failed or any benchmark failed; every step runs regardless.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
golden="${1:?usage: run-native.sh GOLDEN_DIR OUT_DIR [extra --bench args]}"
out="${2:?usage: run-native.sh GOLDEN_DIR OUT_DIR [extra --bench args]}"
shift 2
mkdir -p "$out"
py="${PYTHON:-python3}"
rc=0
echo "== $(date -u +%FT%TZ) golden check" >&2
"$py" "$here/wan_native.py" --check-golden "$golden" --json "$out/native-golden.json" > /dev/null || rc=1
for attn in flash cudnn; do
  echo "== $(date -u +%FT%TZ) bench --attn $attn" >&2
  "$py" "$here/wan_native.py" --bench --attn "$attn" --json "$out/native-bench-$attn.json" "$@" > /dev/null || rc=1
done
echo "== $(date -u +%FT%TZ) done, rc=$rc; JSON in $out" >&2
exit $rc
