/// An x axis and a y axis around one plot rectangle: grid lines, tick marks, tick labels and axis titles,
/// and the mapping from data values to pixels.
struct Axes {
    let x: any AxisScale
    let y: any AxisScale
    let plot: PlotRect

    /// Room below the plot for tick labels and the x axis title (px).
    static let bottomRoom = 46.0
    /// Tick mark length (px).
    static let tickLength = 5.0
    /// Least space between two tick labels (px).
    static let labelGap = 6.0

    /// The left margin that fits `y`'s tick labels, and the rotated axis title beside them when there is one.
    static func leftMargin(for y: any AxisScale, hasTitle: Bool) -> Double {
        let widest = y.ticks.map { ChartStyle.textWidth($0.label) }.max() ?? 0
        return 12 + (hasTitle ? ChartStyle.axisTitleSize + 10 : 0) + widest + tickLength + 4
    }

    /// The pixel position of a data point (values outside the domain are clamped to the plot's edge).
    func point(_ xValue: Double, _ yValue: Double) -> (x: Double, y: Double) {
        (plot.x + x.clampedFraction(of: xValue) * plot.width,
         plot.bottom - y.clampedFraction(of: yValue) * plot.height)
    }

    /// Grid lines at every tick, drawn first so that the data lies on top.
    func grid() -> SVGElement {
        var lines: [SVGElement] = []
        for tick in x.ticks {
            let px = plot.x + x.fraction(of: tick.value) * plot.width
            lines.append(.line(x1: px, y1: plot.y, x2: px, y2: plot.bottom, stroke: ChartStyle.gridColour))
        }
        for tick in y.ticks {
            let py = plot.bottom - y.fraction(of: tick.value) * plot.height
            lines.append(.line(x1: plot.x, y1: py, x2: plot.right, y2: py, stroke: ChartStyle.gridColour))
        }
        return .group([("class", "grid")], lines)
    }

    /// The axis lines, ticks, tick labels and titles.
    ///
    /// - Parameters:
    ///   - xTitle, yTitle: axis titles with their unit; nil draws none.
    ///   - xLabels: false leaves the x tick labels out (a stacked panel whose x axis is labelled below it).
    func frame(xTitle: String?, yTitle: String?, xLabels: Bool = true) -> SVGElement {
        var parts: [SVGElement] = [
            .line(x1: plot.x, y1: plot.bottom, x2: plot.right, y2: plot.bottom, stroke: ChartStyle.axisColour),
            .line(x1: plot.x, y1: plot.y, x2: plot.x, y2: plot.bottom, stroke: ChartStyle.axisColour),
        ]
        // Tick labels that would touch the previous one are left out (the tick mark stays): a dense axis then
        // shows every other label instead of overlapping ones.
        var lastRight = -Double.infinity
        for tick in x.ticks {
            let px = plot.x + x.fraction(of: tick.value) * plot.width
            parts.append(.line(x1: px, y1: plot.bottom, x2: px, y2: plot.bottom + Axes.tickLength, stroke: ChartStyle.axisColour))
            let half = ChartStyle.textWidth(tick.label) / 2
            if xLabels && px - half >= lastRight + Axes.labelGap {
                parts.append(.label(tick.label, x: px, y: plot.bottom + Axes.tickLength + ChartStyle.fontSize + 2,
                                    anchor: "middle", fill: ChartStyle.mutedTextColour))
                lastRight = px + half
            }
        }
        var lastTop = Double.infinity
        for tick in y.ticks {
            let py = plot.bottom - y.fraction(of: tick.value) * plot.height
            parts.append(.line(x1: plot.x - Axes.tickLength, y1: py, x2: plot.x, y2: py, stroke: ChartStyle.axisColour))
            if py + ChartStyle.fontSize / 2 <= lastTop - Axes.labelGap / 2 {
                parts.append(.label(tick.label, x: plot.x - Axes.tickLength - 3, y: py + ChartStyle.fontSize * 0.35,
                                    anchor: "end", fill: ChartStyle.mutedTextColour))
                lastTop = py - ChartStyle.fontSize / 2
            }
        }
        if let xTitle {
            parts.append(.label(xTitle, x: plot.x + plot.width / 2, y: plot.bottom + Axes.bottomRoom - 6,
                                size: ChartStyle.axisTitleSize, anchor: "middle", className: "axis-title"))
        }
        if let yTitle {
            let widest = y.ticks.map { ChartStyle.textWidth($0.label) }.max() ?? 0
            let tx = plot.x - Axes.tickLength - 4 - widest - 10
            parts.append(.label(yTitle, x: tx, y: plot.y + plot.height / 2, size: ChartStyle.axisTitleSize,
                                anchor: "middle", rotate: -90, className: "axis-title"))
        }
        return .group([("class", "axes")], parts)
    }
}
