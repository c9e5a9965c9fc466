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
}
