/// A named integer parameter of a workload, with the size used in experiments and the size used in tests.
public struct WorkloadParameter: Codable, Equatable, Sendable {
    public var name: String
    /// The value used by `heaplab` when the parameter is not given (the experiment size).
    public var defaultValue: Int
    /// A value small enough for unit tests (seconds, not minutes), still exercising every code path.
    public var testValue: Int
    /// Smallest and largest accepted values.
    public var range: ClosedRange<Int>
    /// One line for `--help` and `heaplab list`, with the unit.
    public var help: String

    public init(_ name: String, default defaultValue: Int, test testValue: Int, range: ClosedRange<Int>, help: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.testValue = testValue
        self.range = range
        self.help = help
    }
}

/// A bad workload or manager parameter given by the user.
public struct ParameterError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An allocation-heavy program written once against `MemoryManager`.
///
/// A workload checks its own result (a tree's node count, a checksum) so that a manager that loses or corrupts
/// an object fails the run, and records per-operation latency in the context.
public protocol Workload: Sendable {
    /// Stable name for the command line and reports (`gcbench`, `binary-trees`, ...).
    static var name: String { get }
    /// One line: what the workload does and what it shows.
    static var summary: String { get }
    /// Its parameters, with defaults.
    static var parameters: [WorkloadParameter] { get }

    /// Makes the workload with every parameter given (the runner fills defaults with `resolve`).
    init(parameters: [String: Int]) throws(ParameterError)

    /// Runs the workload on `manager`. Throws `AllocationError` when the manager runs out of memory,
    /// `WorkloadFailure` when its own check fails, or `WorkloadNotApplicable` when its lifetimes do not fit the
    /// manager's `reclamation` model at all.
    func run<M: MemoryManager>(on manager: M, context: RunContext) throws -> WorkloadOutcome
}

extension Workload {
    /// Fills in defaults (or test sizes) and validates the user's values against each parameter's range.
    ///
    /// - Throws: `ParameterError` for an unknown name or a value out of range.
    public static func resolve(_ given: [String: Int], testSize: Bool = false) throws(ParameterError) -> [String: Int] {
        var result: [String: Int] = [:]
        let known = Set(parameters.map(\.name))
        for name in given.keys where !known.contains(name) {
            throw ParameterError("workload \(self.name) has no parameter '\(name)' (it has: \(parameters.map(\.name).joined(separator: ", ")))")
        }
        for p in parameters {
            let value = given[p.name] ?? (testSize ? p.testValue : p.defaultValue)
            guard p.range.contains(value) else {
                throw ParameterError("\(self.name): \(p.name) must be in \(p.range.lowerBound)...\(p.range.upperBound) (got \(value))")
            }
            result[p.name] = value
        }
        return result
    }

    /// Makes the workload from user values, with defaults for the rest.
    public static func make(_ given: [String: Int] = [:], testSize: Bool = false) throws(ParameterError) -> Self {
        try Self(parameters: resolve(given, testSize: testSize))
    }
}

/// What a workload reports about its own run, beside what the context measured.
public struct WorkloadOutcome: Codable, Equatable, Sendable {
    /// A value computed from the objects the workload read back (node counts, payload sums); it also keeps the
    /// optimizer from deleting the work.
    public var checksum: UInt64
    /// Workload-specific figures, named with their unit (`bytesLeaked`, `requests`, ...).
    public var metrics: [String: Double]
    /// Plain-language remarks for the report: a workaround used, why a part was not applicable.
    public var notes: [String]

    public init(checksum: UInt64, metrics: [String: Double] = [:], notes: [String] = []) {
        self.checksum = checksum
        self.metrics = metrics
        self.notes = notes
    }
}

/// A workload's own check failed: the manager lost, freed early or corrupted an object.
public struct WorkloadFailure: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "workload check failed: \(message)" }
}

/// The workload's lifetimes do not fit the manager's model and there is no idiom a programmer of that model
/// would use instead (say which, in `reason`). Thrown before any work is done; the run's status is then
/// `notApplicable`, a result in the table, not a failure.
public struct WorkloadNotApplicable: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "not applicable: \(reason)" }
}

