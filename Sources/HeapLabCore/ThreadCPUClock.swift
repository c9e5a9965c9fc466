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

    /// The calling thread's CPU clock as an id another thread can read with `read(_:)`: a collector uses it to
    /// tell how long a thread it waits for was off the CPU.
    public static func clockOfCurrentThread() -> clockid_t {
        var clock = clockid_t()
        // Cannot fail for the calling thread; CLOCK_THREAD_CPUTIME_ID would name the *reader's* thread instead.
        let status = pthread_getcpuclockid(pthread_self(), &clock)
        precondition(status == 0, "ThreadCPUClock: pthread_getcpuclockid failed (\(status))")
        return clock
    }

    /// CPU nanoseconds of the thread whose clock `clock` is (from `clockOfCurrentThread()`), read from any
    /// thread, or nil when that thread has exited (the clock id names a thread id, which the kernel then
    /// rejects: no memory of the dead thread is read).
    public static func read(_ clock: clockid_t) -> UInt64? {
        var ts = timespec()
        guard clock_gettime(clock, &ts) == 0 else { return nil }
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

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
