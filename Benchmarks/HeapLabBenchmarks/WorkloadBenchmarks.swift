import Benchmark
import HeapLabCore
import MarkSweepGC
import ScopedArena
import SystemHeaps
import Workloads

/// Every workload at its test size (the sizes the unit tests use) on every installed manager: the regression net
/// over the whole matrix. One iteration is one run on a fresh manager, as the runner makes them.
///
/// Split as in AllocationBenchmarks.swift: `gc` and `arena` runs are timed (wall clock, with thresholds) and
/// counted; the runs on managers whose objects go through malloc (malloc, arc) or another allocator (jemalloc,
/// mimalloc, boehm) are counted only (malloc calls, instructions, peak resident memory): their times are
/// `heaplab run` / `heaplab compare`'s (plain child processes).
func registerWorkloadBenchmarks() {
    let timed: [BenchmarkMetric] = [.wallClock, .instructions, .mallocCountTotal, .peakMemoryResident]
    let counted: [BenchmarkMetric] = [.instructions, .mallocCountTotal, .peakMemoryResident]
    func register<W: Workload>(_ workload: W.Type) {
        func add<M: MemoryManager>(_ manager: String, _ metrics: [BenchmarkMetric], _ make: @escaping (PauseLog) throws -> M) {
            Benchmark("Workload \(W.name) (test size) / \(manager)",
                      configuration: .init(metrics: metrics, warmupIterations: 1, maxDuration: .seconds(2),
                                           maxIterations: 10, thresholds: SuiteThresholds.of(metrics))) { benchmark in
                let w = try W.make(testSize: true)
                for _ in benchmark.scaledIterations {
                    let log = PauseLog()
                    HeapLabCore.blackHole(try w.run(on: try make(log), context: RunContext(pauseLog: log)).checksum)
                }
            }
        }
        add("gc", timed) { log in GCHeap(configuration: GCConfiguration(), pauseLog: log) }
        add("arena", timed) { log in ArenaManager(configuration: ArenaConfiguration(poisonsFreedMemory: false), pauseLog: log) }
        add("malloc", counted) { _ in MallocManager() }
        add("arc", counted) { _ in ARCManager() }
        if JemallocAllocator.availability().isAvailable {
            add("jemalloc", counted) { _ in JemallocManager(allocator: try JemallocAllocator.load()) }
        }
        if MimallocAllocator.availability().isAvailable {
            add("mimalloc", counted) { _ in MimallocManager(allocator: try MimallocAllocator.load()) }
        }
        if BoehmManager.availability().isAvailable {
            add("boehm", counted) { log in try BoehmManager(pauseLog: log) }
        }
    }
    register(GCBench.self)
    register(BinaryTrees.self)
    register(Server.self)
    register(Fragmentation.self)
    register(Cycles.self)
    register(DeepList.self)
    register(DeepListOnLargeStack.self)
    register(LargeObjects.self)
}
