/// One entry of a legend: a sample of how a series is drawn, and its name.
struct LegendEntry: Equatable {
    enum Sample: Equatable {
        /// A short line, solid or dashed (an SVG `stroke-dasharray`).
        case line(dash: String?)
        /// A filled square, as for bars.
        case swatch
    }

    var label: String
    var colour: String
    var sample: Sample
}

/// A legend laid out in rows below a chart: entries flow left to right and wrap to a new row when the next
/// one would not fit, so any number of managers stays readable and never overlaps the plot.
struct Legend {
    var entries: [LegendEntry]

    static let rowHeight = 20.0
    static let sampleWidth = 24.0
    static let gap = 22.0

    /// The width an entry takes, sample and gap included.
    private static func width(of entry: LegendEntry) -> Double {
        sampleWidth + 6 + ChartStyle.textWidth(entry.label) + gap
    }

    /// The rows of entry indices when laid out in `width` px.
    private func rows(width: Double) -> [[Int]] {
        var rows: [[Int]] = []
        var current: [Int] = [], used = 0.0
        for (index, entry) in entries.enumerated() {
            let w = Legend.width(of: entry)
            if !current.isEmpty && used + w > width {
                rows.append(current)
                current = []
                used = 0
            }
            current.append(index)
            used += w
        }
        if !current.isEmpty { rows.append(current) }
        return rows
    }

    /// Height the legend needs in `width` px (0 when empty).
    func height(width: Double) -> Double {
        Double(rows(width: width).count) * Legend.rowHeight
    }

    /// The legend with its top-left corner at (x, y), within `width` px.
    func render(x: Double, y: Double, width: Double) -> SVGElement {
        var items: [SVGElement] = []
        for (row, indices) in rows(width: width).enumerated() {
            var cx = x
            let cy = y + Double(row) * Legend.rowHeight + Legend.rowHeight / 2
            for index in indices {
                let entry = entries[index]
                let sample: SVGElement
                switch entry.sample {
                case .line(let dash):
                    sample = .line(x1: cx, y1: cy, x2: cx + Legend.sampleWidth, y2: cy, stroke: entry.colour, width: 2.5, dash: dash)
                case .swatch:
                    sample = SVGElement("rect", [("x", svgNumber(cx + 5)), ("y", svgNumber(cy - 7)), ("width", "14"),
                                                 ("height", "14"), ("fill", entry.colour)])
                }
                let text = SVGElement.label(entry.label, x: cx + Legend.sampleWidth + 6, y: cy + ChartStyle.fontSize * 0.35)
                items.append(.group([("class", "legend-item"), ("data-label", entry.label)], [sample, text]))
                cx += Legend.width(of: entry)
            }
        }
        return .group([("class", "legend")], items)
    }
}
