import Foundation
import HeapLabCore
import HeapLabTestSupport
import Synchronization
import SystemHeaps
import XCTest

/// Boehm GC with several mutator threads at once, each registered (`BoehmThreadRegistration`) and using a
/// manager of its own.
final class BoehmThreadTests: XCTestCase {
    /// What one worker thread found: its list checked against the values it wrote, or why it could not run.
    struct WorkerResult: Sendable {
        var thread: Int
        var nodes = 0
        var mismatches = 0
        var firstMismatch: String?
        var error: String?
    }

    /// The manager of the test's (main) thread, with thread registration allowed, or a skip when libgc is not
    /// installed or has no thread registration.
    func makeMainManager(_ log: PauseLog) throws -> BoehmManager {
        guard BoehmManager.availability().isAvailable else { throw XCTSkip(BoehmManager.availability().description) }
        let manager = try BoehmManager(pauseLog: log)
        do {
            try manager.allowThreadRegistration()
        } catch .unsupported(let missing) {
            throw XCTSkip("this libgc has no thread registration: \(missing)")
        }
        return manager
    }

    /// Runs `body(thread)` on `count` new threads at once and returns their results in thread order.
    func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> WorkerResult) -> [WorkerResult] {
        let results = Mutex<[WorkerResult]>([])
        let finished = DispatchSemaphore(value: 0)
        for t in 0..<count {
            let thread = Thread {
                let result = body(t)
                results.withLock { $0.append(result) }
                finished.signal()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        for _ in 0..<count { finished.wait() }
        return results.withLock { $0 }.sorted { $0.thread < $1.thread }
    }

    /// Several registered threads build two lists each at once while making garbage and forcing collections,
    /// so every collection runs while the other threads are mid-allocation. One list is rooted on the manager's
    /// root stack (memory Boehm scans whatever the thread); the other only by a local variable, which Boehm
    /// finds only because the thread is registered: it scans the stack and registers of registered threads
    /// alone. The oracle: the values each thread wrote, regenerated from its seed, against what it reads back
    /// from both lists after all threads are done allocating. Nodes freed and reused under a thread show as
    /// wrong values or a wrong count.
    func testRegisteredThreadsAllocateAtOnceAndKeepTheirObjects() throws {
        let log = PauseLog()
        let main = try makeMainManager(log)
        let threads = 4
        let nodesPerThread = StressEnvironment.operations(debug: 20_000, release: 200_000)
        let seed = StressEnvironment.seed(0xB0E4)
        let collectionsBefore = main.statistics().extra["collections"] ?? 0
        let allBuilt = Barrier(count: threads)

        let results = runThreads(threads) { t in
            var result = WorkerResult(thread: t)
            let registration: BoehmThreadRegistration
            do { registration = try BoehmThreadRegistration() } catch {
                result.error = "\(error)"
                allBuilt.arrive()
                return result
            }
            do {
                let gc = try BoehmManager(pauseLog: nil)
                let base = gc.rootDepth
                let node = ObjectShape(referenceSlots: 1, payloadBytes: 8)
                let garbage = ObjectShape(referenceSlots: 2, payloadBytes: 200)
                var values = SplitMix64(seed: seed &+ UInt64(t))
                var head: BoehmRef? = nil
                var localHead: BoehmRef? = nil  // never on the root stack
                gc.pushRoot(nil)
                for i in 0..<nodesPerThread {
                    let value = values.next()
                    let object = try gc.allocate(node)
                    gc.storePayload(object, byteOffset: 0, value)
                    gc.store(object, slot: 0, head)
                    head = object
                    gc.setRoot(base, head)
                    let local = try gc.allocate(node)
                    gc.storePayload(local, byteOffset: 0, ~value)
                    gc.store(local, slot: 0, localHead)
                    localHead = local
                    // Garbage, some of it pointing into the list, so collections have work and reuse memory.
                    for _ in 0..<4 {
                        let junk = try gc.allocate(garbage)
                        gc.store(junk, slot: 0, head)
                        gc.storePayload(junk, byteOffset: 0, UInt64.max)
                    }
                    if i % 5_000 == 4_999 { gc.collect() }
                }
                // Every thread holds its list until all have built theirs: later collections still see it.
                allBuilt.arrive()
                allBuilt.wait()
                gc.collect()
                var expected = [UInt64](repeating: 0, count: nodesPerThread)
                var regenerate = SplitMix64(seed: seed &+ UInt64(t))
                for i in 0..<nodesPerThread { expected[i] = regenerate.next() }
                for (list, start, transform) in [("rooted", head, { (v: UInt64) in v }), ("local", localHead, { ~$0 })] {
                    var cursor = start
                    var index = nodesPerThread
                    while let object = cursor {
                        index -= 1
                        let value = gc.loadPayload(object, byteOffset: 0, as: UInt64.self)
                        if index < 0 || value != transform(expected[index]) {
                            result.mismatches += 1
                            if result.firstMismatch == nil {
                                result.firstMismatch = index < 0 ? "\(list) list: more nodes than written"
                                    : "\(list) list, node \(index): \(value), wrote \(transform(expected[index]))"
                            }
                            if index < 0 { break }
                        }
                        result.nodes += 1
                        cursor = gc.load(object, slot: 0)
                    }
                }
                gc.popRoots(to: base)
            } catch {
                result.error = "\(error)"
                allBuilt.arrive()
            }
            registration.unregister()
            return result
        }

        for result in results {
            XCTAssertNil(result.error, "thread \(result.thread)")
            XCTAssertEqual(result.nodes, 2 * nodesPerThread, "thread \(result.thread): nodes in its two lists")
            XCTAssertEqual(result.mismatches, 0, "thread \(result.thread): \(result.firstMismatch ?? "")")
        }
        let collections = (main.statistics().extra["collections"] ?? 0) - collectionsBefore
        XCTAssertGreaterThanOrEqual(collections, Double(threads), "every thread forced collections")
        // Collections started by the other threads reach the main manager's log too.
        XCTAssertGreaterThanOrEqual(log.events.filter { $0.kind == .collection }.count, threads)
    }

    /// The thread that first loaded Boehm is registered by Boehm itself: registering it again is an error
    /// that says so, and leaves it registered.
    func testRegisteringARegisteredThreadThrows() throws {
        let main = try makeMainManager(PauseLog())
        do {
            let registration = try BoehmThreadRegistration()
            XCTFail("registering the thread that first loaded Boehm succeeded")
            registration.unregister()
        } catch {
            XCTAssertEqual(error, .alreadyRegistered)
            XCTAssertTrue(error.description.contains("registered with Boehm GC already"), error.description)
        }
        _ = try main.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8))
    }

    /// A thread that did not register can not make a manager: Boehm would neither stop nor scan it.
    func testUnregisteredThreadCanNotMakeAManager() throws {
        _ = try makeMainManager(PauseLog())
        let results = runThreads(1) { t in
            var result = WorkerResult(thread: t)
            do { _ = try BoehmManager(pauseLog: nil) } catch { result.error = "\(error)" }
            return result
        }
        XCTAssertEqual(results.count, 1)
        XCTAssertTrue(results[0].error?.contains("not registered") ?? false, results[0].error ?? "no error")
    }
}

