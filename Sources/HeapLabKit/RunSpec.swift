import HeapLabCore
import HeapLabReport

/// Everything that defines one (workload, manager) run: what the parent passes to a child process, and what the
/// child's harness executes. Parameters are already resolved (defaults filled in, ranges checked).
public struct RunSpec: Equatable, Sendable {
    public var workload: String
    public var manager: String
    /// The workload's parameters, every one given.
    public var parameters: [String: Int]
    /// The manager's `--set` options.
    public var options: [String: String] = [:]
    /// Warm-up runs of the workload at its test size, on a separate manager instance, before the measured run.
    public var warmupRuns: Int = 1
    /// Stalls shorter than this are counted, not logged one by one (see `PauseLog.stallThresholdNanoseconds`).
    public var stallThresholdNanoseconds: UInt64 = RunSpec.defaultStallThresholdNanoseconds
    /// An address-space limit the child sets on itself (RLIMIT_AS), bytes; nil for none. At least
    /// `minimumMemoryLimitMiB` MiB for a child to start at all.
    public var memoryLimitBytes: Int?
    /// Whether the workload's operations and drop points are timed (the latency columns and the stalls). False
    /// only to measure what that timing costs; collector pauses are logged either way.
    public var timesOperations = true

    /// The smallest address-space limit a child can run under, MiB. A `heaplab child` maps 82 MiB (release
    /// build) to 84 MiB (debug) before it runs anything: the Swift runtime, Foundation, the libraries, glibc's
    /// malloc arena. Every manager ran a small GCBench from 99 MiB up, mimalloc from 116-117 MiB (measured,
    /// Docs/Experiments.md, "Repeats, warm-up, timeouts and limits"); below about 85 MiB a child died before it
    /// could report.
    public static let minimumMemoryLimitMiB = 128
    /// `--memory-limit`'s accepted range, MiB: from `minimumMemoryLimitMiB` to 2^30 MiB (1 PiB).
    public static let memoryLimitMiBRange = minimumMemoryLimitMiB...(1 << 30)

    /// A spec with every field given; `Registry.spec` makes validated ones.
    public init(workload: String, manager: String, parameters: [String: Int], options: [String: String] = [:],
                warmupRuns: Int = 1, stallThresholdNanoseconds: UInt64 = RunSpec.defaultStallThresholdNanoseconds,
                memoryLimitBytes: Int? = nil) {
        self.workload = workload
        self.manager = manager
        self.parameters = parameters
        self.options = options
        self.warmupRuns = warmupRuns
        self.stallThresholdNanoseconds = stallThresholdNanoseconds
        self.memoryLimitBytes = memoryLimitBytes
    }

    /// 20 µs: a GCBench tree of depth 8 or more (511+ nodes) freed by malloc or ARC is logged; the tens of
    /// thousands of tiny trees are counted in `unloggedStallCount`. Keeps a full-size report's JSON to a few MB.
    public static let defaultStallThresholdNanoseconds: UInt64 = 20_000

    /// The arguments of `heaplab child` that reproduce this spec, writing the report to `output`.
    public func childArguments(output: String) -> [String] {
        var arguments = ["child", "--workload", workload, "--manager", manager, "--output", output,
                         "--warmup-runs", String(warmupRuns), "--stall-threshold-ns", String(stallThresholdNanoseconds)]
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            arguments += ["--param", "\(name)=\(value)"]
        }
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            arguments += ["--set", "\(key)=\(value)"]
        }
        if let memoryLimitBytes {
            arguments += ["--memory-limit-bytes", String(memoryLimitBytes)]
        }
        if !timesOperations { arguments.append("--untimed") }
        return arguments
    }

    /// A RunReport for this spec that never ran to completion, with `failure` as the cause: `failed` (the child
    /// crashed, hung or could not start) or `outOfMemory` (it ran out before the measured run, or where it
    /// could not throw).
    public func failedReport(_ failure: String, date: String, machine: MachineInfo = .current(),
                             status: RunReport.Status = .failed) -> RunReport {
        RunReport(workload: workload, manager: manager, parameters: parameters, managerConfiguration: options,
                  machine: machine, date: date, status: status, failure: failure)
    }
}

/// Parses `name=value` pairs from the command line.
public enum KeyValue {
    /// Splits each `name=value` at the first `=`.
    /// - Throws: `RunnerError` for a pair without `=`, an empty name, or a name given twice.
    public static func strings(_ pairs: [String], option: String) throws(RunnerError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw RunnerError("\(option) expects name=value (got '\(pair)')")
            }
            let name = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
            guard result[name] == nil else { throw RunnerError("\(option): '\(name)' given twice") }
            result[name] = value
        }
        return result
    }

    /// Like `strings`, with integer values (underscores allowed as separators: `arraySize=500_000`).
    /// - Throws: `RunnerError` for a value that is not an integer.
    public static func integers(_ pairs: [String], option: String) throws(RunnerError) -> [String: Int] {
        var result: [String: Int] = [:]
        for (name, text) in try strings(pairs, option: option) {
            guard let value = Int(String(text.filter { $0 != "_" })) else {
                throw RunnerError("\(option) \(name): '\(text)' is not an integer")
            }
            result[name] = value
        }
        return result
    }
}

extension Error {
    /// The error's own description, without a type name prefix.
    @usableFromInline var message: String {
        String(describing: self)
    }
}
