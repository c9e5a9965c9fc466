// gc-timing: plain-process timings of the mark-sweep collector, outside package-benchmark.
//
// package-benchmark preloads its malloc interposer into every benchmark process (this package enables the
// MallocInterposer trait), which slows malloc and free but not the collector; this tool gives the same
// comparisons in an ordinary process. Figures in Docs/Results.md, section "MarkSweepGC".
//
//   swift run -c release gc-timing [gcbench|alloc|tree] [rounds]
//
// gcbench  GCBench (default size) on malloc, gc (eager) and gc (lazy), interleaved, `rounds` times (default 5);
//          prints every run and the median of each, and gc/malloc ratios of the medians.
// alloc    100 million 24-byte allocations, all garbage, on a default heap: ns per object, collections included.
// tree     a complete binary tree of depth 21 (4,194,303 nodes) held live, then `rounds` forced collections:
//          pause, phases and mark rate of each.
//
// The heaps are configured from the environment (HEAPLAB_GOGC, HEAPLAB_MEMLIMIT, HEAPLAB_GCTRACE=1).
import HeapLabCore
import MarkSweepGC
import SystemHeaps
import Workloads

let arguments = CommandLine.arguments
let command = arguments.count > 1 ? arguments[1] : "gcbench"
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
func milliseconds(_ ns: UInt64) -> Double { (Double(ns) / 1e4).rounded() / 100 }
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

switch command {
case "gcbench":
    let bench = try GCBench.make()
    var times: [String: [Double]] = [:]
    for round in 1...rounds {
        for manager in ["malloc", "gc-eager", "gc-lazy"] {
            let start = MonotonicClock.now()
            let checksum: UInt64
            var detail = ""
            if manager == "malloc" {
                checksum = try bench.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog())).checksum
            } else {
                let log = PauseLog()
                let heap = GCHeap(configuration: try GCConfiguration(options: ["sweep": manager == "gc-eager" ? "eager" : "lazy"]),
                                  pauseLog: log)
                checksum = try bench.run(on: heap, context: RunContext(pauseLog: log)).checksum
                let s = heap.statistics().extra
                detail = "cycles \(Int(s["cycles"]!)), total pause \(milliseconds(UInt64(s["totalPauseNanoseconds"]!))) ms, max pause \(milliseconds(UInt64(s["maxPauseNanoseconds"]!))) ms, lazy sweep \(milliseconds(UInt64(s["lazySweepNanoseconds"]!))) ms"
            }
            let ms = milliseconds(MonotonicClock.now() - start)
            times[manager, default: []].append(ms)
            print("round \(round) \(manager): \(ms) ms, checksum \(checksum)\(detail.isEmpty ? "" : ", " + detail)")
        }
    }
    let m = median(times["malloc"]!)
    for manager in ["malloc", "gc-eager", "gc-lazy"] {
        let t = median(times[manager]!)
        print("median \(manager): \(t) ms (\((t / m * 100).rounded() / 100)x malloc)")
    }
case "alloc":
    let count = 100_000_000
    let heap = GCHeap(configuration: try GCConfiguration(options: [:]), pauseLog: PauseLog())
    let shape = GCBench.nodeShape
    var sink = 0
    for _ in 0..<1_000_000 { sink &+= Int(bitPattern: try heap.allocate(shape).address) }  // warm up
    let start = MonotonicClock.now()
    for _ in 0..<count { sink &+= Int(bitPattern: try heap.allocate(shape).address) }
    let elapsed = MonotonicClock.now() - start
    blackHole(sink)
    print("allocate 24-byte object: \(Double(elapsed) / Double(count)) ns per object (collections included: \(Int(heap.statistics().extra["cycles"]!)) cycles)")
case "tree":
    let log = PauseLog()
    let heap = GCHeap(configuration: try GCConfiguration(options: [:]), pauseLog: log)
    func build(_ depth: Int) throws -> GCRef {
        let node = try heap.allocate(GCBench.nodeShape)
        if depth > 0 {
            let mark = heap.pushRoot(node)
            heap.store(node, slot: 0, try build(depth - 1))
            heap.store(node, slot: 1, try build(depth - 1))
            heap.popRoots(to: mark)
        }
        return node
    }
    let start = MonotonicClock.now()
    heap.pushRoot(try build(21))
    let buildCycles = log.events.count
    print("built depth-21 tree in \(milliseconds(MonotonicClock.now() - start)) ms (\(buildCycles) collections while building, largest pause \(milliseconds(log.events.map(\.durationNanoseconds).max() ?? 0)) ms)")
    for _ in 0..<rounds { heap.collect() }
    for e in log.events.suffix(rounds) {
        let mark = e.phases.first { $0.name == "mark" }!.nanoseconds
        print("forced collection: pause \(milliseconds(e.durationNanoseconds)) ms (\(e.phases.map { "\($0.name) \(milliseconds($0.nanoseconds))" }.joined(separator: ", ")) ms), \(e.objectsMarked) objects, \(e.bytesMarked) bytes marked, mark rate \(Int(Double(e.bytesMarked) / Double(mark) * 1e3)) MB/s, \(Int(Double(e.objectsMarked) / Double(mark) * 1e3)) Mobjects/s")
    }
    print("largest pause of the run: \(milliseconds(log.events.map(\.durationNanoseconds).max()!)) ms")
default:
    print("usage: gc-timing [gcbench|alloc|tree] [rounds]")
}
