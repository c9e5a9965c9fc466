import HeapLabCore
import MarkSweepGC
import ScopedArena
import SystemHeaps
import Workloads

/// A reference whose address bits can be folded into a sink, so the optimizer cannot drop an allocation.
protocol AddressBits { var addressBits: Int { get } }
extension ObjectRef: AddressBits { @inline(__always) var addressBits: Int { Int(bitPattern: address) } }
extension GCRef: AddressBits { @inline(__always) var addressBits: Int { Int(bitPattern: address) } }
extension ARCObject: AddressBits {
    @inline(__always) var addressBits: Int { Int(bitPattern: Unmanaged.passUnretained(self).toOpaque()) }
}

/// The allocation fast path of each manager: ns per 24-byte object (GCBench's node, two references and a
/// payload of 8 bytes), in one plain process, each manager in turn.
///
/// One operation is what a manager needs to get a small object and give it back: malloc, jemalloc and mimalloc
/// allocate and free at once (their fast paths both ways); ARC allocates and releases its last reference (the
/// object is destroyed); the collector allocates garbage (collections the pacer starts included, so the figure
/// is amortized); the arena allocates, and a scope ends every 32,768 objects (1 MiB); Boehm GC allocates
/// garbage (its collections included). Objects are made in batches of 32,768 inside `withScope`.
enum AllocationTiming {
    static let allManagers = ["malloc", "arc", "gc", "arena", "jemalloc", "mimalloc", "boehm"]

    static func run(managers: [String]?, millions: Int) throws {
        let count = max(1, millions) * 1_000_000
        for name in managers ?? allManagers {
            let ns: Double
            switch name {
            case "malloc": ns = try time(MallocManager(), count: count)
            case "arc": ns = try time(ARCManager(), count: count)
            case "gc": ns = try time(GCHeap(configuration: try GCConfiguration(options: [:]), pauseLog: PauseLog()), count: count)
            case "arena":
                ns = try time(ArenaManager(configuration: ArenaConfiguration(poisonsFreedMemory: false)), count: count)
            case "jemalloc":
                guard let a = try? JemallocAllocator.load() else { print("jemalloc: not available (\(JemallocAllocator.availability()))"); continue }
                ns = try time(JemallocManager(allocator: a), count: count)
            case "mimalloc":
                guard let a = try? MimallocAllocator.load() else { print("mimalloc: not available (\(MimallocAllocator.availability()))"); continue }
                ns = try time(MimallocManager(allocator: a), count: count)
            case "boehm":
                guard let m = try? BoehmManager(pauseLog: PauseLog()) else { print("boehm: not available (\(BoehmManager.availability()))"); continue }
                ns = try time(m, count: count)
            default:
                print("\(name): unknown manager (one of \(allManagers.joined(separator: ", ")))")
                continue
            }
            print("\(name): \((ns * 100).rounded() / 100) ns per 24-byte object (\(count / 1_000_000) M objects)")
        }
    }

    /// Times `count` operations after a warm-up of 1M; returns ns per operation. Specialized per manager.
    @inline(never)
    static func time<M: MemoryManager>(_ m: M, count: Int) throws(AllocationError) -> Double where M.Ref: AddressBits {
        let shape = ObjectShape(referenceSlots: 2, payloadBytes: 8)
        var sink = 0
        try loop(m, shape: shape, count: 1_000_000, sink: &sink)
        let start = MonotonicClock.now()
        try loop(m, shape: shape, count: count, sink: &sink)
        let elapsed = MonotonicClock.now() - start
        blackHole(sink)
        return Double(elapsed) / Double(count)
    }

    /// The addresses are folded into a local of the scope's closure and into `sink` once per scope: a `sink`
    /// captured `inout` by the closure lives in memory, so folding into it per object added a store to the
    /// stack to every iteration (0.5 ns per object measured on the arena), the harness's cost, not the manager's.
    @inline(__always)
    static func loop<M: MemoryManager>(_ m: M, shape: ObjectShape, count: Int, sink: inout Int) throws(AllocationError)
    where M.Ref: AddressBits {
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
}
