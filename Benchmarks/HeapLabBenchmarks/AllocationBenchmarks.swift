import Benchmark
import HeapLabCore
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
    func register<M: MemoryManager>(_ name: String, _ metrics: [BenchmarkMetric], _ make: @escaping () throws -> M)
    where M.Ref: BenchmarkAddress {
        Benchmark("Allocate 24 B / \(name)", configuration: configuration(metrics)) { benchmark in
            let m = try make()
            var sink = 0
            try allocationLoop(m, count: 100_000, sink: &sink)  // warm up: pages faulted, caches filled
            benchmark.startMeasurement()
            try allocationLoop(m, count: benchmark.scaledIterations.count, sink: &sink)
            benchmark.stopMeasurement()
            HeapLabCore.blackHole(sink)
        }
    }
    register("gc", timed) { GCHeap(configuration: GCConfiguration(), pauseLog: PauseLog()) }
    register("arena", timed) { ArenaManager(configuration: ArenaConfiguration(poisonsFreedMemory: false)) }
    register("malloc", counted) { MallocManager() }
    register("arc", counted) { ARCManager() }
    if JemallocAllocator.availability().isAvailable {
        register("jemalloc", counted) { JemallocManager(allocator: try JemallocAllocator.load()) }
    }
    if MimallocAllocator.availability().isAvailable {
        register("mimalloc", counted) { MimallocManager(allocator: try MimallocAllocator.load()) }
    }
    if BoehmManager.availability().isAvailable {
        register("boehm", counted) { try BoehmManager(pauseLog: PauseLog()) }
    }
}

/// A reference whose address bits can be folded into a sink, so the optimizer cannot drop an allocation.
protocol BenchmarkAddress { var addressBits: Int { get } }
extension ObjectRef: BenchmarkAddress { @inline(__always) var addressBits: Int { Int(bitPattern: address) } }
extension GCRef: BenchmarkAddress { @inline(__always) var addressBits: Int { Int(bitPattern: address) } }
extension ARCObject: BenchmarkAddress {
    @inline(__always) var addressBits: Int { Int(bitPattern: Unmanaged.passUnretained(self).toOpaque()) }
}

/// `count` objects obtained and given back, in scopes of 32,768 (1 MiB of nodes: the arena frees at scope end).
/// Addresses are folded into a local of the scope's closure, and into `sink` once per scope (as in
/// `heaplab-timing alloc`): folded into the captured `sink` per object, they cost a store to the stack per object.
@inline(__always)
func allocationLoop<M: MemoryManager>(_ m: M, count: Int, sink: inout Int) throws(AllocationError)
where M.Ref: BenchmarkAddress {
    let shape = ObjectShape(referenceSlots: 2, payloadBytes: 8)
    var remaining = count
    while remaining > 0 {
        let n = min(remaining, 32768)
        sink ^= try m.withScope { () throws(AllocationError) -> Int in
            var bits = 0
            for _ in 0..<n {
                let r = try m.allocate(shape)
                bits ^= r.addressBits
                m.free(r)
            }
            return bits
        }
        remaining -= n
    }
}
