import Foundation
import HeapLabCore
import SystemHeaps
import XCTest
@testable import Workloads

final class DeepListTests: XCTestCase {
    func testARCDropsALongListOnALargeStack() throws {
        let deep = try DeepListOnLargeStack.make(testSize: true)
        let before = ARCLiveObjects.count
        let outcome = try deep.run(on: ARCManager(), context: RunContext(pauseLog: PauseLog()))
        XCTAssertEqual(ARCLiveObjects.count, before, "the list must have been released on the large-stack thread")
        XCTAssertEqual(outcome.metrics["nodes"], Double(deep.list.nodes))
        XCTAssertFalse(outcome.notes.isEmpty)
    }

    func testMallocDropsALongListIteratively() throws {
        let deep = try DeepList.make(["nodes": 300_000])
        let malloc = MallocManager()
        let log = PauseLog()
        _ = try deep.run(on: malloc, context: RunContext(pauseLog: log))
        XCTAssertEqual(malloc.statistics().liveBytes, 0)
        XCTAssertEqual(log.events.filter { $0.kind == .stall }.count, 1)
    }

    /// A threaded manager's context hands its `dropTree` to the large-stack thread as a manager made on its own
    /// does: the wrong-thread checks are on what touches the context's own state (scopes, statistics, slow
    /// paths), never on `dropTree` or `free`, which touch only the objects handed over while the owner waits.
    func testThreadedContextsHandTheDropToALargeStack() throws {
        let deep = try DeepListOnLargeStack.make(testSize: true)
        let arc = ThreadedARCManager()
        let before = ARCLiveObjects.count
        let arcContext = try arc.attach()
        let outcome = try deep.run(on: arcContext, context: RunContext(pauseLog: PauseLog()))
        XCTAssertEqual(outcome.metrics["nodes"], Double(deep.list.nodes))
        XCTAssertEqual(ARCLiveObjects.count, before, "the list must have been released on the large-stack thread")
        arc.detach(arcContext)

        let malloc = ThreadedMallocManager()
        let mallocContext = try malloc.attach()
        _ = try deep.run(on: mallocContext, context: RunContext(pauseLog: PauseLog()))
        malloc.detach(mallocContext)
        XCTAssertEqual(malloc.statistics().allocations, deep.list.nodes)
        XCTAssertEqual(malloc.statistics().liveBytes, 0, "every node freed, on the large-stack thread")
    }
}
