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

    func validate() throws {
        guard warmup >= 0 else { throw ValidationError("--warmup-runs must not be negative (got \(warmup))") }
        if let memoryLimitBytes, memoryLimitBytes < 1 << 20 {
            throw ValidationError("--memory-limit-bytes must be at least 1 MiB (got \(memoryLimitBytes))")
        }
    }

    /// Room the run needs above what the process maps when it sets its limit: a small run and its report.
    static let memoryLimitHeadroomBytes = 16 << 20

    func run() throws {
        var spec: RunSpec
        do {
            spec = try CommandContext.registry.spec(workload: workload, manager: manager,
                                    parameters: KeyValue.integers(parameters, option: "--param"),
                                    options: KeyValue.strings(options, option: "--set"))
        } catch {
            throw ValidationError(error.message)
        }
        spec.warmupRuns = warmup
        spec.stallThresholdNanoseconds = stallThresholdNanoseconds
        spec.memoryLimitBytes = memoryLimitBytes
        spec.timesOperations = !noOperationTiming
        if let memoryLimitBytes {
            // The limit covers the whole address space of this process: heap, stacks, mapped libraries. One below
            // what is mapped already (plus room to run) would only make the process die before it can report.
            if let mapped = Self.mappedBytes(), mapped + Self.memoryLimitHeadroomBytes > memoryLimitBytes {
                try write(spec.failedReport(
                    "the memory limit of \(memoryLimitBytes >> 20) MiB leaves no room to run: this process already maps \(mapped >> 20) MiB before the workload starts",
                    date: Harness.now(), status: .outOfMemory))
                return
            }
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
        try write(report)
    }

    /// Writes `report` as a one-element RunReports array to `--output` (whole, then renamed: the parent never
    /// reads half a file), or to standard output.
    func write(_ report: RunReport) throws {
        let data = try RunReport.encode([report])
        if let output {
            do { try OutputFile.writeAtomically(data, to: output) } catch { throw RunnerError(error.description) }
        } else {
            FileHandle.standardOutput.write(data)
        }
    }

    /// The process's mapped address space (VmSize in /proc/self/status), bytes; nil when unreadable.
    static func mappedBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
              let kilobytes = Int(line.dropFirst("VmSize:".count).filter(\.isNumber)) else { return nil }
        return kilobytes << 10
    }
}
