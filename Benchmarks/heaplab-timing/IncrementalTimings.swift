#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore
import HeapLabReport
import MarkSweepGC
import Workloads

/// `heaplab-timing incremental [gcbench|tree|barrier] [rounds] [key=value ...]`: incremental marking beside
/// stop-the-world marking, in one plain process (figures in Docs/Results.md, "Incremental marking").
///
/// - gcbench: GCBench (default size) on the collector in stop-the-world mode (lazy sweeping) and in incremental
///   mode, interleaved, `rounds` times (default 3): total time, largest pause of each kind, worst and p99
///   iteration (one GCBench tree), MMU at 1 ms to 1 s, checksum. Then medians and the time ratio.
/// - tree: a depth-21 binary tree (4,194,303 nodes, 128 MiB of cells) kept live while short-lived trees of
///   depth 4, 8, 12 and 16 (2^24 nodes per depth) are built, checked and dropped, one iteration per tree; same
///   figures, both modes.
/// - barrier: the store path: 100 million stores into 2-slot objects with marking off, then with an incremental
///   cycle marking (the barrier shading every overwritten reference): ns per store.
///
/// key=value pairs are GCConfiguration options applied to the incremental runs (`slice-budget-us=200`).
enum IncrementalTimings {
    static func run(_ arguments: [String]) throws {
        let command = arguments.first ?? "gcbench"
        let rounds = arguments.count > 1 ? Int(arguments[1]) ?? 3 : 3
        var incrementalOptions = ["mode": "incremental"]
        for argument in arguments.dropFirst(2) {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { incrementalOptions[parts[0]] = parts[1] }
        }
        switch command {
        case "gcbench":
            let bench = try GCBench.make()
            try compare("GCBench (default size)", rounds: rounds, incrementalOptions: incrementalOptions) { heap, context in try bench.run(on: heap, context: context).checksum }
        case "tree":
            let shape = ObjectShape(referenceSlots: 2, payloadBytes: 0)  // binary-trees' node
            try compare("depth-21 live tree, short-lived trees of depth 4-16", rounds: rounds, incrementalOptions: incrementalOptions) { heap, context in
                let base = heap.rootDepth
                let longLived = try bottomUpTree(heap, 21, shape)
                heap.pushRoot(longLived)
                var checksum: UInt64 = 0
                var worst: (start: UInt64, end: UInt64, depth: Int) = (0, 0, 0)
                var deepest: [UInt64] = []  // iteration times of the largest trees
                for depth in stride(from: 4, through: 16, by: 4) {
                    let trees = (1 << 24) >> (depth + 1)
                    for _ in 0..<trees {
                        let start = MonotonicClock.now()
                        try context.operation {
                            let mark = heap.rootDepth
                            let tree = try bottomUpTree(heap, depth, shape)
                            heap.pushRoot(tree)
                            checksum &+= UInt64(countNodes(heap, tree))
                            heap.popRoots(to: mark)
                        }
                        let end = MonotonicClock.now()
                        if end - start > worst.end - worst.start { worst = (start, end, depth) }
                        if depth == 16 { deepest.append(end - start) }
                    }
                }
                // What the worst iteration contained: the collector's pauses inside it, and the rest (the mutator, and
                // any time the process was not running).
                let inside = heap.pauseLog.events.filter { $0.startNanoseconds >= worst.start && $0.endNanoseconds <= worst.end }
                let paused = inside.reduce(UInt64(0)) { $0 + $1.durationNanoseconds }
                deepest.sort()
                print("  depth-16 iterations: fastest \(ms(deepest.first ?? 0)) ms, median \(ms(deepest[deepest.count / 2])) ms")
                print("  worst iteration: depth \(worst.depth), \(ms(worst.end - worst.start)) ms, of which \(inside.count) pauses \(ms(paused)) ms (largest \(ms(inside.map(\.durationNanoseconds).max() ?? 0)) ms), the rest \(ms(worst.end - worst.start - paused)) ms")
                checksum &+= UInt64(countNodes(heap, longLived))
                heap.popRoots(to: base)
                return checksum
            }
        case "barrier":
            let count = 100_000_000
            let objects = 1 << 16
            for marking in [false, true] {
                let configuration = marking ? try GCConfiguration(options: incrementalOptions) : GCConfiguration(sweepMode: .lazy)
                let heap = GCHeap(configuration: configuration, pauseLog: PauseLog())
                let shape = ObjectShape(referenceSlots: 2, payloadBytes: 0)
                let array = try heap.allocate(ObjectShape(referenceSlots: objects, payloadBytes: 0))
                heap.pushRoot(array)
                var nodes: [GCRef] = []
                for i in 0..<objects {
                    let n = try heap.allocate(shape)
                    heap.store(array, slot: i, n)
                    nodes.append(n)
                }
                if marking {
                    // Allocate until the pacer starts a cycle; no allocation follows, so it stays marking.
                    while !heap.isMarking { _ = try heap.allocate(shape) }
                }
                var rng = SystemRandomNumberGenerator()
                let order = (0..<4096).map { _ in Int.random(in: 0..<objects, using: &rng) }
                let start = MonotonicClock.now()
                for i in 0..<count {
                    let a = nodes[(order[i & 4095] &+ i) & (objects - 1)]
                    heap.store(a, slot: i & 1, nodes[i & (objects - 1)])
                }
                let elapsed = MonotonicClock.now() - start
                print("store, \(marking ? "incremental marking in progress (barrier shades)" : "marking off (barrier idle)"): \(Double(elapsed) / Double(count)) ns per store, marking at end: \(heap.isMarking), barrier shades \(Int(heap.statistics().extra["barrierShades"] ?? 0))")
            }
        default:
            print("usage: heaplab-timing incremental [gcbench|tree|barrier] [rounds] [key=value ...]")
        }
    }

