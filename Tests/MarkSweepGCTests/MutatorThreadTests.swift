import Foundation
import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// The thread model's basics: attach, allocate and collect from several threads, detach; the handshake's
/// `safepoint` phase; `withoutCollector`. (The randomized multi-thread stress test with its oracle is
/// MultiMutatorStressTests.)
final class MutatorThreadTests: XCTestCase {
    /// Runs `body(i)` on `count` new threads at once and waits for all of them, with the calling thread (the
    /// heap's first context) inactive meanwhile, so it never holds up their collections.
    private func runThreads(_ count: Int, heap: GCHeap, _ body: @escaping @Sendable (Int) -> Void) {
        let done = DispatchGroup()
        for i in 0..<count {
            done.enter()
            let thread = Thread {
                body(i)
                done.leave()
            }
            thread.start()
        }
        heap.withoutCollector { done.wait() }
    }

    /// Each thread builds a rooted list whose payloads are its own sequence of values while allocating
    /// garbage, so collections started by any thread (the pacer's, and forced ones) run while the others are
    /// mid-way; every list must come out whole.
    func testThreadsBuildListsAcrossEachOthersCollections() {
        for mode in [CollectionMode.stopTheWorld, .incremental] {
            let log = PauseLog()
            let heap = GCHeap(configuration: GCConfiguration(gogc: 50, minimumHeapBytes: 256 << 10,
                                                             sweepMode: .lazy, verifyAfterEveryCycle: true,
                                                             collectionMode: mode),
                              pauseLog: log)
            let shared = heap.shared
            let node = ObjectShape(referenceSlots: 1, payloadBytes: 8)
            let threads = 3, length = 2_000
            let results = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
            results.initialize(repeating: -1)
            defer { results.deallocate() }
            nonisolated(unsafe) let out = results
            runThreads(threads, heap: heap) { t in
                let mine = try! shared.attach()
                let head = mine.pushRoot(nil)
                for i in 0..<length {
                    let n = try! mine.allocate(node)
                    mine.storePayload(n, byteOffset: 0, t * 1_000_000 + i)
                    mine.store(n, slot: 0, mine.root(at: head))
                    mine.setRoot(head, n)
                    for _ in 0..<8 { _ = try! mine.allocate(node) }  // garbage
                    if i % 500 == 499 { mine.collect() }
                }
                // Walk the list: values come out in reverse order of allocation.
                var ok = 0
                var cursor = mine.root(at: head)
                var expected = length - 1
                while let n = cursor {
                    if mine.loadPayload(n, byteOffset: 0, as: Int.self) == t * 1_000_000 + expected { ok += 1 }
                    expected -= 1
                    cursor = mine.load(n, slot: 0)
                }
                out[t] = ok
                mine.popRoots(to: 0)
                shared.detach(mine)
            }
            XCTAssertEqual(Array(results), Array(repeating: length, count: threads), "\(mode)")
            XCTAssertEqual(shared.attachedThreads, 1)
            heap.collect()
            XCTAssertEqual(heap.liveObjectCount, 0, "every thread's list died with its roots (\(mode))")
            XCTAssertEqual(heap.verify(), [String]())
            XCTAssertEqual(heap.takeCheckFailures().count, 0)
            let collections = log.events.filter { $0.kind == .collection || $0.kind == .finalMark }
            XCTAssertGreaterThan(collections.count, 3, "\(mode)")
            for e in log.events where e.kind != .stall && e.kind != .sweep {
                XCTAssertEqual(e.phases.first?.name, "safepoint", "time to safepoint is every pause's first phase")
                if let offCPU = e.safepointOffCPUNanoseconds {
                    XCTAssertLessThanOrEqual(offCPU, e.phases[0].nanoseconds, "the scheduler's share is part of the wait")
                }
            }
            XCTAssertEqual(heap.statistics().allocations, threads * length * 9)
        }
    }

