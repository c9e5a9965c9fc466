import HeapLabCore
@testable import MarkSweepGC
import XCTest

final class CollectionTests: XCTestCase {
    func testRootedSurviveUnrootedAreReclaimed() throws {
        try forEachSweepMode { mode in
            let (heap, log) = makeTestHeap(sweepMode: mode)
            let shape = ObjectShape(referenceSlots: 1, payloadBytes: 8)
            let kept = try heap.allocate(shape)
            heap.pushRoot(kept)
            heap.storePayload(kept, byteOffset: 0, 7 as UInt64)
            let child = try heap.allocate(shape)
            heap.store(kept, slot: 0, child)
            heap.storePayload(child, byteOffset: 0, 8 as UInt64)
            let lost = try heap.allocate(shape)
            heap.collect()
            XCTAssertTrue(heap.isLive(kept))
            XCTAssertTrue(heap.isLive(child))
            XCTAssertFalse(heap.isLive(lost))
            XCTAssertNotNil(heap.referenceProblem(lost))
            XCTAssertEqual(heap.liveObjectCount, 2)
            XCTAssertEqual(heap.heapInUseBytes, 64, "two 32-byte cells")
            XCTAssertEqual(heap.loadPayload(heap.load(kept, slot: 0)!, byteOffset: 0, as: UInt64.self), 8)

            let event = try XCTUnwrap(log.events.last)
            XCTAssertEqual(event.kind, .collection)
            XCTAssertEqual(event.cycle, 1)
            XCTAssertEqual(event.objectsMarked, 2)
            XCTAssertEqual(event.bytesMarked, 64)
            XCTAssertEqual(event.cellsFreed, 1)
            XCTAssertEqual(event.heapBytesBefore, 96)
            XCTAssertEqual(event.heapBytesAfter, 64)
            let names = event.phases.map(\.name)
            // Time to safepoint comes first: with one thread attached, stopping the world stops nobody.
            XCTAssertEqual(names, mode == .lazy ? ["safepoint", "finish-sweep", "roots", "mark", "sweep"]
                                                : ["safepoint", "roots", "mark", "sweep"])
            XCTAssertLessThanOrEqual(event.phases.map(\.nanoseconds).reduce(0, +), event.durationNanoseconds)
        }
    }

    func testCyclesAreCollected() throws {
        let (heap, _) = makeTestHeap()
        let shape = ObjectShape(referenceSlots: 1, payloadBytes: 0)
        let a = try heap.allocate(shape)
        heap.pushRoot(a)
        let b = try heap.allocate(shape)
        heap.store(a, slot: 0, b)
        heap.store(b, slot: 0, a)
        heap.collect()
        XCTAssertEqual(heap.liveObjectCount, 2)
        heap.popRoots(to: 0)
        heap.collect()
        XCTAssertEqual(heap.liveObjectCount, 0, "a cycle with no root is garbage")
    }

    func testScopesAndGlobalRoots() throws {
        let (heap, _) = makeTestHeap()
        let shape = ObjectShape(referenceSlots: 0, payloadBytes: 8)
        let global = heap.addGlobalRoot(try heap.allocate(shape))
        let inner: GCRef = try heap.withScope {
            let o = try heap.allocate(shape)
            heap.pushRoot(o)
            heap.collect()
            XCTAssertTrue(heap.isLive(o))
            XCTAssertEqual(heap.rootDepth, 1)
            return o
        }
        XCTAssertEqual(heap.rootDepth, 0, "withScope restores the root depth")
        heap.collect()
        XCTAssertFalse(heap.isLive(inner))
        XCTAssertTrue(heap.isLive(heap.globalRoot(global)!))
        XCTAssertEqual(heap.liveObjectCount, 1)
        heap.setGlobalRoot(global, nil)
        heap.collect()
        XCTAssertEqual(heap.liveObjectCount, 0)
        heap.removeGlobalRoot(global)
        XCTAssertEqual(heap.shared.globalRoots.count, 0)
    }

