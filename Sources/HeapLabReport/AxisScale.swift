/// A tick mark on an axis: where it goes and what it says.
struct AxisTick: Equatable {
    var value: Double
    var label: String
}

/// Maps data values to a fraction of an axis's length (0 at the start, 1 at the end), and says where the
/// ticks go. Pixels are applied later by the chart layout, so that tick labels can be measured before the plot
/// area is known.
protocol AxisScale {
    /// The position of `value` along the axis, 0...1 for values inside the domain (values outside are not
    /// clamped; charts clamp what they draw).
    func fraction(of value: Double) -> Double
    /// The tick marks, in increasing order of value, all inside the domain.
    var ticks: [AxisTick] { get }
}

extension AxisScale {
    /// `fraction(of:)` clamped to 0...1, for drawing a value that may lie outside the domain at its edge.
    func clampedFraction(of value: Double) -> Double {
        min(1, max(0, fraction(of: value)))
    }
}
