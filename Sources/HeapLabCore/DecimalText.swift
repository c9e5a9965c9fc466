/// Decimal text for numbers, without Foundation: the one routine behind every figure HeapLab prints (tables,
/// chart labels, the collector's trace line).
public enum DecimalText {
    /// `value` rounded to `decimals` places (0 ... 9): `fixed(3.14159, decimals: 2)` is `3.14`,
    /// `fixed(-0.004, decimals: 2)` is `0.00`, `fixed(2.5, decimals: 0)` is `3`. Values whose magnitude does not
    /// fit an `Int` once scaled (beyond about 9.2e18 / 10^decimals), infinities and NaN are written as Swift
    /// writes a `Double`.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        precondition((0...9).contains(decimals), "DecimalText.fixed: decimals must be 0...9 (got \(decimals))")
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled.isFinite, scaled < 9.2e18 else { return String(value) }
        let units = Int(scaled), whole = units / Int(scale), fraction = units - whole * Int(scale)
        var text = (value < 0 && units > 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }

    /// `text` without trailing zeros after a decimal point, and without the point when nothing follows it:
    /// `12.50` is `12.5`, `3.00` is `3`, `-0.0` is `0`.
    public static func trimmingZeros(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var result = Substring(text)
        while result.hasSuffix("0") { result = result.dropLast() }
        if result.hasSuffix(".") { result = result.dropLast() }
        return result == "-0" ? "0" : String(result)
    }
}
