import HeapLabCore
@testable import MarkSweepGC
import SystemHeaps
import Workloads
import XCTest

/// A heap in incremental mode for tests: verifier and checkmark after every cycle, debug checks on, a small
/// minimum heap so cycles come often, and a tiny byte budget per slice so marking spreads over many slices.
func makeIncrementalTestHeap(minimumHeapBytes: Int = 256 << 10, sliceBudgetBytes: Int? = 2048,
                             sliceBudgetNanoseconds: UInt64? = nil, heapLimitBytes: Int? = nil,
                             checkmark: Bool = true, debugChecks: Bool = true,
                             markStackMaximumEntries: Int = 1 << 32) -> (GCHeap, PauseLog) {
    let log = PauseLog()
    let configuration = GCConfiguration(minimumHeapBytes: minimumHeapBytes, heapLimitBytes: heapLimitBytes,
                                        sweepMode: .lazy, verifyAfterEveryCycle: true, poisonFreedCells: debugChecks,
                                        checkReferences: debugChecks, markStackMaximumEntries: markStackMaximumEntries,
                                        collectionMode: .incremental,
                                        sliceBudgetNanoseconds: sliceBudgetNanoseconds,
                                        sliceBudgetBytes: sliceBudgetBytes, checkmark: checkmark)
    return (GCHeap(configuration: configuration, pauseLog: log), log)
}

final class IncrementalMarkingTests: XCTestCase {
    let node = ObjectShape(referenceSlots: 2, payloadBytes: 8)

    // MARK: configuration

    func testModeOptionsParse() throws {
        let c = try GCConfiguration(options: ["mode": "incremental", "slice-budget-us": "250", "slice-budget-bytes": "64KiB",
                                              "checkmark": "on", "mark-trigger": "0.3"], environment: [:])
        XCTAssertEqual(c.collectionMode, .incremental)
        XCTAssertEqual(c.sweepMode, .lazy, "incremental marking sweeps lazily")
        XCTAssertEqual(c.sliceBudgetNanoseconds, 250_000)
        XCTAssertEqual(c.sliceBudgetBytes, 64 << 10)
        XCTAssertTrue(c.checkmark)
        XCTAssertEqual(c.markTriggerFraction, 0.3)
        XCTAssertEqual(c.dictionary["mode"], "incremental")
        XCTAssertEqual(c.dictionary["slice-budget-us"], "250.0")
        let d = try GCConfiguration(options: ["mode": "stop-the-world", "slice-budget-us": "off"], environment: [:])
        XCTAssertEqual(d.collectionMode, .stopTheWorld)
        XCTAssertNil(d.sliceBudgetNanoseconds)
        XCTAssertEqual(try GCConfiguration(options: [:], environment: [:]).collectionMode, .stopTheWorld)
        XCTAssertEqual(try GCConfiguration(options: ["slice-budget-us": "0.5"], environment: [:]).sliceBudgetNanoseconds, 500)
        XCTAssertEqual(GCHeap(configuration: c, pauseLog: PauseLog()).name, "gc-incremental")
        XCTAssertEqual(GCHeap(configuration: d, pauseLog: PauseLog()).name, "gc")
        for key in ["mode", "slice-budget-us", "slice-budget-bytes", "checkmark", "mark-trigger"] {
            XCTAssertTrue(GCConfiguration.optionKeys.contains(key))
            XCTAssertNotNil(c.dictionary[key])
        }
    }

