import HeapLabCore
import SystemHeaps
import XCTest
@testable import Workloads

/// fragmentation and large-objects: the live set follows the lifetimes asked for, and nothing is rejected.
final class LiveSetWorkloadTests: XCTestCase {
    func testFragmentationLiveSetShrinksInShortLifetimePhases() throws {
        let workload = try Fragmentation.make(testSize: true)
        let context = RunContext(pauseLog: PauseLog(), memorySampleIntervalNanoseconds: 0)
        let outcome = try workload.run(on: MallocManager(), context: context)
        XCTAssertEqual(outcome.metrics["rejected"], 0)
        // Samples every 256 operations; phase p covers operations [p * phaseOps, (p + 1) * phaseOps).
        let live = context.memorySamples.compactMap(\.liveBytes)
        let perPhase = workload.phaseOps / 256
        XCTAssertGreaterThan(live.count, 2 * perPhase)
        let endOfLong = live[perPhase - 1], endOfShort = live[2 * perPhase - 1]
        XCTAssertLessThan(Double(endOfShort), 0.6 * Double(endOfLong), "live bytes: \(endOfLong) after a long phase, \(endOfShort) after a short one")
        XCTAssertGreaterThan(Double(endOfLong), 0.3 * Double(workload.liveBytesTarget))
    }

    func testArenaGenerationRebuildsAreLoggedAsStalls() throws {
        // Generations of `rebuildInterval` operations: every generation but the first is rebuilt from a copy-out,
        // and both stop the program, so both are logged as stalls.
        let fragmentation = try Fragmentation.make(testSize: true)
        let fragmentationLog = PauseLog()
        _ = try fragmentation.run(on: ScopeFreeingHeap(), context: RunContext(pauseLog: fragmentationLog))
        let large = try LargeObjects.make(testSize: true)
        let largeLog = PauseLog()
        _ = try large.run(on: ScopeFreeingHeap(), context: RunContext(pauseLog: largeLog))
        for (log, rebuilds) in [(fragmentationLog, (fragmentation.operations - 1) / fragmentation.rebuildInterval),
                                (largeLog, (large.operations - 1) / large.rebuildInterval)] {
            XCTAssertGreaterThan(rebuilds, 0)
            XCTAssertEqual(log.events.filter { $0.label == "generation copy-out" }.count, rebuilds)
            XCTAssertEqual(log.events.filter { $0.label == "generation rebuild" }.count, rebuilds)
        }
    }

    func testLargeObjectsLogsStallsAndRejectsNothing() throws {
        let workload = try LargeObjects.make(testSize: true)
        let log = PauseLog()
        let malloc = MallocManager()
        let outcome = try workload.run(on: malloc, context: RunContext(pauseLog: log))
        XCTAssertEqual(outcome.metrics["rejected"], 0)
        XCTAssertGreaterThan(log.events.filter { $0.label == "expired buffers" }.count, workload.operations / 2)
        XCTAssertGreaterThan(outcome.metrics["peakLiveBytes"] ?? 0, Double(LargeObjects.minimumLargeBytes))
        XCTAssertEqual(malloc.statistics().liveBytes, 0)
    }
}
