/// A problem the runner reports to the user: a bad argument, an unknown name, a file it could not write.
/// The message is complete on its own; the command line prints it and exits with a non-zero status.
public struct RunnerError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
