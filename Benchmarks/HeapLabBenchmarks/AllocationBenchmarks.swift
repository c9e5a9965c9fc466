import Benchmark
import HeapLabCore
import HeapLabKit
import MarkSweepGC
import ScopedArena
import SystemHeaps
import Workloads

/// The allocation fast path of every manager, 24-byte objects (GCBench's node shape): one scaled iteration is
/// one object obtained and given back (as `heaplab-timing alloc` does; its doc comment says what that means per
/// manager).
///
/// Timing and counting are split (Docs/Experiments.md, "Timing and counting"): this process runs under the
/// malloc interposer, which distorts malloc's time but not the collector's or the arena's (they never call
/// malloc per object). So `gc` and `arena` are timed here (with thresholds); the managers whose objects go
/// through malloc (malloc, arc) or through another allocator (jemalloc, mimalloc, boehm) are counted here
/// (malloc calls per object, instructions) and timed by `heaplab-timing alloc`.
func registerAllocationBenchmarks() {
    let timed: [BenchmarkMetric] = [.wallClock, .instructions, .mallocCountTotal]
    let counted: [BenchmarkMetric] = [.instructions, .mallocCountTotal]
    func configuration(_ metrics: [BenchmarkMetric]) -> Benchmark.Configuration {
        .init(metrics: metrics, scalingFactor: .mega, maxDuration: .seconds(2), maxIterations: 20,
              thresholds: SuiteThresholds.of(metrics))
    }
    for (name, metrics) in [("gc", timed), ("arena", timed), ("malloc", counted), ("arc", counted),
                            ("jemalloc", counted), ("mimalloc", counted), ("boehm", counted)] {
        guard BuiltinManagers.entries.first(where: { $0.name == name })?.availability().isAvailable == true else { continue }
        let options = name == ArenaDescriptor.name ? ["poison": "false"] : [:]
        _ = try? BuiltinManagers.withManager(named: name, options: options,
                                             RegisterAllocation(name: name, configuration: configuration(metrics)))
    }
}

/// Registers the allocation benchmark of one manager, specialized for it by the registry's dispatch.
struct RegisterAllocation: ManagerVisitor {
    let name: String
    let configuration: Benchmark.Configuration

    func visit<M: MemoryManager>(_ make: @escaping (PauseLog) throws -> M) {
        Benchmark("Allocate 24 B / \(name)", configuration: configuration) { benchmark in
            let m = try make(PauseLog())
            var sink = 0
            try AllocationProbe.loop(m, count: 100_000, sink: &sink)  // warm up: pages faulted, caches filled
            benchmark.startMeasurement()
            try AllocationProbe.loop(m, count: benchmark.scaledIterations.count, sink: &sink)
            benchmark.stopMeasurement()
            HeapLabCore.blackHole(sink)
        }
    }
}
