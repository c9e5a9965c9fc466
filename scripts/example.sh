#!/usr/bin/env bash
# Builds Examples/CustomLab (a package that adds its own workload and manager to HeapLab) and runs its workload
# and manager beside built-in ones at test size; fails unless every run ends as expected: `ok`, except the
# message queue on the arena, which must say `notApplicable`.
set -euo pipefail
cd "$(dirname "$0")/../Examples/CustomLab"

swift build
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
.build/debug/custom-lab compare --workloads queue,gcbench --managers freelist,malloc,gc,arena \
    --test-size --repeats 1 --quiet --json "$results/runs.json"
python3 - "$results/runs.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))
expected = {(w, m): "ok" for w in ("queue", "gcbench") for m in ("freelist", "malloc", "gc", "arena")}
expected[("queue", "arena")] = "notApplicable"
got = {(r["workload"], r["manager"]): r["status"] for r in runs}
bad = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
if bad or len(runs) != len(expected):
    sys.exit(f"example: unexpected results (got, expected): {bad}; {len(runs)} runs")
checksums = {r["outcome"]["checksum"] for r in runs if r["workload"] == "queue" and r["status"] == "ok"}
if len(checksums) != 1:
    sys.exit(f"example: the queue's checksum differs between managers: {checksums}")
print(f"example: {len(runs)} runs as expected")
PY
