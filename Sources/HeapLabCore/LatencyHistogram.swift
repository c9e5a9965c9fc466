/// Per-operation latencies in constant memory: a log-linear histogram in the manner of HdrHistogram, with three
/// significant digits.
///
/// Values below 2,048 ns are counted exactly. Above, each power-of-two range [2^k, 2^(k+1)) is split into 1,024
/// equal sub-buckets, so a value is known to within 1/1,024 of itself (0.1%): the resolution HdrHistogram gives
/// with three significant digits. Values are clamped to 1 ns ... 2^40 - 1 ns (about 18 minutes), which needs
/// 31 x 1,024 counters: 248 KiB, allocated once when the histogram is made, never on `record`.
///
/// It lives in the contract module, with no dependency, because `RunContext.operation` records into it on the
/// workload's hot path: recording is a few integer instructions and one increment, no allocation, no call.
/// Single-threaded: one histogram per thread; `merge` adds one into another.
public final class LatencyHistogram {
    /// log2 of the sub-buckets per power-of-two range.
    @usableFromInline static let subBucketHalfCountMagnitude = 10
    /// Sub-buckets of the first range, which holds 0 ..< 2,048 exactly.
    @usableFromInline static let subBucketCount = 2 << subBucketHalfCountMagnitude
    /// The largest value recorded as itself; larger ones are clamped to it.
    public static let highestTrackableValue: UInt64 = (1 << 40) - 1
    /// Counters: bucket 0 holds values 0 ..< 2,048, each following bucket the upper half of its range.
    @usableFromInline static let counterCount = (40 - subBucketHalfCountMagnitude) * (subBucketCount / 2) + subBucketCount / 2

    /// The counters (`counterCount` of them, zeroed at `init`). Invariant: `index(of:)` of any clamped value is
    /// below `counterCount`, so every increment stays inside this allocation.
    @usableFromInline let counts: UnsafeMutablePointer<UInt64>
    /// Values recorded.
    public var count: Int { recorded }
    @exclusivity(unchecked) @usableFromInline var recorded = 0
    /// Sum of the recorded (clamped) values, nanoseconds, for the mean. Wraps only past 584 years in total.
    @exclusivity(unchecked) @usableFromInline var sum: UInt64 = 0
    /// The smallest and largest recorded values (exact, not bucketed); `UInt64.max` and 0 when empty.
    public var min: UInt64 { smallest }
    public var max: UInt64 { largest }
    @exclusivity(unchecked) @usableFromInline var smallest: UInt64 = .max
    @exclusivity(unchecked) @usableFromInline var largest: UInt64 = 0

    public init() {
        counts = .allocate(capacity: Self.counterCount)
        counts.initialize(repeating: 0, count: Self.counterCount)
    }

    deinit { counts.deallocate() }

    /// The counter of `value` (already clamped to 1 ... highestTrackableValue).
    @inlinable @inline(__always)
    static func index(of value: UInt64) -> Int {
        // The range's power of two beyond the first bucket: 0 for values below 2,048.
        let bucket = (63 &- (value | UInt64(subBucketCount &- 1)).leadingZeroBitCount) &- subBucketHalfCountMagnitude
        // Within bucket b >= 1, value >> b lies in 1,024 ..< 2,048; bucket b's counters start at b * 1,024 + 1,024.
        return bucket &* (subBucketCount / 2) &+ Int(truncatingIfNeeded: value &>> UInt64(bucket))
    }

    /// The smallest value that falls in counter `index`.
    static func lowestValue(ofCounter index: Int) -> UInt64 {
        let half = subBucketCount / 2
        if index < subBucketCount { return UInt64(index) }
        let bucket = index / half - 1
        let sub = index - bucket * half
        return UInt64(sub) << UInt64(bucket)
    }

    /// The largest value that falls in counter `index`.
    static func highestValue(ofCounter index: Int) -> UInt64 {
        index < subBucketCount ? UInt64(index) : lowestValue(ofCounter: index + 1) - 1
    }

    /// Records one operation that took `nanoseconds` (clamped to 1 ... `highestTrackableValue`).
    @inlinable @inline(__always)
    public func record(nanoseconds: UInt64) {
        let value = Swift.min(Swift.max(nanoseconds, 1), Self.highestTrackableValue)
        let i = Self.index(of: value)
        assert(i < Self.counterCount, "LatencyHistogram: counter \(i) out of range for \(value)")
        counts[i] &+= 1
        recorded &+= 1
        sum &+= value
        if value < smallest { smallest = value }
        if value > largest { largest = value }
    }

    /// The mean of the recorded values, nanoseconds (0 when empty).
    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    /// The value at `percentile` (0 ... 100): the largest value of the counter in which the
    /// ceil(percentile% x count)-th smallest value falls, so within 0.1% above the exact nearest-rank value and
    /// never above `max`. 0 when empty.
    public func value(atPercentile percentile: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let p = Swift.min(Swift.max(percentile, 0), 100)
        let rank = Swift.max(1, Int((p / 100 * Double(count)).rounded(.up)))
        var seen = 0
        for i in 0..<Self.counterCount {
            seen += Int(counts[i])
            if seen >= rank { return Swift.min(Self.highestValue(ofCounter: i), max) }
        }
        return max
    }

    /// Adds every value recorded in `other` to this histogram (merging per-thread histograms).
    public func merge(_ other: LatencyHistogram) {
        for i in 0..<Self.counterCount { counts[i] &+= other.counts[i] }
        recorded += other.recorded
        sum &+= other.sum
        smallest = Swift.min(smallest, other.smallest)
        largest = Swift.max(largest, other.largest)
    }

    /// Forgets every value.
    public func removeAll() {
        counts.update(repeating: 0, count: Self.counterCount)
        recorded = 0
        sum = 0
        smallest = .max
        largest = 0
    }
}