    static func ms(_ ns: UInt64) -> String { String((Double(ns) / 1e4).rounded() / 100) }
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    static let windows: [UInt64] = [1, 2, 5, 10, 20, 50, 100, 1000].map { $0 * 1_000_000 }

    struct RunFigures {
        var totalNanoseconds: UInt64
        var maxPause: [PauseKind: UInt64]
        var worstIteration: UInt64
        var p99Iteration: UInt64
        var mmu: [Double]
        var checksum: UInt64
        var line: String
    }

    /// Runs `body` on a fresh heap with `configuration`, measuring what the workload's context and the pause log saw.
    static func measure(_ name: String, _ configuration: GCConfiguration,
                 _ body: (GCHeap, RunContext) throws -> UInt64) throws -> RunFigures {
        let log = PauseLog()
        let heap = GCHeap(configuration: configuration, pauseLog: log)
        let context = RunContext(pauseLog: log)
        var usageBefore = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usageBefore)
        let start = MonotonicClock.now()
        let checksum = try body(heap, context)
        let end = MonotonicClock.now()
        var usageAfter = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usageAfter)
        // Involuntary context switches: the times the kernel took the CPU away (other processes on a busy machine);
        // each can stretch a pause or an iteration by a scheduler time slice (4 ms here).
        let preemptions = usageAfter.ru_nivcsw - usageBefore.ru_nivcsw
        let pageFaults = usageAfter.ru_minflt - usageBefore.ru_minflt
        var maxPause: [PauseKind: UInt64] = [:]
        for e in log.events { maxPause[e.kind] = max(maxPause[e.kind] ?? 0, e.durationNanoseconds) }
        let latency = LatencySummary(context.latency)
        let mmu = MinimumMutatorUtilization(events: log.events, runStart: start, runEnd: end)
        let curve = windows.map { mmu.utilization(windowNanoseconds: $0) }
        let s = heap.statistics().extra
        let pauses = maxPause.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \(ms($0.value))" }.joined(separator: ", ")
        let longest = log.events.sorted { $0.durationNanoseconds > $1.durationNanoseconds }.prefix(3).map { e in
            "\(e.kind.rawValue) \(ms(e.durationNanoseconds)) ms [\(e.phases.map { "\($0.name) \(ms($0.nanoseconds))" }.joined(separator: ", "))] \(e.label)"
        }
        let over1ms = log.events.filter { $0.durationNanoseconds > 1_000_000 }.count
        let sortedPauses = log.events.map(\.durationNanoseconds).sorted()
        let line = "\(name): \(ms(end - start)) ms, preempted \(preemptions) times, \(pageFaults) page faults, peak heap \(Int(s["mappedBytes"] ?? 0) >> 20) MiB mapped, cycles \(Int(s["cycles"] ?? 0)), pauses \(log.events.count) (\(over1ms) over 1 ms, p99 \(ms(nearestRank(sortedPauses, 99))) ms, p99.9 \(ms(nearestRank(sortedPauses, 99.9))) ms; largest: \(pauses) ms), "
            + "total pause \(ms(UInt64(s["totalPauseNanoseconds"] ?? 0))) ms, overruns \(Int(s["markOverruns"] ?? 0)), "
            + "iterations \(latency.count): worst \(ms(latency.maxNanoseconds)) ms, p99 \(ms(latency.p99Nanoseconds)) ms, "
            + "MMU " + zip(windows, curve).map { "\($0.0 / 1_000_000)ms \(String(format2($0.1)))" }.joined(separator: " ")
            + ", checksum \(checksum)\n  longest pauses: " + longest.joined(separator: "; ")
        return RunFigures(totalNanoseconds: end - start, maxPause: maxPause, worstIteration: latency.maxNanoseconds,
                          p99Iteration: latency.p99Nanoseconds, mmu: curve, checksum: checksum, line: line)
    }

    static func format2(_ x: Double) -> String { String((x * 100).rounded() / 100) }

    static func compare(_ title: String, rounds: Int, incrementalOptions: [String: String],
                        _ body: (GCHeap, RunContext) throws -> UInt64) throws {
        let stw = GCConfiguration(sweepMode: .lazy)
        let incremental = try GCConfiguration(options: incrementalOptions)
        print("\(title); incremental options \(incrementalOptions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        var results: [String: [RunFigures]] = [:]
        for round in 1...rounds {
            for (name, configuration) in [("stop-the-world", stw), ("incremental", incremental)] {
                let figures = try measure(name, configuration, body)
                results[name, default: []].append(figures)
                print("round \(round) \(figures.line)")
            }
        }
        for name in ["stop-the-world", "incremental"] {
            let r = results[name]!
            let largestPause = r.map { Double($0.maxPause.values.max() ?? 0) }
            print("median \(name): total \(ms(UInt64(median(r.map { Double($0.totalNanoseconds) })))) ms, "
                  + "largest pause \(ms(UInt64(median(largestPause)))) ms (max over rounds \(ms(UInt64(largestPause.max()!)))), "
                  + "worst iteration \(ms(UInt64(median(r.map { Double($0.worstIteration) })))) ms (max \(ms(r.map(\.worstIteration).max()!))), "
                  + "p99 iteration \(ms(UInt64(median(r.map { Double($0.p99Iteration) })))) ms, MMU "
                  + windows.indices.map { i in "\(windows[i] / 1_000_000)ms \(format2(median(r.map { $0.mmu[i] })))" }.joined(separator: " "))
        }
        let t = median(results["incremental"]!.map { Double($0.totalNanoseconds) }) / median(results["stop-the-world"]!.map { Double($0.totalNanoseconds) })
        print("incremental / stop-the-world total time (medians): \(format2(t))x")
    }

    /// A perfect binary tree of `depth`, built bottom-up with each finished subtree rooted (binary-trees' way).
    static func bottomUpTree(_ heap: GCHeap, _ depth: Int, _ shape: ObjectShape) throws -> GCRef {
        let node = try heap.allocate(shape)
        if depth == 0 { return node }
        let mark = heap.pushRoot(node)
        heap.store(node, slot: 0, try bottomUpTree(heap, depth - 1, shape))
        heap.store(node, slot: 1, try bottomUpTree(heap, depth - 1, shape))
        heap.popRoots(to: mark)
        return node
    }

    static func countNodes(_ heap: GCHeap, _ node: GCRef) -> Int {
        guard let l = heap.load(node, slot: 0), let r = heap.load(node, slot: 1) else { return 1 }
        return 1 + countNodes(heap, l) + countNodes(heap, r)
    }
}