/// What a workload measures through while it runs: the pause log (shared with the manager), per-operation
/// latency, and resident memory over time.
public final class RunContext {
    /// The log the manager writes its pauses to and the workload its stalls to.
    public let pauseLog: PauseLog
    /// Per-operation latencies.
    public let latency = LatencyHistogram()
    /// Resident memory samples over time (taken by `sampleMemory`).
    public private(set) var memorySamples: [MemorySample] = []
    /// When the run started (`MonotonicClock`).
    public let startNanoseconds: UInt64
    /// Minimum time between two memory samples; `sampleMemory` calls in between are ignored.
    public var memorySampleIntervalNanoseconds: UInt64
    /// Whether `operation` times operations. False only to measure what timing them costs (then `latency`
    /// stays empty); drop-point stalls follow `pauseLog.recordsStalls`.
    public let timesOperations: Bool

    public init(pauseLog: PauseLog, memorySampleIntervalNanoseconds: UInt64 = 10_000_000, timesOperations: Bool = true) {
        self.pauseLog = pauseLog
        self.memorySampleIntervalNanoseconds = memorySampleIntervalNanoseconds
        self.timesOperations = timesOperations
        self.startNanoseconds = MonotonicClock.now()
    }

    /// The context of one mutator thread of a threaded run whose whole context is `run`: the same start time,
    /// sample interval and timing switch, and a pause log of its own (a `PauseLog` is written by one thread),
    /// with `run`'s stall threshold. Merge it back with `merge(_:thread:)` once the thread has ended.
    public init(threadOf run: RunContext) {
        pauseLog = PauseLog(stallThresholdNanoseconds: run.pauseLog.stallThresholdNanoseconds,
                            recordsStalls: run.pauseLog.recordsStalls)
        memorySampleIntervalNanoseconds = run.memorySampleIntervalNanoseconds
        timesOperations = run.timesOperations
        startNanoseconds = run.startNanoseconds
    }

    /// Adds what the context of mutator thread `thread` measured (made with `init(threadOf:)`, its thread
    /// ended) to this one: its latencies, its stalls (labelled with the thread), its memory samples (in time
    /// order with this context's own).
    public func merge(_ other: RunContext, thread: Int) {
        latency.merge(other.latency)
        pauseLog.merge(other.pauseLog, thread: thread)
        memorySamples = (memorySamples + other.memorySamples).sorted { $0.elapsedNanoseconds < $1.elapsedNanoseconds }
    }

    /// Times one operation and records its latency (or only runs it, when `timesOperations` is false).
    @inlinable
    public func operation<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        guard timesOperations else { return try body() }
        let start = MonotonicClock.now()
        let result = try body()
        latency.record(nanoseconds: MonotonicClock.now() &- start)
        return result
    }

    /// Starts timing a drop point (a `dropTree`, a loop of `free`s, a scope end). Returns a token for
    /// `endDrop`; when `manager` says its drops cost nothing (a collector), or stalls are not recorded at all
    /// (`PauseLog.recordsStalls`), the token is inert.
    ///
    /// The two calls bracket the drop instead of taking a closure, so the workload can `consume` the dropped
    /// reference in straight-line code: for ARC the release cascade then runs between them.
    @inlinable
    public func beginDrop<M: MemoryManager>(on manager: M) -> StallToken {
        StallToken(start: manager.reclamation.dropsStall && pauseLog.recordsStalls ? MonotonicClock.now() : 0)
    }

    /// Ends a drop begun with `beginDrop`, logging it as a stall labelled `label` when it was timed.
    @inlinable
    public func endDrop(_ token: StallToken, _ label: String) {
        guard token.start != 0 else { return }
        let end = MonotonicClock.now()
        pauseLog.record(PauseEvent(kind: .stall, startNanoseconds: token.start, durationNanoseconds: end &- token.start,
                                   label: label))
    }

    /// Samples resident memory (at most once per `memorySampleIntervalNanoseconds`, unless `force`), with the
    /// workload's live bytes and the manager's heap bytes when known.
    public func sampleMemory(liveBytes: Int? = nil, heapBytes: Int? = nil, force: Bool = false) {
        let now = MonotonicClock.now()
        if !force, let last = memorySamples.last,
           now &- startNanoseconds &- last.elapsedNanoseconds < memorySampleIntervalNanoseconds {
            return
        }
        memorySamples.append(MemorySample(elapsedNanoseconds: now &- startNanoseconds,
                                          residentBytes: ResidentMemory.currentBytes(),
                                          liveBytes: liveBytes, heapBytes: heapBytes))
    }
}

/// A drop point being timed (see `RunContext.beginDrop`); `start` is 0 when the drop is not timed.
@frozen
public struct StallToken {
    public let start: UInt64
    @inlinable public init(start: UInt64) { self.start = start }
}
