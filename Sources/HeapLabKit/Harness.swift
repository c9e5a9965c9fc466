#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HeapLabCore
import HeapLabReport

/// Runs one (workload, manager) pair in this process and measures it: what a `heaplab child` does.
///
/// Follows MMTk's harness_begin/harness_end pattern: warm-up first (excluded from every figure), then the pause
/// log is cleared and the kernel's peak-RSS mark reset, then the measured run, which is the whole workload.
/// Never throws for a failure of the run itself: an `AllocationError` becomes status `outOfMemory`, any other
/// error (a workload check) status `failed`, with the message.

/// Step 1 of the dispatch: the workload type is now concrete; make the workload and dispatch on the manager.
@frozen
public struct PairDispatch<Managers: ManagerList>: WorkloadVisitor {
    public let spec: RunSpec

    @inlinable public init(spec: RunSpec) { self.spec = spec }

    @inlinable
    public func visit<W: Workload>(_ workload: W.Type) throws -> RunReport {
        let instance: W
        do { instance = try W(parameters: W.resolve(spec.parameters)) } catch { throw RunnerError(error.message) }
        guard let report = try Managers.withManager(named: spec.manager, options: spec.options,
                                                    MeasuredRun(workload: instance, spec: spec)) else {
            throw RunnerError("unknown manager '\(spec.manager)'")
        }
        return report
    }

    /// A threaded workload: the same, with a visitor that makes each manager's threaded form.
    @inlinable
    public func visitThreaded<W: ThreadedWorkload>(_ workload: W.Type) throws -> RunReport {
        let instance: W
        do { instance = try W(parameters: W.resolve(spec.parameters)) } catch { throw RunnerError(error.message) }
        guard let report = try Managers.withManager(named: spec.manager, options: spec.options,
                                                    ThreadedMeasuredRun(workload: instance, spec: spec)) else {
            throw RunnerError("unknown manager '\(spec.manager)'")
        }
        return report
    }
}

/// Step 2: both types are concrete. `visit` is specialized for each (W, M) pair, so `W.run(on: M)` inlines into
/// direct calls of M's operations.
@frozen
public struct MeasuredRun<W: Workload>: ManagerVisitor {
    public let workload: W
    public let spec: RunSpec

    @inlinable public init(workload: W, spec: RunSpec) {
        self.workload = workload
        self.spec = spec
    }

    @inlinable
    public func visit<M: MemoryManager>(_ make: @escaping (PauseLog) throws -> M) throws -> RunReport {
        let date = Harness.now()
        let log = PauseLog(stallThresholdNanoseconds: spec.stallThresholdNanoseconds, recordsStalls: spec.timesOperations)

        // Warm-up: the workload at its test size on a separate manager instance that is gone before the
        // measured run starts, so the measured manager's statistics and heap hold only the measured run.
        if spec.warmupRuns > 0 {
            let small = try W.make(testSize: true)
            for _ in 0..<spec.warmupRuns {
                let manager = try make(log)
                do {
                    let outcome = try small.run(on: manager, context: RunContext(pauseLog: log))
                    blackHole(outcome.checksum)
                } catch is WorkloadNotApplicable {
                    break  // the measured run says so in its report
                } catch let error as AllocationError {
                    return spec.failedReport("out of memory in the warm-up, before the measured run: \(error.description)",
                                             date: date, status: .outOfMemory)
                }
            }
        }

        // harness_begin: nothing measured so far counts.
        Harness.begin(log)
        let manager = try make(log)
        var result = Harness.Result()
        let cpuStart = Harness.processCPUNanoseconds()
        let context = RunContext(pauseLog: log, timesOperations: spec.timesOperations)
        do {
            result.outcome = try workload.run(on: manager, context: context)
        } catch let error as AllocationError {
            result.status = .outOfMemory
            result.failure = error.description
        } catch let error as WorkloadNotApplicable {
            result.status = .notApplicable
            result.failure = error.reason
        } catch {
            result.status = .failed
            result.failure = error.message
        }
        // harness_end.
        result.end = MonotonicClock.now()
        result.cpuNanoseconds = Harness.processCPUNanoseconds() &- cpuStart
        return Harness.report(spec: spec, date: date, managerName: manager.name, settings: manager.settings,
                              statistics: manager.statistics(), context: context, result: result)
    }
}

/// The parts of a measured run that do not depend on the workload or manager type: not specialized, not inlined.
public enum Harness {
    /// What a measured run produced, beside what its context and manager hold.
    public struct Result {
        public var status = RunReport.Status.ok
        public var failure = ""
        public var outcome: WorkloadOutcome?
        public var end: UInt64 = 0
        public var cpuNanoseconds: UInt64 = 0
        @inlinable public init() {}
    }

    /// The date a run starts, ISO 8601.
    public static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    /// harness_begin: forgets the warm-up's pauses and resets the kernel's peak-RSS mark.
    public static func begin(_ log: PauseLog) {
        log.removeAll()
        ResidentMemory.resetPeak()
    }

    /// The report of a measured run; pause times made relative to the run's start.
    public static func report(spec: RunSpec, date: String, managerName: String, settings: [String: String],
                              statistics: ManagerStatistics, context: RunContext, result: Result) -> RunReport {
        let start = context.startNanoseconds
        let log = context.pauseLog
        let events = log.events.map { event -> PauseEvent in
            var relative = event
            relative.startNanoseconds = event.startNanoseconds &- start
            return relative
        }
        return RunReport(
            workload: spec.workload, manager: managerName, parameters: spec.parameters,
            managerConfiguration: settings.merging(spec.options) { effective, _ in effective },
            machine: .current(), date: date, status: result.status, failure: result.failure,
            wallNanoseconds: result.end &- start, cpuNanoseconds: result.cpuNanoseconds, startNanoseconds: start,
            residentMemory: .read(), managerStatistics: statistics, latency: LatencySummary(context.latency),
            pauses: events, unloggedStallCount: log.unloggedStallCount,
            unloggedStallNanoseconds: log.unloggedStallNanoseconds,
            stallThresholdNanoseconds: log.stallThresholdNanoseconds, memorySamples: context.memorySamples,
            outcome: result.outcome, timesOperations: context.timesOperations)
    }

    /// User plus system CPU time of this process, nanoseconds.
    public static func processCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
