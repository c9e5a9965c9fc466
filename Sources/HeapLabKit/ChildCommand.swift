#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import HeapLabCore
import HeapLabReport

/// `heaplab child` (hidden): what the runner starts for each run. Runs exactly one (workload, manager) pair in
/// this process and writes its RunReport (a one-element `RunReport.encode` array) to `--output`, then exits 0;
/// a run that fails in a way Swift can catch (a thrown error) is still written, with its status and message.
/// The parent treats every other ending (no file, non-zero exit, a signal, the timeout) as a failed run.
struct ChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "child",
        abstract: "Run one pair in this process and write its RunReport JSON to --output (started by the runner).",
        shouldDisplay: false)

    @Option(help: "The workload.") var workload: String
    @Option(help: "The memory manager.") var manager: String
    @Option(name: .customLong("param"), help: "A workload parameter, name=value (the runner passes all of them).")
    var parameters: [String] = []
    @Option(name: .customLong("set"), help: "A manager option, key=value.") var options: [String] = []
    @Option(help: "Where to write the report; standard output when absent.") var output: String?
    // Names differ from the root command's options (--warmup, ...): ArgumentParser lets a parent command
    // claim its options anywhere on the command line.
    @Option(name: .customLong("warmup-runs"), help: "Warm-up runs at test size before the measured run.")
    var warmup: Int = 1
    @Option(name: .customLong("stall-threshold-ns"), help: "Stalls shorter than this are counted, not logged, nanoseconds.")
    var stallThresholdNanoseconds: UInt64 = RunSpec.defaultStallThresholdNanoseconds
    @Option(name: .customLong("memory-limit-bytes"), help: "RLIMIT_AS for this process, bytes.")
    var memoryLimitBytes: Int?
    @Flag(name: .customLong("untimed"), help: "Do not time operations and drop points.")
    var noOperationTiming = false

    func run() throws {
        var spec: RunSpec
        do {
            spec = try CommandContext.registry.spec(workload: workload, manager: manager,
                                    parameters: KeyValue.integers(parameters, option: "--param"),
                                    options: KeyValue.strings(options, option: "--set"))
        } catch {
            throw ValidationError(error.message)
        }
        spec.warmupRuns = max(0, warmup)
        spec.stallThresholdNanoseconds = stallThresholdNanoseconds
        spec.memoryLimitBytes = memoryLimitBytes
        spec.timesOperations = !noOperationTiming
        if let memoryLimitBytes {
            // The limit covers the whole address space of this process: heap, stacks, mapped libraries.
            var limit = rlimit(rlim_cur: rlim_t(memoryLimitBytes), rlim_max: rlim_t(memoryLimitBytes))
            guard setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0 else {
                throw RunnerError("cannot set RLIMIT_AS to \(memoryLimitBytes) bytes: \(String(cString: strerror(errno)))")
            }
        }
        let report: RunReport
        do {
            report = try CommandContext.registry.run(inProcess: spec)
        } catch {
            report = spec.failedReport("the run could not start or its warm-up failed: \(error.message)",
                                       date: Harness.now())
        }
        let data = try RunReport.encode([report])
        if let output {
            // Written whole, then renamed: the parent never reads half a file.
            let temporary = output + ".partial"
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, output) == 0 else {
                throw RunnerError("cannot rename \(temporary) to \(output): \(String(cString: strerror(errno)))")
            }
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
