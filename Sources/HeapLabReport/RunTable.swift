import HeapLabCore

/// The HTML table of runs on the report page: one row per run, figures with their units, the manager's colour
/// beside its name so the table and the charts read together.
enum RunTable {
    struct Column: Sendable {
        var title: String
        /// The unit or how the figure is given, shown under the title.
        var unit: String
        var numeric: Bool
        var cell: @Sendable (RunReport) -> String
    }

    static let columns: [Column] = [
        Column(title: "workload", unit: "", numeric: false) { $0.workload },
        Column(title: "manager", unit: "", numeric: false) { $0.manager },
        Column(title: "status", unit: "", numeric: false) { ChartRuns.describe($0.status) },
        Column(title: "wall time", unit: "time", numeric: true) { duration($0.wallNanoseconds) },
        Column(title: "CPU time", unit: "user + system", numeric: true) { duration($0.cpuNanoseconds) },
        Column(title: "peak resident", unit: "memory", numeric: true) { bytes($0.residentMemory.peakBytes) },
        Column(title: "collector pauses", unit: "count", numeric: true) { UnitFormat.integer($0.collectorPauses.count) },
        Column(title: "pause total", unit: "time", numeric: true) { duration(PauseSummary($0.collectorPauses).totalNanoseconds) },
        Column(title: "longest pause", unit: "time", numeric: true) { duration(PauseSummary($0.collectorPauses).maxNanoseconds) },
        Column(title: "longest stop-the-world", unit: "time (sweeps left out)", numeric: true) {
            duration(PauseSummary($0.stopTheWorldPauses).maxNanoseconds)
        },
        Column(title: "assists", unit: "count / longest", numeric: true) { r in
            let assists = r.assists
            return assists.isEmpty ? "–" : "\(UnitFormat.integer(assists.count)) / \(duration(PauseSummary(assists).maxNanoseconds))"
        },
        Column(title: "stalls", unit: "count (+ unlogged)", numeric: true) { r in
            let logged = UnitFormat.integer(r.stalls.count)
            return r.unloggedStallCount > 0 ? "\(logged) (+\(UnitFormat.integer(r.unloggedStallCount)))" : logged
        },
        Column(title: "stall total", unit: "time, incl. unlogged", numeric: true) { r in
            duration(PauseSummary(r.stalls).totalNanoseconds &+ r.unloggedStallNanoseconds)
        },
        Column(title: "longest stall", unit: "time", numeric: true) { duration(PauseSummary($0.stalls).maxNanoseconds) },
        Column(title: "latency p50", unit: "per operation", numeric: true) { duration($0.latency.p50Nanoseconds) },
        Column(title: "p99", unit: "per operation", numeric: true) { duration($0.latency.p99Nanoseconds) },
        Column(title: "p99.9", unit: "per operation", numeric: true) { duration($0.latency.p999Nanoseconds) },
        Column(title: "max", unit: "per operation", numeric: true) { duration($0.latency.maxNanoseconds) },
        Column(title: "MMU 10 ms", unit: "utilization", numeric: true) { mmu($0, 10_000_000) },
        Column(title: "MMU 100 ms", unit: "utilization", numeric: true) { mmu($0, 100_000_000) },
    ]

    static func html(reports: [RunReport], palette: ManagerPalette) -> String {
        var html = "<div class=\"table\"><table>\n<thead><tr>"
        for c in columns {
            let unit = c.unit.isEmpty ? "" : "<span class=\"unit\">\(xmlEscaped(c.unit))</span>"
            html += "<th>\(xmlEscaped(c.title))\(unit)</th>"
        }
        html += "</tr></thead>\n<tbody>\n"
        for r in grouped(reports) {
            html += "<tr>"
            for c in columns {
                var text = xmlEscaped(c.cell(r))
                // The stalls cell ("45,569 (+2,750,625)") may wrap at its space, so that the table of a full
                // matrix fits a 1400-pixel window; every other cell stays on one line.
                var cls = c.numeric ? (c.title == "stalls" ? "num wrap" : "num") : ""
                if c.title == "manager" {
                    text = "<span class=\"swatch\" style=\"background:\(palette.colour(of: r.manager))\"></span>" + text
                } else if c.title == "status" {
                    cls = r.status == .ok ? "status-ok" : "status-bad"
                }
                html += cls.isEmpty ? "<td>\(text)</td>" : "<td class=\"\(cls)\">\(text)</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table></div>\n"
    }

    /// `reports` grouped by workload (in the order workloads first appear), keeping the runs' order within each:
    /// a matrix run with repeats runs every pair once, then again, so its reports interleave the workloads.
    static func grouped(_ reports: [RunReport]) -> [RunReport] {
        ReportCharts.workloads(reports).flatMap { w in reports.filter { $0.workload == w } }
    }

    /// A duration cell; a dash for none.
    static func duration(_ nanoseconds: UInt64) -> String {
        nanoseconds == 0 ? "–" : UnitFormat.duration(nanoseconds: Double(nanoseconds))
    }

    static func bytes(_ bytes: Int) -> String {
        bytes == 0 ? "–" : UnitFormat.bytes(Double(bytes))
    }

    static func mmu(_ r: RunReport, _ window: UInt64) -> String {
        guard r.wallNanoseconds > 0 else { return "–" }
        return UnitFormat.percent(r.mutatorUtilization.utilization(windowNanoseconds: window))
    }
}
