#!/usr/bin/env bash
# Native PyTorch path (issue 6): golden check (DiT + VAE decode cases), then the real-shape DiT benchmark
# with the flash (plus VAE decode) and the cuDNN SDPA backends, and optionally flash + torch.compile;
# one JSON file each in OUT_DIR. Usage:
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
# the flash run also times the VAE decoder afterwards (DiT freed first), for FPS with the VAE
echo "== $(date -u +%FT%TZ) bench --attn flash --vae-decode" >&2
"$py" "$here/wan_native.py" --bench --attn flash --vae-decode --json "$out/native-bench-flash.json" "$@" > /dev/null || rc=1
echo "== $(date -u +%FT%TZ) bench --attn cudnn" >&2
"$py" "$here/wan_native.py" --bench --attn cudnn --json "$out/native-bench-cudnn.json" "$@" > /dev/null || rc=1
# torch.compile of the block pieces, reported separately; optional (NATIVE_COMPILE=0 skips it),
# bounded in time, and its failure does not fail the run
if [ "${NATIVE_COMPILE:-1}" != 0 ]; then
  echo "== $(date -u +%FT%TZ) bench --attn flash --compile (optional, at most ${NATIVE_COMPILE_TIMEOUT:-170} s)" >&2
  timeout "${NATIVE_COMPILE_TIMEOUT:-170}" "$py" "$here/wan_native.py" --bench --attn flash --compile \
    --json "$out/native-bench-flash-compile.json" "$@" > /dev/null \
    || echo "== torch.compile run failed or timed out (not counted as a failure)" >&2
fi
echo "== $(date -u +%FT%TZ) done, rc=$rc; JSON in $out" >&2
exit $rc
