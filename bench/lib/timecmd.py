#!/usr/bin/env python3
"""timecmd.py REPS CMD...: run CMD (stdout discarded) REPS times after one
warm-up run; print `best_s X` and `median_s Y` (wall clock seconds).
Exits 1 if the command fails."""
import statistics
import subprocess
import sys
import time

reps = int(sys.argv[1])
cmd = sys.argv[2:]
times = []
for i in range(reps + 1):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, timeout=600)
    t = time.perf_counter() - t0
    if r.returncode != 0:
        print(f"timecmd: {cmd[0]} exited {r.returncode}", file=sys.stderr)
        sys.exit(1)
    if i > 0:
        times.append(t)
print(f"best_s {min(times):.4f}")
print(f"median_s {statistics.median(times):.4f}")