/// A manager used from a thread other than the one that made it stops with a message naming the misuse (the
/// manager's state is not thread-safe). Runs in a child process, which the misuse ends.
final class BoehmThreadMisuseTests: XCTestCase {
    static let trapVariable = "HEAPLAB_BOEHM_TRAP"

    /// In the child: a registered thread calls `collect()` on the main thread's manager; must never return.
    func testTrapChild() throws {
        guard ProcessInfo.processInfo.environment[Self.trapVariable] != nil else { return }  // parent run: nothing
        guard BoehmManager.availability().isAvailable else { exit(0) }
        let main = try BoehmManager(pauseLog: PauseLog())
        try main.allowThreadRegistration()
        nonisolated(unsafe) let shared = main  // the misuse under test: a manager sent to another thread
        let done = DispatchSemaphore(value: 0)
        Thread {
            do {
                let registration = try BoehmThreadRegistration()
                shared.collect()
                registration.unregister()
            } catch {
                print("registration failed: \(error)")
            }
            done.signal()
        }.start()
        done.wait()
        exit(0)  // reaching here means the check did not fire
    }

    func testManagerUsedOnAnotherThreadTraps() throws {
        guard BoehmManager.availability().isAvailable else { throw XCTSkip(BoehmManager.availability().description) }
        let (status, stderr) = try ChildProcess.runTrap("SystemHeapsTests.BoehmThreadMisuseTests/testTrapChild",
                                                         environment: [Self.trapVariable: "1"])
        XCTAssertNotEqual(status, 0, "the child must trap:\n\(stderr.suffix(2000))")
        #if DEBUG  // Swift prints a precondition's message in debug builds only
        XCTAssertTrue(stderr.contains("boehm: collect() called on another thread"), String(stderr.suffix(2000)))
        #endif
    }
}