    func testModeOptionsRejectBadValues() {
        func message(_ options: [String: String]) -> String {
            do {
                _ = try GCConfiguration(options: options, environment: [:])
                return "no error"
            } catch { return error.message }
        }
        XCTAssertTrue(message(["mode": "parallel"]).contains("mode must be stop-the-world, incremental or concurrent"))
        XCTAssertTrue(message(["mode": "incremental", "sweep": "eager"]).contains("sweep=eager cannot go with it"))
        XCTAssertTrue(message(["slice-budget-us": "0"]).contains("slice-budget-us must be a positive number"))
        XCTAssertTrue(message(["slice-budget-us": "-5"]).contains("slice-budget-us"))
        XCTAssertTrue(message(["slice-budget-us": "fast"]).contains("slice-budget-us"))
        XCTAssertTrue(message(["slice-budget-bytes": "0"]).contains("slice-budget-bytes must be positive"))
        XCTAssertTrue(message(["slice-budget-bytes": "lots"]).contains("slice-budget-bytes"))
        XCTAssertTrue(message(["checkmark": "maybe"]).contains("checkmark must be on or off"))
        XCTAssertTrue(message(["mark-trigger": "1"]).contains("mark-trigger must be a fraction"))
        XCTAssertTrue(message(["mark-trigger": "0"]).contains("mark-trigger"))
    }

    // MARK: the barrier and the checkmark

    /// Builds root -> a -> x, starts a cycle, then moves x behind a black object and cuts a -> x:
    /// the classic lost-object interleaving. Returns (heap, a, x, n).
    func makeLostObjectScenario() throws -> (GCHeap, GCRef, GCRef, GCRef) {
        let (heap, _) = makeIncrementalTestHeap(sliceBudgetBytes: 64, checkmark: false)
        let a = try heap.allocate(node)
        heap.pushRoot(a)
        let x = try heap.allocate(node)
        heap.store(a, slot: 0, x)
        heap.storePayload(x, byteOffset: 0, 42 as UInt64)
        // A second root with a long chain: the mark stack is last in, first out, so the slices the allocation
        // below runs (64 bytes each) work on the chain and leave `a` grey and `x` white.
        var chain = try heap.allocate(node)
        heap.pushRoot(chain)
        for _ in 0..<100 {
            let next = try heap.allocate(node)
            heap.store(chain, slot: 0, next)
            chain = next
        }
        heap.shared.startIncrementalMarking()
        XCTAssertTrue(heap.isMarking)
        // n is allocated during marking: black, never scanned by this cycle.
        let n = try heap.allocate(node)
        heap.pushRoot(n)
        XCTAssertTrue(heap.shared.isMarkedObject(n.address), "allocation during marking is black")
        heap.store(n, slot: 0, heap.load(a, slot: 0))
        XCTAssertTrue(heap.isMarking)
        XCTAssertFalse(heap.shared.isMarkedObject(x.address), "x is still white")
        return (heap, a, x, n)
    }

    func testDeletionBarrierKeepsAnObjectMovedBehindABlackOne() throws {
        let (heap, a, x, n) = try makeLostObjectScenario()
        heap.store(a, slot: 0, nil)  // the barrier shades x
        XCTAssertTrue(heap.shared.isMarkedObject(x.address))
        heap.shared.markHeap(&heap.shared.incremental.counts)
        XCTAssertEqual(heap.shared.checkmarkProblems(), [])
        heap.shared.finishIncrementalMarking(reason: .incremental)
        XCTAssertFalse(heap.isMarking)
        XCTAssertTrue(heap.isLive(x))
        XCTAssertEqual(heap.load(n, slot: 0), x)
        XCTAssertEqual(heap.loadPayload(x, byteOffset: 0, as: UInt64.self), 42)
    }

