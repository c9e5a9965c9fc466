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

        let lines = series.filter { !$0.points.isEmpty }.map { $0.render(on: axes) }
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
