import ArgumentParser
import HeapLabCore
import Workloads

/// `heaplab`: with no subcommand, GCBench at full size on every installed memory manager, each run in its own
/// process, three runs each, as one table.
@main
struct HeapLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heaplab",
        abstract: "Compare memory managers (malloc, ARC, and more) on the same allocation-heavy workloads.",
        discussion: """
            With no subcommand, runs GCBench at full size on every installed memory manager, 3 runs each, every \
            run in its own child process, and prints one table (time, ratio to malloc, peak RSS, allocations, \
            per-operation latency, collector pauses, drop-point stalls). The options below apply to that default \
            run; `heaplab help SUBCOMMAND` documents each subcommand. Exit status: 0 when every run was carried \
            out (a run that failed is a result, shown in the table); non-zero for bad arguments.
            """,
        subcommands: [ListCommand.self, RunCommand.self, CompareCommand.self, ReportCommand.self, ChildCommand.self,
                      ClockCommand.self])

    @OptionGroup var matrix: MatrixOptions

    /// One spec per installed manager: GCBench with its defaults (or test size).
    func specs() throws(RunnerError) -> [RunSpec] {
        var specs: [RunSpec] = []
        for manager in ManagerRegistry.availableNames {
            specs.append(try RunSpec.make(workload: GCBench.name, manager: manager, parameters: [:], testSize: matrix.testSize))
        }
        return specs
    }

    func validate() throws {
        do { _ = try specs() } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        try matrix.runAndReport(specs(), defaultRepeats: 3)
        ManagerRegistry.printNotInstalled()
    }
}
