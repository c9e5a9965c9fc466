import Foundation
import HeapLabCore
import HeapLabTestSupport
import SystemHeaps
import XCTest

/// malloc, jemalloc and mimalloc shared by several threads (`ThreadedManualHeap`): threads attached at once,
/// each checked against its oracle; structures handed to another thread and freed there; the misuses.
final class ThreadedManualHeapTests: XCTestCase {
    /// One side of a hand-off: what its thread found, and its context's live bytes before it detached.
    struct Side: Sendable {
        var result: ThreadedManagerChecks.WorkerResult
        var liveBytes = 0
    }

    /// `threads` threads build, check and free their structures at once; then the summed statistics count every
    /// allocation and no live byte.
    func check<A: RawAllocator>(_ manager: ThreadedManualHeap<A>, threads: Int, seed: UInt64,
                                file: StaticString = #filePath, line: UInt = #line) {
        let results = ThreadedManagerChecks.buildAndCheck(manager, threads: threads, seed: StressEnvironment.seed(seed))
        ThreadedManagerChecks.assertClean(results, threads: threads, file: file, line: line)
        let statistics = manager.statistics()
        XCTAssertEqual(statistics.allocations, threads * ThreadedManagerChecks.Sizes.standard.allocationsPerThread,
                       "every context's allocations, summed at detach", file: file, line: line)
        XCTAssertEqual(statistics.liveBytes, 0, "every block freed", file: file, line: line)
        XCTAssertEqual(manager.attachedThreads, 0, file: file, line: line)
    }

    /// One thread builds trees and a list longer than `ManualHeap.recursionLimit` and hands each to a second
    /// thread as soon as it is built; the second checks it against the values regenerated from the first's seed
    /// and frees it through its own context (a cross-thread free), while the first goes on allocating. Each
    /// context counts what happened on its thread: the builder's live bytes are positive, the freer's negative,
    /// and their sum, the manager's, is zero.
    func crossThreadFree<A: RawAllocator & SendableMetatype>(_ manager: ThreadedManualHeap<A>, file: StaticString = #filePath, line: UInt = #line) {
        let trees = StressEnvironment.operations(debug: 40, release: 400)
        let depth = 8, listLength = 6_000
        let seed = StressEnvironment.seed(0xC0FF)
        let queue = HandOffQueue<ObjectRef>()
        let sides = ThreadedManagerChecks.runThreads(2) { t -> Side in
            var side = Side(result: .init(thread: t))
            let m: ManualHeap<A>
            do { m = try manager.attach() } catch {
                side.result.error = "\(error)"
                queue.close()
                return side
            }
            do {
                var values = SplitMix64(seed: seed)
                if t == 0 {
                    for i in 0..<trees {
                        let tree = try ThreadedManagerChecks.buildTree(m, depth: depth, values: &values, allocations: &side.result.allocations)
                        queue.send(tree)  // from here on the other thread owns it
                        if i % 8 == 0 {
                            let list = try ThreadedManagerChecks.buildList(m, count: listLength, values: &values, rootIndex: 0,
                                                                          allocations: &side.result.allocations)
                            queue.send(list!)
                        }
                    }
                    queue.close()
                } else {
                    var i = 0
                    while let structure = queue.receive() {
                        if i % 9 == 1 {  // every ninth structure after the first tree is a list
                            ThreadedManagerChecks.checkList(m, structure, count: listLength, values: values,
                                                            label: "list \(i)", result: &side.result)
                            for _ in 0..<listLength { _ = values.next() }
                        } else {
                            ThreadedManagerChecks.checkTree(m, structure, depth: depth, values: &values, label: "tree \(i)",
                                                            result: &side.result)
                        }
                        m.dropTree(structure)
                        i += 1
                    }
                }
            } catch {
                side.result.error = "\(error)"
                queue.close()
            }
            side.liveBytes = m.statistics().liveBytes ?? .min
            manager.detach(m)
            return side
        }
        let lists = (trees + 7) / 8
        let nodes = trees * ((1 << (depth + 1)) - 1) + lists * listLength
        XCTAssertNil(sides[0].result.error, file: file, line: line)
        XCTAssertNil(sides[1].result.error, file: file, line: line)
        XCTAssertEqual(sides[0].result.allocations, nodes, file: file, line: line)
        XCTAssertEqual(sides[1].result.nodes, nodes, "every structure handed over was checked", file: file, line: line)
        XCTAssertEqual(sides[1].result.mismatches, 0, sides[1].result.firstMismatch ?? "", file: file, line: line)
        let bytes = nodes * ThreadedManagerChecks.node.bytes  // tagged nodes: each block is its shape's bytes
        XCTAssertEqual(sides[0].liveBytes, bytes, "the builder's context: all it allocated, none freed there", file: file, line: line)
        XCTAssertEqual(sides[1].liveBytes, -bytes, "the freer's context: all it freed, none allocated there", file: file, line: line)
        XCTAssertEqual(manager.statistics().liveBytes, 0, file: file, line: line)
        XCTAssertEqual(manager.statistics().allocations, nodes, file: file, line: line)
    }

