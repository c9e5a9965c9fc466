import Histogram

/// Records per-operation latencies (a request, a tree, an iteration) in an HdrHistogram: constant memory,
/// three significant digits, values from 1 ns to 100 s.
public struct LatencyRecorder {
    @usableFromInline
    var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 100_000_000_000,
                                      numberOfSignificantValueDigits: .three)

    public init() {}

    /// Records one operation that took `nanoseconds`. Values above 100 s are clamped to 100 s.
    @inlinable
    public mutating func record(nanoseconds: UInt64) {
        _ = histogram.record(min(max(nanoseconds, 1), 100_000_000_000))
    }

    /// The number of operations recorded.
    public var count: Int { Int(histogram.totalCount) }

    /// The latency summary: percentiles are HdrHistogram values (within 0.1% of the exact value).
    public func summary() -> LatencySummary {
        guard histogram.totalCount > 0 else { return LatencySummary() }
        let ladder: [Double] = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100]
        return LatencySummary(
            count: Int(histogram.totalCount),
            meanNanoseconds: histogram.mean,
            p50Nanoseconds: histogram.valueAtPercentile(50),
            p90Nanoseconds: histogram.valueAtPercentile(90),
            p99Nanoseconds: histogram.valueAtPercentile(99),
            p999Nanoseconds: histogram.valueAtPercentile(99.9),
            maxNanoseconds: histogram.max,
            percentiles: ladder.map { LatencySummary.Point(percentile: $0, nanoseconds: histogram.valueAtPercentile($0)) })
    }
}

/// Latency percentiles of one run, in nanoseconds.
public struct LatencySummary: Codable, Equatable, Sendable {
    public struct Point: Codable, Equatable, Sendable {
        public var percentile: Double
        public var nanoseconds: UInt64
        public init(percentile: Double, nanoseconds: UInt64) {
            self.percentile = percentile
            self.nanoseconds = nanoseconds
        }
    }
    public var count = 0
    public var meanNanoseconds = 0.0
    public var p50Nanoseconds: UInt64 = 0
    public var p90Nanoseconds: UInt64 = 0
    public var p99Nanoseconds: UInt64 = 0
    public var p999Nanoseconds: UInt64 = 0
    public var maxNanoseconds: UInt64 = 0
    /// A ladder of percentiles from 0 to 100 for percentile charts.
    public var percentiles: [Point] = []

    public init(count: Int = 0, meanNanoseconds: Double = 0, p50Nanoseconds: UInt64 = 0, p90Nanoseconds: UInt64 = 0,
                p99Nanoseconds: UInt64 = 0, p999Nanoseconds: UInt64 = 0, maxNanoseconds: UInt64 = 0,
                percentiles: [Point] = []) {
        self.count = count
        self.meanNanoseconds = meanNanoseconds
        self.p50Nanoseconds = p50Nanoseconds
        self.p90Nanoseconds = p90Nanoseconds
        self.p99Nanoseconds = p99Nanoseconds
        self.p999Nanoseconds = p999Nanoseconds
        self.maxNanoseconds = maxNanoseconds
        self.percentiles = percentiles
    }
}
