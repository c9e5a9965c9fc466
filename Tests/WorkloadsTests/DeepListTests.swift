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

    /// Measures ARC's recursive release of a list of HEAPLAB_DEEP_ARC_NODES nodes on a main thread's stack, in
    /// a child process (the parent survives the child's crash and reports it). A measurement, off by default:
    ///
    ///     HEAPLAB_DEEP_ARC_NODES=10000000 swift test -c release --filter DeepListTests/testARCDeepListInChildProcess
    func testARCDeepListInChildProcess() throws {
        guard let nodes = ProcessInfo.processInfo.environment["HEAPLAB_DEEP_ARC_NODES"] else {
            throw XCTSkip("measurement: set HEAPLAB_DEEP_ARC_NODES to run")
        }
        let (status, output) = try ChildProcess.runTest("WorkloadsTests.DeepListTests/testARCDeepListChild",
                                                        environment: ["HEAPLAB_DEEP_CHILD_NODES": nodes, "HEAPLAB_DEEP_ARC_NODES": ""])
        let verdict = status == 0 ? "completed" : "died (status \(status)): \(output.suffix(300))"
        print("deep, ARC, \(nodes) nodes, main-thread stack: \(verdict)")
        // Either the child finished its check, or it died from the recursion; a failed check is a bug.
        XCTAssertFalse(output.contains("workload check failed"), output)
    }

    func testARCDeepListChild() throws {
        guard let text = ProcessInfo.processInfo.environment["HEAPLAB_DEEP_CHILD_NODES"], let nodes = Int(text) else {
            throw XCTSkip("runs only as the child of testARCDeepListInChildProcess")
        }
        _ = try DeepList.make(["nodes": nodes]).run(on: ARCManager(), context: RunContext(pauseLog: PauseLog()))
    }
}
