import HeapLabCore

/// Summary statistics over a set of pauses.
public struct PauseSummary: Codable, Equatable, Sendable {
    public var count: Int
    public var totalNanoseconds: UInt64
    public var maxNanoseconds: UInt64
    /// The 50th, 99th percentile of pause durations (nearest-rank), 0 when there are none.
    public var p50Nanoseconds: UInt64
    public var p99Nanoseconds: UInt64
    /// The largest CPU time of one pause, among the events that measured it (`PauseEvent.cpuNanoseconds`); nil
    /// when none did.
    public var maxCPUNanoseconds: UInt64?

    public init(_ events: [PauseEvent]) {
        let durations = events.map(\.durationNanoseconds).sorted()
        count = durations.count
        totalNanoseconds = durations.reduce(0, &+)
        maxNanoseconds = durations.last ?? 0
        p50Nanoseconds = nearestRank(durations, 50)
        p99Nanoseconds = nearestRank(durations, 99)
        maxCPUNanoseconds = events.compactMap(\.cpuNanoseconds).max()
    }
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `percentile`% of values at
/// or below it; 0 for no values.
public func nearestRank(_ sorted: [UInt64], _ percentile: Double) -> UInt64 {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}
