#!/usr/bin/env python3
"""Checks run-ab.sh and ab_table.py with a stub in place of GpuBench: the variants alternate (A B, then B A), each
run gets the common options plus its own, the medians and B / A come from the RESULT lines, and a variant without
any RESULT fails the run (run by chameleon-tests: python3 -m unittest)."""
import json
import os
import subprocess
import tarfile
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))

# Prints GpuBench's RESULT line: 0.2 s a full-window forward, 0.15 s with -Dfast; records the call order.
STUB = """#!/usr/bin/env bash
echo "$CHAMELEON_JAVA_OPTS${CHAMELEON_APP:+ | jars $CHAMELEON_APP}" >> "$STUB_CALLS"
case "$CHAMELEON_JAVA_OPTS" in *-Dbroken*) echo "Exception"; exit 1 ;; esac
n=$(wc -l < "$STUB_CALLS")
case "$CHAMELEON_JAVA_OPTS" in *-Dfast*) full=0.15 ;; *) full=0.2$n ;; esac
echo "noise"
echo "RESULT {\\"device\\": \\"stub GPU\\", \\"full_window_median_s\\": $full, \\"chunk_s\\": 1.0, \\"args\\": \\"$*\\"}"
"""


class AbTest(unittest.TestCase):
    def run_ab(self, a_opts, b_opts, rounds=2, **env_extra):
        d = tempfile.mkdtemp()
        stub = os.path.join(d, "stub.sh")
        with open(stub, "w") as f:
            f.write(STUB)
        os.chmod(stub, 0o755)
        out = os.path.join(d, "out")
        env = dict(os.environ, AB_RUNNER=stub, STUB_CALLS=os.path.join(d, "calls"), ROUNDS=str(rounds),
                   CHAMELEON_JAVA_OPTS="-Dcommon", **env_extra)
        p = subprocess.run(["bash", os.path.join(HERE, "run-ab.sh"), out, a_opts, b_opts, "--iters", "1"], env=env,
                           capture_output=True, text=True)
        with open(os.path.join(d, "calls")) as f:
            calls = [line.strip() for line in f]
        return p, calls, out

    def test_variants_alternate_and_the_medians_compare(self):
        p, calls, out = self.run_ab("", "-Dfast")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # round 1: A then B; round 2: B then A; each with the common options first
        self.assertEqual(calls, ["-Dcommon", "-Dcommon -Dfast", "-Dcommon -Dfast", "-Dcommon"])
        with open(os.path.join(out, "ab.json")) as f:
            t = json.load(f)
        full = t["figures"]["full_window_median_s"]
        self.assertEqual(full["A"]["runs"], [0.21, 0.24])  # A ran 1st and 4th
        self.assertAlmostEqual(full["A"]["median"], 0.225)
        self.assertAlmostEqual(full["B"]["median"], 0.15)
        self.assertAlmostEqual(full["b_over_a"], 0.15 / 0.225)
        self.assertIsNone(t["figures"]["first_chunk_window_median_s"]["b_over_a"])  # not in the RESULT lines
        self.assertIn("stub GPU", p.stdout)
        self.assertIn("0.667", p.stdout)
        with tarfile.open(os.path.join(out, "ab-parts.tar.gz")) as tar:  # the logs, packed for the device tool
            self.assertEqual(sorted(tar.getnames()),
                             ["ab-A-1.log", "ab-A-2.log", "ab-B-1.log", "ab-B-2.log", "timeline.txt"])
            self.assertIn("--iters 1", tar.extractfile("ab-B-1.log").read().decode())  # GpuBench's arguments reach it
        self.assertEqual(sorted(os.listdir(out)), ["ab-parts.tar.gz", "ab.json", "ab.txt"])

    def test_a_variant_runs_with_its_own_jars(self):
        p, calls, out = self.run_ab("", "", rounds=1, AB_APP_B="/builds/new/app")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(calls, ["-Dcommon", "-Dcommon  | jars /builds/new/app"])  # A: the bundle's jars only
        self.assertIn("B: (common options only), jars of /builds/new/app", p.stdout)
        with open(os.path.join(out, "ab.json")) as f:
            self.assertEqual(json.load(f)["jars"], {"A": None, "B": "/builds/new/app"})

    def test_a_variant_without_any_result_fails(self):
        p, calls, out = self.run_ab("-Dbroken", "", rounds=1)
        self.assertEqual(p.returncode, 1)
        self.assertIn("variant A: no RESULT in round(s) 1", p.stdout)


if __name__ == "__main__":
    unittest.main()