    func testWithScopePopsRootsWhenItThrows() {
        let (heap, _) = makeTestHeap()
        struct Boom: Error {}
        XCTAssertThrowsError(try heap.withScope { () throws -> Void in
            heap.pushRoot(nil)
            heap.pushRoot(nil)
            throw Boom()
        })
        XCTAssertEqual(heap.rootDepth, 0)
    }

    func testPacerStartsCollectionsInsideAllocation() throws {
        try forEachSweepMode { mode in
            let (heap, log) = makeTestHeap(gogc: 100, minimumHeapBytes: 256 << 10, sweepMode: mode)
            let shape = ObjectShape(referenceSlots: 2, payloadBytes: 8)
            let keep = try heap.allocate(ObjectShape(referenceSlots: 1000, payloadBytes: 0))
            heap.pushRoot(keep)
            for i in 0..<1000 { heap.store(keep, slot: i, try heap.allocate(shape)) }
            for _ in 0..<200_000 { _ = try heap.allocate(shape) }  // 6.4 MB of garbage
            let cycles = Int(heap.statistics().extra["cycles"]!)
            XCTAssertGreaterThan(cycles, 10)
            XCTAssertEqual(log.events.filter { $0.kind == .collection }.count, cycles)
            // The heap never grew far beyond the goal: blocks in use stay near 256 KiB, not 6.4 MB.
            XCTAssertLessThan(heap.statistics().heapBytes!, 2 << 20)
            for event in log.events where event.kind == .collection {
                XCTAssertEqual(event.objectsMarked, 1001, "every cycle finds exactly the rooted objects")
            }
            for i in 0..<1000 { XCTAssertNotNil(heap.load(keep, slot: i)) }
        }
    }

