import ArgumentParser
import Foundation
import HeapLabCore
import Workloads

/// `heaplab`: with no subcommand, GCBench at full size on every installed memory manager and C reference, each run in its own
/// process, three runs each, as one table.
struct HeapLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heaplab",
        abstract: "Compare memory managers (malloc, ARC, and more) on the same allocation-heavy workloads.",
        discussion: """
            With no subcommand, runs GCBench at full size on every installed memory manager and on the native \
            references (GCBench in plain C per allocator family), 3 runs each, every run in its own child \
            process, and prints one table (time, ratio to malloc, ratio to the manager's C reference, peak RSS, \
            allocations, per-operation latency, collector pauses, drop-point stalls). The options below apply to that default \
            run; `heaplab help SUBCOMMAND` documents each subcommand. Exit status: 0 when every run was carried \
            out (a run that failed is a result, shown in the table); 64 for bad input, found before any child \
            starts; 1 when an output could not be written after the runs; 130 or 143 after SIGINT or SIGTERM \
            (the running child is killed and the work directory removed).
            """,
        subcommands: [ListCommand.self, RunCommand.self, CompareCommand.self, ReportCommand.self, ChildCommand.self,
                      ClockCommand.self])

    @OptionGroup var matrix: MatrixOptions

    /// One spec per installed manager: GCBench with its defaults (or test size).
    func specs() throws(RunnerError) -> [RunSpec] {
        var specs: [RunSpec] = []
        let registry = CommandContext.registry
        for manager in registry.availableManagers {
            specs.append(try registry.spec(workload: GCBench.name, manager: manager, testSize: matrix.testSize))
        }
        return specs
    }

    func validate() throws {
        do { _ = try specs() } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        try matrix.runAndReport(specs(), defaultRepeats: 3)
        CommandContext.registry.notInstalledLines.forEach { print($0) }
    }
}

/// The registry the commands work on, installed by `Lab.main` before the command line is parsed.
enum CommandContext {
    /// Written once, on the main thread, before any command runs; read-only afterwards.
    nonisolated(unsafe) static var installed: Registry?

    /// The installed registry.
    /// - Precondition: `Lab.main` (or a test) installed one.
    static var registry: Registry {
        guard let installed else { preconditionFailure("HeapLabKit: no registry installed; start the command line with Lab.main()") }
        return installed
    }
}

extension Lab {
    /// Runs the `heaplab` command line (`list`, `run`, `compare`, `report`, and the default GCBench table) over
    /// this lab's workloads and managers, then exits the process with the command's status (0, or 64 for bad
    /// arguments, 1 for other errors).
    ///
    /// Every run happens in a child process that re-executes this program (`/proc/self/exe`), so a program that
    /// calls `main` must call it with the same lab every time it starts.
    ///
    /// - Parameter arguments: the command line without the program name; nil for the process's own.
    @inlinable
    public func main(arguments: [String]? = nil) -> Never {
        runCommandLine(registry, arguments: arguments)
    }
}

/// Installs `registry` and runs the command line over it.
///
/// Exit status: 0 when the command did its work (a failed run is a result, not an error); 64 for bad input
/// (an argument, a value out of range, an unusable output path, a results file that is not RunReports), found
/// before any child starts; 1 when the command itself fails afterwards (a report or the table can not be
/// written); 128 + N when signal N (SIGINT: 130, SIGTERM: 143) stopped it (`Interruption`). Every error is one
/// line on stderr starting with "Error: " (argument errors are followed by the usage).
public func runCommandLine(_ registry: Registry, arguments: [String]?) -> Never {
    CommandContext.installed = registry
    let arguments = arguments ?? Array(CommandLine.arguments.dropFirst())
    // A child is stopped by its parent (SIGKILL to its process group); only the parent handles signals.
    if arguments.first != "child" { Interruption.install() }
    var status: Int32 = 0
    do {
        var command = try HeapLabCommand.parseAsRoot(arguments)
        try command.run()
    } catch let error as RunnerError {
        StandardStreams.flushOutput()
        StandardStreams.printError("Error: \(error.message)")
        status = error.exitStatus
    } catch {
        StandardStreams.flushOutput()
        HeapLabCommand.exit(withError: error)
    }
    exit(StandardStreams.finish(status: status))
}

/// Standard output's errors made visible: a table that could not be written is a failed command.
enum StandardStreams {
    /// Writes `line` and a line end to stderr, unbuffered.
    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Writes out what `print` buffered, so that it comes before an error message on a shared terminal.
    static func flushOutput() {
        fflush(nil)
    }

    /// Flushes stdout; returns `status`, or 1 (with a message on stderr) when anything written to stdout was
    /// lost (a full disk, /dev/full). glibc keeps what it could not write in the stream's buffer, so a write
    /// that failed earlier fails again here.
    static func finish(status: Int32) -> Int32 {
        guard fflush(nil) != 0 else { return status }
        let reason = String(cString: strerror(errno))
        printError("Error: cannot write to standard output: \(reason)")
        return status == 0 ? 1 : status
    }
}
