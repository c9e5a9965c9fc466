import HeapLabCore
import SystemHeaps
import XCTest
@testable import Workloads

final class BinaryTreesTests: XCTestCase {
    /// Runs binary-trees at depth 8 on malloc; returns its checksum and the operations it timed.
    func run(unitDepth: Int) throws -> (checksum: UInt64, operations: Int) {
        let workload = try BinaryTrees.make(["depth": 8, "unitDepth": unitDepth])
        let context = RunContext(pauseLog: PauseLog())
        let outcome = try workload.run(on: MallocManager(), context: context)
        return (outcome.checksum, context.latency.count)
    }

    func testDeepTreesAreTimedPerSubtreeWithTheSameResult() throws {
        // Depth 8: 256 trees of depth 4, 64 of depth 6, 16 of depth 8.
        let whole = try run(unitDepth: 26)
        XCTAssertEqual(whole.operations, 256 + 64 + 16, "one operation per tree")
        // unitDepth 6: a depth-8 tree is 4 subtrees of depth 6, each built in one operation and checked in another.
        let split = try run(unitDepth: 6)
        XCTAssertEqual(split.operations, 256 + 64 + 16 * 4 * 2)
        XCTAssertEqual(split.checksum, whole.checksum)
        XCTAssertEqual(try run(unitDepth: 1).checksum, whole.checksum)
    }
}
