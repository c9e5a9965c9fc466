/// A chart's title and optional subtitle at its top left.
struct ChartHeading {
    var title: String
    var subtitle: String?

    /// Height of the heading block (px).
    var height: Double { subtitle == nil ? 30 : 48 }

    func render(x: Double, y: Double) -> SVGElement {
        var parts: [SVGElement] = [.label(title, x: x, y: y + 22, size: ChartStyle.titleSize, weight: "600",
                                          className: "chart-title")]
        if let subtitle {
            parts.append(.label(subtitle, x: x, y: y + 40, fill: ChartStyle.mutedTextColour, className: "chart-subtitle"))
        }
        return .group([("class", "heading")], parts)
    }
}
