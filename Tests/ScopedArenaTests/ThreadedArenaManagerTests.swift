import Foundation
import HeapLabCore
import HeapLabTestSupport
import ScopedArena
import XCTest

/// The arena with several threads (`ThreadedArenaManager`): one arena per attached thread, all allocating at
/// once, each thread's structures checked against its oracle; statistics summed; the misuses.
final class ThreadedArenaManagerTests: XCTestCase {
    /// Small chunks, so that every thread takes its slow path (a new chunk) many times while the others
    /// allocate; poisoned scope ends, so memory freed under a holder would show as wrong values.
    static let configuration = ArenaConfiguration(initialChunkBytes: 16 << 10, maximumChunkBytes: 64 << 10, poisonsFreedMemory: true)

    func check(threads: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let manager = ThreadedArenaManager(configuration: Self.configuration)
        let results = ThreadedManagerChecks.buildAndCheck(manager, threads: threads, seed: StressEnvironment.seed(seed))
        ThreadedManagerChecks.assertClean(results, threads: threads, file: file, line: line)
        let statistics = manager.statistics()
        let sizes = ThreadedManagerChecks.Sizes.standard
        XCTAssertEqual(statistics.allocations, threads * sizes.allocationsPerThread, file: file, line: line)
        XCTAssertEqual(statistics.bytesRequested, threads * sizes.allocationsPerThread * ThreadedManagerChecks.node.bytes,
                       file: file, line: line)
        XCTAssertEqual(statistics.extra["scopesEnded"], Double(threads), "one scope per thread, ended", file: file, line: line)
        XCTAssertGreaterThan(statistics.extra["chunksMapped"] ?? 0, Double(threads), "every thread mapped chunks", file: file, line: line)
        XCTAssertEqual(statistics.liveBytes, 0, "no thread attached: nothing live", file: file, line: line)
        XCTAssertEqual(manager.attachedThreads, 0, file: file, line: line)
    }

    func testTwoThreads() { check(threads: 2, seed: 0xA7E2) }
    func testFourThreads() { check(threads: 4, seed: 0xA7E4) }

    /// Each thread's context has an arena of its own: while two threads are attached, the manager's live bytes
    /// are the sum of both arenas', and each context's `statistics()` shows only its own thread's objects.
    func testStatisticsSumAttachedArenas() throws {
        let manager = ThreadedArenaManager(configuration: Self.configuration)
        let attached = Barrier(count: 3), measured = Barrier(count: 1)
        let counts = [100, 300]
        let own = Unchecked([Int](repeating: -1, count: 2))
        let ownLock = NSLock()
        let finished = DispatchSemaphore(value: 0)
        for t in 0..<2 {
            let thread = Thread {
                guard let m = try? manager.attach() else {
                    attached.arrive()
                    finished.signal()
                    return
                }
                for _ in 0..<counts[t] { _ = try? m.allocate(ThreadedManagerChecks.node) }
                let mine = m.statistics().allocations
                ownLock.withLock { own.value[t] = mine }
                attached.arrive()
                measured.wait()
                manager.detach(m)
                finished.signal()
            }
            thread.start()
        }
        attached.arrive()
        attached.wait()
        // Both threads are parked at `measured`, so reading their arenas here is not a race.
        let statistics = manager.statistics()
        measured.arrive()
        finished.wait()
        finished.wait()
        XCTAssertEqual(ownLock.withLock { own.value }, counts, "each context counts its own thread's objects")
        XCTAssertEqual(statistics.allocations, counts.reduce(0, +))
        XCTAssertEqual(statistics.liveBytes, counts.reduce(0, +) * ThreadedManagerChecks.node.bytes)
        XCTAssertEqual(statistics.extra["attachedThreads"], 2)
        XCTAssertEqual(manager.statistics().allocations, counts.reduce(0, +), "kept in the totals after detach")
        XCTAssertEqual(manager.statistics().liveBytes, 0)
    }

    func testNameAndSharing() {
        let manager = ThreadedArenaManager()
        XCTAssertEqual(manager.name, "arena")
        XCTAssertEqual(manager.sharing, .byMoveOrCopy)
    }

    func testAttachTwiceOnOneThreadThrows() throws {
        try ThreadedManagerChecks.assertAttachTwiceThrows(ThreadedArenaManager())
    }
}

/// The misuses of a threaded arena, each in a child process that the precondition ends.
final class ThreadedArenaManagerMisuseTests: XCTestCase {
    func testMisuseChild() throws {
        guard let misuse = ThreadedMisuse.requested else { return }  // parent run: nothing
        try misuse.perform(on: ThreadedArenaManager())
        exit(0)  // reaching here means the check did not fire
    }

    static let child = "ScopedArenaTests.ThreadedArenaManagerMisuseTests/testMisuseChild"

    func testDetachOnAnotherThreadTraps() throws {
        try ThreadedMisuse.detachOnAnotherThread.assertTraps(Self.child, expected: ["arena: detach called on thread 0x", "but the context belongs to thread 0x"])
    }

    func testContextOnAnotherThreadTrapsInDebugBuilds() throws {
        #if DEBUG
        try ThreadedMisuse.contextOnAnotherThread.assertTraps(Self.child, expected: ["arena: safepoint() called on thread 0x", "but this context belongs to thread 0x"])
        #else
        throw XCTSkip("the wrong-thread check of a context's rare paths is compiled into debug builds only")
        #endif
    }
}
