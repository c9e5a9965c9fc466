/// One element of an SVG document (or a run of text), written as XML by `render`.
///
/// The chart code builds a tree of these rather than concatenating strings, so that every attribute value and
/// text node is escaped in exactly one place and the output is always well-formed XML.
struct SVGElement {
    var name: String
    /// Attributes in the order given (kept ordered so that output is deterministic and diffable).
    var attributes: [(String, String)]
    var children: [SVGElement]
    /// Character data of a text-only element (`<text>`, `<title>`); escaped on output.
    var text: String?

    init(_ name: String, _ attributes: [(String, String)] = [], text: String? = nil, children: [SVGElement] = []) {
        self.name = name
        self.attributes = attributes
        self.text = text
        self.children = children
    }

    /// A group (`<g>`) of `children` with `attributes`.
    static func group(_ attributes: [(String, String)] = [], _ children: [SVGElement]) -> SVGElement {
        SVGElement("g", attributes, children: children)
    }

    /// A text label at (x, y).
    ///
    /// - Parameters:
    ///   - anchor: `start`, `middle` or `end` (SVG `text-anchor`).
    ///   - rotate: degrees clockwise about (x, y); -90 for a vertical axis title.
    static func label(_ text: String, x: Double, y: Double, size: Double = ChartStyle.fontSize, anchor: String = "start",
                      weight: String? = nil, fill: String = ChartStyle.textColour, rotate: Double? = nil,
                      className: String? = nil) -> SVGElement {
        var attributes: [(String, String)] = [("x", svgNumber(x)), ("y", svgNumber(y)), ("font-size", svgNumber(size)),
                                               ("text-anchor", anchor), ("fill", fill)]
        if let weight { attributes.append(("font-weight", weight)) }
        if let rotate { attributes.append(("transform", "rotate(\(svgNumber(rotate)) \(svgNumber(x)) \(svgNumber(y)))")) }
        if let className { attributes.insert(("class", className), at: 0) }
        return SVGElement("text", attributes, text: text)
    }

    /// A straight line segment.
    static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1,
                     dash: String? = nil) -> SVGElement {
        var attributes = [("x1", svgNumber(x1)), ("y1", svgNumber(y1)), ("x2", svgNumber(x2)), ("y2", svgNumber(y2)),
                          ("stroke", stroke), ("stroke-width", svgNumber(width))]
        if let dash { attributes.append(("stroke-dasharray", dash)) }
        return SVGElement("line", attributes)
    }

    /// Appends the XML text of this element to `output`, indented by `depth` levels.
    func render(into output: inout String, depth: Int = 0) {
        let indent = String(repeating: "  ", count: depth)
        output += indent + "<" + name
        for (key, value) in attributes {
            output += " \(key)=\"\(xmlEscaped(value))\""
        }
        if let text {
            output += ">" + xmlEscaped(text) + "</" + name + ">\n"
        } else if children.isEmpty {
            output += "/>\n"
        } else {
            output += ">\n"
            for child in children { child.render(into: &output, depth: depth + 1) }
            output += indent + "</" + name + ">\n"
        }
    }
}

/// `text` with the five XML special characters replaced by entities, safe in attribute values and text nodes.
/// Control characters other than tab, newline and carriage return, which XML 1.0 forbids, become spaces.
func xmlEscaped(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&apos;"
        case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
        default:
            if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                result += " "
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result
}

/// A coordinate for SVG output: rounded to 0.1 px (finer is invisible and bloats the file), no trailing `.0`.
func svgNumber(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let tenths = (value * 10).rounded()
    if tenths.truncatingRemainder(dividingBy: 10) == 0 { return String(Int(tenths / 10)) }
    return String(tenths / 10)
}
