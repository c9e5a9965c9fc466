import Foundation
import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// Parallel marking and sweeping (`GCConfiguration.markThreads`): every pause marked by several collector
/// threads must find exactly what one marker finds. Each heap here verifies itself after every cycle and
/// checkmarks every parallel mark, in record mode, so a missed object is a failure naming it.
final class ParallelMarkingTests: XCTestCase {
    /// A heap whose every pause marks with `markThreads` markers (no minimum live size), verified and
    /// checkmarked after every cycle.
    func parallelHeap(markThreads: Int, sweepMode: SweepMode = .eager,
                      markStackMaximumEntries: Int = 1 << 32) -> (GCHeap, PauseLog) {
        let log = PauseLog()
        let configuration = GCConfiguration(minimumHeapBytes: 256 << 10, sweepMode: sweepMode, verifyAfterEveryCycle: true,
                                            markStackMaximumEntries: markStackMaximumEntries, checkmark: true,
                                            checkFailureMode: .record, markThreads: markThreads, parallelMinimumLiveBytes: 0)
        return (GCHeap(configuration: configuration, pauseLog: log), log)
    }

    /// A complete binary tree of `depth` levels below its root (2^(depth+1) - 1 nodes), built bottom-up.
    func buildTree(_ heap: GCHeap, depth: Int) throws -> GCRef {
        let node = try heap.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 8))
        heap.pushRoot(node)
        if depth > 0 {
            heap.store(node, slot: 0, try buildTree(heap, depth: depth - 1))
            heap.store(node, slot: 1, try buildTree(heap, depth: depth - 1))
        }
        heap.popRoots(to: heap.rootDepth - 1)
        return node
    }

    func assertNoCheckFailures(_ heap: GCHeap, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        for failure in heap.takeCheckFailures() { XCTFail("\(label): \(failure)", file: file, line: line) }
    }

    func testParallelMarkFindsEveryNodeOfATree() throws {
        for markers in [2, 4] {
            for mode in SweepMode.allCases {
                let label = "\(markers) markers, \(mode.rawValue) sweep"
                let (heap, log) = parallelHeap(markThreads: markers, sweepMode: mode)
                heap.pushRoot(try buildTree(heap, depth: 13))
                heap.collect()
                let nodes = (1 << 14) - 1
                XCTAssertEqual(heap.liveObjectCount, nodes, label)
                XCTAssertEqual(log.events.last?.objectsMarked, nodes, "\(label): each node counted once")
                let s = heap.statistics().extra
                XCTAssertGreaterThan(s["parallelMarks"] ?? 0, 0, label)
                XCTAssertEqual(s["markThreads"], Double(markers), label)
                if mode == .eager { XCTAssertGreaterThan(s["parallelSweeps"] ?? 0, 0, label) }
                // The pause records what the collector threads spent in it.
                XCTAssertNotNil(log.events.last?.collectorThreadsCPUNanoseconds, label)
                XCTAssertNotNil(log.events.last?.cpuNanoseconds, label)
                // Any span a collector thread recorded lies inside the pause and names its work. (How many there
                // are depends on whether the scheduler ran the helper before the work was done.)
                if let pause = log.events.last {
                    for span in pause.collectorThreadSpans ?? [] {
                        XCTAssertTrue(["mark", "count", "sweep"].contains(span.name), "\(label): \(span)")
                        XCTAssertTrue((1..<markers).contains(span.thread), "\(label): \(span)")
                        XCTAssertLessThanOrEqual(span.offsetNanoseconds + span.nanoseconds, pause.durationNanoseconds, "\(label): \(span)")
                    }
                    XCTAssertNotNil(pause.collectorThreadSpans, label)
                }
                heap.popRoots(to: 0)
                heap.collect()
                XCTAssertEqual(heap.liveObjectCount, 0, "\(label): nothing left once the root is gone")
                XCTAssertEqual(heap.verify(), [], label)
                assertNoCheckFailures(heap, label)
            }
        }
    }

    /// A random graph with much sharing (each node points at up to four earlier nodes) and cycles, against a
    /// reachability computed here, independently of the collector: each reachable object must be marked and
    /// counted exactly once (two markers winning the same mark bit would count it twice), every other one freed.
    func testSharedGraphMarksEachObjectOnceAgainstAnOracle() throws {
        var rng = SplitMix64(seed: 0x5EED_0016)
        let (heap, log) = parallelHeap(markThreads: 4)
        let count = 20_000
        var nodes: [GCRef] = []
        var edges: [[Int?]] = []  // per node, what each of its four slots holds
        // The table holding every node keeps them alive while the graph is built; it goes away before the check.
        let table = try heap.allocate(ObjectShape(referenceSlots: count, payloadBytes: 0))
        heap.pushRoot(table)
        for i in 0..<count {
            let node = try heap.allocate(ObjectShape(referenceSlots: 4, payloadBytes: 16))
            heap.store(table, slot: i, node)
            var out: [Int?] = [nil, nil, nil, nil]
            for slot in 0..<4 where i > 0 && rng.next() % 4 != 0 {
                let target = Int(rng.next() % UInt64(i))
                heap.store(node, slot: slot, nodes[target])
                out[slot] = target
            }
            nodes.append(node)
            edges.append(out)
        }
        // Edges to later nodes too: cycles.
        for _ in 0..<2_000 {
            let from = Int(rng.next() % UInt64(count)), to = Int(rng.next() % UInt64(count))
            heap.store(nodes[from], slot: 3, nodes[to])
            edges[from][3] = to
        }
        // Roots: 50 random nodes on the shadow stack; the table is dropped.
        let rootIndices = (0..<50).map { _ in Int(rng.next() % UInt64(count)) }
        heap.popRoots(to: 0)
        for r in rootIndices { heap.pushRoot(nodes[r]) }
        // The oracle: a depth-first search over the edges this test recorded.
        var reachable = Set<Int>()
        var work = rootIndices
        while let i = work.popLast() {
            guard reachable.insert(i).inserted else { continue }
            work.append(contentsOf: edges[i].compactMap { $0 })
        }
        heap.collect()
        XCTAssertEqual(log.events.last?.objectsMarked, reachable.count, "objects marked")
        XCTAssertEqual(heap.liveObjectCount, reachable.count, "live objects")
        for i in 0..<count {
            XCTAssertEqual(heap.isLive(nodes[i]), reachable.contains(i), "node \(i)")
            if heap.isLive(nodes[i]) != reachable.contains(i) { break }
        }
        assertNoCheckFailures(heap, "shared graph")
    }

    /// A mark stack of 4 entries per marker cannot hold a tree's frontier: pushes are dropped on every marker,
    /// and the recovery rescan after the parallel phase must still find every node.
    func testMarkStackOverflowInParallelMode() throws {
        for mode in SweepMode.allCases {
            let label = "\(mode.rawValue) sweep"
            let (heap, _) = parallelHeap(markThreads: 2, sweepMode: mode, markStackMaximumEntries: 4)
            heap.pushRoot(try buildTree(heap, depth: 12))
            heap.collect()
            XCTAssertEqual(heap.liveObjectCount, (1 << 13) - 1, label)
            let s = heap.statistics().extra
            XCTAssertGreaterThan(s["markStackOverflows"] ?? 0, 0, label)
            XCTAssertGreaterThan(s["parallelMarks"] ?? 0, 0, label)
            XCTAssertEqual(heap.verify(), [], label)
            assertNoCheckFailures(heap, label)
        }
    }

    /// Arrays of more than `scanChunkSlots` slots are scanned a chunk at a time, and their chunks may be split
    /// between markers: every element must be found, once.
    func testHugeArraysAreMarkedCompletely() throws {
        let (heap, log) = parallelHeap(markThreads: 2)
        let slots = SharedHeap.scanChunkSlots * 8 + 5
        var arrays: [GCRef] = []
        for _ in 0..<3 {
            let array = try heap.allocate(ObjectShape(referenceSlots: slots, payloadBytes: 0))
            heap.pushRoot(array)
            for s in 0..<slots { heap.store(array, slot: s, try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 8))) }
            arrays.append(array)
        }
        heap.collect()
        XCTAssertEqual(log.events.last?.objectsMarked, 3 * (slots + 1))
        XCTAssertEqual(heap.liveObjectCount, 3 * (slots + 1))
        // One array dropped: its elements go with it.
        heap.popRoots(to: 2)
        heap.collect()
        XCTAssertEqual(heap.liveObjectCount, 2 * (slots + 1))
        assertNoCheckFailures(heap, "huge arrays")
    }

    /// The collector threads exist while their heap does: made at its first parallel pause, joined when it
    /// is freed (counted in /proc/self/task by their names).
    func testCollectorThreadsEndWithTheirHeap() throws {
        func collectorThreads() -> Int {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            return tasks.filter { task in
                let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
                return comm.hasPrefix("heaplab-gc-")
            }.count
        }
        let before = collectorThreads()
        do {
            let (heap, _) = parallelHeap(markThreads: 3)
            heap.pushRoot(try buildTree(heap, depth: 8))
            heap.collect()
            XCTAssertEqual(collectorThreads(), before + 2, "two collector threads beside the collecting one")
            heap.popRoots(to: 0)
        }
        XCTAssertEqual(collectorThreads(), before, "the collector threads ended with their heap")
    }

    func testMarkThreadsOption() throws {
        XCTAssertEqual(try GCConfiguration(options: ["mark-threads": "3"], environment: [:]).markThreads, 3)
        XCTAssertEqual(try GCConfiguration(options: ["mark-threads": "1"], environment: [:]).dictionary["mark-threads"], "1")
        XCTAssertEqual(GCConfiguration().markThreads, GCConfiguration.defaultMarkThreads)
        XCTAssertTrue((1...8).contains(GCConfiguration.defaultMarkThreads))
        for bad in ["0", "65", "two", "-1", ""] {
            XCTAssertThrowsError(try GCConfiguration(options: ["mark-threads": bad], environment: [:]), bad) { error in
                XCTAssertTrue("\(error)".contains("mark-threads must be a whole number from 1 to 64"), "\(error)")
            }
        }
    }
}
