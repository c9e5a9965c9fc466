#if canImport(Glibc)
import Glibc
#endif
import XCTest
import HeapLabCore

final class PauseLogTests: XCTestCase {
    func testCPUTimeAndTimeOffTheCPU() throws {
        let preempted = PauseEvent(kind: .markSlice, startNanoseconds: 0, durationNanoseconds: 4_000_000, cpuNanoseconds: 50_000)
        let unmeasured = PauseEvent(kind: .collection, startNanoseconds: 0, durationNanoseconds: 9_000_000)
        XCTAssertEqual(preempted.offCPUNanoseconds, 3_950_000)
        XCTAssertEqual(PauseEvent(kind: .stall, startNanoseconds: 0, durationNanoseconds: 10, cpuNanoseconds: 12).offCPUNanoseconds, 0)
        XCTAssertNil(unmeasured.offCPUNanoseconds)
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
