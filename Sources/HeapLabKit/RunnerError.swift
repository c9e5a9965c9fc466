/// A problem the runner reports to the user: a bad argument, an unknown name, a file it could not read or write.
/// The message is complete on its own, one line; the command line prints it after "Error: " and exits with
/// `exitStatus`.
public struct RunnerError: Error, CustomStringConvertible, Equatable {
    public var message: String
    /// The command's exit status when this error ends it: 64 (EX_USAGE) for bad input (an argument, or an input
    /// file that is not what it should be), 1 for a failure of the command itself (an output it can not write).
    /// Errors found while the command line is parsed always exit with 64.
    public var exitStatus: Int32
    /// - Parameters:
    ///   - message: the problem; control characters in it (a line break inside a value the user typed) are
    ///     written as escapes (`\n`), so the message stays one line.
    ///   - exitStatus: the command's exit status when this error ends it (see `exitStatus`).
    public init(_ message: String, exitStatus: Int32 = 1) {
        self.message = Self.oneLine(message)
        self.exitStatus = exitStatus
    }
    public var description: String { message }

    /// `text` with line breaks and other control characters (but tabs) written as Swift escapes.
    static func oneLine(_ text: String) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.generalCategory == .control && scalar != "\t" }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case _ where isControl(scalar): result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Exit status for bad input (EX_USAGE from sysexits.h).
    public static let badInputStatus: Int32 = 64
}
