import HeapLabCore

/// Minimum mutator utilization (Cheng and Blelloch, 2001): for a window length w, the smallest fraction of any
/// window of length w, placed anywhere inside the run, during which the mutator was running rather than paused.
/// MMU(w) = 1 means no window of that length ever lost time to pauses; MMU(w) = 0 means some pause was at least
/// w long. Computed exactly from the pause log, not sampled.
///
/// An interruption may take a share of the mutator rather than all of it: with T mutator threads, a stall, a
/// lazy sweep or an assist stops one of them (share 1/T), a stop of the world all of them (share 1). The time
/// lost at each instant is the sum of the shares of the interruptions under way, at most 1, as in the
/// per-goroutine utilization of Go's execution tracer; with one mutator every share is 1.
public struct MinimumMutatorUtilization {
    /// The instants where the lost share changes, sorted and distinct, clipped to the run (nanoseconds).
    private let breaks: [UInt64]
    /// share[i]: the lost share (0...1) from breaks[i] to breaks[i + 1] (0 after the last).
    private let share: [Double]
    /// lost[i]: the lost time (share-weighted nanoseconds) from the run's start to breaks[i].
    private let lost: [Double]
    private let runStart: UInt64
    private let runEnd: UInt64

    /// - Parameters:
    ///   - intervals: the interruptions, each with the share of the mutator it took (clamped to 0...1); they may
    ///     overlap and come in any order.
    ///   - runStart: the run's start, nanoseconds; intervals are clipped to the run.
    ///   - runEnd: the run's end, nanoseconds (`runEnd >= runStart`).
    public init(intervals: [(start: UInt64, duration: UInt64, share: Double)], runStart: UInt64, runEnd: UInt64) {
        precondition(runEnd >= runStart, "MMU: run ends before it starts")
        self.runStart = runStart
        self.runEnd = runEnd
        // Each interval becomes +share at its start and -share at its end.
        var changes: [(at: UInt64, delta: Double)] = []
        changes.reserveCapacity(intervals.count * 2)
        for p in intervals {
            let s = max(p.start, runStart), e = min(p.start &+ p.duration, runEnd)
            let w = p.share.isFinite ? min(max(p.share, 0), 1) : 1
            guard e > s, w > 0 else { continue }
            changes.append((s, w))
            changes.append((e, -w))
        }
        changes.sort { $0.at < $1.at }
        var breaks: [UInt64] = [], share: [Double] = [], lost: [Double] = []
        var level = 0.0
        var i = 0
        while i < changes.count {
            let at = changes[i].at
            while i < changes.count && changes[i].at == at {
                level += changes[i].delta
                i += 1
            }
            // Rounding of the running sum must not leave a sliver of share after the last interval ends.
            if abs(level) < 1e-9 { level = 0 }
            let lostHere = breaks.isEmpty ? 0 : lost[lost.count - 1] + share[share.count - 1] * Double(at - breaks[breaks.count - 1])
            breaks.append(at)
            share.append(min(max(level, 0), 1))
            lost.append(lostHere)
        }
        self.breaks = breaks
        self.share = share
        self.lost = lost
    }

    /// Every interval takes the whole mutator (share 1).
    public init(pauses: [(start: UInt64, duration: UInt64)], runStart: UInt64, runEnd: UInt64) {
        self.init(intervals: pauses.map { ($0.start, $0.duration, 1) }, runStart: runStart, runEnd: runEnd)
    }

    /// From the pause events of a run with `threads` mutator threads: an event that stops the world
    /// (`PauseKind.stopsTheWorld`) takes the whole mutator, any other (a stall, a lazy sweep, an assist)
    /// 1/`threads` of it.
    public init(events: [PauseEvent], threads: Int = 1, runStart: UInt64, runEnd: UInt64) {
        let one = 1 / Double(max(threads, 1))
        self.init(intervals: events.map { ($0.startNanoseconds, $0.durationNanoseconds, $0.kind.stopsTheWorld ? 1 : one) },
                  runStart: runStart, runEnd: runEnd)
    }

    /// Lost time (share-weighted nanoseconds) in [runStart, t].
    private func pausedBefore(_ t: UInt64) -> Double {
        // The number of breaks at or before t.
        var lo = 0, hi = breaks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if breaks[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return 0 }
        let i = lo - 1
        return lost[i] + share[i] * Double(t - breaks[i])
    }

    /// MMU for a window of `windowNanoseconds` (> 0). A window longer than the run is clipped to the run, so
    /// the result is then the run's overall utilization.
    public func utilization(windowNanoseconds: UInt64) -> Double {
        precondition(windowNanoseconds > 0, "MMU: the window must be longer than 0 ns")
        let length = runEnd - runStart
        guard length > 0 else { return 1 }
        let w = min(windowNanoseconds, length)
        let lastStart = runEnd - w
        // Lost time in [s, s + w] is piecewise linear in s; its maximum lies where s or s + w meets a break
        // (a change of the lost share), or at either end of the range of s.
        var worst = 0.0
        func consider(_ s: UInt64) {
            let clamped = min(max(s, runStart), lastStart)
            let paused = pausedBefore(clamped + w) - pausedBefore(clamped)
            if paused > worst { worst = paused }
        }
        consider(runStart)
        consider(lastStart)
        for b in breaks {
            consider(b)
            if b >= w { consider(b - w) }
        }
        return max(0, 1 - worst / Double(w))
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
