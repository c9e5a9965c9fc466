import HeapLabCore
import HeapLabReport

/// Everything the runner and the command line need to know about a `Lab`'s workloads and managers, without
/// their types: names, parameters, options, availability, and the one closure that runs a spec in this
/// process, specialized for every (workload, manager) pair when the `Lab` was built.
public struct Registry: Sendable {
    /// The workloads, in the order `heaplab list` shows them.
    public let workloads: [any Workload.Type]
    /// The managers (native reference programs included), in table order.
    public let managers: [ManagerEntry]
    /// The manager every other is divided by in the `×malloc` column.
    public let baseline: String
    /// Runs `spec` in this process and measures it (what `heaplab child` does).
    let runInProcess: @Sendable (RunSpec) throws -> RunReport

    /// - Precondition: no two workloads and no two managers share a name.
    public init(workloads: [any Workload.Type], managers: [ManagerEntry], baseline: String,
                runInProcess: @escaping @Sendable (RunSpec) throws -> RunReport) {
        let workloadNames = workloads.map { $0.name }, managerNames = managers.map(\.name)
        precondition(Set(workloadNames).count == workloadNames.count, "Registry: two workloads share a name: \(workloadNames)")
        precondition(Set(managerNames).count == managerNames.count, "Registry: two managers share a name: \(managerNames)")
        self.workloads = workloads
        self.managers = managers
        self.baseline = baseline
        self.runInProcess = runInProcess
    }

    /// The workload named `name`.
    /// - Throws: `RunnerError` listing the known workloads.
    public func workload(named name: String) throws(RunnerError) -> any Workload.Type {
        guard let type = workloads.first(where: { $0.name == name }) else {
            throw RunnerError("unknown workload '\(name)' (workloads: \(workloads.map { $0.name }.joined(separator: ", ")))")
        }
        return type
    }

    /// The manager entry named `name`, or nil.
    public func entry(named name: String) -> ManagerEntry? {
        managers.first { $0.name == name }
    }

    /// Names of the managers installed on this machine, in registry order.
    public var availableManagers: [String] {
        managers.filter { $0.availability().isAvailable }.map(\.name)
    }

    /// The managers left out of a default run because their library is missing, one line each.
    public var notInstalledLines: [String] {
        managers.compactMap { entry in
            let availability = entry.availability()
            return availability.isAvailable ? nil : "Not run: \(entry.name) (\(availability.description))"
        }
    }

    /// Checks that `name` is a known, installed manager and that `options` are its own, with good values.
    /// - Throws: `RunnerError` with the list of managers, the package to install, or the bad option.
    @discardableResult
    public func validate(manager name: String, options: [String: String]) throws(RunnerError) -> ManagerEntry {
        guard let entry = entry(named: name) else {
            throw RunnerError("unknown manager '\(name)' (managers: \(managers.map(\.name).joined(separator: ", ")))")
        }
        switch entry.availability() {
        case .available: break
        case let .notInstalled(package): throw RunnerError("manager \(name) is not installed: apt-get install \(package)")
        case let .unusable(reason): throw RunnerError("manager \(name) can not be used here: \(reason)")
        }
        try entry.validate(options)
        return entry
    }

    /// A validated spec: names known, manager installed, options and parameters accepted, defaults (or test
    /// sizes) filled in.
    ///
    /// - Throws: `RunnerError` for an unknown workload or manager, an uninstalled manager, an unknown option or
    ///   a bad option value, or a parameter that is unknown or out of range.
    public func spec(workload: String, manager: String, parameters given: [String: Int] = [:],
                     options: [String: String] = [:], testSize: Bool = false) throws(RunnerError) -> RunSpec {
        let type = try self.workload(named: workload)
        try validate(manager: manager, options: options)
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

    /// Writes what the registry knows about `report`'s manager into it: its native reference and whether it is
    /// one (for the table's `×C` column).
    public func annotate(_ report: inout RunReport) {
        guard let entry = entry(named: report.manager) else { return }
        report.nativeReference = entry.nativeReference
        report.isNativeReference = entry.isNativeReference
    }

    /// The report of a pair that does not run at all: a native reference program on a workload it does not
    /// implement. Nil for every pair that runs.
    public func notApplicableReport(_ spec: RunSpec) -> RunReport? {
        guard let entry = entry(named: spec.manager), !entry.runs(spec.workload) else { return nil }
        let programs = entry.nativeWorkloads ?? []
        var report = spec.failedReport("no native reference program for \(spec.workload) (there is one for \(programs.joined(separator: " and ")))",
                                       date: Harness.now())
        report.status = .notApplicable
        annotate(&report)
        return report
    }

    /// Runs `spec` in this process and returns its report (see `MeasuredRun`).
    /// - Throws: `RunnerError` when the spec names an unknown workload or manager or carries bad parameters
    ///   (the parent validates specs before launching a child, so a child sees this only when run by hand);
    ///   whatever making the manager throws.
    public func run(inProcess spec: RunSpec) throws -> RunReport {
        if let report = notApplicableReport(spec) { return report }
        var report = try runInProcess(spec)
        annotate(&report)
        return report
    }
}
