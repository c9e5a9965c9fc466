/// A problem the runner reports to the user: a bad argument, an unknown name, a file it could not write.
/// The message is complete on its own; the command line prints it and exits with a non-zero status.
struct RunnerError: Error, CustomStringConvertible, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
