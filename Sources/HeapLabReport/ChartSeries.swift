/// One line on a chart: the points of one manager (and one measure, on the memory chart).
struct ChartSeries {
    /// The legend and tooltip name (`malloc`, `malloc resident`).
    var name: String
    /// The manager it belongs to (written as `data-manager`, so tests and scripts can find each manager's line).
    var manager: String
    var colour: String
    /// An SVG `stroke-dasharray`, nil for a solid line.
    var dash: String?
    /// Data points in x order.
    var points: [(x: Double, y: Double)]
    /// Draws a dot at every point: for sparse series, where a lone point would otherwise be invisible.
    var markers: Bool = false
}

extension ChartSeries {
    /// The series as a group (`class="series"`, with `data-manager` and `data-series`) holding a tooltip, its
    /// polyline and, when asked for, a dot per point.
    func render(on axes: Axes) -> SVGElement {
        let pixels = points.map { axes.point($0.x, $0.y) }
        var children: [SVGElement] = [SVGElement("title", text: name)]
        var attributes = [("points", pixels.map { "\(svgNumber($0.x)),\(svgNumber($0.y))" }.joined(separator: " ")),
                          ("fill", "none"), ("stroke", colour), ("stroke-width", "2"),
                          ("stroke-linejoin", "round"), ("stroke-linecap", "round")]
        if let dash { attributes.append(("stroke-dasharray", dash)) }
        children.append(SVGElement("polyline", attributes))
        if markers {
            for p in pixels {
                children.append(SVGElement("circle", [("cx", svgNumber(p.x)), ("cy", svgNumber(p.y)), ("r", "3"), ("fill", colour)]))
            }
        }
        return .group([("class", "series"), ("data-manager", manager), ("data-series", name)], children)
    }
}
