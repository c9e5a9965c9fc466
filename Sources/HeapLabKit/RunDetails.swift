import HeapLabCore
import HeapLabReport

/// The detail lines `heaplab run` prints under the table: everything one RunReport says, in words.
enum RunDetails {
    static func describe(_ r: RunReport) -> String {
        let d = TextTable.duration
        var lines = ["\(r.workload) on \(r.manager), \(r.date): \(r.status.rawValue)"]
        guard r.status == .ok else { return lines.joined(separator: "\n") }
        if let outcome = r.outcome {
            lines.append("  checksum \(outcome.checksum)")
            for (name, value) in outcome.metrics.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(value)") }
            for note in outcome.notes { lines.append("  note: \(note)") }
        }
        lines.append("  wall \(d(r.wallNanoseconds)), CPU \(d(r.cpuNanoseconds)); resident at end \(TextTable.bytes(r.residentMemory.currentBytes)), peak \(TextTable.bytes(r.residentMemory.peakBytes))")
        let l = r.latency
        if r.timesOperations == false {
            lines.append("  operations and drop points not timed (--no-operation-timing)")
        } else {
            lines.append("  latency of \(TextTable.count(l.count)) operations: mean \(d(UInt64(l.meanNanoseconds))), p50 \(d(l.p50Nanoseconds)), p90 \(d(l.p90Nanoseconds)), p99 \(d(l.p99Nanoseconds)), p99.9 \(d(l.p999Nanoseconds)), max \(d(l.maxNanoseconds))")
        }
        let pauses = PauseSummary(r.collectorPauses)
        lines.append(pauses.count == 0 ? "  collector pauses: none"
                     : "  collector pauses: \(pauses.count), total \(d(pauses.totalNanoseconds)), p50 \(d(pauses.p50Nanoseconds)), p99 \(d(pauses.p99Nanoseconds)), max \(d(pauses.maxNanoseconds))"
                       + (pauses.maxCPUNanoseconds.map { "; on-CPU max \(d($0))" + offCPUNote(r.collectorPauses) } ?? ""))
        let stopTheWorld = PauseSummary(r.stopTheWorldPauses)
        if stopTheWorld.count > 0 && stopTheWorld.count < pauses.count {
            lines.append("  of which stopped the world: \(stopTheWorld.count), max \(d(stopTheWorld.maxNanoseconds)) (the rest are lazy sweeps)")
        }
        let assists = PauseSummary(r.assists)
        if assists.count > 0 {
            lines.append("  assists (concurrent marking, on the allocating thread): \(assists.count), total \(d(assists.totalNanoseconds)), p50 \(d(assists.p50Nanoseconds)), p99 \(d(assists.p99Nanoseconds)), max \(d(assists.maxNanoseconds))")
        }
        let stalls = PauseSummary(r.stalls)
        if stalls.count + r.unloggedStallCount > 0 {
            lines.append("  stalls: \(stalls.count) logged, total \(d(stalls.totalNanoseconds)), p50 \(d(stalls.p50Nanoseconds)), p99 \(d(stalls.p99Nanoseconds)), max \(d(stalls.maxNanoseconds)); \(r.unloggedStallCount) shorter ones, total \(d(r.unloggedStallNanoseconds))")
        }
        if r.wallNanoseconds > 0 {
            let mmu = r.mutatorUtilization
            let windows: [UInt64] = [1_000_000, 10_000_000, 100_000_000, 1_000_000_000]
            lines.append("  MMU (logged pauses, assists and stalls): " + windows.map {
                "\(d($0)) \(TextTable.fixed(mmu.utilization(windowNanoseconds: $0), decimals: 3))"
            }.joined(separator: ", "))
        }
        let s = r.managerStatistics
        var manager = "  manager: \(TextTable.count(s.allocations)) allocations, \(TextTable.bytes(s.bytesRequested)) requested"
        if let live = s.liveBytes { manager += ", \(TextTable.bytes(live)) live at end" }
        if let heap = s.heapBytes { manager += ", heap \(TextTable.bytes(heap))" }
        for (name, value) in s.extra.sorted(by: { $0.key < $1.key }) { manager += ", \(name) \(value)" }
        lines.append(manager)
        return lines.joined(separator: "\n")
    }
}

extension RunDetails {
    /// Off-CPU time counted as a preemption: more than this inside one pause.
    static let offCPUNoteThresholdNanoseconds: UInt64 = 100_000

    /// " (N pauses spent over 100 µs off the CPU)" when some did, else "": on a shared machine the largest
    /// wall-clock pause may be the scheduler's, not the collector's.
    static func offCPUNote(_ pauses: [PauseEvent]) -> String {
        let n = pauses.filter { ($0.offCPUNanoseconds ?? 0) > offCPUNoteThresholdNanoseconds }.count
        return n == 0 ? "" : " (\(n) pause\(n == 1 ? "" : "s") spent over 100 µs off the CPU)"
    }
}
