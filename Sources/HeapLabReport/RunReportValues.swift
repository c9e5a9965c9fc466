extension RunReport {
    /// The longest duration a report may hold, nanoseconds: 2^62 (146 years). Readers sum and scale durations
    /// (totals, means, MMU windows, chart axes); with every duration, and the sum of a report's pauses, at most
    /// this, no such sum can overflow 64 bits.
    public static let maximumNanoseconds: UInt64 = 1 << 62

    /// The first value of this report that no run can produce and that a table, chart or trace would
    /// misreport or could not show: a count or byte size below zero, a duration above `maximumNanoseconds`, a
    /// percentile outside 0...100, a number that is not finite. Returned as "field: what is wrong"; nil when
    /// every value is plausible. `decode` rejects a report for which this is not nil.
    public func implausibleValue() -> String? {
        var check = ValueCheck()
        check.duration("wallNanoseconds", wallNanoseconds)
        check.duration("cpuNanoseconds", cpuNanoseconds)
        check.duration("startNanoseconds", startNanoseconds)
        check.duration("unloggedStallNanoseconds", unloggedStallNanoseconds)
        if let stallThresholdNanoseconds { check.duration("stallThresholdNanoseconds", stallThresholdNanoseconds) }
        check.count("unloggedStallCount", unloggedStallCount)
        check.count("machine.cores", machine.cores)
        check.count("machine.memoryBytes", machine.memoryBytes)
        check.count("residentMemory.currentBytes", residentMemory.currentBytes)
        check.count("residentMemory.peakBytes", residentMemory.peakBytes)
        let s = managerStatistics
        check.count("managerStatistics.allocations", s.allocations)
        check.count("managerStatistics.bytesRequested", s.bytesRequested)
        if let heap = s.heapBytes { check.count("managerStatistics.heapBytes", heap) }
        if let live = s.liveBytes { check.count("managerStatistics.liveBytes", live) }
        for (name, value) in s.extra.sorted(by: { $0.key < $1.key }) { check.finite("managerStatistics.extra.\(name)", value) }
        let l = latency
        check.count("latency.count", l.count)
        check.finite("latency.meanNanoseconds", l.meanNanoseconds)
        if l.meanNanoseconds < 0 || l.meanNanoseconds > Double(Self.maximumNanoseconds) {
            check.fail("latency.meanNanoseconds", "must be from 0 to 2^62 (got \(l.meanNanoseconds))")
        }
        for (name, value) in [("p50", l.p50Nanoseconds), ("p90", l.p90Nanoseconds), ("p99", l.p99Nanoseconds),
                              ("p999", l.p999Nanoseconds), ("max", l.maxNanoseconds)] {
            check.duration("latency.\(name)Nanoseconds", value)
        }
        for (i, point) in l.percentiles.enumerated() {
            if !(0...100).contains(point.percentile) {
                check.fail("latency.percentiles[\(i)].percentile", "must be from 0 to 100 (got \(point.percentile))")
            }
            check.duration("latency.percentiles[\(i)].nanoseconds", point.nanoseconds)
        }
        var pauseTotal: UInt64 = 0
        for (i, pause) in pauses.enumerated() {
            let field = "pauses[\(i)]"
            check.duration("\(field).startNanoseconds", pause.startNanoseconds)
            check.duration("\(field).durationNanoseconds", pause.durationNanoseconds)
            if let cpu = pause.cpuNanoseconds { check.duration("\(field).cpuNanoseconds", cpu) }
            for (name, value) in [("cycle", pause.cycle), ("heapBytesBefore", pause.heapBytesBefore),
                                  ("heapBytesAfter", pause.heapBytesAfter), ("objectsMarked", pause.objectsMarked),
                                  ("bytesMarked", pause.bytesMarked), ("cellsFreed", pause.cellsFreed)] {
                check.count("\(field).\(name)", value)
            }
            var phaseTotal: UInt64 = 0
            for (j, phase) in pause.phases.enumerated() {
                check.duration("\(field).phases[\(j)].nanoseconds", phase.nanoseconds)
                phaseTotal = min(phaseTotal &+ min(phase.nanoseconds, Self.maximumNanoseconds), Self.maximumNanoseconds + 1)
            }
            if phaseTotal > Self.maximumNanoseconds { check.fail("\(field).phases", "add up to more than 2^62 ns") }
            pauseTotal = min(pauseTotal &+ min(pause.durationNanoseconds, Self.maximumNanoseconds), Self.maximumNanoseconds + 1)
        }
        if pauseTotal > Self.maximumNanoseconds { check.fail("pauses", "their durations add up to more than 2^62 ns") }
        for (i, sample) in memorySamples.enumerated() {
            check.duration("memorySamples[\(i)].elapsedNanoseconds", sample.elapsedNanoseconds)
            check.count("memorySamples[\(i)].residentBytes", sample.residentBytes)
            if let live = sample.liveBytes { check.count("memorySamples[\(i)].liveBytes", live) }
            if let heap = sample.heapBytes { check.count("memorySamples[\(i)].heapBytes", heap) }
        }
        if let outcome {
            for (name, value) in outcome.metrics.sorted(by: { $0.key < $1.key }) { check.finite("outcome.metrics.\(name)", value) }
        }
        return check.problem
    }
}

/// Collects the first implausible value of a report.
struct ValueCheck {
    private(set) var problem: String?

    mutating func fail(_ field: String, _ what: String) {
        if problem == nil { problem = "field \(field) \(what)" }
    }

    mutating func count(_ field: String, _ value: Int) {
        if value < 0 { fail(field, "must not be negative (got \(value))") }
    }

    mutating func duration(_ field: String, _ value: UInt64) {
        if value > RunReport.maximumNanoseconds { fail(field, "is \(value) ns, more than 2^62 ns (146 years)") }
    }

    mutating func finite(_ field: String, _ value: Double) {
        if !value.isFinite { fail(field, "must be a finite number (got \(value))") }
    }
}
