#!/usr/bin/env bash
# Builds the DocC documentation of every library product (swift-docc-plugin) and fails on any warning: a broken
# symbol link, an undocumented or misnamed parameter. The archives land in .build/plugins/Swift-DocC/outputs/.
#
#   scripts/docs.sh            # every library target
#   scripts/docs.sh HeapLabKit # one
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(HeapLabCore HeapLabKit HeapLabReport MarkSweepGC ScopedArena ScopedArenaLifetimes SystemHeaps Workloads)
fi
failed=0
for target in "${targets[@]}"; do
    log=$(swift package generate-documentation --target "$target" 2>&1) || { echo "$log"; echo "docs: $target failed to build" >&2; exit 1; }
    warnings=$(printf '%s\n' "$log" | grep -c '^warning' || true)
    if [ "$warnings" -ne 0 ]; then
        printf '%s\n' "$log" | grep -A6 '^warning' >&2
        echo "docs: $target: $warnings warning(s)" >&2
        failed=1
    else
        echo "docs: $target: no warnings"
    fi
done
exit "$failed"
