import Foundation
import HeapLabCore

/// Human-readable numbers with units, for chart ticks, table cells and legends.
///
/// Durations are given in nanoseconds and bytes in bytes (HeapLab's base units everywhere); these helpers only
/// choose a display unit. Binary prefixes (KiB = 1024 B) are used for memory because page and heap sizes are
/// powers of two.
public enum UnitFormat {
    /// A display unit for durations.
    public struct DurationUnit: Equatable, Sendable {
        /// The symbol (`ns`, `µs`, `ms`, `s`).
        public var symbol: String
        /// Nanoseconds in one unit.
        public var nanoseconds: Double

        public static let nanosecond = DurationUnit(symbol: "ns", nanoseconds: 1)
        public static let microsecond = DurationUnit(symbol: "µs", nanoseconds: 1e3)
        public static let millisecond = DurationUnit(symbol: "ms", nanoseconds: 1e6)
        public static let second = DurationUnit(symbol: "s", nanoseconds: 1e9)

        /// The largest unit in which `nanoseconds` is at least 1 (nanoseconds for values below 1 ns).
        public static func fitting(_ nanoseconds: Double) -> DurationUnit {
            let magnitude = abs(nanoseconds)
            for unit in [second, millisecond, microsecond] where magnitude >= unit.nanoseconds { return unit }
            return nanosecond
        }
    }

    /// A display unit for memory sizes.
    public struct ByteUnit: Equatable, Sendable {
        public var symbol: String
        public var bytes: Double

        public static let byte = ByteUnit(symbol: "B", bytes: 1)
        public static let kibibyte = ByteUnit(symbol: "KiB", bytes: 1024)
        public static let mebibyte = ByteUnit(symbol: "MiB", bytes: 1024 * 1024)
        public static let gibibyte = ByteUnit(symbol: "GiB", bytes: 1024 * 1024 * 1024)
        public static let tebibyte = ByteUnit(symbol: "TiB", bytes: 1024 * 1024 * 1024 * 1024)

        /// The largest unit in which `bytes` is at least 1.
        public static func fitting(_ bytes: Double) -> ByteUnit {
            let magnitude = abs(bytes)
            for unit in [tebibyte, gibibyte, mebibyte, kibibyte] where magnitude >= unit.bytes { return unit }
            return byte
        }
    }

    /// A duration in the unit that fits it, with three significant digits: `850 ns`, `12.3 µs`, `1.05 s`.
    public static func duration(nanoseconds: Double) -> String {
        let unit = DurationUnit.fitting(nanoseconds)
        return "\(significant(nanoseconds / unit.nanoseconds)) \(unit.symbol)"
    }

    /// A memory size in the binary unit that fits it, with three significant digits: `512 B`, `48.2 MiB`.
    public static func bytes(_ bytes: Double) -> String {
        let unit = ByteUnit.fitting(bytes)
        return "\(significant(bytes / unit.bytes)) \(unit.symbol)"
    }

    /// A fraction (0...1) as a percentage with one decimal: `99.5%`.
    public static func percent(_ fraction: Double) -> String {
        "\(DecimalText.trimmingZeros(DecimalText.fixed(fraction * 100, decimals: 1)))%"
    }

    /// `value` with three significant digits and no trailing zeros: `123`, `12.3`, `1.23`, `0.123`, `1200`.
    public static func significant(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "-∞") }
        let magnitude = abs(value)
        let decimals: Int
        if magnitude >= 100 || magnitude == 0 { decimals = 0 }
        else if magnitude >= 10 { decimals = 1 }
        else if magnitude >= 1 { decimals = 2 }
        else { decimals = min(6, 2 - Int(floor(log10(magnitude)))) }
        return DecimalText.trimmingZeros(DecimalText.fixed(value, decimals: decimals))
    }

    /// A whole number with thousands separated by commas: `89,626`.
    public static func integer(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// A count for an axis, short: `1`, `10`, `1k`, `10k`, `2.5M`.
    public static func count(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1e9 { return tick(value / 1e9) + "G" }
        if magnitude >= 1e6 { return tick(value / 1e6) + "M" }
        if magnitude >= 1e3 { return tick(value / 1e3) + "k" }
        return tick(value)
    }

    /// A tick label: the shortest decimal that represents `value` after rounding to 6 decimals (`0.5`, `10`, `2.5`).
    static func tick(_ value: Double) -> String {
        DecimalText.trimmingZeros(DecimalText.fixed(value, decimals: 6))
    }
}
