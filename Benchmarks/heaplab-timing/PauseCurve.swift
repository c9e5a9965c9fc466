import HeapLabCore
import MarkSweepGC
import Workloads

/// Pause against live-set size, and against heap size at a fixed live set, for both sweep modes.
///
/// The live set is a complete binary tree of GCBench nodes (32-byte cells; depth d holds 2^(d+1) - 1 nodes,
/// about 2^(d+6) bytes). GOGC is off, so the only collections are the forced ones: before each, the mutator
/// allocates a known amount of garbage, which sets the heap size. Each row is the median of 3 collections.
/// Prints Markdown tables (columns in ms): pause, and its phases `finish-sweep` (lazy only: blocks the
/// mutator left unswept), `mark`, `sweep`.
enum PauseCurve {
    typealias T = TimingTool

    struct Row {
        var liveMiB: Int, heapMiB: Int, mode: SweepMode
        var pause: UInt64, finishSweep: UInt64, mark: UInt64, sweep: UInt64
    }

    static func run(maximumMiB: Int) throws {
        print("### Pause against live-set size (heap = 2 x live set)\n")
        print("| live set | heap before | sweep | pause | finish-sweep | mark | sweep phase |")
        print("|---|---|---|---|---|---|---|")
        var liveMiB = 1
        while liveMiB <= maximumMiB {
            for mode in SweepMode.allCases {
                printRow(try measure(liveMiB: liveMiB, garbageFactor: [1], mode: mode)[0])
            }
            liveMiB *= 4
        }
        print("\n### Pause against heap size at a 64 MiB live set\n")
        print("| live set | heap before | sweep | pause | finish-sweep | mark | sweep phase |")
        print("|---|---|---|---|---|---|---|")
        for mode in SweepMode.allCases {
            for row in try measure(liveMiB: 64, garbageFactor: [1, 3, 7, 15], mode: mode) { printRow(row) }
        }
    }

    static func printRow(_ r: Row) {
        func ms(_ ns: UInt64) -> String { "\(T.milliseconds(ns))" }
        print("| \(r.liveMiB) MiB | \(r.heapMiB) MiB | \(r.mode.rawValue) | \(ms(r.pause)) | \(r.mode == .lazy ? ms(r.finishSweep) : "") | \(ms(r.mark)) | \(ms(r.sweep)) |")
    }

    /// Builds a live set of `liveMiB` (a power of two, at least 1) on a fresh heap, then for each garbage
    /// factor k: three times, allocate k x the live set in garbage and force a collection; one row per k.
    static func measure(liveMiB: Int, garbageFactor: [Int], mode: SweepMode) throws -> [Row] {
        let log = PauseLog()
        let heap = GCHeap(configuration: GCConfiguration(gogc: nil, sweepMode: mode), pauseLog: log)
        let depth = (liveMiB << 20).trailingZeroBitCount - 6  // 2^(depth+1) - 1 nodes of 32 bytes
        let root = heap.pushRoot(try GCTimings.buildTree(heap, depth: depth))
        heap.collect()  // start from a collected heap: the tree is the whole live set
        var rows: [Row] = []
        for k in garbageFactor {
            var samples: [Row] = []
            for _ in 0..<3 {
                let garbage = k * (liveMiB << 20) / 32
                var sink = 0
                for _ in 0..<garbage { sink ^= Int(bitPattern: try heap.allocate(GCBench.nodeShape).address) }
                blackHole(sink)
                heap.collect()
                let e = log.events.last!
                func phase(_ name: String) -> UInt64 { e.phases.first { $0.name == name }?.nanoseconds ?? 0 }
                samples.append(Row(liveMiB: liveMiB, heapMiB: e.heapBytesBefore >> 20, mode: mode,
                                   pause: e.durationNanoseconds, finishSweep: phase("finish-sweep"),
                                   mark: phase("mark"), sweep: phase("sweep")))
            }
            rows.append(samples.sorted { $0.pause < $1.pause }[1])
        }
        heap.popRoots(to: root)
        return rows
    }
}
