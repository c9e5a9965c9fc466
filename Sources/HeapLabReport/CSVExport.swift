import HeapLabCore

/// One row per run, as CSV (RFC 4180): the figures a spreadsheet or a plotting script needs, in base units
/// (nanoseconds, bytes, fractions), so that nothing is lost to rounding. `Docs/Reports.md` lists the columns.
///
/// Empty cells mean "not known" (a manager that can not tell its heap size). Key-value columns (parameters,
/// configuration, extra counters) hold `name=value` pairs separated by `;`, sorted by name.
public enum CSVExport {
    /// A column: its header name and what it holds, with its unit.
    public struct Column: Sendable {
        public let name: String
        public let description: String
        let value: @Sendable (RunReport) -> String
    }

    /// MMU window lengths that get a column each (nanoseconds): 1 ms, 10 ms, 100 ms, 1 s.
    public static let mmuWindowsNanoseconds: [UInt64] = [1_000_000, 10_000_000, 100_000_000, 1_000_000_000]

    /// Every column, in order.
    public static let columns: [Column] = {
        @Sendable func pauses(_ r: RunReport) -> PauseSummary { PauseSummary(r.collectorPauses) }
        @Sendable func stalls(_ r: RunReport) -> PauseSummary { PauseSummary(r.stalls) }
        var columns: [Column] = [
            Column(name: "workload", description: "workload name") { $0.workload },
            Column(name: "manager", description: "memory manager name") { $0.manager },
            Column(name: "status", description: "ok, outOfMemory, failed or notApplicable") { $0.status.rawValue },
            Column(name: "native_reference", description: "the native reference program this manager's time is read against (×C); empty if none") { $0.nativeReference ?? "" },
            Column(name: "is_native_reference", description: "true for a native reference program (a C program), false for a memory manager, empty if unknown") { $0.isNativeReference.map { String($0) } ?? "" },
            Column(name: "date", description: "when the run started (ISO 8601)") { $0.date },
            Column(name: "parameters", description: "workload parameters as name=value;... (integers)") { pairs($0.parameters) },
            Column(name: "manager_configuration", description: "manager configuration as name=value;...") { pairs($0.managerConfiguration) },
            Column(name: "wall_ns", description: "wall-clock time of the workload (ns)") { String($0.wallNanoseconds) },
            Column(name: "cpu_ns", description: "process CPU time, user + system, over the same interval (ns)") { String($0.cpuNanoseconds) },
            Column(name: "resident_end_bytes", description: "resident memory (VmRSS) at the end (bytes)") { String($0.residentMemory.currentBytes) },
            Column(name: "resident_peak_bytes", description: "peak resident memory (VmHWM) of the run (bytes)") { String($0.residentMemory.peakBytes) },
            Column(name: "allocations", description: "objects allocated (count)") { String($0.managerStatistics.allocations) },
            Column(name: "bytes_requested", description: "bytes the workload asked for (bytes)") { String($0.managerStatistics.bytesRequested) },
            Column(name: "heap_bytes", description: "bytes the manager holds from the system at the end (bytes; empty if unknown)") { optional($0.managerStatistics.heapBytes) },
            Column(name: "live_bytes", description: "live bytes at the end as the manager knows them (bytes; empty if unknown)") { optional($0.managerStatistics.liveBytes) },
            Column(name: "collector_pauses", description: "logged collector pauses (count)") { String(pauses($0).count) },
            Column(name: "collector_pause_total_ns", description: "sum of collector pauses (ns)") { String(pauses($0).totalNanoseconds) },
            Column(name: "collector_pause_p50_ns", description: "median collector pause (ns, nearest rank; 0 if none)") { String(pauses($0).p50Nanoseconds) },
            Column(name: "collector_pause_p99_ns", description: "99th percentile collector pause (ns, nearest rank)") { String(pauses($0).p99Nanoseconds) },
            Column(name: "collector_pause_max_ns", description: "longest collector pause (ns)") { String(pauses($0).maxNanoseconds) },
            Column(name: "stop_the_world_pause_max_ns", description: "longest collector pause that stopped every mutator thread (ns; lazy sweeps left out)") { String(PauseSummary($0.stopTheWorldPauses).maxNanoseconds) },
            Column(name: "assists", description: "mutator assists of concurrent marking (count)") { String($0.assists.count) },
            Column(name: "assist_total_ns", description: "sum of assists (ns)") { String(PauseSummary($0.assists).totalNanoseconds) },
            Column(name: "assist_max_ns", description: "longest assist (ns)") { String(PauseSummary($0.assists).maxNanoseconds) },
            Column(name: "stalls", description: "logged stalls at drop points (count)") { String(stalls($0).count) },
            Column(name: "stall_total_ns", description: "sum of logged stalls (ns)") { String(stalls($0).totalNanoseconds) },
            Column(name: "stall_p99_ns", description: "99th percentile logged stall (ns, nearest rank)") { String(stalls($0).p99Nanoseconds) },
            Column(name: "stall_max_ns", description: "longest stall (ns)") { String(stalls($0).maxNanoseconds) },
            Column(name: "unlogged_stalls", description: "stalls under the log threshold (count)") { String($0.unloggedStallCount) },
            Column(name: "unlogged_stall_ns", description: "their total time (ns)") { String($0.unloggedStallNanoseconds) },
            Column(name: "operations", description: "operations timed for latency (count)") { String($0.latency.count) },
            Column(name: "latency_mean_ns", description: "mean latency per operation (ns, decimal)") { String($0.latency.meanNanoseconds) },
            Column(name: "latency_p50_ns", description: "median latency (ns)") { String($0.latency.p50Nanoseconds) },
            Column(name: "latency_p90_ns", description: "90th percentile latency (ns)") { String($0.latency.p90Nanoseconds) },
            Column(name: "latency_p99_ns", description: "99th percentile latency (ns)") { String($0.latency.p99Nanoseconds) },
            Column(name: "latency_p999_ns", description: "99.9th percentile latency (ns)") { String($0.latency.p999Nanoseconds) },
            Column(name: "latency_max_ns", description: "longest operation (ns)") { String($0.latency.maxNanoseconds) },
        ]
        for window in mmuWindowsNanoseconds {
            let label = UnitFormat.duration(nanoseconds: Double(window)).replacingOccurrences(of: " ", with: "")
            columns.append(Column(name: "mmu_\(label)", description: "minimum mutator utilization for \(UnitFormat.duration(nanoseconds: Double(window))) windows (fraction 0-1; empty if the run has no duration)") { r in
                guard r.wallNanoseconds > 0 else { return "" }
                return String(r.mutatorUtilization.utilization(windowNanoseconds: window))
            })
        }
        columns += [
            Column(name: "checksum", description: "the workload's own check value (integer)") { $0.outcome.map { String($0.checksum) } ?? "" },
            Column(name: "workload_metrics", description: "workload-specific figures as name=value;... (units in the names)") { $0.outcome.map { pairs($0.metrics) } ?? "" },
            Column(name: "manager_extra", description: "manager-specific counters as name=value;... (units in the names)") { pairs($0.managerStatistics.extra) },
            Column(name: "notes", description: "the workload's remarks, separated by \" | \"") { $0.outcome?.notes.joined(separator: " | ") ?? "" },
            Column(name: "failure", description: "why the run failed (may span lines)") { $0.failure },
            Column(name: "cpu_model", description: "processor model") { $0.machine.cpuModel },
            Column(name: "cores", description: "online cores (count)") { String($0.machine.cores) },
            Column(name: "memory_bytes", description: "physical memory (bytes)") { String($0.machine.memoryBytes) },
            Column(name: "kernel", description: "kernel release") { $0.machine.kernel },
            Column(name: "swift_version", description: "Swift compiler that built the runner") { $0.machine.swiftVersion },
        ]
        return columns
    }()

    /// The header row's cells.
    public static var header: [String] { columns.map(\.name) }

    /// The cells of one run's row, in column order.
    public static func row(_ report: RunReport) -> [String] {
        columns.map { $0.value(report) }
    }

    /// The whole CSV text: a header row, then one row per report; CRLF line ends as RFC 4180 prescribes.
    public static func csv(_ reports: [RunReport]) -> String {
        var text = line(header)
        for report in reports { text += line(row(report)) }
        return text
    }

    /// One record: fields joined by commas, each quoted when it contains a comma, a quote, CR or LF (quotes
    /// doubled inside), ended by CRLF.
    public static func line(_ fields: [String]) -> String {
        fields.map(quoted).joined(separator: ",") + "\r\n"
    }

    /// `field`, quoted when RFC 4180 requires it.
    public static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func optional(_ value: Int?) -> String { value.map(String.init) ?? "" }

    /// `a=1;b=2`, sorted by name.
    static func pairs<V>(_ dictionary: [String: V]) -> String {
        dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }
}
