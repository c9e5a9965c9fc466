import HeapLabCore
import SystemHeaps
import HeapLabTestSupport
import XCTest
@testable import Workloads

final class CyclesTests: XCTestCase {
    func testARCLeaksStrongCyclesAndNotWeakOnes() throws {
        guard try ChildProcess.isolated("WorkloadsTests.CyclesTests/testARCLeaksStrongCyclesAndNotWeakOnes") else { return }
        let cycles = try Cycles.make(testSize: true)
        let arc = ARCManager()
        let outcome = try cycles.run(on: arc, context: RunContext(pauseLog: PauseLog()))
        let strong = try XCTUnwrap(outcome.metrics["bytesLeakedStrong"])
        let weak = try XCTUnwrap(outcome.metrics["bytesLeakedWeak"])
        // Every list node is in a cycle with its neighbour: the whole list leaks.
        XCTAssertGreaterThanOrEqual(strong, Double(cycles.lists * cycles.listLength * Cycles.listNodeShape.bytes))
        XCTAssertEqual(weak, 0, "with weak back references ARC must free everything")
        XCTAssertTrue(outcome.notes.contains { $0.hasPrefix("reference counting") })
    }

    func testMallocOwnershipWalkFreesEverything() throws {
        let cycles = try Cycles.make(testSize: true)
        let malloc = MallocManager()
        let outcome = try cycles.run(on: malloc, context: RunContext(pauseLog: PauseLog()))
        XCTAssertEqual(outcome.metrics["bytesLeakedStrong"], 0)
        XCTAssertEqual(outcome.metrics["bytesLeakedWeak"], 0)
        XCTAssertEqual(malloc.statistics().liveBytes, 0)
    }

    func testCollectorGetsNoLeakFigure() throws {
        let outcome = try Cycles.make(testSize: true).run(on: CheckingCollector(), context: RunContext(pauseLog: PauseLog()))
        XCTAssertNil(outcome.metrics["bytesLeakedStrong"])
        XCTAssertTrue(outcome.notes.contains { $0.hasPrefix("collector") })
    }

    func testDropsAreLoggedAsStalls() throws {
        let cycles = try Cycles.make(testSize: true)
        let log = PauseLog()
        _ = try cycles.run(on: MallocManager(), context: RunContext(pauseLog: log))
        let stalls = log.events.filter { $0.kind == .stall }
        XCTAssertEqual(stalls.count, 2 * (cycles.lists + cycles.graphs))
        XCTAssertEqual(Set(stalls.map(\.label)), ["list", "graph"])
    }
}
