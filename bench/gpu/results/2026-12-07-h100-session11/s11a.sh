#!/usr/bin/env bash
# session 11 call 1: KernelBench attention-quick (scoreBlocks / softmax variants), golden vendor+java of the new jars,
# A/B java: session 10's S product + softmax (group 0, 256 threads) vs the new defaults (group 8, 1024 threads)
W=/tmp/w; mkdir -p $W
pack() { tar czf $OUT/all.tgz -C /tmp w; }
nvidia-smi --query-gpu=name,driver_version --format=csv > $W/gpu.txt 2>&1
export CHAMELEON_JAVA_OPTS="-Dtornado.device.memory=70GB -Xmx48g"
B=.bundle-cuda/blk-app
CHAMELEON_APP=$B timeout 170 .bundle-cuda/run-on-device.sh chameleon.tornado.KernelBench attention-quick > $W/kb-attn.log 2>&1; echo "rc=$?" >> $W/kb-attn.log
grep -E "^attention" $W/kb-attn.log | cut -c1-200; grep -E "rc=|xception" $W/kb-attn.log | head -5; pack; date -u +%T
CHAMELEON_APP=$B timeout 140 .bundle-cuda/run-on-device.sh chameleon.tornado.GpuSmoke .bundle-cuda/golden 2 1e-3 --modes=resident-vendor,resident-java > $W/smoke.log 2>&1; echo "rc=$?" >> $W/smoke.log
grep -E "RESULT|PASS|FAIL|rror|xception" $W/smoke.log | head -10; pack; date -u +%T
if grep -q "java.*PASS\|PASS.*java" $W/smoke.log; then
AB_APP_A=$B AB_APP_B=$B CHAMELEON_JAVA_OPTS="-Dtornado.device.memory=70GB -Xmx48g -Dchameleon.tornado.kernels=java" AB_TIMEOUT=110 ROUNDS=1 BUNDLE=.bundle-cuda KEEP_PARTS=1 \
  bench/gpu/run-ab.sh $W/ab-java "-Dchameleon.tornado.scores.group=0 -Dchameleon.tornado.softmax.threads=256" "" --iters 1 --budget-seconds 60 --chunks 1
cat $W/ab-java/ab.txt; pack; date -u +%T
fi