    func testCheckmarkFindsAnObjectLostByAStoreThatSkipsTheBarrier() throws {
        let (heap, a, x, _) = try makeLostObjectScenario()
        // The same deletion, written behind the heap's back: no barrier.
        a.address.storeBytes(of: nil as UnsafeMutableRawPointer?, toByteOffset: 8, as: UnsafeMutableRawPointer?.self)
        heap.shared.markHeap(&heap.shared.incremental.counts)
        let problems = heap.shared.checkmarkProblems()
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems.first?.contains("\(x)") ?? false, "\(problems)")
        XCTAssertTrue(problems.first?.contains("reachable") ?? false)
        heap.collect()  // abandons the cycle; a stop-the-world cycle marks from scratch and keeps x
        XCTAssertTrue(heap.isLive(x))
        XCTAssertEqual(heap.shared.incremental.abandoned, 1)
    }

    // MARK: huge objects

    func testAHugeArrayIsScannedAChunkAtATimeAndKeepsTheSnapshot() throws {
        let (heap, _) = makeIncrementalTestHeap(minimumHeapBytes: 64 << 20)
        let slots = 5 * SharedHeap.scanChunkSlots + 17
        let array = try heap.allocate(ObjectShape(referenceSlots: slots, payloadBytes: 0))
        heap.pushRoot(array)
        for i in 0..<slots { heap.store(array, slot: i, try heap.allocate(node)) }
        heap.collect()  // a stop-the-world cycle drains the chunks to the end too
        XCTAssertEqual(heap.liveObjectCount, slots + 1)
        heap.finishSweeping()
        let last = try XCTUnwrap(heap.load(array, slot: slots - 1))
        heap.shared.startIncrementalMarking()
        // One byte of budget per slice: each slice scans about one chunk of the array, never all of it.
        var slices = 0
        var sawPartialScan = false
        repeat {
            slices += 1
            sawPartialScan = sawPartialScan || !heap.shared.markStack.partialScans.isEmpty
            if slices == 2 {
                // The last slot is not scanned yet: the deletion barrier shades what it held.
                heap.store(array, slot: slots - 1, nil)
            }
        } while !heap.shared.markSlice(workBytes: 1)
        XCTAssertTrue(sawPartialScan)
        XCTAssertGreaterThanOrEqual(slices, 5, "one slice per chunk at least")
        heap.shared.finishIncrementalMarking(reason: .incremental)  // the checkmark runs here
        XCTAssertTrue(heap.isLive(last), "in the snapshot: kept by this cycle")
        XCTAssertEqual(heap.liveObjectCount, slots + 1)
        heap.shared.startIncrementalMarking()
        while !heap.shared.markSlice(workBytes: 1 << 20) {}
        heap.shared.finishIncrementalMarking(reason: .incremental)
        XCTAssertFalse(heap.isLive(last), "cut before the cycle: freed by it")
        XCTAssertEqual(heap.liveObjectCount, slots)
    }

    func testLargeObjectsAreSweptByTheSweepPassNotInTheFinalPause() throws {
        let (heap, log) = makeIncrementalTestHeap(minimumHeapBytes: 64 << 20)
        let large = ObjectShape(referenceSlots: 1, payloadBytes: 200_000)
        let keep = try heap.allocate(large)
        heap.pushRoot(keep)
        var dead: [GCRef] = []
        for _ in 0..<6 { dead.append(try heap.allocate(large)) }
        let mappedBefore = heap.shared.largeObjects.mappedBytes
        heap.shared.startIncrementalMarking()
        while !heap.shared.markSlice(workBytes: 1 << 20) {}
        heap.shared.finishIncrementalMarking(reason: .incremental)
        // The final pause moved the list aside whole: nothing unmapped yet, the dead already known as dead.
        XCTAssertEqual(log.events.last?.kind, .finalMark)
        XCTAssertNil(heap.shared.largeObjects.head)
        XCTAssertNotNil(heap.shared.largeObjects.unswept)
        XCTAssertEqual(heap.shared.largeObjects.mappedBytes, mappedBefore)
        XCTAssertTrue(heap.isLive(keep))
        XCTAssertTrue(dead.allSatisfy { heap.referenceProblem($0)?.contains("unreachable") == true })
        XCTAssertEqual(heap.liveObjectCount, 1)
        XCTAssertEqual(heap.verify(), [])
        // A large allocation now goes on the swept list, beside the lists being swept.
        let fresh = try heap.allocate(large)
        heap.store(keep, slot: 0, fresh)
        // The sweep pass, paced by allocation: here one unpaced slice takes them all (500 µs budget).
        XCTAssertTrue(heap.shared.sweepSlice())
        XCTAssertNil(heap.shared.largeObjects.unswept)
        XCTAssertEqual(heap.shared.largeObjects.count, 2)
        XCTAssertEqual(heap.shared.largeObjects.mappedBytes, mappedBefore / 7 * 2)
        XCTAssertTrue(heap.isLive(keep) && heap.isLive(fresh))
        XCTAssertEqual(heap.verify(), [])
        // The next cycle marks from a fully swept large-object space.
        heap.shared.startIncrementalMarking()
        while !heap.shared.markSlice(workBytes: 1 << 20) {}
        heap.shared.finishIncrementalMarking(reason: .incremental)
        XCTAssertEqual(heap.liveObjectCount, 2)
    }

    // MARK: the finishing sweep (step 1)

    /// A heap whose 40 blocks of `node` cells all wait for the lazy sweeper after a collection: in every fifth
    /// block nothing survives, in the others every third object does (on a chain from one root).
    func heapWithUnsweptBlocks() throws -> (GCHeap, PauseLog) {
        let (heap, log, _, _) = try heapWithUnsweptBlocksAndKept()
        return (heap, log)
    }

    /// `heapWithUnsweptBlocks`, with the nodes' size class and the number of objects kept.
    func heapWithUnsweptBlocksAndKept() throws -> (GCHeap, PauseLog, Int, Int) {
        // A 1 ns slice budget: each finishing-sweep slice looks at 8 blocks. A large minimum heap: no cycle
        // starts by itself.
        let (heap, log) = makeIncrementalTestHeap(minimumHeapBytes: 64 << 20, sliceBudgetBytes: nil, sliceBudgetNanoseconds: 1)
        let first = try heap.allocate(node)
        heap.pushRoot(first)
        let sizeClass = Int(Block(containing: first.address).header.pointee.sizeClass)
        let cellsPerBlock = Block(containing: first.address).header.pointee.cellCount
        var tail = first
        var kept = 1
        for i in 1..<(40 * cellsPerBlock) {
            let object = try heap.allocate(node)
            if (i / cellsPerBlock) % 5 != 4 && i % 3 == 0 {
                heap.store(tail, slot: 0, object)
                tail = object
                kept += 1
            }
        }
        heap.collect()  // stop-the-world, lazy: every block now needs a sweep
        XCTAssertEqual(heap.shared.classBlocks[sizeClass].count, 40)
        XCTAssertTrue(heap.shared.classBlocks[sizeClass].allSatisfy(heap.shared.needsSweep))
        return (heap, log, sizeClass, kept)
    }

    /// The queue of `sizeClass` holds each block once, every one swept, owned by the class and with free cells.
    func assertQueueIsTidy(_ heap: GCHeap, sizeClass c: Int, file: StaticString = #filePath, line: UInt = #line) {
        let queue = heap.shared.allocationQueue[c]
        XCTAssertEqual(Set(queue).count, queue.count, "a block is queued twice", file: file, line: line)
        let owned = Set(heap.shared.classBlocks[c])
        for b in queue {
            XCTAssertTrue(owned.contains(b), "a queued block is not the class's", file: file, line: line)
            XCTAssertFalse(heap.shared.needsSweep(b), file: file, line: line)
            XCTAssertGreaterThan(b.header.pointee.freeCount, 0, file: file, line: line)
        }
    }

    func testFinishingSweepSharesTheQueueWithTheAllocator() throws {
        let (heap, _, c, kept) = try heapWithUnsweptBlocksAndKept()
        heap.shared.beginFinishingSweep()
        XCTAssertFalse(heap.shared.sweepSlice(), "one 1 ns slice looks at 8 blocks, not 40")
        XCTAssertEqual(heap.shared.incremental.sweepClass, c)
        XCTAssertEqual(heap.shared.incremental.sweepIndex, 8)
        XCTAssertEqual(heap.shared.incremental.sweepKept, 7, "block 4 was empty: back to the pool")
        XCTAssertEqual(heap.shared.classBlocks[c].count, 39)
        // The allocator takes blocks from the end of the same queue, sweeping them itself (called directly
        // here: `allocate` would also run finishing-sweep slices), until none is left that the finishing sweep
        // has not looked at. Its next request ends the sweep's pass over the class before it pops, so it gets
        // a swept block that was kept, never a stale position.
        var taken: [Block] = []
        while heap.shared.allocationQueue[c].count > heap.shared.incremental.sweepIndex {
            taken.append(try XCTUnwrap(heap.shared.nextAllocationBlock(sizeClass: c)))
        }
        XCTAssertEqual(taken.count, 32)
        XCTAssertEqual(heap.shared.incremental.sweepClass, c, "the stale positions are still there")
        let next = try XCTUnwrap(heap.shared.nextAllocationBlock(sizeClass: c))
        XCTAssertEqual(heap.shared.incremental.sweepClass, c + 1)
        XCTAssertFalse(heap.shared.needsSweep(next))
        XCTAssertEqual(heap.shared.allocationQueue[c].count, 6, "7 kept, 1 taken")
        XCTAssertFalse(heap.shared.allocationQueue[c].contains(next))
        assertQueueIsTidy(heap, sizeClass: c)
        XCTAssertEqual(heap.verify(), [])
        while !heap.shared.sweepSlice() {}
        heap.shared.startIncrementalMarking()
        while !heap.shared.markSlice(workBytes: 1 << 20) {}
        heap.shared.finishIncrementalMarking(reason: .incremental)
        XCTAssertEqual(heap.liveObjectCount, kept, "what the allocator took during the sweep was garbage at the snapshot")
    }

    func testSweepPassIsPacedByAllocationAndEndsBeforeTheTrigger() throws {
        let (heap, log) = try heapWithUnsweptBlocks()
        // The collection began a pass over the 40 unswept blocks, paced over the allocation up to the trigger
        // (about 32 MiB away: the minimum heap is 64 MiB).
        XCTAssertEqual(heap.shared.incremental.phase, .sweeping)
        XCTAssertEqual(heap.shared.incremental.sweepBlocksTotal, 40)
        let trigger = heap.shared.incrementalTriggerBytes
        XCTAssertGreaterThan(trigger - heap.heapInUseBytes, 16 << 20)
        var allocations = 0
        while heap.shared.incremental.phase == .sweeping {
            _ = try heap.allocate(node)
            allocations += 1
            if allocations == 4096 {
                // Two slow paths in: a block or two looked at, not the whole pass.
                XCTAssertLessThanOrEqual(heap.shared.incremental.sweepExamined, 4)
            }
            XCTAssertLessThan(heap.heapInUseBytes, trigger, "the pass did not finish before the trigger")
            if heap.heapInUseBytes >= trigger { break }
        }
        XCTAssertEqual(heap.shared.incremental.phase, .idle)
        XCTAssertTrue(heap.shared.classBlocks.joined().allSatisfy { !heap.shared.needsSweep($0) })
        XCTAssertFalse(log.events.contains { $0.kind == .sweep && $0.label.contains("before marking") },
                       "nothing was left for an unpaced sweep")
        XCTAssertEqual(heap.verify(), [])
    }

    func testCollectionPartwayThroughTheFinishingSweepLeavesTheQueueTidy() throws {
        let (heap, _, c, kept) = try heapWithUnsweptBlocksAndKept()
        heap.shared.beginFinishingSweep()
        XCTAssertFalse(heap.shared.sweepSlice())
        XCTAssertFalse(heap.shared.sweepSlice())
        XCTAssertEqual(heap.shared.incremental.sweepIndex, 16)
        heap.collect()  // abandons the cycle partway through the class's queue
        XCTAssertEqual(heap.liveObjectCount, kept)
        heap.finishSweeping()
        assertQueueIsTidy(heap, sizeClass: c)
        XCTAssertEqual(heap.verify(), [])
    }

    // MARK: the cycle

    func testObjectsAllocatedDuringMarkingSurviveThatCycleOnly() throws {
        let (heap, log) = makeIncrementalTestHeap()
        let kept = try heap.allocate(node)
        heap.pushRoot(kept)
        // A chain under `kept`, so that the slices the allocations below run (2 KiB each) do not finish marking.
        var tail = kept
        for _ in 0..<999 {
            let next = try heap.allocate(node)
            heap.store(tail, slot: 0, next)
            tail = next
        }
        heap.shared.startIncrementalMarking()
        let floating = try heap.allocate(node)  // never rooted: dead, but black in this cycle
        let large = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 20_000))
        XCTAssertTrue(heap.isMarking)
        XCTAssertTrue(heap.shared.isMarkedObject(floating.address), "allocation during marking is black")
        XCTAssertTrue(heap.shared.isMarkedObject(large.address), "large allocation during marking is black")
        while !heap.shared.markSlice(workBytes: 1 << 20) {}
        heap.shared.finishIncrementalMarking(reason: .incremental)
        XCTAssertTrue(heap.isLive(floating), "snapshot-at-the-beginning keeps what was allocated during the cycle")
        XCTAssertTrue(heap.isLive(large))
        XCTAssertEqual(heap.liveObjectCount, 1002)
        XCTAssertEqual(log.events.last?.kind, .finalMark)
        // The next cycle starts without them in its snapshot and frees them.
        heap.shared.startIncrementalMarking()
        while !heap.shared.markSlice(workBytes: 1 << 20) {}
        heap.shared.finishIncrementalMarking(reason: .incremental)
        XCTAssertFalse(heap.isLive(floating))
        XCTAssertFalse(heap.isLive(large))
        XCTAssertTrue(heap.isLive(kept))
        XCTAssertEqual(heap.liveObjectCount, 1000)
        XCTAssertEqual(heap.heapInUseBytes, 32 * 1000)
    }

    func testUnrootingDuringMarkingKeepsTheSnapshotAndTheNextCycleFreesIt() throws {
        let (heap, _) = makeIncrementalTestHeap()
        let base = heap.rootDepth
        var chain = try heap.allocate(node)
        heap.pushRoot(chain)
        for _ in 0..<1000 {
            let next = try heap.allocate(node)
            heap.store(next, slot: 0, chain)
            chain = next
            heap.setRoot(base, chain)
        }
        heap.shared.startIncrementalMarking()
        XCTAssertFalse(heap.shared.markSlice(workBytes: 64), "a 1001-object chain is not marked in 64 bytes")
        heap.setRoot(base, nil)  // unroot a grey object: roots are not barriered, the snapshot keeps it
        while !heap.shared.markSlice(workBytes: 256) {}
        heap.shared.finishIncrementalMarking(reason: .incremental)
        XCTAssertEqual(heap.liveObjectCount, 1001)
        heap.shared.startIncrementalMarking()
        while !heap.shared.markSlice(workBytes: 256) {}
        heap.shared.finishIncrementalMarking(reason: .incremental)
        XCTAssertEqual(heap.liveObjectCount, 0)
        XCTAssertEqual(heap.heapInUseBytes, 0)
    }

    func testForcedCollectionDuringMarkingIsExact() throws {
        let (heap, _) = makeIncrementalTestHeap()
        let kept = try heap.allocate(node)
        heap.pushRoot(kept)
        let dropped = try heap.allocate(node)
        heap.store(kept, slot: 0, dropped)
        heap.shared.startIncrementalMarking()
        heap.store(kept, slot: 0, nil)
        let garbage = try heap.allocate(node)
        heap.collect()
        XCTAssertFalse(heap.isMarking)
        XCTAssertFalse(heap.isLive(dropped))
        XCTAssertFalse(heap.isLive(garbage))
        XCTAssertEqual(heap.liveObjectCount, 1)
    }

    /// GCBench (test size) on an incremental heap, paced by its own allocation: the right checksum, no
    /// stop-the-world collection, every kind of incremental event, the verifier and checkmark after every cycle.
    func testGCBenchRunsIncrementallyWithEveryPauseKindLogged() throws {
        let bench = try GCBench.make(["arraySize": 4000, "stretchDepth": 12], testSize: true)
        let expected = try bench.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog())).checksum
        let (heap, log) = makeIncrementalTestHeap(minimumHeapBytes: 64 << 10, sliceBudgetBytes: 4 << 10)
        let outcome = try bench.run(on: heap, context: RunContext(pauseLog: log))
        XCTAssertEqual(outcome.checksum, expected)
        let kinds = Set(log.events.map(\.kind))
        XCTAssertFalse(kinds.contains(.collection), "no stop-the-world collection in incremental mode")
        XCTAssertTrue(kinds.contains(.markSlice))
        XCTAssertTrue(kinds.contains(.finalMark))
        let s = heap.statistics().extra
        XCTAssertGreaterThanOrEqual(s["incrementalCycles"] ?? 0, 3)
        XCTAssertEqual(s["incrementalCycles"], s["cycles"])
        XCTAssertGreaterThan(s["markSlices"] ?? 0, s["incrementalCycles"] ?? 0, "more than one slice per cycle")
        XCTAssertEqual(log.events.filter { $0.kind == .finalMark }.count, Int(s["incrementalCycles"] ?? 0))
        for e in log.events where e.kind == .finalMark {
            XCTAssertEqual(e.phases.map(\.name), ["safepoint", "roots", "mark", "sweep"])
            XCTAssertEqual(e.phases.map(\.nanoseconds).reduce(0, +), e.durationNanoseconds)
        }
        XCTAssertEqual(s["maxPauseNanoseconds"], Double(log.events.map(\.durationNanoseconds).max() ?? 0))
    }

    /// A 4-entry mark stack overflows in the slices; the final pause recovers by rescanning marked objects
    /// (which must not include the free cells of blocks allocated black).
    func testMarkStackOverflowDuringIncrementalMarkingIsRecovered() throws {
        let bench = try GCBench.make(["arraySize": 4000, "stretchDepth": 12], testSize: true)
        let expected = try bench.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog())).checksum
        let (heap, log) = makeIncrementalTestHeap(minimumHeapBytes: 64 << 10, sliceBudgetBytes: 4 << 10,
                                                  markStackMaximumEntries: 4)
        XCTAssertEqual(try bench.run(on: heap, context: RunContext(pauseLog: log)).checksum, expected)
        let s = heap.statistics().extra
        XCTAssertGreaterThan(s["markStackOverflows"] ?? 0, 0)
        XCTAssertGreaterThanOrEqual(s["incrementalCycles"] ?? 0, 3)
    }

    func testHeapLimitStillThrowsAndHeapStaysUsable() throws {
        let (heap, _) = makeIncrementalTestHeap(minimumHeapBytes: 64 << 10, heapLimitBytes: 1 << 20)
        let shape = ObjectShape(referenceSlots: 1, payloadBytes: 48)
        let base = heap.rootDepth
        heap.pushRoot(nil)
        var threw = false
        do {
            for _ in 0..<100_000 {
                let n = try heap.allocate(shape)
                heap.store(n, slot: 0, heap.root(at: base))
                heap.setRoot(base, n)
            }
        } catch AllocationError.outOfMemory(_, _, let limit) {
            threw = true
            XCTAssertEqual(limit, 1 << 20)
        }
        XCTAssertTrue(threw)
        heap.setRoot(base, nil)
        _ = try heap.allocate(shape)
        heap.collect()
        XCTAssertEqual(heap.liveObjectCount, 0)
    }
}
