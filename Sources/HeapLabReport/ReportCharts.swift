import HeapLabCore

/// The charts of a report: five per workload, each comparing every manager that ran it.
public enum ReportCharts {
    /// The kinds of chart, in the order the HTML page shows them.
    public enum Kind: String, CaseIterable, Sendable {
        /// Pause and stall length histograms, one panel per manager (`PauseHistogramChart`).
        case pauses
        /// Minimum mutator utilization curves (`MMUChart`).
        case mmu
        /// Resident memory, live and heap bytes over time (`MemoryChart`).
        case memory
        /// Per-operation latency percentiles (`LatencyChart`).
        case latency
        /// Memory management time per run: what the program's threads lost and what collector threads spent
        /// beside them (`CollectorWorkChart`).
        case collectorWork = "collector-work"
        /// Throughput against threads, per manager (`ScalingChart`): threaded workloads run at several counts.
        case throughputScaling = "throughput-scaling"
        /// p99 latency against threads, per manager (`ScalingChart`).
        case latencyScaling = "latency-scaling"
    }

    /// The charts of `workload`: the scaling charts only when it ran at two thread counts or more.
    public static func kinds(for workload: String, reports: [RunReport]) -> [Kind] {
        let counts = Set(reports.filter { $0.workload == workload }.compactMap { $0.parameters["threads"] })
        return counts.count > 1 ? Kind.allCases : Kind.allCases.filter { $0 != .throughputScaling && $0 != .latencyScaling }
    }

    /// The workloads of `reports`, in order of first appearance.
    public static func workloads(_ reports: [RunReport]) -> [String] {
        var seen = Set<String>()
        return reports.map(\.workload).filter { seen.insert($0).inserted }
    }

    /// The file name of a chart: `gcbench-mmu.svg` (the workload name reduced to letters, digits, `-` and `_`).
    public static func fileName(workload: String, kind: Kind) -> String {
        "\(slug(workload))-\(kind.rawValue).svg"
    }

    /// The SVG text of one chart of `workload` among `reports` (with an XML declaration when `standalone`).
    public static func svg(_ kind: Kind, workload: String, reports: [RunReport], palette: ManagerPalette,
                           standalone: Bool = true) -> String {
        switch kind {
        case .pauses: return PauseHistogramChart(workload: workload, reports: reports, palette: palette).svg(standalone: standalone)
        case .mmu: return MMUChart(workload: workload, reports: reports, palette: palette).svg(standalone: standalone)
        case .memory: return MemoryChart(workload: workload, reports: reports, palette: palette).svg(standalone: standalone)
        case .latency: return LatencyChart(workload: workload, reports: reports, palette: palette).svg(standalone: standalone)
        case .collectorWork: return CollectorWorkChart(workload: workload, reports: reports, palette: palette).svg(standalone: standalone)
        case .throughputScaling:
            return ScalingChart(workload: workload, measure: .throughput, reports: reports, palette: palette).svg(standalone: standalone)
        case .latencyScaling:
            return ScalingChart(workload: workload, measure: .p99Latency, reports: reports, palette: palette).svg(standalone: standalone)
        }
    }

    /// `name` reduced to characters safe in a file name on every system.
    static func slug(_ name: String) -> String {
        let kept = name.lowercased().map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_") ? c : "-"
        }
        let text = String(kept)
        return text.isEmpty ? "workload" : text
    }
}
