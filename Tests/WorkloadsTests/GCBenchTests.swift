import XCTest
import HeapLabCore
import SystemHeaps
@testable import Workloads

final class GCBenchTests: XCTestCase {
    func testTreeSizeAndIterations() throws {
        XCTAssertEqual(GCBench.treeSize(0), 1)
        XCTAssertEqual(GCBench.treeSize(4), 31)
        let bench = try GCBench.make()
        XCTAssertEqual(bench.iterations(atDepth: 4), 2 * 524_287 / 31)
        XCTAssertEqual(bench.iterations(atDepth: 16), 2 * 524_287 / 131_071)
    }

    func testRunsOnMallocAndFreesEverything() throws {
        let bench = try GCBench.make(testSize: true)
        let manager = MallocManager()
        let context = RunContext(pauseLog: PauseLog())
        let outcome = try bench.run(on: manager, context: context)
        XCTAssertGreaterThan(outcome.checksum, 0)
        XCTAssertEqual(manager.statistics().liveBytes, 0, "malloc manager must have freed every object")
        XCTAssertGreaterThan(context.latency.count, 0)
        XCTAssertFalse(context.pauseLog.events.isEmpty, "malloc drops are logged as stalls")
    }

    func testRunsOnARCAndGivesSameChecksum() throws {
        let bench = try GCBench.make(testSize: true)
        let a = try bench.run(on: MallocManager(), context: RunContext(pauseLog: PauseLog()))
        let b = try bench.run(on: ARCManager(), context: RunContext(pauseLog: PauseLog()))
        XCTAssertEqual(a.checksum, b.checksum)
    }

    /// The root-only check (the experiment default) and the full walk (the test size) agree on healthy trees.
    func testRootCheckAndWalkAgree() throws {
        let walked = try GCBench.make(["walkTrees": 1], testSize: true).run(on: MallocManager(), context: RunContext(pauseLog: PauseLog()))
        let rooted = try GCBench.make(["walkTrees": 0], testSize: true).run(on: MallocManager(), context: RunContext(pauseLog: PauseLog()))
        XCTAssertEqual(walked.checksum, rooted.checksum)
        XCTAssertEqual(try GCBench.make().walkTrees, false, "experiments check the roots, as the original program's work")
        XCTAssertEqual(try GCBench.make(testSize: true).walkTrees, true, "tests walk every tree")
    }

    func testRejectsBadParameters() {
        XCTAssertThrowsError(try GCBench.make(["maxDepth": 99]))
        XCTAssertThrowsError(try GCBench.make(["nope": 1]))
        XCTAssertThrowsError(try GCBench.make(["minDepth": 10, "maxDepth": 6]))
    }
}
