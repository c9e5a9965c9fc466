#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HeapLabCore
import HeapLabReport
import SystemHeaps
import Workloads

/// Real runs to report on: GCBench run in this process on malloc and ARC, measured the way the runner measures
/// a child process, and turned into RunReports.
///
/// HEAPLAB_REPORT_SIZE=default runs the experiment size (seconds per run in a debug build) instead of the test
/// size, for looking at charts of realistic length.
enum RealRuns {
    static var experimentSize: Bool { ProcessInfo.processInfo.environment["HEAPLAB_REPORT_SIZE"] == "default" }

    /// GCBench on malloc, then on ARC.
    static func gcbench() throws -> [RunReport] {
        // GCBench checks array[1000] after filling the first arraySize / 2 entries, so the test size needs an
        // array of more than 2,000 doubles (its listed test value, 2,000, fails that check).
        let given = experimentSize ? [:] : ["arraySize": 4_000]
        let parameters = try GCBench.resolve(given, testSize: !experimentSize)
        let bench = try GCBench(parameters: parameters)
        return [
            try measure(bench, parameters: parameters, on: MallocManager()),
            try measure(bench, parameters: parameters, on: ARCManager()),
        ]
    }

    /// Runs `workload` on `manager` and reports it; pause times become relative to the run's start, as
    /// RunReport requires.
    static func measure<W: Workload, M: MemoryManager>(_ workload: W, parameters: [String: Int], on manager: M) throws -> RunReport {
        let context = RunContext(pauseLog: PauseLog(stallThresholdNanoseconds: 1_000), memorySampleIntervalNanoseconds: 1_000_000)
        let cpuStart = cpuNanoseconds()
        context.sampleMemory(force: true)
        let outcome = try workload.run(on: manager, context: context)
        let wall = MonotonicClock.now() &- context.startNanoseconds
        let cpu = cpuNanoseconds() &- cpuStart
        let pauses = context.pauseLog.events.map { event -> PauseEvent in
            var e = event
            e.startNanoseconds = event.startNanoseconds &- context.startNanoseconds
            return e
        }
        return RunReport(workload: W.name, manager: manager.name, parameters: parameters, managerConfiguration: [:],
                         machine: .current(), date: ISO8601DateFormatter().string(from: Date()), status: .ok,
                         wallNanoseconds: wall, cpuNanoseconds: cpu, startNanoseconds: context.startNanoseconds,
                         residentMemory: ResidentMemory.read(), managerStatistics: manager.statistics(),
                         latency: LatencySummary(context.latency), pauses: pauses,
                         unloggedStallCount: context.pauseLog.unloggedStallCount,
                         unloggedStallNanoseconds: context.pauseLog.unloggedStallNanoseconds,
                         memorySamples: context.memorySamples, outcome: outcome)
    }

    /// User + system CPU time of this process (ns).
    static func cpuNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
