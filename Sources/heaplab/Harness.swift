#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HeapLabCore

/// Runs one (workload, manager) pair in this process and measures it: what a `heaplab child` does.
///
/// Follows MMTk's harness_begin/harness_end pattern: warm-up first (excluded from every figure), then the pause
/// log is cleared and the kernel's peak-RSS mark reset, then the measured run, which is the whole workload.
enum Harness {
    /// Runs `spec` and returns its report. Never throws for a failure of the run itself: an `AllocationError`
    /// becomes status `outOfMemory`, any other error (a workload check) status `failed`, with the message.
    ///
    /// - Throws: `RunnerError` when the spec names an unknown workload or manager or carries bad parameters
    ///   (the parent validates specs before launching a child, so a child sees this only when run by hand).
    static func run(_ spec: RunSpec) throws -> RunReport {
        try WorkloadDispatch.withWorkload(named: spec.workload, PairDispatch(spec: spec))
    }
}

/// Step 1 of the dispatch: the workload type is now concrete; make the workload and dispatch on the manager.
struct PairDispatch: WorkloadVisitor {
    let spec: RunSpec

    func visit<W: Workload>(_ workload: W.Type) throws -> RunReport {
        let instance: W
        do { instance = try W(parameters: W.resolve(spec.parameters)) } catch { throw RunnerError(error.message) }
        return try ManagerRegistry.withManager(named: spec.manager, options: spec.options,
                                               MeasuredRun(workload: instance, spec: spec))
    }
}

/// Step 2: both types are concrete. `visit` is specialized for each (W, M) pair, so `W.run(on: M)` inlines into
/// direct calls of M's operations.
struct MeasuredRun<W: Workload>: ManagerVisitor {
    let workload: W
    let spec: RunSpec

    func visit<M: MemoryManager>(_ make: (PauseLog) throws -> M) throws -> RunReport {
        let date = ISO8601DateFormatter().string(from: Date())
        let log = PauseLog(stallThresholdNanoseconds: spec.stallThresholdNanoseconds)

        // Warm-up: the workload at its test size on a separate manager instance that is gone before the
        // measured run starts, so the measured manager's statistics and heap hold only the measured run.
        if spec.warmupRuns > 0 {
            let small = try W.make(testSize: true)
            for _ in 0..<spec.warmupRuns {
                let manager = try make(log)
                let outcome = try small.run(on: manager, context: RunContext(pauseLog: log))
                blackHole(outcome.checksum)
            }
        }

        // harness_begin: nothing measured so far counts.
        log.removeAll()
        ResidentMemory.resetPeak()
        let manager = try make(log)
        var status = RunReport.Status.ok
        var failure = ""
        var outcome: WorkloadOutcome?

        let cpuStart = Self.processCPUNanoseconds()
        let context = RunContext(pauseLog: log)
        do {
            outcome = try workload.run(on: manager, context: context)
        } catch let error as AllocationError {
            status = .outOfMemory
            failure = error.description
        } catch {
            status = .failed
            failure = error.message
        }
        let end = MonotonicClock.now()
        let cpuEnd = Self.processCPUNanoseconds()
        // harness_end.
        let start = context.startNanoseconds
        let events = log.events.map { event -> PauseEvent in
            var relative = event
            relative.startNanoseconds = event.startNanoseconds &- start
            return relative
        }
        return RunReport(
            workload: W.name, manager: manager.name, parameters: spec.parameters, managerConfiguration: manager.settings.merging(spec.options) { effective, _ in effective },
            machine: .current(), date: date, status: status, failure: failure,
            wallNanoseconds: end &- start, cpuNanoseconds: cpuEnd &- cpuStart, startNanoseconds: start,
            residentMemory: .read(), managerStatistics: manager.statistics(), latency: context.latency.summary(),
            pauses: events, unloggedStallCount: log.unloggedStallCount,
            unloggedStallNanoseconds: log.unloggedStallNanoseconds,
            stallThresholdNanoseconds: log.stallThresholdNanoseconds, memorySamples: context.memorySamples,
            outcome: outcome)
    }

    /// User plus system CPU time of this process, nanoseconds.
    static func processCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
