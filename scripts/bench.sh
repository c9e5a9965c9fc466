#!/usr/bin/env bash
# Runs the package-benchmark suite (Benchmarks/HeapLabBenchmarks; Docs/Experiments.md, "Timing and counting").
#
#   scripts/bench.sh                          the whole suite
#   scripts/bench.sh --filter 'GCBench.*'     part of it (any other arguments go to the benchmark plugin)
#   scripts/bench.sh baseline update main     store a baseline; `scripts/bench.sh baseline check main` compares
#   scripts/bench.sh check [plugin args]      run, and compare with the stored baseline `reference`
#                                             (.benchmarkBaselines/, in the repository) using the relative
#                                             tolerances in Thresholds.swift; non-zero exit on a regression
#   scripts/bench.sh update-reference [...]   run, and store this run as the baseline `reference`
#   scripts/bench.sh smoke                    CI: build the suite and run one short benchmark (about 2 s)
#
# Timings of malloc-based managers are not taken here (the plugin's malloc interposer distorts them): use
# `swift run -c release heaplab-timing` (Benchmarks/heaplab-timing) or `heaplab compare`.
#
# The plugin takes every executable target under Benchmarks/ for a benchmark target, the plain-process timing
# tool too, so every command here names the suite's target (`--target HeapLabBenchmarks`); a bare
# `swift package benchmark` would try to run heaplab-timing as a benchmark and fail.
set -euo pipefail
cd "$(dirname "$0")/.."
reference=reference
suite=(--target HeapLabBenchmarks)
case "${1:-}" in
check)
    shift
    exec swift package benchmark baseline check "$reference" "${suite[@]}" "$@"
    ;;
update-reference)
    shift
    exec swift package --allow-writing-to-package-directory benchmark baseline update "$reference" "${suite[@]}" "$@"
    ;;
smoke)
    exec swift package benchmark --filter 'Allocate 24 B / arena' --no-progress "${suite[@]}"
    ;;
*)
    exec swift package --allow-writing-to-package-directory benchmark "$@" "${suite[@]}"
    ;;
esac
