import HeapLabCore

/// Memory over time of every manager on one workload: the process's resident memory (solid), the live bytes
/// the workload counts (dashed) and the heap bytes the manager holds (dotted), where each was sampled. The gap
/// between resident and live memory is what the manager costs: headers, free lists, fragmentation, garbage
/// not yet collected.
public struct MemoryChart {
    let runs: ChartRuns
    let palette: ManagerPalette

    /// Line styles of the three measures (SVG `stroke-dasharray`; nil is solid).
    static let liveDash = "7 4"
    static let heapDash = "2 3"

    /// The chart of `workload`'s runs among `reports`, coloured by `palette`.
    public init(workload: String, reports: [RunReport], palette: ManagerPalette) {
        runs = ChartRuns(workload: workload, reports: reports)
        self.palette = palette
    }

    /// The SVG text (with an XML declaration when `standalone`).
    public func svg(standalone: Bool = true) -> String {
        let allSamples = runs.shown.flatMap(\.report.memorySamples)
        let longest = Double(allSamples.map(\.elapsedNanoseconds).max() ?? 0)
        let timeUnit = UnitFormat.DurationUnit.fitting(longest == 0 ? 1e9 : longest)
        let largest = Double(allSamples.map { max($0.residentBytes, $0.liveBytes ?? 0, $0.heapBytes ?? 0) }.max() ?? 0)
        let byteUnit = UnitFormat.ByteUnit.fitting(largest == 0 ? 1_048_576 : largest)
        let x = LinearScale(minimum: 0, maximum: longest / timeUnit.nanoseconds)
        let y = LinearScale(minimum: 0, maximum: largest / byteUnit.bytes)

        var series: [ChartSeries] = []
        var measures: (live: Bool, heap: Bool) = (false, false)
        for run in runs.shown {
            let samples = run.report.memorySamples
            guard !samples.isEmpty else { continue }
            let colour = palette.colour(of: run.report.manager)
            let markers = samples.count <= 60
            func at(_ s: MemorySample, _ bytes: Int) -> (x: Double, y: Double) {
                (Double(s.elapsedNanoseconds) / timeUnit.nanoseconds, Double(bytes) / byteUnit.bytes)
            }
            series.append(ChartSeries(name: "\(run.name) resident", manager: run.report.manager, colour: colour,
                                      points: samples.map { at($0, $0.residentBytes) }, markers: markers))
            let live = samples.compactMap { s in s.liveBytes.map { at(s, $0) } }
            if !live.isEmpty {
                measures.live = true
                series.append(ChartSeries(name: "\(run.name) live", manager: run.report.manager, colour: colour,
                                          dash: MemoryChart.liveDash, points: live))
            }
            let heap = samples.compactMap { s in s.heapBytes.map { at(s, $0) } }
            if !heap.isEmpty {
                measures.heap = true
                series.append(ChartSeries(name: "\(run.name) heap", manager: run.report.manager, colour: colour,
                                          dash: MemoryChart.heapDash, points: heap))
            }
        }
        var legend = runs.shown.filter { !$0.report.memorySamples.isEmpty }.map {
            LegendEntry(label: $0.name, colour: palette.colour(of: $0.report.manager), sample: .swatch)
        }
        legend.append(LegendEntry(label: "resident memory", colour: ChartStyle.mutedTextColour, sample: .line(dash: nil)))
        if measures.live {
            legend.append(LegendEntry(label: "live bytes", colour: ChartStyle.mutedTextColour, sample: .line(dash: MemoryChart.liveDash)))
        }
        if measures.heap {
            legend.append(LegendEntry(label: "manager heap", colour: ChartStyle.mutedTextColour, sample: .line(dash: MemoryChart.heapDash)))
        }
        return LineChart(
            title: "\(runs.workload): memory over time",
            subtitle: runs.subtitle(allSamples.isEmpty ? "no memory samples were taken" : "lower is better; the gap from live to resident is the manager's overhead"),
            x: x, y: y, xTitle: "time since run start (\(timeUnit.symbol))", yTitle: "memory (\(byteUnit.symbol))",
            series: series, legend: legend
        ).render(standalone: standalone)
    }
}
