import HeapLabCore
import HeapLabReport

/// Step 2 of the dispatch for a threaded workload: the workload and the manager's descriptor are concrete, so
/// `W.run(threaded:)` on `D.Threaded` is specialized, and each thread runs the workload's code on `D`'s context
/// type with direct calls, as a single-threaded pair does.
///
/// The same harness as `MeasuredRun` (warm-up at the test size with the spec's thread count, on a manager that
/// is gone before the measured run; then the pause log cleared and the peak-RSS mark reset; then the measured
/// run), with the manager's threaded form. A manager without one gives status `notApplicable` with the reason.
@frozen
public struct ThreadedMeasuredRun<W: ThreadedWorkload>: ManagerVisitor {
    public let workload: W
    public let spec: RunSpec

    @inlinable public init(workload: W, spec: RunSpec) {
        self.workload = workload
        self.spec = spec
    }

    /// Not used: a threaded workload needs the descriptor (`visit(descriptor:options:)`).
    public func visit<M: MemoryManager>(_ make: @escaping (PauseLog) throws -> M) throws -> RunReport {
        throw RunnerError("\(W.name) is a threaded workload: it runs through a manager descriptor's threaded form")
    }

    @inlinable
    public func visit<D: ManagerDescriptor>(descriptor: D.Type, options: [String: String]) throws -> RunReport {
        let date = Harness.now()
        let log = PauseLog(stallThresholdNanoseconds: spec.stallThresholdNanoseconds, recordsStalls: spec.timesOperations)
        var result = Harness.Result()

        if spec.warmupRuns > 0 {
            let small = try W.make(["threads": workload.threads], testSize: true)
            for _ in 0..<spec.warmupRuns {
                do {
                    let manager = try D.makeThreaded(options: options, pauseLog: log)
                    blackHole(try small.run(threaded: manager, context: RunContext(pauseLog: log)).checksum)
                } catch let error as WorkloadNotApplicable {
                    result.status = .notApplicable
                    result.failure = error.reason
                    break
                } catch let error as AllocationError {
                    return spec.failedReport("out of memory in the warm-up, before the measured run: \(error.description)",
                                             date: date, status: .outOfMemory)
                }
            }
        }

        Harness.begin(log)
        let context = RunContext(pauseLog: log, timesOperations: spec.timesOperations)
        let manager: D.Threaded
        do {
            manager = try D.makeThreaded(options: options, pauseLog: log)
        } catch let error as WorkloadNotApplicable {
            result.status = .notApplicable
            result.failure = error.reason
            result.end = MonotonicClock.now()
            return Harness.report(spec: spec, date: date, managerName: spec.manager, settings: [:],
                                  statistics: ManagerStatistics(), context: context, result: result)
        }
        let cpuStart = Harness.processCPUNanoseconds()
        do {
            result.outcome = try workload.run(threaded: manager, context: context)
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
        result.end = MonotonicClock.now()
        result.cpuNanoseconds = Harness.processCPUNanoseconds() &- cpuStart
        let report = D.report(manager)
        return Harness.report(spec: spec, date: date, managerName: manager.name, settings: report.settings,
                              statistics: report.statistics, context: context, result: result)
    }
}
