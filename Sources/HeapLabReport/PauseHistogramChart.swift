import Foundation
import HeapLabCore

/// How long the program was stopped, per manager on one workload: one histogram panel per manager, stacked,
/// with a shared log-scale x axis of pause length (five bins per decade) and a shared log-scale y axis of
/// counts, so that a manager's rare long pauses stay visible beside its thousands of short ones.
///
/// Counted are every logged interruption: collector pauses (collections, mark slices, final marks, long lazy
/// sweeps), concurrent marking's assists, and stalls at the workload's drop points (bulk frees, release cascades, scope ends). Stalls under the
/// pause log's threshold are not in the log; each panel says how many there were.
///
/// With several mutator threads, each collector pause that had to stop another running thread also has a time
/// to safepoint (its `safepoint` phase): those are drawn over the pauses as outlined bars on the same axes, so
/// the reader sees how much of each pause was spent waiting for the other threads to stop.
public struct PauseHistogramChart {
    let runs: ChartRuns
    let palette: ManagerPalette

    /// Bins per decade of pause length.
    public static let binsPerDecade = 5

    /// The chart of `workload`'s runs among `reports`, coloured by `palette`.
    public init(workload: String, reports: [RunReport], palette: ManagerPalette) {
        runs = ChartRuns(workload: workload, reports: reports)
        self.palette = palette
    }

    /// Counts of `durations` (nanoseconds, all > 0) in the log bins of `scale`, `binsPerDecade` per decade.
    static func binCounts(_ durations: [UInt64], scale: LogScale) -> [Int] {
        let binCount = Int((scale.upperExponent - scale.lowerExponent).rounded()) * binsPerDecade
        var counts = [Int](repeating: 0, count: binCount)
        for d in durations {
            let position = (log10(Double(max(d, 1))) - scale.lowerExponent) * Double(binsPerDecade)
            counts[min(binCount - 1, max(0, Int(position.rounded(.down))))] += 1
        }
        return counts
    }

    /// The SVG text (with an XML declaration when `standalone`).
    public func svg(standalone: Bool = true) -> String {
        let durations = runs.shown.map { $0.report.pauses.map { max($0.durationNanoseconds, 1) } }
        let safepoints = runs.shown.map { PauseHistogramChart.safepointTimes($0.report) }
        let everything = durations.flatMap { $0 } + safepoints.flatMap { $0 }
        let x = LogScale(minimum: Double(everything.min() ?? 1_000), maximum: Double(everything.max() ?? 1_000_000),
                         label: { UnitFormat.duration(nanoseconds: $0) })
        let counts = durations.map { PauseHistogramChart.binCounts($0, scale: x) }
        let safepointCounts = safepoints.map { PauseHistogramChart.binCounts($0, scale: x) }
        let largestCount = (counts + safepointCounts).flatMap { $0 }.max() ?? 1
        // The count axis starts at 0.5 (a bar for a count of 1 has height) but is labelled from 1.
        let y = LogScale(minimum: 0.5, maximum: Double(max(largestCount, 1)), tickFloor: 1,
                         label: { UnitFormat.count($0) })

        var note = everything.isEmpty ? "no pauses or stalls were logged" : "pauses and stalls by length, \(PauseHistogramChart.binsPerDecade) bins per decade; count on a log scale"
        if safepoints.contains(where: { !$0.isEmpty }) { note += "; outlined: time to safepoint (stopping the other threads)" }
        let panels = runs.shown.enumerated().map { index, run in
            PanelStack.Panel(name: run.name, manager: run.report.manager, colour: palette.colour(of: run.report.manager),
                             summary: PauseHistogramChart.summary(run.report)) { axes in
                var series: [SVGElement] = [
                    .group([("class", "series"), ("data-manager", run.report.manager), ("data-series", run.name)],
                           [bars(counts[index], scale: x, axes: axes, colour: palette.colour(of: run.report.manager))])]
                if !safepoints[index].isEmpty {
                    series.append(.group([("class", "series safepoint"), ("data-manager", run.report.manager),
                                          ("data-series", "\(run.name) time to safepoint")],
                                         [bars(safepointCounts[index], scale: x, axes: axes, colour: "#222222", outline: true)]))
                }
                return series
            }
        }
        return PanelStack(heading: ChartHeading(title: "\(runs.workload): pause and stall times", subtitle: runs.subtitle(note)),
                          x: x, y: y, xTitle: "pause or stall length (log scale)", yTitle: "count", panels: panels)
            .render(standalone: standalone)
    }

