import Foundation
import HeapLabCore

/// How a threaded workload scales with its threads (`heaplab compare --threads 1,2,4`): for every manager, one
/// line over the thread counts, of throughput (operations of every thread per second of wall time) or of the
/// p99 latency of one operation. Each point is the median over the runs of that manager and thread count with
/// status `ok`. Only for a workload run at two thread counts or more (`ReportCharts.kinds(for:reports:)`).
public struct ScalingChart {
    /// What the y axis shows.
    public enum Measure: Sendable {
        case throughput
        case p99Latency
    }

    let workload: String
    let measure: Measure
    /// Per manager in table order: (threads, value) points in thread order.
    let lines: [(manager: String, points: [(x: Double, y: Double)])]
    let palette: ManagerPalette

    /// The chart of `workload`'s runs among `reports`, coloured by `palette`.
    public init(workload: String, measure: Measure, reports: [RunReport], palette: ManagerPalette) {
        self.workload = workload
        self.measure = measure
        self.palette = palette
        let ok = reports.filter { $0.workload == workload && $0.status == .ok && $0.latency.count > 0 && $0.wallNanoseconds > 0 }
        var managers: [String] = []
        for r in ok where !managers.contains(r.manager) { managers.append(r.manager) }
        lines = managers.map { manager in
            let runs = ok.filter { $0.manager == manager }
            let counts = Set(runs.compactMap { $0.parameters["threads"] }).sorted()
            let points = counts.compactMap { threads -> (x: Double, y: Double)? in
                let values = runs.filter { $0.parameters["threads"] == threads }.map { run -> Double in
                    switch measure {
                    case .throughput: return Double(run.latency.count) / (Double(run.wallNanoseconds) / 1e9)
                    case .p99Latency: return Double(max(run.latency.p99Nanoseconds, 1))
                    }
                }.sorted()
                guard !values.isEmpty else { return nil }
                return (Double(threads), values[values.count / 2])
            }
            return (manager, points)
        }
    }

    /// The SVG text (with an XML declaration when `standalone`).
    public func svg(standalone: Bool = true) -> String {
        let xs = lines.flatMap { $0.points.map(\.x) }, ys = lines.flatMap { $0.points.map(\.y) }
        let low = xs.min() ?? 1, high = xs.max() ?? 2
        // A tick per thread count over short ranges (the step is then 1: no fractional thread counts).
        let x = LinearScale(minimum: low, maximum: high, tickCount: min(Int(high - low) + 1, 8),
                            label: { UnitFormat.integer(Int($0.rounded())) })
        let y: any AxisScale
        let title: String, yTitle: String, note: String
        switch measure {
        case .throughput:
            y = LinearScale(minimum: 0, maximum: ys.max() ?? 1)
            title = "\(workload): throughput against threads"
            yTitle = "operations per second (all threads)"
            note = "higher is better; a line rising in proportion to the threads scales perfectly"
        case .p99Latency:
            y = LogScale(minimum: ys.min() ?? 1_000, maximum: ys.max() ?? 1_000_000, label: { UnitFormat.duration(nanoseconds: $0) })
            title = "\(workload): p99 latency per operation against threads"
            yTitle = "p99 latency (log scale)"
            note = "lower is better; each point the median over the runs"
        }
        let series = lines.map {
            ChartSeries(name: $0.manager, manager: $0.manager, colour: palette.colour(of: $0.manager), dash: nil,
                        points: $0.points, markers: true)
        }
        return LineChart(title: title, subtitle: lines.isEmpty ? "no run completed" : note, x: x, y: y,
                         xTitle: "mutator threads", yTitle: yTitle, series: series,
                         legend: series.map { LegendEntry(label: $0.name, colour: $0.colour, sample: .line(dash: nil)) })
            .render(standalone: standalone)
    }
}
