import Foundation
import HeapLabCore

/// Per-operation latency percentiles of every manager on one workload: x is the percentile on a "nines" axis
/// (50%, 90%, 99%, 99.9%, ... evenly spaced, then the maximum), y the latency on a log axis. Lower is better;
/// the right-hand end shows the tail, where collector pauses and bulk frees land.
public struct LatencyChart {
    let runs: ChartRuns
    let palette: ManagerPalette

    /// The chart of `workload`'s runs among `reports`, coloured by `palette`.
    public init(workload: String, reports: [RunReport], palette: ManagerPalette) {
        runs = ChartRuns(workload: workload, reports: reports)
        self.palette = palette
    }

    /// The SVG text (with an XML declaration when `standalone`).
    public func svg(standalone: Bool = true) -> String {
        let measured = runs.shown.filter { $0.report.latency.count > 0 && !$0.report.latency.percentiles.isEmpty }
        let maxCount = measured.map(\.report.latency.count).max() ?? 0
        let x = NinesScale(nines: NinesScale.nines(forSampleCount: maxCount))
        // Percentiles past the last nine shown are not resolvable by the sample count (or not drawn): skip them,
        // except 100%, the maximum.
        let lastShown = 100 * (1 - pow(10, -Double(x.nines)))
        let points = measured.map { run in
            run.report.latency.percentiles
                .filter { $0.percentile <= lastShown + 1e-9 || $0.percentile >= 100 }
                .map { (x: $0.percentile, y: Double(max($0.nanoseconds, 1))) }
        }
        let values = points.flatMap { $0.map(\.y) }
        let y = LogScale(minimum: values.min() ?? 1_000, maximum: values.max() ?? 1_000_000,
                         label: { UnitFormat.duration(nanoseconds: $0) })
        let series = zip(measured, points).map { run, points in
            ChartSeries(name: run.name, manager: run.report.manager, colour: palette.colour(of: run.report.manager),
                        dash: ChartRuns.dash(forRun: run.runNumber), points: points, markers: true)
        }
        let counts = Set(measured.map(\.report.latency.count))
        let countNote = counts.count == 1 ? "\(UnitFormat.integer(counts.first!)) operations per run"
            : "\(UnitFormat.integer(counts.min() ?? 0)) to \(UnitFormat.integer(counts.max() ?? 0)) operations per run"
        return LineChart(
            title: "\(runs.workload): latency per operation",
            subtitle: runs.subtitle(measured.isEmpty ? "no operation latencies were recorded" : "lower is better; \(countNote)"),
            x: x, y: y, xTitle: "percentile (nines scale: 90%, 99%, 99.9% evenly spaced)",
            yTitle: "latency (log scale)", series: series,
            legend: series.map { LegendEntry(label: $0.name, colour: $0.colour, sample: .line(dash: $0.dash)) }
        ).render(standalone: standalone)
    }
}
