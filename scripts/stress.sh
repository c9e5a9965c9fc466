#!/usr/bin/env bash
# The stress oracles at full size, in a release build:
# - the collector's: StressTests and IncrementalStressTests (Tests/MarkSweepGCTests), nine runs of 125,000
#   operations each (a debug `swift test` does 10,000), two of them with parallel marking: 1.125 x 10^6
#   operations;
# - the collector's with several mutator threads: MultiMutatorStressTests (Tests/MarkSweepGCTests), four runs
#   of 125,000 operations each, shared among their 2 or 4 threads, two of them with several markers (a debug
#   `swift test` does 16,000): 5 x 10^5 operations (HEAPLAB_STRESS_SCALE=2 makes it 10^6, at twice the time,
#   which CI's budget does not leave);
# - the arena's: ArenaOracleTests (Tests/ScopedArenaTests), five runs of 200,000 operations each (a debug
#   `swift test` does 20,000): 10^6 operations.
# Prints each run's summary line and the totals.
#
#   scripts/stress.sh                            the fixed seeds
#   HEAPLAB_STRESS_SEED=random scripts/stress.sh new seeds (the number chosen is printed, and every run's
#                                                summary line names the value that replays it)
#   HEAPLAB_STRESS_SEED=1234 scripts/stress.sh   replay
#   HEAPLAB_STRESS_SCALE=4 scripts/stress.sh     four times the operations
#
# Any other arguments go to `swift test`. The release build is compiled for testing (@testable imports work in
# release builds: `swift test -c release` passes -enable-testing), so it has a scratch path of its own and does
# not rebuild the ordinary release build of the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
status=0
swift test -c release --scratch-path .build-stress \
    --filter 'MarkSweepGCTests\.(StressTests|IncrementalStressTests|MultiMutatorStressTests)/|ScopedArenaTests\.ArenaOracleTests/' "$@" 2>&1 \
    | tee "$log" || status=$?
echo
grep '^stress: ' "$log" || true
# The operation count of each summary line ("stress: <run>: N operations, ..."), summed.
operations() { sed -n 's/^stress: .*: \([0-9]*\) operations, .*/\1/p' | awk '{ n += $1 } END { print n + 0 }'; }
collector=$(grep '^stress: ' "$log" | grep -v '^stress: arena' | operations || true)
arena=$(grep '^stress: arena' "$log" | operations || true)
echo "stress: $((collector + arena)) operations checked against the models ($collector collector, $arena arena) in $(( $(date +%s) - start )) s (build included)"
exit "$status"
