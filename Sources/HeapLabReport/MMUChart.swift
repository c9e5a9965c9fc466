import HeapLabCore

/// Minimum mutator utilization curves of every manager on one workload: for each window length from 1 ms to
/// 1 s (log axis), the smallest fraction of any window of that length during which the program ran rather than
/// waited on its memory manager. Higher is better; a curve that reaches 100% only at long windows means pauses
/// that are short but frequent, one that starts at 0% means pauses at least as long as those windows.
public struct MMUChart {
    let runs: ChartRuns
    let palette: ManagerPalette
    /// Window lengths, nanoseconds.
    public static let shortestWindowNanoseconds: UInt64 = 1_000_000
    public static let longestWindowNanoseconds: UInt64 = 1_000_000_000

    /// The chart of `workload`'s runs among `reports`, coloured by `palette`.
    public init(workload: String, reports: [RunReport], palette: ManagerPalette) {
        runs = ChartRuns(workload: workload, reports: reports)
        self.palette = palette
    }

    /// The SVG text (with an XML declaration when `standalone`, for a file of its own).
    public func svg(standalone: Bool = true) -> String {
        let x = LogScale(minimum: Double(MMUChart.shortestWindowNanoseconds), maximum: Double(MMUChart.longestWindowNanoseconds),
                         label: { UnitFormat.duration(nanoseconds: $0) })
        let y = LinearScale(minimum: 0, maximum: 1, tickCount: 6, label: { UnitFormat.percent($0) })
        let series = runs.shown.map { run in
            ChartSeries(name: run.name, manager: run.report.manager, colour: palette.colour(of: run.report.manager),
                        dash: ChartRuns.dash(forRun: run.runNumber),
                        points: run.report.mmuCurve(fromNanoseconds: MMUChart.shortestWindowNanoseconds,
                                                    toNanoseconds: MMUChart.longestWindowNanoseconds, points: 31)
                            .map { (Double($0.windowNanoseconds), $0.utilization) })
        }
        return LineChart(
            title: "\(runs.workload): minimum mutator utilization",
            subtitle: runs.subtitle("higher is better; collector pauses, assists and stalls count as time lost"),
            x: x, y: y, xTitle: "window length (log scale)", yTitle: "minimum mutator utilization (%)",
            series: series,
            legend: series.map { LegendEntry(label: $0.name, colour: $0.colour, sample: .line(dash: $0.dash)) }
        ).render(standalone: standalone)
    }
}