    func testMallocTwoThreads() { check(ThreadedMallocManager(), threads: 2, seed: 0x3A11) }
    func testMallocFourThreads() { check(ThreadedMallocManager(), threads: 4, seed: 0x3A12) }
    func testMallocCrossThreadFree() { crossThreadFree(ThreadedMallocManager()) }

    func testJemallocTwoAndFourThreads() throws {
        guard try ChildProcess.jemallocInThisProcess(orRun: "SystemHeapsTests.ThreadedManualHeapTests/testJemallocTwoAndFourThreads") else { return }
        check(try ThreadedJemallocManager(), threads: 2, seed: 0x3E11)
        check(try ThreadedJemallocManager(), threads: 4, seed: 0x3E12)
    }

    func testJemallocCrossThreadFree() throws {
        guard try ChildProcess.jemallocInThisProcess(orRun: "SystemHeapsTests.ThreadedManualHeapTests/testJemallocCrossThreadFree") else { return }
        crossThreadFree(try ThreadedJemallocManager())
    }

    func mimalloc() throws -> ThreadedMimallocManager {
        let availability = MimallocAllocator.availability()
        guard availability.isAvailable else { throw XCTSkip(availability.description) }
        return try ThreadedMimallocManager()
    }

    func testMimallocTwoAndFourThreads() throws {
        check(try mimalloc(), threads: 2, seed: 0x3B11)
        check(try mimalloc(), threads: 4, seed: 0x3B12)
    }

    func testMimallocCrossThreadFree() throws { crossThreadFree(try mimalloc()) }

    func testNamesAndSharing() {
        let manager = ThreadedMallocManager()
        XCTAssertEqual(manager.name, "malloc")
        XCTAssertEqual(manager.sharing, .withOwnershipDiscipline)
    }

    func testAttachTwiceOnOneThreadThrows() throws {
        try ThreadedManagerChecks.assertAttachTwiceThrows(ThreadedMallocManager())
    }

    /// A missing allocator fails as the single-threaded manager does: "not installed", with its package.
    func testUnavailableAllocatorThrowsAsBefore() throws {
        guard case .notInstalled(let package) = MimallocAllocator.availability() else {
            throw XCTSkip("mimalloc is installed: nothing to check")
        }
        XCTAssertThrowsError(try ThreadedMimallocManager()) { error in
            XCTAssertEqual((error as? ComparatorUnavailable)?.availability(package: package), .notInstalled(package: package))
        }
    }
}

/// The misuses of a threaded malloc, each in a child process that the precondition ends.
final class ThreadedManualHeapMisuseTests: XCTestCase {
    /// In the child: the misuse the parent asked for; must never return.
    func testMisuseChild() throws {
        guard let misuse = ThreadedMisuse.requested else { return }  // parent run: nothing
        try misuse.perform(on: ThreadedMallocManager())
        exit(0)  // reaching here means the check did not fire
    }

    static let child = "SystemHeapsTests.ThreadedManualHeapMisuseTests/testMisuseChild"

    func testDetachOnAnotherThreadTraps() throws {
        try ThreadedMisuse.detachOnAnotherThread.assertTraps(Self.child, expected: ["malloc: detach called on thread 0x", "but the context belongs to thread 0x"])
    }

    func testContextOnAnotherThreadTrapsInDebugBuilds() throws {
        #if DEBUG
        try ThreadedMisuse.contextOnAnotherThread.assertTraps(Self.child, expected: ["malloc: safepoint() called on thread 0x", "but this context belongs to thread 0x"])
        #else
        throw XCTSkip("the wrong-thread check of a context's rare paths is compiled into debug builds only")
        #endif
    }
}
