/// Byte counts as people type them on a command line or in an environment variable: `4096`, `512KiB`, `64MiB`,
/// `2GiB`. One parser for every manager's options, so `--set heap-limit=...` and `--set arena-limit=...` accept
/// the same spellings.
public enum ByteCount {
    /// The largest accepted count, 1 PiB: far above any real limit, and far below `Int.max`.
    public static let maximum = 1 << 50

    /// Parses decimal digits with an optional binary-unit suffix, in any case: `B`; `K`, `KB`, `KiB` (2^10);
    /// `M`, `MB`, `MiB` (2^20); `G`, `GB`, `GiB` (2^30). Spaces around the text are ignored.
    ///
    /// - Parameters:
    ///   - text: what the user wrote (`512MiB`, `4096`).
    ///   - key: the option or variable being parsed, for the message.
    ///   - owner: who is parsing (`gc`, `arena`), the message's prefix.
    /// - Throws: `ParameterError` for anything else (a sign, a fraction, an unknown suffix, no digits), or a
    ///   count above `maximum`.
    public static func parse(_ text: String, key: String, owner: String) throws(ParameterError) -> Int {
        var trimmed = Substring(text)
        while trimmed.first == " " { trimmed = trimmed.dropFirst() }
        while trimmed.last == " " { trimmed = trimmed.dropLast() }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let shift: Int
        switch trimmed.dropFirst(digits.count).lowercased() {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        default: shift = -1
        }
        guard shift >= 0, !digits.isEmpty else {
            throw ParameterError("\(owner): \(key) must be a byte count such as 67108864, 512KiB, 64MiB or 2GiB (got '\(text)')")
        }
        guard let n = Int(digits), n <= maximum >> shift else {
            throw ParameterError("\(owner): \(key) is too large (got '\(text)', at most 1 PiB)")
        }
        return n << shift
    }
}
