#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HeapLabCore

/// The machine a run happened on.
public struct MachineInfo: Codable, Equatable, Sendable {
    public var cores: Int
    public var memoryBytes: Int
    public var cpuModel: String
    public var kernel: String
    public var swiftVersion: String

    /// Describes this machine.
    public static func current() -> MachineInfo {
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        var cpu = "unknown"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return MachineInfo(cores: cores, memoryBytes: pages * pageSize, cpuModel: cpu, kernel: kernel,
                           swiftVersion: compilerVersion)
    }

    /// The Swift compiler that built this binary.
    public static var compilerVersion: String {
        #if compiler(>=6.4)
        return "6.4 or later"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    public init(cores: Int, memoryBytes: Int, cpuModel: String, kernel: String, swiftVersion: String) {
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.cpuModel = cpuModel
        self.kernel = kernel
        self.swiftVersion = swiftVersion
    }
}

/// Everything one (workload, manager) run measured. Written by the child process as JSON, read back by the
/// runner, and the input of every report (tables, CSV, charts, trace export).
public struct RunReport: Codable, Equatable, Sendable {
    /// Outcome of a run.
    public enum Status: String, Codable, Sendable {
        /// Completed and its check passed.
        case ok
        /// The manager ran out of memory (a thrown `AllocationError`).
        case outOfMemory
        /// The workload's check failed, the child crashed, hung or could not be started.
        case failed
        /// The workload's lifetimes do not fit the manager (see `notes`).
        case notApplicable
    }

    public var workload: String
    public var manager: String
    /// The workload's parameters as run, and the manager's configuration (GOGC, limits, ...), as strings.
    public var parameters: [String: Int]
    public var managerConfiguration: [String: String]
    public var machine: MachineInfo
    /// ISO 8601 date and time the run started.
    public var date: String
    public var status: Status
    /// Why the run failed (the error, or the child's stderr tail), empty when it did not.
    public var failure: String

    /// Wall-clock time of the workload (excluding process start and report writing), nanoseconds.
    public var wallNanoseconds: UInt64
    /// Process CPU time (user + system) over the same interval, nanoseconds.
    public var cpuNanoseconds: UInt64
    /// `MonotonicClock` reading when the workload started; pause and memory times are relative to it.
    public var startNanoseconds: UInt64
    /// Resident memory at the end; `peakBytes` is the process's peak.
    public var residentMemory: ResidentMemory
    public var managerStatistics: ManagerStatistics
    public var latency: LatencySummary
    /// Every pause and stall event, with start times relative to `startNanoseconds`.
    public var pauses: [PauseEvent]
    /// Stalls too short to log individually: how many, total nanoseconds.
    public var unloggedStallCount: Int
    public var unloggedStallNanoseconds: UInt64
    /// Stalls shorter than this were counted but not logged one by one (`PauseLog.stallThresholdNanoseconds`);
    /// nil in reports written before the field existed.
    public var stallThresholdNanoseconds: UInt64?
    public var memorySamples: [MemorySample]
    public var outcome: WorkloadOutcome?
    /// The native reference program (`c-malloc`, `c-arena`, ...) this manager's time is read against in the `×C`
    /// column, from the manager's registry entry; nil when it has none (and in older reports).
    public var nativeReference: String?
    /// Whether this run is a native reference program itself (a C program, not a `MemoryManager`); nil in older
    /// reports.
    public var isNativeReference: Bool?
    /// Whether operations and drop points were timed (`--no-operation-timing` turns it off, to measure what the
    /// timing costs); nil in reports written before the field existed, when they always were.
    public var timesOperations: Bool?

