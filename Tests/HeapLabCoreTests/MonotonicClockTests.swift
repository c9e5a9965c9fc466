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

    /// CLOCK_MONOTONIC read directly, nanoseconds: the independent reference for the clocks under test.
    func systemMonotonic() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Bracketed by direct readings of the system clock, `elapsed` lies between the inner and outer bracket:
    /// a wrong unit or origin fails, and no amount of load on the machine can move a reading out of its bracket.
    func testElapsedCoversASleepInNanoseconds() {
        let outerStart = systemMonotonic()
        let start = MonotonicClock.now()
        let innerStart = systemMonotonic()
        usleep(5_000)
        let innerEnd = systemMonotonic()
        let elapsed = MonotonicClock.elapsed(since: start)
        let outerEnd = systemMonotonic()
        XCTAssertGreaterThanOrEqual(elapsed, innerEnd - innerStart)
        XCTAssertLessThanOrEqual(elapsed, outerEnd - outerStart)
        XCTAssertGreaterThanOrEqual(elapsed, 5_000_000, "5 ms of sleep must show as at least 5,000,000 ns")
    }

    /// The mean cost of a reading is positive and no more than the whole measurement took per reading.
    func testReadingCostIsPlausible() {
        let readings = 10_000
        let before = systemMonotonic()
        let cost = MonotonicClock.measureReadingCost(readings: readings)
        let after = systemMonotonic()
        XCTAssertGreaterThan(cost, 0)
        XCTAssertLessThanOrEqual(cost, Double(after - before) / Double(readings))
    }

    /// The thread's CPU clock counts work, not sleep. Bounds that load can not break: a thread's CPU time never
    /// exceeds the wall time around it, a sleep costs less CPU time than half its own length, and spinning
    /// until the CPU clock has advanced 20 ms ends (it would hang if the clock did not count work).
    func testThreadCPUClockCountsWorkNotSleep() {
        let wall0 = systemMonotonic()
        let cpu0 = ThreadCPUClock.now()
        usleep(20_000)
        let slept = ThreadCPUClock.now() &- cpu0
        let sleptWall = systemMonotonic() - wall0
        XCTAssertLessThan(slept, sleptWall / 2, "a sleep of \(sleptWall) ns used \(slept) ns of CPU time")

        var sink: UInt64 = 0
        var random = SplitMix64(seed: 1)
        let wall1 = systemMonotonic()
        let cpu1 = ThreadCPUClock.now()
        while ThreadCPUClock.now() &- cpu1 < 20_000_000 {
            for _ in 0..<1000 { sink &+= random.next() }
        }
        let spun = ThreadCPUClock.now() &- cpu1
        let spunWall = systemMonotonic() - wall1
        blackHole(sink)
        XCTAssertGreaterThanOrEqual(spun, 20_000_000)
        XCTAssertLessThanOrEqual(spun, spunWall, "the thread's CPU time exceeds the wall time around it")
        XCTAssertGreaterThan(ThreadCPUClock.measureReadingCost(readings: 1000), 0)
    }
}
