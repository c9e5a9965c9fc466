import HeapLabCore
import MarkSweepGC
import Workloads

/// Parallel marking's speed-up (ParallelMarking.swift): one heap per marker count, each holding the same live
/// binary tree, collected in turn (interleaved, so a noisy minute hits every marker count alike).
enum ParallelTimings {
    private typealias T = TimingTool

    /// `mark-scaling [depth] [rounds] [markers]`: a depth-`depth` tree (default 22: 8,388,607 GCBench nodes,
    /// 256 MiB of cells) in one heap per entry of `markers` (default 1 and 2), `rounds` forced collections of
    /// each (default 5). Prints every collection's mark and sweep phases, then the medians, the mark rate
    /// and each count's speed-up over the first.
    static func markScaling(depth: Int, rounds: Int, markers: [Int]) throws {
        var heaps: [(markers: Int, heap: GCHeap, log: PauseLog)] = []
        for n in markers {
            let log = PauseLog()
            // GOGC off: the only collections are the forced ones (and none while the tree is built). Every collection
            // marks with all its markers, however small the tree (no `parallelMinimumLiveBytes`).
            let heap = GCHeap(configuration: GCConfiguration(gogc: nil, markThreads: n, parallelMinimumLiveBytes: 0), pauseLog: log)
            heap.pushRoot(try GCTimings.buildTree(heap, depth: depth))
            heaps.append((n, heap, log))
        }
        let nodes = (1 << (depth + 1)) - 1
        print("mark-scaling: depth-\(depth) tree (\(nodes) nodes) in \(heaps.count) heaps, markers \(markers.map(String.init).joined(separator: ", ")), \(rounds) rounds interleaved")
        var marks: [[UInt64]] = Array(repeating: [], count: heaps.count)
        var sweeps: [[UInt64]] = Array(repeating: [], count: heaps.count)
        var pauses: [[UInt64]] = Array(repeating: [], count: heaps.count)
        var cpuTotals: [UInt64] = Array(repeating: 0, count: heaps.count)
        for round in 1...max(1, rounds) {
            for (i, h) in heaps.enumerated() {
                let cpuBefore = h.heap.statistics().extra["collectorThreadsCPUNanoseconds"] ?? 0
                h.heap.collect()
                let e = h.log.events.last!
                precondition(e.objectsMarked == nodes, "mark-scaling: \(e.objectsMarked) objects marked, expected \(nodes)")
                let mark = e.phases.first { $0.name == "mark" }!.nanoseconds
                let sweep = e.phases.first { $0.name == "sweep" }!.nanoseconds
                marks[i].append(mark)
                sweeps[i].append(sweep)
                pauses[i].append(e.durationNanoseconds)
                let cpu = UInt64((h.heap.statistics().extra["collectorThreadsCPUNanoseconds"] ?? 0) - cpuBefore)
                cpuTotals[i] &+= (e.cpuNanoseconds ?? 0) &+ cpu
                print("round \(round), \(h.markers) marker\(h.markers == 1 ? "" : "s"): pause \(T.milliseconds(e.durationNanoseconds)) ms, mark \(T.milliseconds(mark)) ms, sweep \(T.milliseconds(sweep)) ms, CPU: collecting thread \(T.milliseconds(e.cpuNanoseconds ?? 0)) ms, collector threads \(T.milliseconds(cpu)) ms")
            }
        }
        let baseMark = Double(T.median(marks[0]))
        let basePause = Double(T.median(pauses[0]))
        for (i, h) in heaps.enumerated() {
            let mark = T.median(marks[i])
            let rate = Double(nodes) / Double(mark) * 1e3
            let markSpeedUp = (baseMark / Double(mark) * 100).rounded() / 100
            let pauseSpeedUp = (basePause / Double(T.median(pauses[i])) * 100).rounded() / 100
            print("median, \(h.markers) marker\(h.markers == 1 ? "" : "s"): pause \(T.milliseconds(T.median(pauses[i]))) ms, mark \(T.milliseconds(mark)) ms (\(Int(rate)) Mobjects/s), sweep \(T.milliseconds(T.median(sweeps[i]))) ms; speed-up over \(heaps[0].markers) marker\(heaps[0].markers == 1 ? "" : "s"): mark \(markSpeedUp)x, pause \(pauseSpeedUp)x, total CPU \(T.milliseconds(cpuTotals[i] / UInt64(max(1, rounds)))) ms a round")
        }
        for h in heaps { h.heap.popRoots(to: 0) }
    }
}
