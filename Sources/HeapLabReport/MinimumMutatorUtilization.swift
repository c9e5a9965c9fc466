import HeapLabCore

/// Minimum mutator utilization (Cheng and Blelloch, 2001): for a window length w, the smallest fraction of any
/// window of length w, placed anywhere inside the run, during which the mutator was running rather than paused.
/// MMU(w) = 1 means no window of that length ever lost time to pauses; MMU(w) = 0 means some pause was at least
/// w long. Computed exactly from the pause log, not sampled.
public struct MinimumMutatorUtilization {
    /// Merged, sorted, non-overlapping pause intervals clipped to the run, as [start, end) in nanoseconds.
    private let starts: [UInt64]
    private let ends: [UInt64]
    /// prefix[i] = total paused nanoseconds of intervals 0..<i.
    private let prefix: [UInt64]
    private let runStart: UInt64
    private let runEnd: UInt64

    /// - Parameters:
    ///   - pauses: the pause intervals; they may overlap and come in any order.
    ///   - runStart: the run's start, nanoseconds; pauses are clipped to the run.
    ///   - runEnd: the run's end, nanoseconds (`runEnd >= runStart`).
    public init(pauses: [(start: UInt64, duration: UInt64)], runStart: UInt64, runEnd: UInt64) {
        precondition(runEnd >= runStart, "MMU: run ends before it starts")
        self.runStart = runStart
        self.runEnd = runEnd
        var intervals = pauses.compactMap { p -> (UInt64, UInt64)? in
            let s = max(p.start, runStart), e = min(p.start &+ p.duration, runEnd)
            return e > s ? (s, e) : nil
        }
        intervals.sort { $0.0 < $1.0 }
        var s: [UInt64] = [], e: [UInt64] = []
        for (a, b) in intervals {
            if let last = e.last, a <= last {
                e[e.count - 1] = max(last, b)
            } else {
                s.append(a)
                e.append(b)
            }
        }
        var p: [UInt64] = [0]
        p.reserveCapacity(s.count + 1)
        for i in s.indices { p.append(p[i] + (e[i] - s[i])) }
        starts = s
        ends = e
        prefix = p
    }

    /// Convenience: from pause events of a run.
    public init(events: [PauseEvent], runStart: UInt64, runEnd: UInt64) {
        self.init(pauses: events.map { ($0.startNanoseconds, $0.durationNanoseconds) },
                  runStart: runStart, runEnd: runEnd)
    }

    /// Paused nanoseconds in [runStart, t].
    private func pausedBefore(_ t: UInt64) -> UInt64 {
        // The number of intervals that start at or before t.
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return 0 }
        let i = lo - 1
        return prefix[i] + (min(t, ends[i]) - starts[i])
    }

    /// MMU for a window of `windowNanoseconds` (> 0). A window longer than the run is clipped to the run, so
    /// the result is then the run's overall utilization.
    public func utilization(windowNanoseconds: UInt64) -> Double {
        precondition(windowNanoseconds > 0, "MMU: the window must be longer than 0 ns")
        let length = runEnd - runStart
        guard length > 0 else { return 1 }
        let w = min(windowNanoseconds, length)
        let lastStart = runEnd - w
        // Paused time in [s, s + w] is piecewise linear in s; its maximum lies where s or s + w meets a pause
        // boundary, or at either end of the range of s.
        var worst: UInt64 = 0
        func consider(_ s: UInt64) {
            let clamped = min(max(s, runStart), lastStart)
            let paused = pausedBefore(clamped + w) - pausedBefore(clamped)
            if paused > worst { worst = paused }
        }
        consider(runStart)
        consider(lastStart)
        for i in starts.indices {
            consider(starts[i])
            consider(ends[i])
            if starts[i] >= w { consider(starts[i] - w) }
            if ends[i] >= w { consider(ends[i] - w) }
        }
        return 1 - Double(worst) / Double(w)
    }

    /// The MMU curve at `points` window lengths spaced evenly on a log axis from `fromNanoseconds` to
    /// `toNanoseconds` (1 ms to 1 s by default).
    public func curve(fromNanoseconds: UInt64 = 1_000_000, toNanoseconds: UInt64 = 1_000_000_000,
                      points: Int = 25) -> [MMUPoint] {
        precondition(points >= 2 && fromNanoseconds > 0 && toNanoseconds > fromNanoseconds, "MMU: bad curve range")
        let lo = log10(Double(fromNanoseconds)), hi = log10(Double(toNanoseconds))
        return (0..<points).map { i in
            let w = UInt64(pow(10, lo + (hi - lo) * Double(i) / Double(points - 1)).rounded())
            return MMUPoint(windowNanoseconds: w, utilization: utilization(windowNanoseconds: w))
        }
    }
}

/// One point of an MMU curve.
public struct MMUPoint: Codable, Equatable, Sendable {
    public var windowNanoseconds: UInt64
    public var utilization: Double
    public init(windowNanoseconds: UInt64, utilization: Double) {
        self.windowNanoseconds = windowNanoseconds
        self.utilization = utilization
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
