import Foundation

/// The "nines" axis of latency percentile charts: percentile p sits at -log10(1 - p/100), so 90%, 99%,
/// 99.9%, 99.99% are evenly spaced and the tail gets as much room as the body. The maximum (100%, infinitely far
/// on that axis) is drawn half a step past the last finite tick and labelled `max`.
struct NinesScale: AxisScale {
    /// The number of nines shown: the axis runs to 100 * (1 - 10^-nines) percent before `max`.
    let nines: Int
    let ticks: [AxisTick]

    /// - Parameter nines: 1...9; 3 shows up to 99.9%.
    init(nines: Int) {
        precondition((1...9).contains(nines), "NinesScale: nines must be in 1...9 (got \(nines))")
        self.nines = nines
        var ticks = [AxisTick(value: 0, label: "0%"), AxisTick(value: 50, label: "50%")]
        for n in 1...nines {
            let percentile = 100 * (1 - pow(10, -Double(n)))
            ticks.append(AxisTick(value: percentile, label: UnitFormat.tick(percentile) + "%"))
        }
        ticks.append(AxisTick(value: 100, label: "max"))
        self.ticks = ticks
    }

    /// The number of nines needed to show the percentiles that `count` samples can resolve: the largest n with
    /// 10^n <= count, within 1...6.
    static func nines(forSampleCount count: Int) -> Int {
        guard count >= 10 else { return 1 }
        return min(6, max(1, Int(floor(log10(Double(count)) + 1e-9))))
    }

    /// Position on the nines axis before scaling: 0 for 0%, 1 for 90%, 2 for 99%, ...; `nines + 0.5` for 100%.
    func position(ofPercentile percentile: Double) -> Double {
        if percentile >= 100 { return Double(nines) + 0.5 }
        return min(Double(nines) + 0.5, -log10(1 - max(0, percentile) / 100))
    }

    func fraction(of percentile: Double) -> Double {
        position(ofPercentile: percentile) / (Double(nines) + 0.5)
    }
}
