import Benchmark

/// Regression tolerances of the suite, kept with the code so that `swift package benchmark baseline check` and
/// `thresholds check` (scripts/bench.sh check) fail on a regression. Stored p90 values live in
/// `Benchmarks/Thresholds/` (`scripts/bench.sh update-thresholds` writes them).
///
/// Tolerances are relative, in percent, at p50 (the figure Docs/Results.md reports) and p90. Time on this
/// 2-core shared machine varies by 10-20% between runs, so time gets 25%; counts (malloc calls, instructions)
/// are nearly deterministic and get 5%; peak resident memory 10%.
enum SuiteThresholds {
    static var time: BenchmarkThresholds { BenchmarkThresholds(relative: [.p50: 25.0, .p90: 35.0]) }
    static var count: BenchmarkThresholds { BenchmarkThresholds(relative: [.p50: 5.0, .p90: 5.0]) }
    static var memory: BenchmarkThresholds { BenchmarkThresholds(relative: [.p50: 10.0, .p90: 10.0]) }

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
