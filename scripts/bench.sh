#!/usr/bin/env bash
# Runs the package-benchmark suite (Benchmarks/). Extra arguments go to the benchmark plugin, for example:
#   scripts/bench.sh --filter "GCBench.*"
#   scripts/bench.sh baseline update main
set -euo pipefail
cd "$(dirname "$0")/.."
swift package --allow-writing-to-package-directory benchmark "$@"
