import Foundation
import XCTest
import HeapLabCore
import HeapLabReport

final class RunReportTests: XCTestCase {
    /// A report with every field set to something other than its default.
    static func fullReport() -> RunReport {
        let latency = LatencyHistogram()
        for v: UInt64 in [120, 250, 9_000, 1_500_000] { latency.record(nanoseconds: v) }
        return RunReport(
            workload: "gcbench", manager: "malloc", parameters: ["maxDepth": 16, "minDepth": 4],
            managerConfiguration: ["gogc": "100"],
            machine: MachineInfo(cores: 2, memoryBytes: 24 << 30, cpuModel: "Test CPU", kernel: "6.1", swiftVersion: "6.3"),
            date: "2026-11-29T12:00:00Z", status: .outOfMemory, failure: "out of memory: 64 bytes requested",
            wallNanoseconds: 2_000_000_000, cpuNanoseconds: 1_900_000_000, startNanoseconds: 123_456_789,
            residentMemory: ResidentMemory(currentBytes: 40 << 20, peakBytes: 50 << 20),
            managerStatistics: ManagerStatistics(allocations: 15, bytesRequested: 360, heapBytes: 4096, liveBytes: 240,
                                                 extra: ["cycles": 3]),
            latency: LatencySummary(latency),
            pauses: [
                PauseEvent(kind: .collection, cycle: 1, startNanoseconds: 1_000_000, durationNanoseconds: 3_000_000,
                           phases: [PhaseTime("mark", nanoseconds: 2_000_000), PhaseTime("sweep", nanoseconds: 900_000)],
                           heapBytesBefore: 4096, heapBytesAfter: 1024, objectsMarked: 10, bytesMarked: 240, cellsFreed: 5),
                PauseEvent(kind: .stall, startNanoseconds: 9_000_000, durationNanoseconds: 40_000, label: "tree"),
            ],
            unloggedStallCount: 12, unloggedStallNanoseconds: 34_000,
            memorySamples: [MemorySample(elapsedNanoseconds: 10, residentBytes: 4096, liveBytes: 100, heapBytes: nil)],
            outcome: WorkloadOutcome(checksum: 99, metrics: ["bytesLeaked": 0], notes: ["a note"]))
    }

    func testJSONRoundTrip() throws {
        let reports = [Self.fullReport(), RunReport(workload: "w", manager: "arc", parameters: [:], managerConfiguration: [:],
                                                    machine: .current(), date: "d", status: .failed, failure: "crashed")]
        let data = try RunReport.encode(reports)
        XCTAssertEqual(try RunReport.decode(data), reports)
        // Stable output: key-sorted, so two encodings of the same reports are byte-identical.
        XCTAssertEqual(try RunReport.encode(reports), data)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"status\" : \"outOfMemory\""))
    }

    func testDecodeRejectsGarbage() {
        XCTAssertThrowsError(try RunReport.decode(Data("{\"not\": \"a report\"}".utf8)))
    }

    func testPauseKindsAndMMU() {
        let report = Self.fullReport()
        XCTAssertEqual(report.collectorPauses.count, 1)
        XCTAssertEqual(report.stalls.map(\.label), ["tree"])
        let curve = report.mmuCurve()
        XCTAssertEqual(curve.first?.utilization, 0, "a 3 ms pause fills a 1 ms window")
        // Over the whole 2 s run 3.04 ms are paused.
        XCTAssertEqual(curve.last!.utilization, 1 - 3_040_000.0 / 1_000_000_000, accuracy: 1e-9)
    }

    func testMachineInfoDescribesThisMachine() {
        let machine = MachineInfo.current()
        XCTAssertGreaterThan(machine.cores, 0)
        XCTAssertGreaterThan(machine.memoryBytes, 0)
        XCTAssertFalse(machine.kernel.isEmpty)
    }
}
