/// Small multiples: one panel per manager, stacked, sharing one x scale and one y scale so that panels compare
/// at a glance. Each panel has its label (the manager's name in its colour, which serves as the legend, and a
/// one-line summary) above it and its own tick labels; the x axis title is under the last panel.
struct PanelStack {
    /// What one panel shows.
    struct Panel {
        var name: String
        var manager: String
        var colour: String
        var summary: String
        /// Draws the panel's data given its axes.
        var draw: (Axes) -> [SVGElement]
    }

    var heading: ChartHeading
    var x: any AxisScale
    var y: any AxisScale
    var xTitle: String
    var yTitle: String
    var panels: [Panel]
    /// A legend under the last panel (line styles), empty for none.
    var legend: [LegendEntry] = []
    var width = ChartStyle.width
    var panelHeight = 96.0

    /// Room above each panel for its label, and below each but the last for its tick labels (px).
    static let labelRoom = 24.0
    static let tickRoom = 22.0

    /// `text` shortened with an ellipsis to fit `width` px (by the estimate of `ChartStyle.textWidth`).
    static func fitted(_ text: String, width: Double) -> String {
        guard ChartStyle.textWidth(text) > width else { return text }
        let characters = max(0, Int(width / ChartStyle.textWidth("x")) - 1)
        return String(text.prefix(characters)) + "…"
    }

    func render(standalone: Bool) -> String {
        let left = Axes.leftMargin(for: y, hasTitle: true)
        let plotWidth = width - left - 24
        var top = heading.height + 6
        var groups: [SVGElement] = []
        for (index, panel) in panels.enumerated() {
            let plot = PlotRect(x: left, y: top + PanelStack.labelRoom, width: plotWidth, height: panelHeight)
            let axes = Axes(x: x, y: y, plot: plot)
            let isLast = index == panels.count - 1
            // The name is bold, wider than the estimate for regular text.
            let nameWidth = ChartStyle.textWidth(panel.name, size: 13) * 1.1
            groups.append(.group([("class", "panel"), ("data-manager", panel.manager)], [
                SVGElement("title", text: panel.name),
                axes.grid(),
                .group([], panel.draw(axes)),
                axes.frame(xTitle: isLast ? xTitle : nil, yTitle: yTitle),
                .group([("class", "legend-item"), ("data-label", panel.name)], [
                    .label(panel.name, x: left, y: top + 16, size: 13, weight: "600", fill: panel.colour),
                    .label(PanelStack.fitted(panel.summary, width: plotWidth - nameWidth - 14),
                           x: left + nameWidth + 14, y: top + 16, fill: ChartStyle.mutedTextColour),
                ]),
            ]))
            top = plot.bottom + (isLast ? Axes.bottomRoom : PanelStack.tickRoom)
        }
        var content: [SVGElement] = [heading.render(x: 16, y: 0), .group([("class", "data")], groups)]
        if !legend.isEmpty {
            let model = Legend(entries: legend)
            content.append(model.render(x: 16, y: top + 4, width: width - 32))
            top += 4 + model.height(width: width - 32)
        }
        return SVGDocument(width: width, height: top + 12, title: heading.title, content: content).render(standalone: standalone)
    }
}
