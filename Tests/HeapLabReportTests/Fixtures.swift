import Foundation
import HeapLabCore
import HeapLabReport

/// Made-up but plausible runs for tests of the report's formats and layout: several managers, collector pauses
/// with phases, stalls, memory samples, latency ladders. Deterministic (a fixed-seed generator), so a failing
/// test fails the same way every time. These are test inputs only, never results.
enum Fixtures {
    static let machine = MachineInfo(cores: 2, memoryBytes: 24 << 30, cpuModel: "Test CPU, \"quoted\", with commas",
                                     kernel: "6.1.0-test", swiftVersion: "6.3")

    /// The managers of a full matrix, with how each interrupts the program.
    static let managers: [(name: String, collects: Bool, stalls: Bool)] = [
        ("marksweep", true, false), ("arena", false, true), ("malloc", false, true), ("jemalloc", false, true),
        ("mimalloc", false, true), ("arc", false, true), ("boehm", true, false),
    ]

    /// One run of `workload` on `manager`.
    static func report(workload: String = "gcbench", manager: String, collects: Bool, stalls: Bool, seed: UInt64,
                       status: RunReport.Status = .ok) -> RunReport {
        var g = SplitMix64(seed: seed)
        let wall: UInt64 = 2_000_000_000 + UInt64(g.nextUnit() * 1e9)
        var pauses: [PauseEvent] = []
        var t: UInt64 = 5_000_000
        var cycle = 0
        while t < wall - 50_000_000 {
            if collects {
                cycle += 1
                let roots = UInt64(g.logUniform(2_000, 40_000))
                let mark = UInt64(g.logUniform(200_000, 30_000_000))
                let sweep = UInt64(g.logUniform(50_000, 4_000_000))
                pauses.append(PauseEvent(kind: .collection, cycle: cycle, startNanoseconds: t,
                                         durationNanoseconds: roots + mark + sweep + 1_000,
                                         phases: [PhaseTime("roots", nanoseconds: roots), PhaseTime("mark", nanoseconds: mark),
                                                  PhaseTime("sweep", nanoseconds: sweep)],
                                         heapBytesBefore: 64 << 20, heapBytesAfter: 20 << 20, objectsMarked: 600_000,
                                         bytesMarked: 19 << 20, cellsFreed: 1_800_000))
                t += UInt64(g.logUniform(20_000_000, 120_000_000))
            } else if stalls {
                pauses.append(PauseEvent(kind: .stall, startNanoseconds: t, durationNanoseconds: UInt64(g.logUniform(800, 3_000_000)),
                                         label: g.nextUnit() < 0.9 ? "tree" : "scope"))
                t += UInt64(g.logUniform(200_000, 8_000_000))
            } else {
                break
            }
        }
        var samples: [MemorySample] = []
        // Live bytes rise and fall with the workload's phases; resident memory follows the peak (memory freed to
        // malloc is rarely returned to the system) plus the manager's overhead.
        var elapsed: UInt64 = 0
        var peak = 0
        let overhead = Int(g.logUniform(4, 40) * 1_048_576)
        let phase = g.nextUnit() * 6
        while elapsed <= wall {
            let t = Double(elapsed) / 1e9
            let live = (20 << 20) + Int(Double(30 << 20) * (0.5 + 0.5 * sin(t * 3 + phase))) + Int(g.nextUnit() * Double(2 << 20))
            peak = max(peak, live)
            samples.append(MemorySample(elapsedNanoseconds: elapsed, residentBytes: peak + overhead,
                                        liveBytes: live, heapBytes: collects ? live + overhead / 2 : nil))
            elapsed += 50_000_000
        }
        let ladder: [Double] = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100]
        var value = g.logUniform(20_000, 60_000)
        let points = ladder.map { p -> LatencySummary.Point in
            value *= p < 90 ? 1.05 : (collects ? g.logUniform(1.2, 4) : g.logUniform(1.05, 1.6))
            return LatencySummary.Point(percentile: p, nanoseconds: UInt64(value))
        }
        let latency = LatencySummary(count: 67_650, meanNanoseconds: Double(points[3].nanoseconds) * 1.1,
                                     p50Nanoseconds: points[3].nanoseconds, p90Nanoseconds: points[5].nanoseconds,
                                     p99Nanoseconds: points[7].nanoseconds, p999Nanoseconds: points[9].nanoseconds,
                                     maxNanoseconds: points.last!.nanoseconds, percentiles: points)
        return RunReport(workload: workload, manager: manager, parameters: ["stretchDepth": 18, "maxDepth": 16],
                         managerConfiguration: collects ? ["GOGC": "100", "limit": "none, or 1,024 MiB"] : [:],
                         machine: machine, date: "2026-11-29T10:00:0\(seed % 10)Z", status: status,
                         wallNanoseconds: wall, cpuNanoseconds: wall - wall / 20, startNanoseconds: 123_456_789,
                         residentMemory: ResidentMemory(currentBytes: 60 << 20, peakBytes: 90 << 20),
                         managerStatistics: ManagerStatistics(allocations: 10_000_000, bytesRequested: 240_000_000,
                                                              heapBytes: collects ? 80 << 20 : nil,
                                                              liveBytes: collects ? 20 << 20 : nil,
                                                              extra: collects ? ["cycles": Double(cycle), "markRateBytesPerSecond": 1.5e9] : [:]),
                         latency: latency, pauses: pauses, unloggedStallCount: stalls ? 1234 : 0,
                         unloggedStallNanoseconds: stalls ? 456_789 : 0, memorySamples: samples,
                         outcome: WorkloadOutcome(checksum: 4_242_424_242, metrics: ["trees": 67_650],
                                                  notes: manager == "arena" ? ["each tree in a scope of its own, freed at scope end"] : []))
    }

    /// A full matrix: every manager on `workloads`, one run each.
    static func matrix(workloads: [String] = ["gcbench"]) -> [RunReport] {
        var reports: [RunReport] = []
        for (w, workload) in workloads.enumerated() {
            for (i, m) in managers.enumerated() {
                reports.append(report(workload: workload, manager: m.name, collects: m.collects, stalls: m.stalls,
                                      seed: UInt64(w * 100 + i + 1)))
            }
        }
        return reports
    }
}

extension SplitMix64 {
    /// Log-uniform in lower...upper (test data spread over orders of magnitude).
    mutating func logUniform(_ lower: Double, _ upper: Double) -> Double {
        exp(log(lower) + (log(upper) - log(lower)) * nextUnit())
    }
}
