import Foundation

/// A linear axis over a "nice" domain: extended outward to multiples of a step of 1, 2 or 5 times a power of
/// ten, with a tick at every step.
struct LinearScale: AxisScale {
    let lower: Double
    let upper: Double
    let step: Double
    let ticks: [AxisTick]

    /// - Parameters:
    ///   - minimum, maximum: the data range; the domain covers it. An empty range (minimum == maximum) is widened
    ///     to a unit around the value so that the axis still has extent.
    ///   - tickCount: about how many ticks to aim for (at least 2).
    ///   - label: turns a tick value into its label.
    init(minimum: Double, maximum: Double, tickCount: Int = 6, label: (Double) -> String = UnitFormat.tick) {
        precondition(minimum.isFinite && maximum.isFinite && minimum <= maximum, "LinearScale: bad range \(minimum)...\(maximum)")
        var low = minimum, high = maximum
        if low == high {
            low -= low == 0 ? 0 : abs(low) * 0.5
            high += high == 0 ? 1 : abs(high) * 0.5
        }
        let step = LinearScale.niceStep((high - low) / Double(max(tickCount - 1, 1)))
        let lower = (low / step).rounded(.down) * step
        let upper = (high / step).rounded(.up) * step
        self.lower = lower
        self.upper = upper
        self.step = step
        let count = Int(((upper - lower) / step).rounded())
        ticks = (0...count).map { i in
            // Multiply instead of accumulating, so rounding errors do not build up (0.1 + 0.2 ...).
            let value = lower + Double(i) * step
            return AxisTick(value: value, label: label(abs(value) < step * 1e-9 ? 0 : value))
        }
    }

    func fraction(of value: Double) -> Double {
        (value - lower) / (upper - lower)
    }

    /// The smallest of 1, 2, 5 times a power of ten that is at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, floor(log10(rough)))
        for multiple in [1.0, 2, 5, 10] where multiple * power >= rough * (1 - 1e-9) {
            return multiple * power
        }
        return 10 * power
    }
}
