import XCTest
import HeapLabCore
import HeapLabReport

final class PauseSummaryTests: XCTestCase {
    func testNearestRank() {
        XCTAssertEqual(nearestRank([], 50), 0)
        let v: [UInt64] = [10, 20, 30, 40]
        XCTAssertEqual(nearestRank(v, 0), 10)
        XCTAssertEqual(nearestRank(v, 25), 10)
        XCTAssertEqual(nearestRank(v, 26), 20)
        XCTAssertEqual(nearestRank(v, 50), 20)
        XCTAssertEqual(nearestRank(v, 75), 30)
        XCTAssertEqual(nearestRank(v, 99), 40)
        XCTAssertEqual(nearestRank(v, 100), 40)
        XCTAssertEqual(nearestRank([7], 99.9), 7)
    }

    func testPauseSummary() {
        let events = [5, 1, 3, 2, 4].map { PauseEvent(kind: .collection, startNanoseconds: 0, durationNanoseconds: $0) }
        let s = PauseSummary(events)
        XCTAssertEqual(s.count, 5)
        XCTAssertEqual(s.totalNanoseconds, 15)
        XCTAssertEqual(s.maxNanoseconds, 5)
        XCTAssertEqual(s.p50Nanoseconds, 3)
        XCTAssertEqual(s.p99Nanoseconds, 5)
        XCTAssertEqual(PauseSummary([]).count, 0)
        XCTAssertEqual(PauseSummary([]).maxNanoseconds, 0)
        XCTAssertNil(s.maxCPUNanoseconds, "no event measured its CPU time")
    }

    func testLargestCPUTimeAmongTheEventsThatMeasuredIt() {
        let preempted = PauseEvent(kind: .markSlice, startNanoseconds: 0, durationNanoseconds: 4_000_000, cpuNanoseconds: 50_000)
        let busy = PauseEvent(kind: .markSlice, startNanoseconds: 0, durationNanoseconds: 400_000, cpuNanoseconds: 390_000)
        let unmeasured = PauseEvent(kind: .collection, startNanoseconds: 0, durationNanoseconds: 9_000_000)
        let s = PauseSummary([preempted, busy, unmeasured])
        XCTAssertEqual(s.maxNanoseconds, 9_000_000)
        XCTAssertEqual(s.maxCPUNanoseconds, 390_000)
    }
}
