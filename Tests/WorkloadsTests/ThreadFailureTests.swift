import HeapLabCore
import MarkSweepGC
import SystemHeaps
import XCTest
@testable import Workloads

/// A thread whose check throws fails the whole run with its own message, the other threads stop (those
/// working, at their next check; those waiting, woken), and nothing hangs: not a thread waiting at a barrier
/// for the failed one, not a collector waiting at a safepoint for a thread that has stopped.
final class ThreadFailureTests: XCTestCase {
    /// Thread 0 allocates garbage until told to stop (collecting as it goes, on the collector); thread 1 waits at
    /// a barrier that the others never reach; thread 2 builds a little, then fails.
    func runFailing<T: ThreadedMemoryManager>(_ manager: T) throws {
        let stop = StopSignal()
        let barrier = ThreadBarrier(parties: 3, stop: stop)
        let context = RunContext(pauseLog: PauseLog())
        let shape = ObjectShape(referenceSlots: 1, payloadBytes: 56)
        XCTAssertThrowsError(try MutatorThreads.run(3, on: manager, context: context, stop: stop) { t, m, threadContext in
            switch t {
            case 0:
                let kept = try m.allocate(shape)
                m.pushRoot(kept)  // left pushed: the runner pops it on the way out
                // Dropped when the thread stops (on malloc this frees it; to a collector it is only a hint).
                defer { m.dropTree(kept) }
                while true {
                    try stop.check()
                    try threadContext.operation {
                        for _ in 0..<64 { m.dropTree(try m.allocate(shape)) }
                    }
                }
            case 1:
                try barrier.wait(m)
                XCTFail("the barrier opened without thread 0 and thread 2")
            default:
                for _ in 0..<1_000 { m.dropTree(try m.allocate(shape)) }
                throw WorkloadFailure("the tree of depth 3 has 14 nodes, expected 15")
            }
        }) { error in
            XCTAssertTrue(error is WorkloadFailure, "\(error)")
            XCTAssertEqual("\(error)", "workload check failed: thread 2: the tree of depth 3 has 14 nodes, expected 15")
        }
    }

    func testFailingThreadStopsTheOthersOnTheCollector() throws {
        let context = GCHeap(configuration: try GCConfiguration(options: ["min-heap": "256KiB"]), pauseLog: PauseLog())
        let shared = context.shared
        shared.detach(context)
        try runFailing(shared)
        // Every thread detached: the heap can be attached and collected again without waiting for anyone.
        let after = try shared.attach()
        after.collect()
        shared.detach(after)
    }

    func testFailingThreadStopsTheOthersOnMalloc() throws {
        let manager = ThreadedMallocManager()
        try runFailing(manager)
        XCTAssertEqual(manager.attachedThreads, 0)
    }

    /// An allocation failure on one thread is the run's error as it is (status outOfMemory in a report).
    func testAllocationErrorOfOneThreadIsTheRunsError() throws {
        let context = GCHeap(configuration: try GCConfiguration(options: ["heap-limit": "2MiB"]), pauseLog: PauseLog())
        let shared = context.shared
        shared.detach(context)
        // Each thread's long-lived tree alone (2^17 nodes of 24 bytes, 3 MiB) is over the limit.
        let workload = try MTGCBench.make(["threads": 2, "longLivedDepth": 16], testSize: true)
        XCTAssertThrowsError(try workload.run(threaded: shared, context: RunContext(pauseLog: PauseLog()))) {
            XCTAssertTrue($0 is AllocationError, "\($0)")
        }
    }
}
