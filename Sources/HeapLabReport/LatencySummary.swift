import HeapLabCore

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

    /// The summary of `histogram`: percentiles within 0.1% of the exact values (see `LatencyHistogram`).
    public init(_ histogram: LatencyHistogram) {
        guard histogram.count > 0 else {
            self.init()
            return
        }
        let ladder: [Double] = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100]
        self.init(count: histogram.count, meanNanoseconds: histogram.mean,
                  p50Nanoseconds: histogram.value(atPercentile: 50), p90Nanoseconds: histogram.value(atPercentile: 90),
                  p99Nanoseconds: histogram.value(atPercentile: 99), p999Nanoseconds: histogram.value(atPercentile: 99.9),
                  maxNanoseconds: histogram.max,
                  percentiles: ladder.map { Point(percentile: $0, nanoseconds: histogram.value(atPercentile: $0)) })
    }

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
