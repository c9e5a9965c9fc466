import Foundation
import HeapLabCore
import HeapLabTestSupport
import SystemHeaps
import XCTest

/// Swift's ARC shared by several threads (`ThreadedARCManager`): threads attached at once, each checked against
/// its oracle; objects read by two threads at once and released on a thread other than the one that made them;
/// `ARCLiveObjects` balanced after joining; the misuses.
final class ThreadedARCManagerTests: XCTestCase {
    func check(threads: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let manager = ThreadedARCManager()
        let objectsBefore = ARCLiveObjects.count, bytesBefore = ARCLiveObjects.bytes
        let results = ThreadedManagerChecks.buildAndCheck(manager, threads: threads, seed: StressEnvironment.seed(seed))
        ThreadedManagerChecks.assertClean(results, threads: threads, file: file, line: line)
        let statistics = manager.statistics()
        XCTAssertEqual(statistics.allocations, threads * ThreadedManagerChecks.Sizes.standard.allocationsPerThread,
                       "every context's allocations, summed at detach", file: file, line: line)
        // Every deinit ran, on whichever thread, and was counted: the atomic counters balance.
        XCTAssertEqual(ARCLiveObjects.count, objectsBefore, "objects allocated and not deinitialized", file: file, line: line)
        XCTAssertEqual(ARCLiveObjects.bytes, bytesBefore, file: file, line: line)
        XCTAssertEqual(statistics.liveBytes, ARCLiveObjects.bytes, file: file, line: line)
    }

    func testTwoThreads() { check(threads: 2, seed: 0xA2C2) }
    func testFourThreads() { check(threads: 4, seed: 0xA2C4) }

    /// One thread builds trees and hands each to a second; both read every tree at once (their loads retain and
    /// release the same objects concurrently, atomically), then the builder drops its references, and only then
    /// the receiver drops its own: every tree's release cascade, and every deinit's count, runs on the thread
    /// that did not make it. After joining, `ARCLiveObjects` is back where it started, the receiver's check
    /// found every value the builder wrote, and the builder's second reading did too.
    func testObjectsSharedAndReleasedOnAnotherThread() {
        let manager = ThreadedARCManager()
        let objectsBefore = ARCLiveObjects.count, bytesBefore = ARCLiveObjects.bytes
        let trees = StressEnvironment.operations(debug: 60, release: 600)
        let depth = 8
        let seed = StressEnvironment.seed(0xA2C5)
        let queue = HandOffQueue<ARCObject>()
        let builderDropped = Barrier(count: 1)
        let results = ThreadedManagerChecks.runThreads(2) { t -> ThreadedManagerChecks.WorkerResult in
            var result = ThreadedManagerChecks.WorkerResult(thread: t)
            let m: ARCManager
            do { m = try manager.attach() } catch {
                result.error = "\(error)"
                queue.close()
                builderDropped.arrive()
                return result
            }
            var values = SplitMix64(seed: seed)
            var held: [ARCObject] = []
            if t == 0 {
                do {
                    for _ in 0..<trees {
                        let tree = try ThreadedManagerChecks.buildTree(m, depth: depth, values: &values, allocations: &result.allocations)
                        held.append(tree)
                        queue.send(tree)  // shared: both threads hold it now
                    }
                } catch {
                    result.error = "\(error)"
                }
                queue.close()
                // Read every tree again while the other thread reads it too.
                var check = SplitMix64(seed: seed)
                for (i, tree) in held.enumerated() {
                    ThreadedManagerChecks.checkTree(m, tree, depth: depth, values: &check, label: "builder, tree \(i)", result: &result)
                }
                held.removeAll()
                builderDropped.arrive()
            } else {
                var i = 0
                while let tree = queue.receive() {
                    ThreadedManagerChecks.checkTree(m, tree, depth: depth, values: &values, label: "receiver, tree \(i)", result: &result)
                    held.append(tree)
                    i += 1
                }
                builderDropped.wait()
                // The last references: each tree's whole release cascade runs here.
                for tree in held { m.dropTree(tree) }
                held.removeAll()
            }
            manager.detach(m)
            return result
        }
        let nodes = trees * ((1 << (depth + 1)) - 1)
        for result in results {
            XCTAssertNil(result.error, "thread \(result.thread)")
            XCTAssertEqual(result.nodes, nodes, "thread \(result.thread): nodes checked")
            XCTAssertEqual(result.mismatches, 0, "thread \(result.thread): \(result.firstMismatch ?? "")")
        }
        XCTAssertEqual(manager.statistics().allocations, nodes)
        XCTAssertEqual(ARCLiveObjects.count, objectsBefore, "every object deinitialized and counted")
        XCTAssertEqual(ARCLiveObjects.bytes, bytesBefore)
    }

    /// Weak boxes made on one thread die on another; their count balances too.
    func testWeakBoxesCountedAcrossThreads() throws {
        let manager = ThreadedARCManager()
        let boxesBefore = ARCLiveObjects.weakBoxes, objectsBefore = ARCLiveObjects.count
        let queue = HandOffQueue<ARCObject>()
        let pairs = 500
        let results = ThreadedManagerChecks.runThreads(2) { t -> Int in
            guard let m = try? manager.attach() else { return -1 }
            var made = 0
            if t == 0 {
                for _ in 0..<pairs {
                    guard let a = try? m.allocate(ThreadedManagerChecks.node), let b = try? m.allocate(ThreadedManagerChecks.node) else { break }
                    m.store(a, slot: 0, b)
                    m.storeWeak(b, slot: 0, a)  // a weak back reference: a box
                    queue.send(a)
                    made += 1
                }
                queue.close()
            } else {
                while let a = queue.receive() {
                    if let b = m.load(a, slot: 0), m.load(b, slot: 0) === a { made += 1 }
                    m.dropTree(a)
                }
            }
            manager.detach(m)
            return made
        }
        XCTAssertEqual(results, [pairs, pairs], "every pair made, and its weak back reference read on the other thread")
        XCTAssertEqual(ARCLiveObjects.weakBoxes, boxesBefore, "every box deinitialized and counted")
        XCTAssertEqual(ARCLiveObjects.count, objectsBefore)
    }

    func testNameAndSharing() {
        let manager = ThreadedARCManager()
        XCTAssertEqual(manager.name, "arc")
        XCTAssertEqual(manager.sharing, .atomicCounts)
    }

    func testAttachTwiceOnOneThreadThrows() throws {
        try ThreadedManagerChecks.assertAttachTwiceThrows(ThreadedARCManager())
    }
}

/// The misuses of a threaded ARC manager, each in a child process that the precondition ends.
final class ThreadedARCManagerMisuseTests: XCTestCase {
    func testMisuseChild() throws {
        guard let misuse = ThreadedMisuse.requested else { return }  // parent run: nothing
        try misuse.perform(on: ThreadedARCManager())
        exit(0)  // reaching here means the check did not fire
    }

    static let child = "SystemHeapsTests.ThreadedARCManagerMisuseTests/testMisuseChild"

    func testDetachOnAnotherThreadTraps() throws {
        try ThreadedMisuse.detachOnAnotherThread.assertTraps(Self.child, expected: ["arc: detach called on thread 0x", "but the context belongs to thread 0x"])
    }

    func testContextOnAnotherThreadTrapsInDebugBuilds() throws {
        #if DEBUG
        try ThreadedMisuse.contextOnAnotherThread.assertTraps(Self.child, expected: ["arc: safepoint() called on thread 0x", "but this context belongs to thread 0x"])
        #else
        throw XCTSkip("the wrong-thread check of a context's rare paths is compiled into debug builds only")
        #endif
    }
}
