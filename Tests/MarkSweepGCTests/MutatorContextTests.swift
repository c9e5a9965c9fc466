import Foundation
import HeapLabCore
import HeapLabTestSupport
@testable import MarkSweepGC
import XCTest

/// Attaching and detaching threads, `withoutCollector`, and the misuse of contexts (Docs/Threads.md, sections
/// 2, 4 and 5). The misuse cases stop the program, so they run in a child process (`testTrapChild`).
final class MutatorContextTests: XCTestCase {
    static let trapVariable = "MARKSWEEPGC_CONTEXT_TRAP"
    let node = ObjectShape(referenceSlots: 2, payloadBytes: 8)

    func makeHeap() -> (GCHeap, PauseLog) {
        let log = PauseLog()
        let configuration = GCConfiguration(minimumHeapBytes: 128 << 10, verifyAfterEveryCycle: true, checkFailureMode: .record)
        return (GCHeap(configuration: configuration, pauseLog: log), log)
    }

    /// Runs `body` on a new thread and waits for it, inside `withoutCollector` of `waiter` (so the waiting
    /// thread never holds up a collection the new thread starts).
    func onNewThread(waitingIn waiter: GCHeap, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread {
            body()
            done.signal()
        }.start()
        waiter.withoutCollector { done.wait() }
    }

    /// A thread blocked inside `withoutCollector` (on a semaphore only the collecting thread signals, after its
    /// collections) does not hold them up: this test simply completes. Its rooted object survives them, found
    /// through its root stack, which the collector scans while the thread is blocked.
    func testAThreadBlockedWithoutCollectorDoesNotHoldUpCollections() throws {
        let (main, log) = makeHeap()
        let shared = main.shared
        let node = node
        let ready = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let kept = UnsafeMutablePointer<GCRef?>.allocate(capacity: 1)  // written before `ready`, read after it
        kept.initialize(to: nil)
        defer { kept.deallocate() }
        nonisolated(unsafe) let keptBox = kept
        nonisolated(unsafe) var problem: String? = nil  // written by the thread before `done`, read after it
        Thread {
            do {
                let mine = try shared.attach()
                let object = try mine.allocate(node)
                mine.storePayload(object, byteOffset: 0, UInt64(0xB10C_CED))
                mine.pushRoot(object)
                keptBox.pointee = object
                mine.withoutCollector {
                    ready.signal()
                    release.wait()  // blocked until the main thread has collected
                }
                if mine.loadPayload(object, byteOffset: 0, as: UInt64.self) != 0xB10C_CED { problem = "its payload changed" }
                mine.popRoots(to: 0)
                shared.detach(mine)
            } catch {
                problem = "\(error)"
            }
            done.signal()
        }.start()
        main.withoutCollector { ready.wait() }
        let collectionsBefore = log.events.filter { $0.kind == .collection }.count
        // Pacer collections (a 128 KiB minimum heap) and explicit ones, while the other thread is blocked.
        for _ in 0..<40_000 { _ = try main.allocate(self.node) }
        main.collect()
        let collections = log.events.filter { $0.kind == .collection }.count - collectionsBefore
        XCTAssertGreaterThan(collections, 1, "the pacer and collect() collected while the other thread was blocked")
        let object = try XCTUnwrap(kept.pointee)
        XCTAssertTrue(main.isLive(object), "the blocked thread's rooted object survived")
        XCTAssertEqual(main.liveObjectCount, 1, "only the blocked thread's object is live")
        release.signal()
        main.withoutCollector { done.wait() }
        XCTAssertNil(problem)
        main.collect()
        XCTAssertEqual(main.liveObjectCount, 0, "the object died with its thread's roots")
        XCTAssertEqual(main.takeCheckFailures(), [])
    }

