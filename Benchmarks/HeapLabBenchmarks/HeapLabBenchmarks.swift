import Benchmark
import HeapLabCore
import SystemHeaps
import Workloads

let benchmarks: @Sendable () -> Void = {
    // Tolerances for benchmarks that set none (Thresholds.swift): without them a baseline check is strict.
    Benchmark.defaultConfiguration.thresholds = SuiteThresholds.of(Benchmark.defaultConfiguration.metrics)
    registerAllocationBenchmarks()
    registerWorkloadBenchmarks()
    registerGCBenchmarks()
    registerArenaBenchmarks()
    registerIncrementalBenchmarks()
    Benchmark("GCBench small / malloc") { benchmark in
        let bench = try GCBench.make(testSize: true)
        for _ in benchmark.scaledIterations {
            HeapLabCore.blackHole(try bench.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog())))
        }
    }
}
