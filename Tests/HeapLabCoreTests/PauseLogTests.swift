#if canImport(Glibc)
import Glibc
#endif
import XCTest
import HeapLabCore

final class PauseLogTests: XCTestCase {
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
        XCTAssertEqual(PauseSummary([]), PauseSummary([]))
        XCTAssertEqual(PauseSummary([]).count, 0)
        XCTAssertEqual(PauseSummary([]).maxNanoseconds, 0)
        XCTAssertNil(s.maxCPUNanoseconds, "no event measured its CPU time")
    }

    func testCPUTimeAndTimeOffTheCPU() throws {
        let preempted = PauseEvent(kind: .markSlice, startNanoseconds: 0, durationNanoseconds: 4_000_000, cpuNanoseconds: 50_000)
        let busy = PauseEvent(kind: .markSlice, startNanoseconds: 0, durationNanoseconds: 400_000, cpuNanoseconds: 390_000)
        let unmeasured = PauseEvent(kind: .collection, startNanoseconds: 0, durationNanoseconds: 9_000_000)
        XCTAssertEqual(preempted.offCPUNanoseconds, 3_950_000)
        XCTAssertEqual(PauseEvent(kind: .stall, startNanoseconds: 0, durationNanoseconds: 10, cpuNanoseconds: 12).offCPUNanoseconds, 0)
        XCTAssertNil(unmeasured.offCPUNanoseconds)
        let s = PauseSummary([preempted, busy, unmeasured])
        XCTAssertEqual(s.maxNanoseconds, 9_000_000)
        XCTAssertEqual(s.maxCPUNanoseconds, 390_000)
        // Old JSON, without the field, still decodes.
        let json = try JSONEncoder().encode(unmeasured)
        XCTAssertFalse(String(decoding: json, as: UTF8.self).contains("cpuNanoseconds"))
        XCTAssertEqual(try JSONDecoder().decode(PauseEvent.self, from: JSONEncoder().encode(preempted)), preempted)
        XCTAssertNil(try JSONDecoder().decode(PauseEvent.self, from: json).cpuNanoseconds)
    }

    func testStallThresholdCountsShortStallsWithoutLoggingThem() {
        let log = PauseLog(stallThresholdNanoseconds: 100)
        log.record(PauseEvent(kind: .stall, startNanoseconds: 0, durationNanoseconds: 40))
        log.record(PauseEvent(kind: .stall, startNanoseconds: 50, durationNanoseconds: 60))
        log.record(PauseEvent(kind: .stall, startNanoseconds: 200, durationNanoseconds: 100))
        log.record(PauseEvent(kind: .collection, cycle: 1, startNanoseconds: 400, durationNanoseconds: 5))
        XCTAssertEqual(log.events.map(\.startNanoseconds), [200, 400], "short collector pauses are always logged")
        XCTAssertEqual(log.unloggedStallCount, 2)
        XCTAssertEqual(log.unloggedStallNanoseconds, 100)
        log.removeAll()
        XCTAssertTrue(log.events.isEmpty)
        XCTAssertEqual(log.unloggedStallCount, 0)
        XCTAssertEqual(log.unloggedStallNanoseconds, 0)
    }

    func testEventsSpanChunksInOrderWithoutLoss() {
        let log = PauseLog()
        let n = PauseLog.chunkCapacity * 2 + 7
        for i in 0..<n { log.record(PauseEvent(kind: .markSlice, cycle: 1, startNanoseconds: UInt64(i), durationNanoseconds: 1)) }
        XCTAssertEqual(log.count, n)
        XCTAssertEqual(log.events.map(\.startNanoseconds), (0..<n).map(UInt64.init))
        log.removeAll()
        XCTAssertEqual(log.count, 0)
        log.record(PauseEvent(kind: .collection, cycle: 2, startNanoseconds: 9, durationNanoseconds: 1))
        XCTAssertEqual(log.events.map(\.cycle), [2])
    }

    func testMeasureStallTimesTheBody() {
        let log = PauseLog()
        let value = log.measureStall("tree") { usleep(2_000); return 7 }
        XCTAssertEqual(value, 7)
        XCTAssertEqual(log.events.count, 1)
        XCTAssertEqual(log.events[0].kind, .stall)
        XCTAssertEqual(log.events[0].label, "tree")
        XCTAssertGreaterThanOrEqual(log.events[0].durationNanoseconds, 2_000_000)
        XCTAssertEqual(log.events[0].endNanoseconds, log.events[0].startNanoseconds + log.events[0].durationNanoseconds)
    }
}
