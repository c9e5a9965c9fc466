import Foundation
import HeapLabCore
import SystemHeaps
import XCTest
@testable import Workloads

/// Off by default: measures one workload on every manager, each in a child process of its own (started with
/// the static-TLS tunable, as the runner starts its children), and prints a Markdown table. Used for the
/// figures in Docs/Workloads.md until the runner's `heaplab compare` replaces it:
///
///     HEAPLAB_MEASURE="binary-trees:depth=18" swift test -c release --filter MeasurementTests/testMeasure
///
/// A child that crashes is reported with its exit status and the tail of its output, not as a failure.
final class MeasurementTests: XCTestCase {
    static let managers = ["malloc", "jemalloc", "mimalloc", "boehm", "arc"]

    func testMeasure() throws {
        guard let spec = ProcessInfo.processInfo.environment["HEAPLAB_MEASURE"] else {
            throw XCTSkip("measurement: set HEAPLAB_MEASURE=workload:name=value,... to run")
        }
        var rows = ["| manager | wall ms | op p50 µs | op p99 µs | op max µs | stalls/pauses | max stall/pause ms | peak RSS MiB | metrics |",
                    "|---|---|---|---|---|---|---|---|---|"]
        for manager in Self.managers {
            let (status, output) = try ChildProcess.runTest(
                "WorkloadsTests.MeasurementTests/testMeasureChild",
                environment: ["HEAPLAB_MEASURE": "", "HEAPLAB_MEASURE_CHILD": "\(spec)|\(manager)",
                              "GLIBC_TUNABLES": staticTLSTunable])
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT|") }) {
                rows.append("| " + line.dropFirst("RESULT|".count).split(separator: "|", omittingEmptySubsequences: false).joined(separator: " | ") + " |")
            } else {
                let tail = output.split(separator: "\n").filter { !$0.isEmpty }.suffix(3).joined(separator: " / ")
                rows.append("| \(manager) | failed: exit status \(status): \(tail.prefix(300)) |")
            }
        }
        print("\(spec)\n" + rows.joined(separator: "\n"))
    }

    func testMeasureChild() throws {
        guard let text = ProcessInfo.processInfo.environment["HEAPLAB_MEASURE_CHILD"], !text.isEmpty else {
            throw XCTSkip("runs only as the child of testMeasure")
        }
        let parts = text.split(separator: "|").map(String.init)
        let workloadParts = parts[0].split(separator: ":", maxSplits: 1).map(String.init)
        var parameters: [String: Int] = [:]
        if workloadParts.count > 1 {
            for pair in workloadParts[1].split(separator: ",") {
                let kv = pair.split(separator: "=")
                parameters[String(kv[0])] = Int(kv[1])!
            }
        }
        let type = try XCTUnwrap(WorkloadCatalog.named(workloadParts[0]), "no workload \(workloadParts[0])")
        print("RESULT|" + (try Self.measure(type, parameters, manager: parts[1])))
    }

    static func measure<W: Workload>(_ type: W.Type, _ parameters: [String: Int], manager: String) throws -> String {
        let workload = try W.make(parameters)
        let log = PauseLog(stallThresholdNanoseconds: 0)
        switch manager {
        case "malloc": return try measure(workload, MallocManager(), log)
        case "jemalloc": return try measure(workload, try JemallocManager(), log)
        case "mimalloc": return try measure(workload, try MimallocManager(), log)
        case "boehm": return try measure(workload, try BoehmManager(pauseLog: log), log)
        case "arc": return try measure(workload, ARCManager(), log)
        default: throw ParameterError("unknown manager \(manager)")
        }
    }

    static func measure<W: Workload, M: MemoryManager>(_ workload: W, _ manager: M, _ log: PauseLog) throws -> String {
        let context = RunContext(pauseLog: log)
        let start = MonotonicClock.now()
        let outcome = try workload.run(on: manager, context: context)
        let wall = MonotonicClock.now() - start
        let latency = context.latency.summary()
        let longest = log.events.map(\.durationNanoseconds).max() ?? 0
        let metrics = outcome.metrics.sorted { $0.key < $1.key }
            .filter { ["bytesLeakedStrong", "bytesLeakedWeak", "peakLiveBytes", "bookkeepingBytes", "evictions", "rejected"].contains($0.key) }
            .map { "\($0.key)=\(Int($0.value))" }.joined(separator: " ")
        func us(_ ns: UInt64) -> String { String(format: "%.1f", Double(ns) / 1e3) }
        return [manager.name, String(format: "%.0f", Double(wall) / 1e6), us(latency.p50Nanoseconds), us(latency.p99Nanoseconds),
                us(latency.maxNanoseconds), "\(log.events.count)", String(format: "%.2f", Double(longest) / 1e6),
                "\(ResidentMemory.read().peakBytes >> 20)", metrics].joined(separator: "|")
    }
}