    /// Attaching a thread that holds a context already throws `.alreadyAttached`, both the thread that made the
    /// heap and one attached later; after detaching, a thread may attach again.
    func testAttachingTwiceThrows() throws {
        let (main, _) = makeHeap()
        XCTAssertThrowsError(try main.shared.attach()) { error in
            XCTAssertEqual(error as? AttachError, .alreadyAttached(manager: "gc"))
            XCTAssertTrue("\(error)".contains("attached already"), "\(error)")
        }
        let shared = main.shared
        nonisolated(unsafe) var outcome: [String] = []  // written by the thread, read after it finished
        onNewThread(waitingIn: main) {
            do {
                let first = try shared.attach()
                do {
                    _ = try shared.attach()
                    outcome.append("second attach succeeded")
                } catch {
                    outcome.append(error as? AttachError == .alreadyAttached(manager: "gc") ? "threw alreadyAttached" : "threw \(error)")
                }
                shared.detach(first)
                let again = try shared.attach()
                _ = try again.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8))
                shared.detach(again)
                outcome.append("attached again")
            } catch {
                outcome.append("attach threw \(error)")
            }
        }
        XCTAssertEqual(outcome, ["threw alreadyAttached", "attached again"])
        XCTAssertEqual(main.shared.attachedThreads, 1)
    }

    // MARK: misuse, in a child process

    /// In the child: the misuse the environment names; must never return.
    func testTrapChild() throws {
        guard let which = ProcessInfo.processInfo.environment[Self.trapVariable] else { return }  // parent run
        let (main, _) = makeHeap()
        let shared = main.shared
        let done = DispatchSemaphore(value: 0)
        switch which {
        case "detach-with-roots":
            Thread {
                let mine = try! shared.attach()
                mine.pushRoot(nil)
                mine.pushRoot(nil)
                shared.detach(mine)
                done.signal()
            }.start()
        case "wrong-thread-roots", "wrong-thread-allocate":
            nonisolated(unsafe) let foreign = main  // the misuse under test: a context used on another thread
            Thread {
                if which == "wrong-thread-roots" { foreign.pushRoot(nil) }
                // A large object: always the slow path, which checks the owner.
                _ = try? foreign.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 64 << 10))
                done.signal()
            }.start()
        case "thread-exited-attached":
            // The context outlives its thread, still attached: the next collection must not wait for it forever.
            final class Holder: @unchecked Sendable { var context: GCHeap? }  // written once, before the join
            let holder = Holder()
            let thread = Thread {
                holder.context = try! shared.attach()
                done.signal()
            }
            thread.start()
            main.withoutCollector { done.wait() }
            usleep(100_000)  // let the thread end (Foundation's Thread has no join)
            main.collect()
            _ = holder.context
            exit(0)
        default:
            XCTFail("unknown trap \(which)")
        }
        main.withoutCollector { done.wait() }
        exit(0)  // reaching here means the check did not fire
    }

    func expectTrap(_ which: String, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let (status, stderr) = try ChildProcess.runTrap("MarkSweepGCTests.MutatorContextTests/testTrapChild",
                                                         environment: [Self.trapVariable: which])
        XCTAssertNotEqual(status, 0, "the child must trap (\(which)):\n\(stderr.suffix(2000))", file: file, line: line)
        guard MisuseTrapTests.isDebugBuild else { return }  // Swift prints precondition messages in debug builds only
        for piece in expected {
            XCTAssertTrue(stderr.contains(piece), "\(which): expected \"\(piece)\" in:\n\(stderr.suffix(2000))", file: file, line: line)
        }
    }

    /// A detached root stack is no longer scanned, so detaching with roots pushed stops the program (every build).
    func testDetachWithRootsPushedTraps() throws {
        try expectTrap("detach-with-roots", ["gc: detach with 2 roots still pushed"])
    }

    /// A thread that ends without detaching its context (kept alive elsewhere) would hold up every collection
    /// forever; the waiting collector notices the thread is gone and stops the program, naming it (every build).
    func testThreadThatExitedAttachedStopsTheCollectionWithAMessage() throws {
        try expectTrap("thread-exited-attached", ["has exited without detaching it"])
    }

    /// A context used on a thread other than its owner stops the program, naming the operation and both
    /// threads. Checked in debug builds only (Docs/Threads.md, section 2: release builds keep the owner check
    /// off the fast paths).
    func testContextUsedOnAnotherThreadTraps() throws {
        guard MisuseTrapTests.isDebugBuild else {
            throw XCTSkip("the owner check is a debug-build assertion (Docs/Threads.md, section 2)")
        }
        try expectTrap("wrong-thread-roots", ["gc: pushRoot on thread 0x", "but this mutator context belongs to thread 0x"])
        try expectTrap("wrong-thread-allocate", ["gc: allocate on thread 0x", "but this mutator context belongs to thread 0x",
                                                 "attach a context on each thread"])
    }
}
