import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// The random-graph stress test in stop-the-world mode, against `StressMutator`'s independent model: eager and
/// lazy sweeping, the debug checks on and off (the release-build settings: no poisoning, no reference checks),
/// and a heap limit that allocation runs into. The verifier runs after every cycle, in record mode.
///
/// Size: `StressSettings.operationsPerRun` operations per test (10,000 in a debug build, seconds; 125,000 in a
/// release build, as `scripts/stress.sh` runs it), times `HEAPLAB_STRESS_SCALE`; seeds from
/// `HEAPLAB_STRESS_SEED` (see `StressSettings`).
final class StressTests: XCTestCase {
    /// `markThreads` > 1: every pause marks (and sweeps, eager mode) with that many markers, checkmarked.
    func runStress(_ name: String, sweepMode: SweepMode, seed: UInt64, debugChecks: Bool = true,
                   heapLimitBytes: Int? = nil, maxObjects: Int = 3_000, cutOneIn: Int = 8, markThreads: Int = 1) -> StressMutator {
        let configuration = GCConfiguration(minimumHeapBytes: 64 << 10, heapLimitBytes: heapLimitBytes, sweepMode: sweepMode,
                                            verifyAfterEveryCycle: true, poisonFreedCells: debugChecks,
                                            checkReferences: debugChecks, checkmark: markThreads > 1, checkFailureMode: .record,
                                            markThreads: markThreads, parallelMinimumLiveBytes: 0)
        let heap = GCHeap(configuration: configuration, pauseLog: PauseLog())
        let m = StressMutator(heap: heap, seed: StressSettings.seed(seed), label: name, maxObjects: maxObjects, cutOneIn: cutOneIn)
        _ = m.runAndCheck()
        return m
    }

    func testRandomGraphsAgainstTheModelEager() {
        _ = runStress("eager", sweepMode: .eager, seed: 1)
    }

    /// Every pause marked and swept by two markers, checkmarked.
    func testRandomGraphsAgainstTheModelParallelMarking() {
        let m = runStress("eager, 2 markers", sweepMode: .eager, seed: 5, markThreads: 2)
        guard !m.failed else { return }
        XCTAssertGreaterThan(m.heap.statistics().extra["parallelMarks"] ?? 0, 0, "\(m.label): pauses marked in parallel")
        XCTAssertGreaterThan(m.heap.statistics().extra["parallelSweeps"] ?? 0, 0, "\(m.label): pauses swept in parallel")
    }

    func testRandomGraphsAgainstTheModelLazy() {
        _ = runStress("lazy", sweepMode: .lazy, seed: 2)
    }

    /// A heap limit the graph outgrows: allocations throw `outOfMemory`, the mutator drops roots, and the heap
    /// must stay consistent with the model and usable.
    func testRandomGraphsAgainstTheModelAtAHeapLimit() {
        let m = runStress("eager, heap limit, 2 markers", sweepMode: .eager, seed: 3, heapLimitBytes: 320 << 10, maxObjects: 100_000,
                          cutOneIn: 64, markThreads: 2)
        guard !m.failed else { return }
        XCTAssertGreaterThan(m.outOfMemoryErrors, 0, "\(m.label): the limit was reached")
    }

    /// The release-build settings: no poisoning (free cells keep stale object headers) and no reference checks;
    /// the verifier still runs after every cycle.
    func testRandomGraphsAgainstTheModelWithoutDebugChecks() {
        _ = runStress("lazy, no debug checks", sweepMode: .lazy, seed: 4, debugChecks: false)
    }
}
