import HeapLabCore

/// Memory over time of every manager on one workload: the process's resident memory (solid), the live bytes
/// the workload counts (dashed) and the heap bytes the manager holds (dotted), where each was sampled. The gap
/// between resident and live memory is what the manager costs: headers, free lists, fragmentation, garbage
/// not yet collected.
///
/// Up to `maximumOverlaid` runs share one plot; more get a panel each (on shared axes), since three lines per
/// manager would otherwise tangle.
public struct MemoryChart {
    let runs: ChartRuns
    let palette: ManagerPalette

    /// Line styles of the three measures (SVG `stroke-dasharray`; nil is solid).
    static let liveDash = "7 4"
    static let heapDash = "2 3"
    /// The most runs drawn on one plot.
    public static let maximumOverlaid = 3

    /// The chart of `workload`'s runs among `reports`, coloured by `palette`.
    public init(workload: String, reports: [RunReport], palette: ManagerPalette) {
        runs = ChartRuns(workload: workload, reports: reports)
        self.palette = palette
    }

    /// The SVG text (with an XML declaration when `standalone`).
    public func svg(standalone: Bool = true) -> String {
        let sampled = runs.shown.filter { !$0.report.memorySamples.isEmpty }
        let allSamples = sampled.flatMap(\.report.memorySamples)
        let longest = Double(allSamples.map(\.elapsedNanoseconds).max() ?? 0)
        let timeUnit = UnitFormat.DurationUnit.fitting(longest == 0 ? 1e9 : longest)
        let largest = Double(allSamples.map { max($0.residentBytes, $0.liveBytes ?? 0, $0.heapBytes ?? 0) }.max() ?? 0)
        let byteUnit = UnitFormat.ByteUnit.fitting(largest == 0 ? 1_048_576 : largest)
        let x = LinearScale(minimum: 0, maximum: longest / timeUnit.nanoseconds)
        let y = LinearScale(minimum: 0, maximum: largest / byteUnit.bytes, tickCount: sampled.count > MemoryChart.maximumOverlaid ? 4 : 6)
        let overlaid = sampled.count <= MemoryChart.maximumOverlaid

        let lines = sampled.map { run in
            self.lines(of: run.name, run.report, timeUnit: timeUnit, byteUnit: byteUnit, markers: overlaid)
        }
        let all = lines.flatMap { $0 }
        var key = [LegendEntry(label: "resident memory", colour: ChartStyle.mutedTextColour, sample: .line(dash: nil))]
        if all.contains(where: { $0.dash == MemoryChart.liveDash }) {
            key.append(LegendEntry(label: "live bytes", colour: ChartStyle.mutedTextColour, sample: .line(dash: MemoryChart.liveDash)))
        }
        if all.contains(where: { $0.dash == MemoryChart.heapDash }) {
            key.append(LegendEntry(label: "manager heap", colour: ChartStyle.mutedTextColour, sample: .line(dash: MemoryChart.heapDash)))
        }
        let title = "\(runs.workload): memory over time"
        let subtitle = runs.subtitle(allSamples.isEmpty ? "no memory samples were taken"
                                     : "the gap from live bytes up to resident memory is the manager's overhead")
        let xTitle = "time since run start (\(timeUnit.symbol))", yTitle = "memory (\(byteUnit.symbol))"
        if overlaid {
            let managers = sampled.map { LegendEntry(label: $0.name, colour: palette.colour(of: $0.report.manager), sample: .swatch) }
            return LineChart(title: title, subtitle: subtitle, x: x, y: y, xTitle: xTitle, yTitle: yTitle, series: all,
                             legend: managers + key).render(standalone: standalone)
        }
        let panels = zip(sampled, lines).map { run, lines in
            let peak = run.report.memorySamples.map(\.residentBytes).max() ?? 0
            return PanelStack.Panel(name: run.name, manager: run.report.manager, colour: palette.colour(of: run.report.manager),
                                    summary: "resident up to \(UnitFormat.bytes(Double(peak)))") { axes in
                lines.map { $0.render(on: axes) }
            }
        }
        return PanelStack(heading: ChartHeading(title: title, subtitle: subtitle), x: x, y: y, xTitle: xTitle,
                          yTitle: yTitle, panels: panels, legend: key, panelHeight: 84).render(standalone: standalone)
    }

    /// The resident, live and heap lines of one run (the last two where sampled).
    private func lines(of name: String, _ report: RunReport, timeUnit: UnitFormat.DurationUnit,
                       byteUnit: UnitFormat.ByteUnit, markers: Bool) -> [ChartSeries] {
        let samples = report.memorySamples
        let colour = palette.colour(of: report.manager)
        func at(_ s: MemorySample, _ bytes: Int) -> (x: Double, y: Double) {
            (Double(s.elapsedNanoseconds) / timeUnit.nanoseconds, Double(bytes) / byteUnit.bytes)
        }
        // Dots show where sparse samples were taken.
        var result = [ChartSeries(name: "\(name) resident", manager: report.manager, colour: colour,
                                  points: samples.map { at($0, $0.residentBytes) }, markers: markers && samples.count <= 60)]
        let live = samples.compactMap { s in s.liveBytes.map { at(s, $0) } }
        if !live.isEmpty {
            result.append(ChartSeries(name: "\(name) live", manager: report.manager, colour: colour, dash: MemoryChart.liveDash, points: live))
        }
        let heap = samples.compactMap { s in s.heapBytes.map { at(s, $0) } }
        if !heap.isEmpty {
            result.append(ChartSeries(name: "\(name) heap", manager: report.manager, colour: colour, dash: MemoryChart.heapDash, points: heap))
        }
        return result
    }
}
