#!/usr/bin/env bash
# Same-machine A/B of two JVM option sets on GpuBench, for measuring one lever at a time (issue 7). Runs of one
# lease drift by ±5 %, so the variants alternate (round 1: A then B, round 2: B then A, ...) and the table
# (bench/gpu/ab_table.py) gives every run, each variant's median and B / A. One device command, from the repository
# root on the GPU machine with a bundle carried:
#   BUNDLE=.bundle-cuda bench/gpu/run-ab.sh OUT_DIR "A_OPTS" "B_OPTS" [GpuBench args, default: --iters 2 --budget-seconds 30]
# e.g. TornadoVM's default tornado.max.events against the launcher's 1024 (a later -D wins), vendor mode:
#   CHAMELEON_JAVA_OPTS="-Dtornado.device.memory=70GB -Xmx48g -Dchameleon.tornado.kernels=vendor" \
#     BUNDLE=.bundle-cuda bench/gpu/run-ab.sh $OUT "-Dtornado.max.events=32768" ""
# Two builds instead of two option sets: AB_APP_A / AB_APP_B name a folder of chameleon jars that goes ahead of the
# bundle's on that variant's class path (run-on-device.sh's CHAMELEON_APP), e.g. an older bundle's:
#   mkdir old && xz -dc OLD/payload.tar.xz | tar -x -C old --wildcards 'app/chameleon-*'; AB_APP_A=old/app ... "" ""
# env: ROUNDS (2), BUNDLE (.bundle), CHAMELEON_JAVA_OPTS (common to both, default -Dtornado.device.memory=70GB
# -Xmx48g), AB_TIMEOUT (seconds a run, 130; GpuBench's budget counts from the end of its first forward), AB_RUNNER (the command a run executes, default
# "$BUNDLE/run-on-device.sh chameleon.tornado.GpuBench"). Writes OUT_DIR/ab.txt, ab.json and ab-parts.tar.gz (the
# logs ab-{A,B}-ROUND.log and timeline.txt; KEEP_PARTS=1 also leaves them loose).
set -u
out="${1:?usage: run-ab.sh OUT_DIR A_OPTS B_OPTS [GpuBench args]}"
a_opts="${2?A_OPTS (may be empty)}"
b_opts="${3?B_OPTS (may be empty)}"
shift 3
mkdir -p "$out"
bundle="${BUNDLE:-.bundle}"
args=("$@"); [ ${#args[@]} -eq 0 ] && args=(--iters 2 --budget-seconds 30)
common="${CHAMELEON_JAVA_OPTS:--Dtornado.device.memory=70GB -Xmx48g}"
rounds="${ROUNDS:-2}"
read -r -a runner <<< "${AB_RUNNER:-$bundle/run-on-device.sh chameleon.tornado.GpuBench}"

run() { # variant round opts
  local app_var="AB_APP_$1"
  local app="${!app_var:-}"
  echo "== $(date -u +%FT%TZ) variant $1 round $2: $3${app:+ (jars of $app)}" | tee -a "$out/timeline.txt"
  CHAMELEON_APP="$app" CHAMELEON_JAVA_OPTS="$common $3" timeout "${AB_TIMEOUT:-130}" "${runner[@]}" "${args[@]}" \
    > "$out/ab-$1-$2.log" 2>&1
  echo "rc=$?" >> "$out/ab-$1-$2.log"
}
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2 == 1)); then run A "$r" "$a_opts"; run B "$r" "$b_opts"
  else run B "$r" "$b_opts"; run A "$r" "$a_opts"; fi
done
python3 "$(dirname "$0")/ab_table.py" "$out" "$a_opts" "$b_opts" | tee "$out/ab.txt"
rc=${PIPESTATUS[0]}
# The device tool brings back at most 8 files from its OUT: the logs go into one archive beside the table
# (KEEP_PARTS=1 keeps the loose files too).
(cd "$out" && tar czf ab-parts.tar.gz ab-?-*.log timeline.txt) || rc=1
if [ "${KEEP_PARTS:-0}" = 0 ] && [ "$rc" = 0 ]; then
  (cd "$out" && rm -f ab-?-*.log timeline.txt)
fi
exit "$rc"
