import HeapLabCore

/// One colour per memory manager, the same in every chart and table of a report.
///
/// Colours are handed out in the order managers first appear in the reports (the runner's matrix order),
/// from a palette whose neighbours differ in hue and lightness and which stays distinguishable under the
/// common colour-vision deficiencies (after Okabe and Ito's palette, darkened for thin lines on white).
/// Beyond its eight colours the palette repeats; the legend still names every line.
public struct ManagerPalette: Sendable {
    /// The colours, as CSS hex strings.
    public static let colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8C6D00", "#56B4E9", "#000000", "#E69F00"]

    /// Managers in the order they were given colours.
    public let managers: [String]

    /// A palette for the managers of `reports`, in order of first appearance.
    public init(reports: [RunReport]) {
        self.init(managers: reports.map(\.manager))
    }

    /// A palette for `managers` (duplicates ignored), in order of first appearance.
    public init(managers: [String]) {
        var seen = Set<String>(), ordered: [String] = []
        for m in managers where seen.insert(m).inserted { ordered.append(m) }
        self.managers = ordered
    }

    /// The colour of `manager`; a manager not in the palette gets a neutral grey.
    public func colour(of manager: String) -> String {
        guard let index = managers.firstIndex(of: manager) else { return "#777777" }
        return ManagerPalette.colours[index % ManagerPalette.colours.count]
    }
}
