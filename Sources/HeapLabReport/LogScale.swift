import Foundation

/// A base-10 logarithmic axis over whole decades, with a tick at every decade (and at 2 and 5 times each
/// decade when the domain spans at most two decades, so a short axis still has several labels).
struct LogScale: AxisScale {
    /// log10 of the domain's ends.
    let lowerExponent: Double
    let upperExponent: Double
    let ticks: [AxisTick]

    /// - Parameters:
    ///   - minimum, maximum: the positive data range; the domain is the smallest run of whole decades covering it.
    ///   - tickFloor: no tick below this value (a count axis whose domain starts below 1 so that a count of 1
    ///     still has a visible bar, but whose first tick is 1).
    ///   - label: turns a tick value into its label.
    init(minimum: Double, maximum: Double, tickFloor: Double = 0, label: (Double) -> String = UnitFormat.tick) {
        precondition(minimum > 0 && maximum >= minimum && maximum.isFinite, "LogScale: bad range \(minimum)...\(maximum)")
        // A tiny tolerance keeps exact powers of ten (1e6 may be 999999.9999 after arithmetic) on their decade.
        var low = floor(log10(minimum) + 1e-9)
        var high = ceil(log10(maximum) - 1e-9)
        if high <= low { high = low + 1 }
        if low.isNaN { low = 0 }
        lowerExponent = low
        upperExponent = high
        let multiples: [Double] = high - low <= 2 ? [1, 2, 5] : [1]
        var ticks: [AxisTick] = []
        for exponent in Int(low)...Int(high) {
            for multiple in multiples {
                let value = multiple * pow(10, Double(exponent))
                if log10(value) <= high + 1e-9 && value >= tickFloor * (1 - 1e-9) { ticks.append(AxisTick(value: value, label: label(value))) }
            }
        }
        self.ticks = ticks
    }

    /// The domain's ends.
    var lower: Double { pow(10, lowerExponent) }
    var upper: Double { pow(10, upperExponent) }

    func fraction(of value: Double) -> Double {
        guard value > 0 else { return -.infinity }
        return (log10(value) - lowerExponent) / (upperExponent - lowerExponent)
    }
}
