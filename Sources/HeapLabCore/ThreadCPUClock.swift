#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CPU time of the calling thread, in nanoseconds (CLOCK_THREAD_CPUTIME_ID): it advances only while the
/// thread runs on a CPU. Beside `MonotonicClock` it tells a pause's own work from the time the operating system
/// gave the CPU to another process: on a shared machine a 50 µs mark slice can take 4 ms of wall time because
/// the scheduler ran something else in the middle of it.
///
/// A reading is a system call (no vDSO path for this clock on Linux), about ten times the monotonic clock's
/// cost (`heaplab clock`; Docs/Experiments.md has the figures), so it brackets pauses, never per-object work.
public enum ThreadCPUClock {
    /// CPU nanoseconds this thread has run since it started; only differences are meaningful.
    @inlinable
    public static func now() -> UInt64 { readClock(CLOCK_THREAD_CPUTIME_ID) }

    /// Mean cost of one `now()` call in nanoseconds (wall time), over `readings` back-to-back readings.
    public static func measureReadingCost(readings: Int = 200_000) -> Double {
        precondition(readings > 0, "measureReadingCost: readings must be positive")
        var sink: UInt64 = 0
        let start = MonotonicClock.now()
        for _ in 0..<readings { sink &+= now() }
        let total = MonotonicClock.now() &- start
        blackHole(sink)
        return Double(total) / Double(readings)
    }
}
