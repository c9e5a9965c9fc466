/// The look shared by every chart: fonts, neutral colours and text metrics.
///
/// Layout needs the width of a label before the browser draws it. SVG has no text measurement without a
/// renderer, so widths are estimated from the character count with a generous per-character width for a
/// sans-serif font; layouts leave that much room, so labels never overlap even in a wide font.
enum ChartStyle {
    static let fontFamily = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif"
    /// Tick labels, legend entries (px).
    static let fontSize = 12.0
    static let titleSize = 15.0
    static let axisTitleSize = 12.5
    static let textColour = "#222222"
    static let mutedTextColour = "#555555"
    static let axisColour = "#444444"
    static let gridColour = "#e3e3e3"
    static let background = "#ffffff"
    /// Default chart width in px; the HTML page lays two side by side on a wide screen.
    static let width = 680.0

    /// Estimated rendered width of `text` at `size` px: 0.62 em per character (wider than the average glyph of
    /// common sans-serif fonts, so the estimate errs on the side of room).
    static func textWidth(_ text: String, size: Double = fontSize) -> Double {
        Double(text.count) * size * 0.62
    }
}
