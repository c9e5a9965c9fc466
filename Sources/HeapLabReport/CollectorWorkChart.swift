import HeapLabCore

/// Where each run's memory management time went, per manager on one workload: one horizontal bar per run,
/// stacked from the time the program's own threads lost (stop-the-world pauses, lazy sweeping, assists, stalls)
/// to the CPU time collector threads spent beside them (helpers inside parallel pauses, the background marker of
/// concurrent marking).
///
/// The pause histogram and the MMU curve show what the program waited for; this chart adds what the short
/// pauses of parallel and concurrent collection cost on other processors, the way Go's gctrace splits a cycle's
/// CPU into assist, background and idle marking. Each segment is a total over the run: summed over threads for a
/// threaded workload (two threads assisting 1 ms each is 2 ms).
public struct CollectorWorkChart {
    let runs: ChartRuns
    let palette: ManagerPalette

    /// One kind of time the chart stacks, in drawing order.
    public enum Segment: String, CaseIterable, Sendable {
        /// Collector pauses that stopped every mutator thread (`PauseKind.stopsTheWorld`), wall time.
        case stopTheWorld = "stop-the-world pauses"
        /// Lazy sweeping on the allocation slow path, all of it (the collector's `lazySweepNanoseconds`), or the
        /// logged sweep events of a manager that does not count it.
        case lazySweep = "lazy sweeping"
        /// Concurrent marking's mutator assists (`PauseKind.assist`), wall time.
        case assists = "assists"
        /// Stalls at drop points, logged and unlogged.
        case stalls = "stalls"
        /// CPU time of the helper threads inside parallel pauses (`PauseEvent.collectorThreadsCPUNanoseconds`).
        case pauseHelpers = "pause helper threads (CPU)"
        /// CPU time of concurrent marking's background marker (`backgroundMarkCPUNanoseconds`).
        case backgroundMarker = "background marker (CPU)"

        /// True for time the program's own threads lost, false for CPU time of collector threads.
        public var onMutatorThreads: Bool { self != .pauseHelpers && self != .backgroundMarker }

        var colour: String {
            switch self {
            case .stopTheWorld: return "#c0392b"
            case .lazySweep: return "#e67e22"
            case .assists: return "#8e44ad"
            case .stalls: return "#7f5a3c"
            case .pauseHelpers: return "#2e86c1"
            case .backgroundMarker: return "#27ae60"
            }
        }
    }

    /// The time of each segment of `report`, nanoseconds.
    public static func segments(of report: RunReport) -> [Segment: UInt64] {
        func total(_ events: [PauseEvent]) -> UInt64 { events.reduce(0) { $0 &+ $1.durationNanoseconds } }
        func counter(_ name: String) -> UInt64? {
            report.managerStatistics.extra[name].flatMap { $0.isFinite && $0 >= 0 ? UInt64(clamping: Int64($0)) : nil }
        }
        let loggedSweeps = total(report.pauses.filter { $0.kind == .sweep })
        return [
            .stopTheWorld: total(report.stopTheWorldPauses),
            .lazySweep: max(counter("lazySweepNanoseconds") ?? 0, loggedSweeps),
            .assists: total(report.assists),
            .stalls: total(report.stalls) &+ report.unloggedStallNanoseconds,
            .pauseHelpers: report.pauses.reduce(0) { $0 &+ ($1.collectorThreadsCPUNanoseconds ?? 0) },
            .backgroundMarker: counter("backgroundMarkCPUNanoseconds") ?? 0,
        ]
    }

    /// The chart of `workload`'s runs among `reports`; each run's name has a swatch of its manager's colour in
    /// `palette` (the segments have colours of their own).
    public init(workload: String, reports: [RunReport], palette: ManagerPalette) {
        runs = ChartRuns(workload: workload, reports: reports)
        self.palette = palette
    }

    static let barHeight = 16.0
    /// Height of one run's row: the bar and a line of text under it.
    static let rowHeight = 44.0