    /// The bars of one panel as a single path: one rectangle per non-empty bin.
    private func bars(_ counts: [Int], scale: LogScale, axes: Axes, colour: String, outline: Bool = false) -> SVGElement {
        var path = ""
        let lower = scale.lowerExponent
        for (bin, count) in counts.enumerated() where count > 0 {
            let from = pow(10, lower + Double(bin) / Double(PauseHistogramChart.binsPerDecade))
            let to = pow(10, lower + Double(bin + 1) / Double(PauseHistogramChart.binsPerDecade))
            let (x0, top) = axes.point(from, Double(count))
            let (x1, _) = axes.point(to, Double(count))
            let gap = 1.0  // a hairline between neighbouring bars
            path += "M\(svgNumber(x0 + gap / 2)) \(svgNumber(axes.plot.bottom))V\(svgNumber(top))H\(svgNumber(x1 - gap / 2))V\(svgNumber(axes.plot.bottom))Z"
        }
        if outline {
            return SVGElement("path", [("d", path.isEmpty ? "M0 0" : path), ("fill", "none"), ("stroke", colour),
                                       ("stroke-width", "1.2")])
        }
        return SVGElement("path", [("d", path.isEmpty ? "M0 0" : path), ("fill", colour), ("fill-opacity", "0.85")])
    }

    /// The time to safepoint (the `safepoint` phase, nanoseconds, at least 1) of each collector pause of
    /// `report` that had to stop another running thread (`PauseEvent.safepointOffCPUNanoseconds` is set only
    /// then); empty for a single-threaded run, whose safepoint phase is two clock readings.
    static func safepointTimes(_ report: RunReport) -> [UInt64] {
        report.pauses.compactMap { e in
            guard e.safepointOffCPUNanoseconds != nil, let phase = e.phases.first(where: { $0.name == "safepoint" }) else { return nil }
            return max(phase.nanoseconds, 1)
        }
    }

    /// `3,401 stalls, longest 1.2 ms; 50 more too short to log (20 µs)`.
    static func summary(_ report: RunReport) -> String {
        let pauses = report.collectorPauses.count, stalls = report.stalls.count
        var parts: [String] = []
        if pauses > 0 { parts.append("\(UnitFormat.integer(pauses)) collector pause\(pauses == 1 ? "" : "s")") }
        let assists = report.assists.count
        if assists > 0 { parts.append("\(UnitFormat.integer(assists)) assist\(assists == 1 ? "" : "s")") }
        if stalls > 0 || pauses == 0 { parts.append("\(UnitFormat.integer(stalls)) stall\(stalls == 1 ? "" : "s")") }
        if let longest = report.pauses.map(\.durationNanoseconds).max() {
            parts.append("longest \(UnitFormat.duration(nanoseconds: Double(longest)))")
        }
        let safepoints = safepointTimes(report)
        if let longest = safepoints.max() {
            parts.append("time to safepoint \(UnitFormat.integer(safepoints.count))x, longest \(UnitFormat.duration(nanoseconds: Double(longest)))")
        }
        var text = parts.joined(separator: ", ")
        if report.unloggedStallCount > 0 {
            text += "; \(UnitFormat.integer(report.unloggedStallCount)) more too short to log (\(UnitFormat.duration(nanoseconds: Double(report.unloggedStallNanoseconds))))"
        }
        return text
    }
}
