import Benchmark

/// Regression tolerances of the suite, kept with the code: `scripts/bench.sh check` runs the suite and compares it
/// with the baseline `reference` stored in the repository (`.benchmarkBaselines/`, written by
/// `scripts/bench.sh update-reference`); a metric worse than these tolerances fails the check (non-zero exit).
///
/// Tolerances are relative, in percent, at p50 only (the figure Docs/Results.md reports; p90 moves too much on
/// a shared machine: 60% between two runs of the same code here). Time on this 2-core shared machine varies by
/// 10-20% between runs, so time gets 25%; counts (malloc calls, instructions) are nearly deterministic and get
/// 5%; peak resident memory 10%.
enum SuiteThresholds {
    static var time: BenchmarkThresholds { BenchmarkThresholds(relative: [.p50: 25.0]) }
    static var count: BenchmarkThresholds { BenchmarkThresholds(relative: [.p50: 5.0]) }
    static var memory: BenchmarkThresholds { BenchmarkThresholds(relative: [.p50: 10.0]) }

    /// A tolerance for every metric in `metrics`, by kind.
    static func of(_ metrics: [BenchmarkMetric]) -> [BenchmarkMetric: BenchmarkThresholds] {
        var result: [BenchmarkMetric: BenchmarkThresholds] = [:]
        for metric in metrics {
            switch metric {
            case .wallClock, .cpuTotal, .cpuUser, .throughput: result[metric] = time
            case .peakMemoryResident: result[metric] = memory
            case .mallocCountTotal, .mallocCountSmall, .mallocCountLarge, .instructions, .memoryLeaked: result[metric] = count
            default: result[metric] = time  // custom metrics: pauses and rates, as noisy as time
            }
        }
        return result
    }
}
