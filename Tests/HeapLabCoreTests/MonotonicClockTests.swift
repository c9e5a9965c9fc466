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

    func testThreadCPUClockCountsWorkNotSleep() {
        let cpu0 = ThreadCPUClock.now()
        let wall0 = MonotonicClock.now()
        usleep(20_000)
        let slept = ThreadCPUClock.now() &- cpu0
        XCTAssertLessThan(slept, 10_000_000, "20 ms of sleep is not CPU time")
        var sink: UInt64 = 0
        var random = SplitMix64(seed: 1)
        let cpu1 = ThreadCPUClock.now()
        while MonotonicClock.now() &- wall0 < 60_000_000 { sink &+= random.next() }
        blackHole(sink)
        XCTAssertGreaterThan(ThreadCPUClock.now() &- cpu1, 1_000_000, "spinning for 40 ms uses CPU time")
        XCTAssertGreaterThan(ThreadCPUClock.measureReadingCost(readings: 1000), 0)
    }
}