    public init(workload: String, manager: String, parameters: [String: Int], managerConfiguration: [String: String],
                machine: MachineInfo, date: String, status: Status, failure: String = "",
                wallNanoseconds: UInt64 = 0, cpuNanoseconds: UInt64 = 0, startNanoseconds: UInt64 = 0,
                residentMemory: ResidentMemory = ResidentMemory(currentBytes: 0, peakBytes: 0),
                managerStatistics: ManagerStatistics = ManagerStatistics(), latency: LatencySummary = LatencySummary(),
                pauses: [PauseEvent] = [], unloggedStallCount: Int = 0, unloggedStallNanoseconds: UInt64 = 0,
                stallThresholdNanoseconds: UInt64? = nil, memorySamples: [MemorySample] = [], outcome: WorkloadOutcome? = nil,
                timesOperations: Bool? = nil, nativeReference: String? = nil, isNativeReference: Bool? = nil) {
        self.workload = workload
        self.manager = manager
        self.parameters = parameters
        self.managerConfiguration = managerConfiguration
        self.machine = machine
        self.date = date
        self.status = status
        self.failure = failure
        self.wallNanoseconds = wallNanoseconds
        self.cpuNanoseconds = cpuNanoseconds
        self.startNanoseconds = startNanoseconds
        self.residentMemory = residentMemory
        self.managerStatistics = managerStatistics
        self.latency = latency
        self.pauses = pauses
        self.unloggedStallCount = unloggedStallCount
        self.unloggedStallNanoseconds = unloggedStallNanoseconds
        self.stallThresholdNanoseconds = stallThresholdNanoseconds
        self.memorySamples = memorySamples
        self.outcome = outcome
        self.timesOperations = timesOperations
        self.nativeReference = nativeReference
        self.isNativeReference = isNativeReference
    }

    /// Pauses by collectors: collections, mark slices, final marks and logged lazy sweeps (everything but stalls
    /// and assists).
    public var collectorPauses: [PauseEvent] { pauses.filter { $0.kind != .stall && $0.kind != .assist } }
    /// The collector pauses that stopped every mutator thread (`PauseKind.stopsTheWorld`): the lazy sweeps left
    /// out.
    public var stopTheWorldPauses: [PauseEvent] { pauses.filter { $0.kind.stopsTheWorld } }
    /// Mutator assists of concurrent marking (empty for every other manager).
    public var assists: [PauseEvent] { pauses.filter { $0.kind == .assist } }
    /// Stalls at drop points.
    public var stalls: [PauseEvent] { pauses.filter { $0.kind == .stall } }

    /// The mutator's utilization over the run from every logged interruption (pause start times are relative
    /// to the run start): a threaded workload's stalls, sweeps and assists take one of its `threads`.
    public var mutatorUtilization: MinimumMutatorUtilization {
        MinimumMutatorUtilization(events: pauses, threads: parameters["threads"] ?? 1, runStart: 0, runEnd: wallNanoseconds)
    }

    /// The MMU curve of this run (pause start times are relative to the run start).
    public func mmuCurve(fromNanoseconds: UInt64 = 1_000_000, toNanoseconds: UInt64 = 1_000_000_000,
                         points: Int = 25) -> [MMUPoint] {
        mutatorUtilization.curve(fromNanoseconds: fromNanoseconds, toNanoseconds: max(toNanoseconds, fromNanoseconds + 1), points: points)
    }

    /// Encodes reports as pretty, key-sorted JSON (the format of `--json` files; schema in Docs/Experiments.md).
    public static func encode(_ reports: [RunReport]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(reports)
    }

    /// Decodes what `encode` wrote, and checks every value a report's readers rely on (`implausibleValue`).
    /// - Throws: `ReadError` saying which report and which field is wrong, and how; never traps, whatever the
    ///   bytes.
    public static func decode(_ data: Data) throws(ReadError) -> [RunReport] {
        let reports: [RunReport]
        do {
            reports = try JSONDecoder().decode([RunReport].self, from: data)
        } catch let error as DecodingError {
            throw ReadError(error, data: data)
        } catch {
            throw ReadError(message: "not valid JSON: \(error)")
        }
        for (index, report) in reports.enumerated() {
            if let problem = report.implausibleValue() {
                throw ReadError(message: "\(ReadError.label(index, report.workload, report.manager)): \(problem)")
            }
        }
        return reports
    }
}
