import HeapLabCore
import MarkSweepGC
import ScopedArena
import SystemHeaps
import Workloads

/// GCBench side by side, and the collector's mark and sweep rates (the commands `gcbench`, `tree`, `sweep`).
enum GCTimings {
    typealias T = TimingTool

    /// GCBench at its default size on malloc, gc (eager), gc (lazy) and arena, interleaved `rounds` times.
    static func gcbench(rounds: Int) throws {
        let bench = try GCBench.make()
        let managers = ["malloc", "gc-eager", "gc-lazy", "arena"]
        var times: [String: [Double]] = [:]
        for round in 1...max(1, rounds) {
            for manager in managers {
                let log = PauseLog()
                let start = MonotonicClock.now()
                let checksum: UInt64
                var detail = ""
                switch manager {
                case "malloc":
                    checksum = try bench.run(on: MallocManager(), context: RunContext(pauseLog: log)).checksum
                case "arena":
                    let arena = ArenaManager(configuration: ArenaConfiguration(poisonsFreedMemory: false), pauseLog: log)
                    checksum = try bench.run(on: arena, context: RunContext(pauseLog: log)).checksum
                default:
                    let sweep = manager == "gc-eager" ? "eager" : "lazy"
                    let heap = GCHeap(configuration: try GCConfiguration(options: ["sweep": sweep]), pauseLog: log)
                    checksum = try bench.run(on: heap, context: RunContext(pauseLog: log)).checksum
                    let s = heap.statistics().extra
                    detail = ", cycles \(Int(s["cycles"]!)), total pause \(T.milliseconds(UInt64(s["totalPauseNanoseconds"]!))) ms"
                        + ", max pause \(T.milliseconds(UInt64(s["maxPauseNanoseconds"]!))) ms"
                        + ", lazy sweep \(T.milliseconds(UInt64(s["lazySweepNanoseconds"]!))) ms"
                }
                let ms = T.milliseconds(MonotonicClock.now() - start)
                times[manager, default: []].append(ms)
                print("round \(round) \(manager): \(ms) ms, checksum \(checksum)\(detail)")
            }
        }
        let m = T.median(times["malloc"]!)
        for manager in managers {
            let t = T.median(times[manager]!)
            print("median \(manager): \(t) ms (\((t / m * 100).rounded() / 100)x malloc)")
        }
    }

    /// Builds a complete binary tree of GCBench nodes of `depth` on `heap` (2^(depth+1) - 1 nodes), rooting
    /// each node while its children are built.
    static func buildTree(_ heap: GCHeap, depth: Int) throws -> GCRef {
        let node = try heap.allocate(GCBench.nodeShape)
        if depth > 0 {
            let mark = heap.pushRoot(node)
            heap.store(node, slot: 0, try buildTree(heap, depth: depth - 1))
            heap.store(node, slot: 1, try buildTree(heap, depth: depth - 1))
            heap.popRoots(to: mark)
        }
        return node
    }

    /// Mark rate: a depth-21 tree held live, `rounds` forced collections.
    static func tree(rounds: Int) throws {
        let log = PauseLog()
        let heap = GCHeap(configuration: try GCConfiguration(options: [:]), pauseLog: log)
        let start = MonotonicClock.now()
        heap.pushRoot(try buildTree(heap, depth: 21))
        print("built depth-21 tree in \(T.milliseconds(MonotonicClock.now() - start)) ms (\(log.events.count) collections while building, largest pause \(T.milliseconds(log.events.map(\.durationNanoseconds).max() ?? 0)) ms)")
        for _ in 0..<rounds { heap.collect() }
        for e in log.events.suffix(rounds) {
            let mark = e.phases.first { $0.name == "mark" }!.nanoseconds
            print("forced collection: pause \(T.milliseconds(e.durationNanoseconds)) ms (\(e.phases.map { "\($0.name) \(T.milliseconds($0.nanoseconds))" }.joined(separator: ", ")) ms), \(e.objectsMarked) objects, \(e.bytesMarked) bytes marked, mark rate \(Int(Double(e.bytesMarked) / Double(mark) * 1e3)) MB/s, \(Int(Double(e.objectsMarked) / Double(mark) * 1e3)) Mobjects/s")
        }
        print("largest pause of the run: \(T.milliseconds(log.events.map(\.durationNanoseconds).max()!)) ms")
        // Space overhead, measured: the heap's footprint (bytes of blocks owned by size classes, block headers
        // and mark bitmaps included) against the object bytes of the live nodes (24 each: slots and payload).
        let s = heap.statistics()
        let objects = log.events.last!.objectsMarked
        let objectBytes = objects * GCBench.nodeShape.bytes
        let footprint = s.heapBytes ?? 0
        print("space: \(objects) live nodes, \(objectBytes) object bytes, footprint \(footprint) bytes in \(Int(s.extra["blocksInUse"] ?? 0)) blocks: overhead \(((Double(footprint - objectBytes) / Double(objectBytes)) * 1000).rounded() / 10)% of object bytes")
    }

    /// Sweep rate: `mebibytes` of GCBench nodes (default 64 MiB: 2,097,152 32-byte cells), every other one kept
    /// live on a linked list, so every block is partial and the sweep builds a free list through half of its
    /// cells (the costliest case per block). GOGC off, so the only collections are the forced ones. With `mode`
    /// lazy, the pause holds no sweep: it shows what the same fragmented heap costs a pause when sweeping is lazy.
    static func sweep(rounds: Int, mebibytes: Int = 64, mode: SweepMode = .eager) throws {
        let nodes = max(2, (mebibytes << 20) / 32)
        for round in 1...max(1, rounds) {
            let log = PauseLog()
            let heap = GCHeap(configuration: GCConfiguration(gogc: nil, sweepMode: mode), pauseLog: log)
            let head = try heap.allocate(GCBench.nodeShape)
            let root = heap.pushRoot(head)
            var tail = head
            for _ in 0..<(nodes / 2 - 1) {
                _ = try heap.allocate(GCBench.nodeShape)  // garbage between two live cells
                let next = try heap.allocate(GCBench.nodeShape)
                heap.store(tail, slot: 0, next)
                tail = next
            }
            _ = try heap.allocate(GCBench.nodeShape)
            heap.collect()
            let e = log.events.last!
            let sweepNs = e.phases.first { $0.name == "sweep" }!.nanoseconds
            let heapBytes = e.heapBytesBefore
            let rates = mode == .eager
                ? ": \(Int(Double(heapBytes) / Double(sweepNs) * 1e3)) MB/s of heap, \(Int(Double(nodes) / Double(sweepNs) * 1e3)) Mcells/s"
                : " (sweeping left to the allocator)"
            let mark = e.phases.first { $0.name == "mark" }?.nanoseconds ?? 0
            print("round \(round) (\(mode.rawValue)): heap \(heapBytes >> 20) MiB, \(e.objectsMarked) live, \(e.cellsFreed) freed; pause \(T.milliseconds(e.durationNanoseconds)) ms: mark \(T.milliseconds(mark)) ms, sweep phase \(T.milliseconds(sweepNs)) ms\(rates)")
            heap.popRoots(to: root)
        }
    }
}
