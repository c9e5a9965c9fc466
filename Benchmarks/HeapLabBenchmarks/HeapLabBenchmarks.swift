import Benchmark
import HeapLabCore
import SystemHeaps
import Workloads

let benchmarks: @Sendable () -> Void = {
    registerGCBenchmarks()
    registerIncrementalBenchmarks()
    Benchmark("GCBench small / malloc") { benchmark in
        let bench = try GCBench.make(testSize: true)
        for _ in benchmark.scaledIterations {
            HeapLabCore.blackHole(try bench.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog())))
        }
    }
}
