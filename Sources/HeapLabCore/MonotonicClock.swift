#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A monotonic clock with nanosecond resolution (CLOCK_MONOTONIC): never goes backwards, unaffected by changes
/// of the wall-clock time. Its readings are only meaningful as differences within one process.
///
/// Cost of one reading on the reference machine is measured by `MonotonicClock.measureReadingCost()` and
/// written in Docs/Experiments.md; every duration HeapLab records includes about one reading of overhead.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point in the past (the boot of the machine on Linux).
    @inlinable
    public static func now() -> UInt64 {
        // CLOCK_MONOTONIC is served by the vDSO: no system call.
        readClock(CLOCK_MONOTONIC)
    }

    /// Nanoseconds elapsed since `start`, a value previously returned by `now()`.
    @inlinable
    public static func elapsed(since start: UInt64) -> UInt64 {
        now() &- start
    }

    /// Measures the mean cost of one `now()` call in nanoseconds, over `readings` back-to-back readings.
    public static func measureReadingCost(readings: Int = 1_000_000) -> Double {
        precondition(readings > 0, "measureReadingCost: readings must be positive")
        var sink: UInt64 = 0
        let start = now()
        for _ in 0..<readings { sink &+= now() }
        let total = now() &- start
        blackHole(sink)
        return Double(total) / Double(readings)
    }
}

/// Nanoseconds on `clock`. clock_gettime cannot fail for the clocks HeapLab reads (the monotonic clock and the
/// calling thread's CPU clock) and a valid timespec pointer.
@inlinable @inline(__always)
func readClock(_ clock: clockid_t) -> UInt64 {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// A value the optimizer must assume is used: keeps results of benchmarks and workload checks alive, so the
/// work that produced them cannot be deleted.
@inline(never)
public func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
