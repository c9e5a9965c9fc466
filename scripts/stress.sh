#!/usr/bin/env bash
# The collector's stress oracle at full size: StressTests and IncrementalStressTests (Tests/MarkSweepGCTests) in a
# release build, where each of their eight runs does 125,000 operations (a debug `swift test` does 10,000): 10^6
# operations checked against the model in all. Prints each run's summary line and the total.
#
#   scripts/stress.sh                            the fixed seeds
#   HEAPLAB_STRESS_SEED=random scripts/stress.sh new seeds (the one chosen is printed; pass it back to replay)
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
    --filter 'MarkSweepGCTests\.(StressTests|IncrementalStressTests)/' "$@" 2>&1 | tee "$log" || status=$?
echo
grep '^stress: ' "$log" || true
total=$(sed -n 's/^stress: .*: \([0-9]*\) operations, .*/\1/p' "$log" | awk '{ n += $1 } END { print n + 0 }')
echo "stress: ${total} operations checked against the model in $(( $(date +%s) - start )) s (build included)"
exit "$status"