    /// A thread blocked inside `withoutCollector` does not hold up another thread's collection, and its roots
    /// are scanned where they are.
    func testInactiveThreadDoesNotBlockCollectionAndKeepsItsRoots() {
        let heap = GCHeap(configuration: GCConfiguration(), pauseLog: PauseLog())
        let kept = try! heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 8))
        heap.storePayload(kept, byteOffset: 0, 42)
        heap.pushRoot(kept)
        let shared = heap.shared
        runThreads(1, heap: heap) { _ in
            let mine = try! shared.attach()
            mine.collect()  // returns only because the first thread is inactive
            mine.collect()
            shared.detach(mine)
        }
        XCTAssertTrue(heap.isLive(kept))
        XCTAssertEqual(heap.loadPayload(kept, byteOffset: 0, as: Int.self), 42)
        XCTAssertEqual(heap.statistics().extra["cycles"], 2)
    }

    func testAttachingTwiceOnOneThreadThrows() {
        let heap = GCHeap(configuration: GCConfiguration(), pauseLog: PauseLog())
        XCTAssertThrowsError(try heap.shared.attach()) { error in
            XCTAssertEqual(error as? AttachError, .alreadyAttached(manager: "gc"))
        }
        XCTAssertEqual(heap.shared.attachedThreads, 1)
    }

    /// A mutator asleep on the heap's lock in its allocation slow path is at a safepoint: a collection that
    /// begins while it waits counts it as stopped and runs to the end without it (it never ran meanwhile: it is
    /// still waiting afterwards), its rooted objects survive, and once the lock is free it allocates and parks as
    /// usual.
    func testAMutatorWaitingForTheLockInItsSlowPathIsStopped() throws {
        let log = PauseLog()
        let heap = GCHeap(configuration: GCConfiguration(sweepMode: .lazy, verifyAfterEveryCycle: true), pauseLog: log)
        let shared = heap.shared
        let node = ObjectShape(referenceSlots: 1, payloadBytes: 8)
        let large = ObjectShape(referenceSlots: 0, payloadBytes: 64 << 10)  // a large object: always the slow path
        let ready = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var listLength = -1
        nonisolated(unsafe) var allocatedLarge = false
        let thread = Thread {
            let mine = try! shared.attach()
            let head = mine.pushRoot(nil)
            for i in 0..<1_000 {
                let n = try! mine.allocate(node)
                mine.storePayload(n, byteOffset: 0, i)
                mine.store(n, slot: 0, mine.root(at: head))
                mine.setRoot(head, n)
            }
            ready.signal()
            go.wait()
            _ = try! mine.allocate(large)  // blocks on the lock the test holds
            allocatedLarge = true
            var count = 0, cursor = mine.root(at: head)
            while let n = cursor, mine.loadPayload(n, byteOffset: 0, as: Int.self) == 999 - count {
                count += 1
                cursor = mine.load(n, slot: 0)
            }
            listLength = count
            mine.popRoots(to: 0)
            shared.detach(mine)
            done.signal()
        }
        thread.start()
        heap.withoutCollector { ready.wait() }
        shared.lock()
        go.signal()
        // Wait (lock held) until the other thread sleeps on the lock in its slow path.
        let deadline = Date().addingTimeInterval(60)
        while shared.safepointLockWaiters.load(ordering: .relaxed) == 0 && Date() < deadline { usleep(100) }
        XCTAssertEqual(shared.safepointLockWaiters.load(ordering: .relaxed), 1, "the other thread waits on the lock")
        shared.collect(reason: .forced)
        XCTAssertEqual(shared.safepointLockWaiters.load(ordering: .relaxed), 1,
                       "the collection ran to its end with the other thread still waiting for the lock")
        XCTAssertFalse(allocatedLarge)
        XCTAssertEqual(shared.stats.cycles, 1)
        shared.unlock()
        heap.withoutCollector { done.wait() }
        XCTAssertTrue(allocatedLarge)
        XCTAssertEqual(listLength, 1_000, "the waiting thread's rooted list survived whole")
        XCTAssertEqual(heap.verify(), [])
        XCTAssertEqual(log.events.filter { $0.kind == .collection }.count, 1)
    }
}