    /// The SVG text (with an XML declaration when `standalone`).
    public func svg(standalone: Bool = true) -> String {
        let width = ChartStyle.width
        let perRun = runs.shown.map { CollectorWorkChart.segments(of: $0.report) }
        let totals = perRun.map { $0.values.reduce(0, &+) }
        let x = LinearScale(minimum: 0, maximum: Double(max(totals.max() ?? 0, 1_000)), tickCount: 6,
                            label: { UnitFormat.duration(nanoseconds: $0) })
        let heading = ChartHeading(title: "\(runs.workload): memory management time",
                                   subtitle: runs.subtitle("per run, summed over threads: time the program's threads lost, then collector threads' CPU"))
        let left = min(236, 40 + (runs.shown.map { ChartStyle.textWidth($0.name) }.max() ?? 40))
        let plot = PlotRect(x: left, y: heading.height + 10, width: width - left - 24,
                            height: max(1, Double(runs.shown.count)) * CollectorWorkChart.rowHeight)
        let axes = Axes(x: x, y: NoTicks(), plot: plot)
        let used = Segment.allCases.filter { s in perRun.contains { ($0[s] ?? 0) > 0 } }
        let legend = Legend(entries: used.map { LegendEntry(label: $0.rawValue, colour: $0.colour, sample: .swatch) })
        let legendTop = plot.bottom + Axes.bottomRoom + 8
        let height = legendTop + legend.height(width: width - 32) + 10

        var rows: [SVGElement] = []
        for (index, run) in runs.shown.enumerated() {
            let top = plot.y + Double(index) * CollectorWorkChart.rowHeight + 6
            var parts: [SVGElement] = [
                SVGElement("rect", [("class", "swatch"), ("x", "16"), ("y", svgNumber(top + 3)), ("width", "10"),
                                    ("height", "10"), ("fill", palette.colour(of: run.report.manager))]),
                .label(run.name, x: 32, y: top + CollectorWorkChart.barHeight - 4),
            ]
            var from = 0.0
            for segment in Segment.allCases {
                let value = Double(perRun[index][segment] ?? 0)
                guard value > 0 else { continue }
                let x0 = axes.point(from, 0).x, x1 = axes.point(from + value, 0).x
                parts.append(SVGElement("rect", [("class", "segment"), ("data-segment", segment.rawValue),
                                                 ("data-nanoseconds", String(UInt64(value))),
                                                 ("x", svgNumber(x0)), ("y", svgNumber(top)),
                                                 ("width", svgNumber(max(x1 - x0, 0.5))),
                                                 ("height", svgNumber(CollectorWorkChart.barHeight)),
                                                 ("fill", segment.colour)]))
                from += value
            }
            parts.append(.label(CollectorWorkChart.caption(perRun[index], threadNanoseconds: run.report.wallNanoseconds
                                                               &* UInt64(max(run.report.parameters["threads"] ?? 1, 1))),
                                x: left + 2, y: top + CollectorWorkChart.barHeight + ChartStyle.fontSize + 3,
                                size: ChartStyle.fontSize - 1, fill: ChartStyle.mutedTextColour))
            rows.append(.group([("class", "run"), ("data-manager", run.report.manager), ("data-series", run.name)], parts))
        }
        let document = SVGDocument(width: width, height: height, title: heading.title, content: [
            heading.render(x: 16, y: 0),
            axes.grid(),
            .group([("class", "data")], rows),
            axes.frame(xTitle: "time over the whole run", yTitle: nil),
            legend.render(x: 16, y: legendTop, width: width - 32),
        ])
        return document.render(standalone: standalone)
    }

    /// `program's threads lost 38 ms (0.2% of their time), collector threads 1.8 s CPU`, or `none` when every
    /// segment is 0. `threadNanoseconds`: the run's wall time times its mutator threads.
    static func caption(_ segments: [Segment: UInt64], threadNanoseconds: UInt64) -> String {
        let lost = Segment.allCases.filter(\.onMutatorThreads).reduce(0) { $0 &+ (segments[$1] ?? 0) }
        let beside = Segment.allCases.filter { !$0.onMutatorThreads }.reduce(0) { $0 &+ (segments[$1] ?? 0) }
        guard lost > 0 || beside > 0 else { return "none" }
        var text = "program's threads lost \(UnitFormat.duration(nanoseconds: Double(lost)))"
        if threadNanoseconds > 0 {
            text += " (\(UnitFormat.percent(Double(lost) / Double(threadNanoseconds))) of their time)"
        }
        if beside > 0 { text += ", collector threads \(UnitFormat.duration(nanoseconds: Double(beside))) CPU" }
        return text
    }
}

/// A y axis with no ticks: the bar chart's rows are labelled by name, not by value.
private struct NoTicks: AxisScale {
    func fraction(of value: Double) -> Double { value }
    var ticks: [AxisTick] { [] }
}
