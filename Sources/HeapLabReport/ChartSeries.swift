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
