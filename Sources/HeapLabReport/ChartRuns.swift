import HeapLabCore

/// The runs of one workload that a chart draws, each with its series name, and a note on those it leaves out.
///
/// Only runs that completed (`ok`) are drawn: a failed or not-applicable run has no meaningful measurements.
/// When one manager ran more than once, its later runs are named `manager (run 2)` and so on, in the same colour;
/// line charts draw them dashed (`dash(forRun:)`) so that the repeats of one manager stay apart.
struct ChartRuns {
    let workload: String
    /// The runs drawn, each with its series name and which run of its manager it is (1 for the first).
    let shown: [(name: String, report: RunReport, runNumber: Int)]
    /// `not shown: arena (not applicable), gc (out of memory)`, or nil when every run is shown.
    let omitted: String?

    init(workload: String, reports: [RunReport]) {
        self.workload = workload
        var counts: [String: Int] = [:]
        var shown: [(String, RunReport, Int)] = []
        var left: [String] = []
        for report in reports where report.workload == workload {
            guard report.status == .ok else {
                left.append("\(report.manager) (\(ChartRuns.describe(report.status)))")
                continue
            }
            counts[report.manager, default: 0] += 1
            let n = counts[report.manager]!
            shown.append((n == 1 ? report.manager : "\(report.manager) (run \(n))", report, n))
        }
        self.shown = shown
        omitted = left.isEmpty ? nil : "not shown: " + left.joined(separator: ", ")
    }

    /// The line style of a manager's `runNumber`-th run on a line chart: solid for the first, dashed after.
    static func dash(forRun runNumber: Int) -> String? {
        runNumber <= 1 ? nil : "7 4"
    }

    /// The status in words.
    static func describe(_ status: RunReport.Status) -> String {
        switch status {
        case .ok: return "ok"
        case .outOfMemory: return "out of memory"
        case .failed: return "failed"
        case .notApplicable: return "not applicable"
        }
    }

    /// Joins a chart's own note with the note on omitted runs.
    func subtitle(_ note: String?) -> String? {
        let parts = [note, omitted].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
