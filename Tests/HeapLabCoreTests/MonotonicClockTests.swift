#if canImport(Glibc)
import Glibc
#endif
import XCTest
import HeapLabCore

final class MonotonicClockTests: XCTestCase {
    func testReadingsNeverGoBackwards() {
        var previous = MonotonicClock.now()
        for _ in 0..<200_000 {
            let now = MonotonicClock.now()
            XCTAssertGreaterThanOrEqual(now, previous)
            if now < previous { return }
            previous = now
        }
    }

    func testElapsedCoversASleep() {
        let start = MonotonicClock.now()
        usleep(5_000)
        let elapsed = MonotonicClock.elapsed(since: start)
        XCTAssertGreaterThanOrEqual(elapsed, 5_000_000, "5 ms of sleep must show as at least 5,000,000 ns")
        XCTAssertLessThan(elapsed, 5_000_000_000, "a 5 ms sleep took over 5 s: the clock's unit is wrong")
    }

    func testReadingCostIsPlausible() {
        let cost = MonotonicClock.measureReadingCost(readings: 10_000)
        XCTAssertGreaterThan(cost, 0)
        XCTAssertLessThan(cost, 100_000, "one clock reading should cost well under 100 µs")
    }
}