    func testGOGCOffNeverCollectsWithoutALimit() throws {
        let (heap, _) = makeTestHeap(gogc: nil, minimumHeapBytes: 0)
        for _ in 0..<50_000 { _ = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0)) }
        XCTAssertEqual(heap.statistics().extra["cycles"], 0)
        XCTAssertEqual(heap.liveObjectCount, 50_000)
    }

    func testEmptyBlocksGoToThePoolAndMemoryBeyondTheGoalIsReleased() throws {
        let (heap, _) = makeTestHeap(minimumHeapBytes: 1 << 20)
        heap.shared.pacer.goalBytes = Int.max  // grow freely first
        for _ in 0..<400_000 { _ = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 24)) }
        let blocksBefore = heap.shared.blockSpace.blocksInUse
        XCTAssertGreaterThan(blocksBefore, 150)
        heap.collect()
        XCTAssertEqual(heap.shared.blockSpace.blocksInUse, 0, "every block was empty")
        let s = heap.statistics()
        XCTAssertGreaterThan(s.extra["releasedBytes"]!, 0)
        // What stays resident in the pool is at most the pacer's headroom (1 MiB goal, nothing live) plus the
        // margin kept against release-and-refault churn (a quarter of the headroom, at least 1 MiB).
        XCTAssertLessThanOrEqual(heap.shared.blockSpace.residentPoolBytes, (1 << 20) + (1 << 20))
        // Released blocks are reused (they read as zero, and format rewrites them).
        for _ in 0..<100_000 { _ = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 24)) }
        XCTAssertTrue(heap.verify().isEmpty)
    }

    func testLazySweepHappensInAllocationAndIsAccounted() throws {
        let (heap, _) = makeTestHeap(minimumHeapBytes: 512 << 10, sweepMode: .lazy)
        for _ in 0..<300_000 { _ = try heap.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 8)) }
        let s = heap.statistics()
        XCTAssertGreaterThan(s.extra["cycles"]!, 5)
        XCTAssertGreaterThan(s.extra["lazySweptBlocks"]!, 0)
        XCTAssertGreaterThan(s.extra["lazySweepNanoseconds"]!, 0)
        heap.finishSweeping()
        XCTAssertTrue(heap.verify().isEmpty)
    }

    func testLongLazySweepsAreLoggedAsSweepEvents() throws {
        let log = PauseLog()
        let heap = GCHeap(configuration: GCConfiguration(minimumHeapBytes: 512 << 10, sweepMode: .lazy,
                                                         lazySweepLogThresholdNanoseconds: 0), pauseLog: log)
        for _ in 0..<100_000 { _ = try heap.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 8)) }
        let sweeps = log.events.filter { $0.kind == .sweep }
        XCTAssertFalse(sweeps.isEmpty)
        XCTAssertTrue(sweeps.allSatisfy { $0.label.hasPrefix("lazy sweep of") && $0.cycle >= 1 })
        XCTAssertEqual(Double(sweeps.map(\.durationNanoseconds).reduce(0, +)), heap.statistics().extra["lazySweepNanoseconds"]!)
    }

    func testMarkStackOverflowRecovers() throws {
        try forEachSweepMode { mode in
            // A stack of 4 entries cannot hold a complete binary tree's frontier: marking must fall back to
            // rescanning, and still find every node.
            let (heap, _) = makeTestHeap(sweepMode: mode, markStackMaximumEntries: 4)
            func build(_ depth: Int) throws -> GCRef {
                let node = try heap.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 8))
                heap.pushRoot(node)
                if depth > 0 {
                    heap.store(node, slot: 0, try build(depth - 1))
                    heap.store(node, slot: 1, try build(depth - 1))
                }
                heap.popRoots(to: heap.rootDepth - 1)
                return node
            }
            let root = try build(12)
            heap.pushRoot(root)
            heap.collect()
            XCTAssertEqual(heap.liveObjectCount, (1 << 13) - 1)
            XCTAssertGreaterThan(heap.statistics().extra["markStackOverflows"]!, 0)
            XCTAssertTrue(heap.verify().isEmpty)
        }
    }

    /// Roots a linked list of `1 + count` one-slot objects (16 bytes each) on `heap`.
    func rootChain(_ heap: GCHeap, count: Int) throws {
        let keep = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0))
        heap.pushRoot(keep)
        var last = keep
        for _ in 0..<count {
            let n = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0))
            heap.store(last, slot: 0, n)
            last = n
        }
    }

    func testStatisticsReportMarkRatesAndPauses() throws {
        let (heap, log) = makeTestHeap()
        try rootChain(heap, count: 10_000)
        heap.collect()
        let s = heap.statistics()
        XCTAssertEqual(s.liveBytes, 10_001 * 16)
        XCTAssertNotNil(s.heapBytes)
        XCTAssertGreaterThan(s.extra["markRateBytesPerSecond"]!, 0)
        XCTAssertGreaterThan(s.extra["markRateObjectsPerSecond"]!, 0)
        let pauses = log.events.filter { $0.kind == .collection }
        XCTAssertEqual(s.extra["totalPauseNanoseconds"]!, Double(pauses.map(\.durationNanoseconds).reduce(0, +)))
        XCTAssertEqual(s.extra["maxPauseNanoseconds"]!, Double(pauses.map(\.durationNanoseconds).max()!))
    }

    func testPausesRecordTheirCPUTimeUnlessTurnedOff() throws {
        for measure in [true, false] {
            let log = PauseLog()
            let heap = GCHeap(configuration: GCConfiguration(measurePauseCPUTime: measure), pauseLog: log)
            try rootChain(heap, count: 50_000)
            heap.collect()
            let pause = try XCTUnwrap(log.events.last)
            if measure {
                let cpu = try XCTUnwrap(pause.cpuNanoseconds)
                XCTAssertGreaterThan(cpu, 0)
                // The CPU interval lies inside the wall-clock one (a little slack for the two clocks' readings).
                XCTAssertLessThanOrEqual(cpu, pause.durationNanoseconds + 50_000)
            } else {
                XCTAssertNil(pause.cpuNanoseconds)
            }
        }
    }
}
