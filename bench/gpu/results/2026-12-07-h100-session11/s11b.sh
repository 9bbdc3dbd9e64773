#!/usr/bin/env bash
# session 11 call 2: side-by-side vendor + java (blk-app defaults), java per-task profile, golden + A/B pointer-all
W=/tmp/w2; mkdir -p $W
pack() { tar czf $OUT/all.tgz -C /tmp w2; }
nvidia-smi --query-gpu=name,driver_version --format=csv > $W/gpu.txt 2>&1
B=.bundle-cuda/blk-app
CHAMELEON_APP=$B CHAMELEON_JAVA_OPTS="-Dtornado.device.memory=70GB -Xmx48g -Dchameleon.tornado.scores.group=0" KERNEL_MODES="vendor java" OURS_VAE=0 BUNDLE=.bundle-cuda \
  timeout 260 bench/gpu/run-side-by-side.sh $W/side --iters 2 --budget-seconds 50 > $W/side.log 2>&1; echo "rc=$?" >> $W/side.log
tail -25 $W/side.log; pack; date -u +%T
CHAMELEON_APP=$B CHAMELEON_JAVA_OPTS="-Dtornado.device.memory=70GB -Xmx48g -Dchameleon.tornado.scores.group=0 -Dchameleon.tornado.kernels=java -Dchameleon.tornado.profile=true" \
  timeout 120 .bundle-cuda/run-on-device.sh chameleon.tornado.GpuBench --iters 1 --budget-seconds 60 --no-chunk > $W/java-profile.log 2>&1; echo "rc=$?" >> $W/java-profile.log
grep -E "attention|rc=" $W/java-profile.log | head -30; pack; date -u +%T
CHAMELEON_APP=$B CHAMELEON_JAVA_OPTS="-Dtornado.device.memory=70GB -Xmx48g -Dchameleon.tornado.scores.group=0 -Dchameleon.tornado.vendor.weights=pointer-all" timeout 80 .bundle-cuda/run-on-device.sh chameleon.tornado.GpuSmoke .bundle-cuda/golden 2 1e-3 --modes=resident-vendor > $W/smoke-all.log 2>&1; echo "rc=$?" >> $W/smoke-all.log
grep -E "RESULT|PASS|FAIL|rror|xception" $W/smoke-all.log | head -6; pack; date -u +%T
grep -q PASS $W/smoke-all.log || exit 0
AB_APP_A=$B AB_APP_B=$B CHAMELEON_JAVA_OPTS="-Dtornado.device.memory=70GB -Xmx48g -Dchameleon.tornado.scores.group=0 -Dchameleon.tornado.kernels=vendor" AB_TIMEOUT=60 ROUNDS=1 BUNDLE=.bundle-cuda KEEP_PARTS=1 \
  bench/gpu/run-ab.sh $W/ab-all "" "-Dchameleon.tornado.vendor.weights=pointer-all" --iters 2 --budget-seconds 35 --chunks 3
cat $W/ab-all/ab.txt; pack; date -u +%T
