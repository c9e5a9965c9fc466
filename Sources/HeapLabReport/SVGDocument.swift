/// A whole SVG image: the root element with its size, a white background, an accessible title, and content.
struct SVGDocument {
    var width: Double
    var height: Double
    /// Read by screen readers and shown as a tooltip; also what a test finds the chart by.
    var title: String
    var content: [SVGElement]

    /// The first line of a standalone SVG file.
    static let xmlDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

    /// The SVG text. A standalone file gets an XML declaration; an image inlined into HTML does not need one.
    func render(standalone: Bool = true) -> String {
        let root = SVGElement("svg", [
            ("xmlns", "http://www.w3.org/2000/svg"),
            ("viewBox", "0 0 \(svgNumber(width)) \(svgNumber(height))"),
            ("width", svgNumber(width)), ("height", svgNumber(height)),
            ("font-family", ChartStyle.fontFamily), ("role", "img"),
        ], children: [
            SVGElement("title", text: title),
            SVGElement("rect", [("width", "100%"), ("height", "100%"), ("fill", ChartStyle.background)]),
        ] + content)
        var output = standalone ? SVGDocument.xmlDeclaration : ""
        root.render(into: &output)
        return output
    }
}
