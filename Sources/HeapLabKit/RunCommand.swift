import ArgumentParser
import HeapLabCore
import HeapLabReport

/// `heaplab run`: one workload on one manager, in a child process, with the run's details.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one workload on one memory manager (1 run by default) and print its table row and details.")

    @Option(help: ArgumentHelp("The workload (see `heaplab list`).", valueName: "NAME"))
    var workload: String

    @Option(help: ArgumentHelp("The memory manager (see `heaplab list`).", valueName: "NAME"))
    var manager: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A workload parameter, e.g. maxDepth=12 (repeatable).", valueName: "name=value"))
    var parameters: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp("A manager option (repeatable; see `heaplab list`).", valueName: "key=value"))
    var options: [String] = []

    @OptionGroup var matrix: MatrixOptions

    /// The one spec this command runs.
    func spec() throws(RunnerError) -> RunSpec {
        try CommandContext.registry.spec(workload: workload, manager: manager,
                         parameters: KeyValue.integers(parameters, option: "--param"),
                         options: KeyValue.strings(options, option: "--set"), testSize: matrix.testSize)
    }

    func validate() throws {
        do { _ = try spec() } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        let reports = try matrix.runAndReport([spec()], defaultRepeats: 1)
        print()
        for (i, report) in reports.enumerated() {
            if reports.count > 1 { print("Run \(i + 1) of \(reports.count):") }
            print(RunDetails.describe(report))
        }
    }
}
