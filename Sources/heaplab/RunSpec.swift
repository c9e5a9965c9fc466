import HeapLabCore

/// Everything that defines one (workload, manager) run: what the parent passes to a child process, and what the
/// child's harness executes. Parameters are already resolved (defaults filled in, ranges checked).
struct RunSpec: Equatable, Sendable {
    var workload: String
    var manager: String
    /// The workload's parameters, every one given.
    var parameters: [String: Int]
    /// The manager's `--set` options.
    var options: [String: String] = [:]
    /// Warm-up runs of the workload at its test size, on a separate manager instance, before the measured run.
    var warmupRuns: Int = 1
    /// Stalls shorter than this are counted, not logged one by one (see `PauseLog.stallThresholdNanoseconds`).
    var stallThresholdNanoseconds: UInt64 = RunSpec.defaultStallThresholdNanoseconds
    /// An address-space limit the child sets on itself (RLIMIT_AS), bytes; nil for none.
    var memoryLimitBytes: Int?

    /// 20 µs: a GCBench tree of depth 8 or more (511+ nodes) freed by malloc or ARC is logged; the tens of
    /// thousands of tiny trees are counted in `unloggedStallCount`. Keeps a full-size report's JSON to a few MB.
    static let defaultStallThresholdNanoseconds: UInt64 = 20_000

    /// Validates names, parameters and options and resolves the workload's defaults.
    ///
    /// - Throws: `RunnerError` for an unknown workload or manager, an uninstalled manager, an unknown option,
    ///   or a parameter that is unknown or out of range.
    static func make(workload: String, manager: String, parameters given: [String: Int], options: [String: String] = [:],
                     testSize: Bool = false) throws(RunnerError) -> RunSpec {
        let type = try WorkloadDispatch.type(named: workload)
        _ = try ManagerRegistry.validate(manager, options: options)
        let resolved: [String: Int]
        do {
            resolved = try type.resolve(given, testSize: testSize)
            // The workload's own cross-parameter checks (minDepth <= maxDepth, ...) run in its initializer.
            _ = try type.init(parameters: resolved)
        } catch {
            throw RunnerError(error.message)
        }
        return RunSpec(workload: workload, manager: manager, parameters: resolved, options: options)
    }

    /// The arguments of `heaplab child` that reproduce this spec, writing the report to `output`.
    func childArguments(output: String) -> [String] {
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
        return arguments
    }

    /// A RunReport for this spec that never ran to completion (the child failed), with `failure` as the cause.
    func failedReport(_ failure: String, date: String, machine: MachineInfo = .current()) -> RunReport {
        RunReport(workload: workload, manager: manager, parameters: parameters, managerConfiguration: options,
                  machine: machine, date: date, status: .failed, failure: failure)
    }
}

/// Parses `name=value` pairs from the command line.
enum KeyValue {
    /// Splits each `name=value` at the first `=`.
    /// - Throws: `RunnerError` for a pair without `=`, an empty name, or a name given twice.
    static func strings(_ pairs: [String], option: String) throws(RunnerError) -> [String: String] {
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
    static func integers(_ pairs: [String], option: String) throws(RunnerError) -> [String: Int] {
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
    var message: String {
        String(describing: self)
    }
}
