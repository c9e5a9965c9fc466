import Foundation
import HeapLabCore
import HeapLabTestSupport
import SystemHeaps
import XCTest

/// Boehm GC shared by several threads (`ThreadedBoehmManager`): attach registers each thread and makes its
/// context, detach unregisters it; threads attached at once allocate while Boehm collects, each checked
/// against its oracle; the misuses.
///
/// The manager is made on the test's main thread, the one that first loaded Boehm (a thread Boehm knows), as
/// `ThreadedBoehmManager.init` requires.
final class ThreadedBoehmManagerTests: XCTestCase {
    func makeManager() throws -> ThreadedBoehmManager {
        let availability = BoehmManager.availability()
        guard availability.isAvailable else { throw XCTSkip(availability.description) }
        return try ThreadedBoehmManager()
    }

    /// Each thread's structures are rooted on its own root stack while every other thread allocates garbage, so
    /// collections run while they are all live; a collection that missed a thread's roots (or a thread Boehm
    /// does not know) would free nodes under it, and the oracle would find them reused. Each thread also forces
    /// a collection once every thread has built its structures, before checking them.
    func check(threads: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        let manager = try makeManager()
        let collectionsBefore = manager.statistics().extra["collections"] ?? 0
        // More garbage than the standard sizes, so Boehm collects during the run.
        var sizes = ThreadedManagerChecks.Sizes.standard
        sizes.garbagePerStructure = 40
        let results = ThreadedManagerChecks.buildAndCheck(manager, threads: threads, sizes: sizes, seed: StressEnvironment.seed(seed)) {
            $0.collect()
        }
        ThreadedManagerChecks.assertClean(results, threads: threads, sizes: sizes, file: file, line: line)
        let statistics = manager.statistics()
        XCTAssertEqual(statistics.allocations, threads * sizes.allocationsPerThread, file: file, line: line)
        XCTAssertGreaterThanOrEqual((statistics.extra["collections"] ?? 0) - collectionsBefore, Double(threads),
                                    "every thread forced a collection", file: file, line: line)
        XCTAssertEqual(manager.attachedThreads, 0, file: file, line: line)
    }

    func testTwoThreads() throws { try check(threads: 2, seed: 0xB0E2) }
    func testFourThreads() throws { try check(threads: 4, seed: 0xB0E4) }

    /// The main thread, which Boehm knows already, attaches too (no registration of its own to undo), beside a
    /// worker that attach registers; both stay usable, and after detaching the main thread is still registered
    /// (it can make a manager), while the worker was unregistered (it can not).
    func testMainThreadAttachesBesideARegisteredWorker() throws {
        let manager = try makeManager()
        let main = try manager.attach()
        let object = try main.allocate(ThreadedManagerChecks.node)
        main.storePayload(object, byteOffset: 0, UInt64(42))
        let outcome = ThreadedManagerChecks.runThreads(1) { _ -> String in
            do {
                let context = try manager.attach()
                _ = try context.allocate(ThreadedManagerChecks.node)
                manager.detach(context)
            } catch {
                return "attach: \(error)"
            }
            do {
                _ = try BoehmManager(pauseLog: nil)
                return "the worker is still registered after its detach"
            } catch {
                return "\(error)".contains("not registered") ? "ok" : "\(error)"
            }
        }
        XCTAssertEqual(outcome, ["ok"])
        XCTAssertEqual(main.loadPayload(object, byteOffset: 0, as: UInt64.self), 42)
        manager.detach(main)
        XCTAssertNoThrow(try BoehmManager(pauseLog: nil), "the main thread stays registered: Boehm registered it itself")
    }

    func testNameAndSharing() throws {
        let manager = try makeManager()
        XCTAssertEqual(manager.name, "boehm")
        XCTAssertEqual(manager.sharing, .anyReference)
    }

    func testAttachTwiceOnOneThreadThrows() throws {
        try ThreadedManagerChecks.assertAttachTwiceThrows(try makeManager())
    }

    /// A thread Boehm does not know can not make the manager: it could not allow registration.
    func testUnregisteredThreadCanNotMakeTheManager() throws {
        _ = try makeManager()
        let outcome = ThreadedManagerChecks.runThreads(1) { _ -> String in
            do {
                _ = try ThreadedBoehmManager()
                return "made"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(outcome[0].contains("not registered"), outcome[0])
    }
}

/// The misuses of a threaded Boehm manager, each in a child process that the precondition ends.
final class ThreadedBoehmManagerMisuseTests: XCTestCase {
    func testMisuseChild() throws {
        guard let misuse = ThreadedMisuse.requested else { return }  // parent run: nothing
        guard BoehmManager.availability().isAvailable else { exit(0) }
        try misuse.perform(on: ThreadedBoehmManager())
        exit(0)  // reaching here means the check did not fire
    }

    static let child = "SystemHeapsTests.ThreadedBoehmManagerMisuseTests/testMisuseChild"

    override func setUpWithError() throws {
        guard BoehmManager.availability().isAvailable else { throw XCTSkip(BoehmManager.availability().description) }
    }

    func testDetachOnAnotherThreadTraps() throws {
        try ThreadedMisuse.detachOnAnotherThread.assertTraps(Self.child, expected: ["boehm: detach called on thread 0x", "but the context belongs to thread 0x"])
    }

    func testDetachWithRootsPushedTraps() throws {
        try ThreadedMisuse.detachWithRoots.assertTraps(Self.child, expected: ["boehm: detach on thread 0x", "with 1 roots still pushed"])
    }

    /// Boehm's contexts check their thread on their rare paths in every build (`safepoint()` is one).
    func testContextOnAnotherThreadTraps() throws {
        try ThreadedMisuse.contextOnAnotherThread.assertTraps(Self.child, expected: ["boehm: safepoint() called on another thread"])
    }
}
