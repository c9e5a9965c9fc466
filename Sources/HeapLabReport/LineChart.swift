/// A chart of lines over an x and a y axis, with a title, an optional subtitle, axis titles and a legend
/// below: the frame of the MMU, memory and latency charts.
struct LineChart {
    var title: String
    /// A second line under the title (what is not shown and why, the sample counts ...).
    var subtitle: String?
    var x: any AxisScale
    var y: any AxisScale
    var xTitle: String
    var yTitle: String
    var series: [ChartSeries]
    var legend: [LegendEntry]
    var width = ChartStyle.width
    var plotHeight = 300.0

    /// The SVG text of the chart.
    func render(standalone: Bool = true) -> String {
        let heading = ChartHeading(title: title, subtitle: subtitle)
        let left = Axes.leftMargin(for: y, hasTitle: true)
        let right = 24.0
        let plot = PlotRect(x: left, y: heading.height + 10, width: width - left - right, height: plotHeight)
        let axes = Axes(x: x, y: y, plot: plot)
        let legendModel = Legend(entries: legend)
        let legendTop = plot.bottom + Axes.bottomRoom + 8
        let height = legendTop + legendModel.height(width: width - 2 * 16) + 10

        var lines: [SVGElement] = []
        for s in series where !s.points.isEmpty {
            let pixels = s.points.map { axes.point($0.x, $0.y) }
            var children: [SVGElement] = [SVGElement("title", text: s.name)]
            var attributes = [("points", pixels.map { "\(svgNumber($0.x)),\(svgNumber($0.y))" }.joined(separator: " ")),
                              ("fill", "none"), ("stroke", s.colour), ("stroke-width", "2"),
                              ("stroke-linejoin", "round"), ("stroke-linecap", "round")]
            if let dash = s.dash { attributes.append(("stroke-dasharray", dash)) }
            children.append(SVGElement("polyline", attributes))
            if s.markers {
                for p in pixels {
                    children.append(SVGElement("circle", [("cx", svgNumber(p.x)), ("cy", svgNumber(p.y)), ("r", "3"),
                                                          ("fill", s.colour)]))
                }
            }
            lines.append(.group([("class", "series"), ("data-manager", s.manager), ("data-series", s.name)], children))
        }
        let document = SVGDocument(width: width, height: height, title: title, content: [
            heading.render(x: 16, y: 0),
            axes.grid(),
            .group([("class", "data")], lines),
            axes.frame(xTitle: xTitle, yTitle: yTitle),
            legendModel.render(x: 16, y: legendTop, width: width - 2 * 16),
        ])
        return document.render(standalone: standalone)
    }
}
