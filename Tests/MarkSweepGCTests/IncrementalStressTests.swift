import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// The random-graph stress test of `StressTests` with incremental cycles in progress while the graph mutates:
/// stores into black objects, stores that cut grey and white ones off, roots set, pushed and popped and scopes
/// entered and left between mark slices, global roots changed while marking, allocation during marking, mark
/// slices and cycle starts at random points, forced stop-the-world collections that abandon a cycle half-way,
/// and a heap limit.
///
/// The oracle knows the snapshot-at-the-beginning contract exactly (`StressMutator.checkAfterCycle`): an
/// incremental cycle keeps precisely the objects the model reached when marking began plus those allocated
/// while it marked. The heap runs its verifier after every cycle and the checkmark after every incremental
/// mark, in record mode, so a lost object is a test failure naming it.
///
/// Size: as `StressTests`.
final class IncrementalStressTests: XCTestCase {
    func runStress(_ name: String, seed: UInt64, debugChecks: Bool = true, heapLimitBytes: Int? = nil,
                   markStackMaximumEntries: Int = 1 << 32, maxObjects: Int = 3_000, cutOneIn: Int = 8,
                   mode: CollectionMode = .incremental, backgroundMarkFraction: Double = 0.25) -> StressMutator {
        let configuration = GCConfiguration(minimumHeapBytes: 32 << 10, heapLimitBytes: heapLimitBytes, sweepMode: .lazy,
                                            verifyAfterEveryCycle: true, poisonFreedCells: debugChecks,
                                            checkReferences: debugChecks, markStackMaximumEntries: markStackMaximumEntries,
                                            collectionMode: mode, sliceBudgetNanoseconds: nil, sliceBudgetBytes: 4096,
                                            checkmark: true, checkFailureMode: .record,
                                            backgroundMarkFraction: backgroundMarkFraction)
        let heap = GCHeap(configuration: configuration, pauseLog: PauseLog())
        let m = StressMutator(heap: heap, seed: StressSettings.seed(seed), label: name, maxObjects: maxObjects, cutOneIn: cutOneIn)
        guard m.runAndCheck() else { return m }
        XCTAssertGreaterThan(m.exactChecks, 2, "forced collections, some of them abandoning a cycle")
        // Concurrent cycles end at the first slow path after the background marker empties the stack, which on
        // these small graphs is soon: a lower bar, the barrier's shades below show the overlap too.
        XCTAssertGreaterThan(m.operationsWhileMarking, m.operations / (mode == .concurrent ? 200 : 10),
                             "much of the mutation happened while marking")
        XCTAssertGreaterThan(m.globalRootChangesWhileMarking, 0)
        XCTAssertGreaterThan(heap.shared.withLock { heap.shared.incremental.barrierShades }, 0)
        return m
    }

    // MARK: concurrent mode

    /// The same oracle with concurrent cycles: the background marker marks while the test thread mutates the
    /// graph (stores into black objects, cuts grey and white ones off, roots and global roots change), assists
    /// and hand-run slices mark too, forced collections abandon cycles. The contract is the incremental one.
    func runConcurrentStress(_ name: String, seed: UInt64, debugChecks: Bool = true, heapLimitBytes: Int? = nil,
                             markStackMaximumEntries: Int = 1 << 32, maxObjects: Int = 3_000, cutOneIn: Int = 8,
                             backgroundMarkFraction: Double = 1) -> StressMutator {
        let m = runStress(name, seed: seed, debugChecks: debugChecks, heapLimitBytes: heapLimitBytes,
                          markStackMaximumEntries: markStackMaximumEntries, maxObjects: maxObjects, cutOneIn: cutOneIn,
                          mode: .concurrent, backgroundMarkFraction: backgroundMarkFraction)
        guard !m.failed else { return m }
        let stats = m.heap.statistics().extra
        XCTAssertGreaterThan(stats["backgroundMarkChunks"] ?? 0, 0, "\(m.label): the background marker marked")
        XCTAssertGreaterThan(stats["incrementalCycles"] ?? 0, 0, "\(m.label): concurrent cycles ran to their end")
        return m
    }

    func testRandomGraphsWithConcurrentCyclesAgainstTheModel() {
        _ = runConcurrentStress("concurrent", seed: 15)
    }

    /// The release-build settings, and the background marker at its default share (it sleeps between chunks,
    /// so assists do part of the work).
    func testRandomGraphsWithConcurrentCyclesWithoutDebugChecks() {
        _ = runConcurrentStress("concurrent, no debug checks", seed: 16, debugChecks: false, backgroundMarkFraction: 0.25)
    }

    /// A heap limit with concurrent cycles: assists and the limit's stop-the-world collection keep the heap
    /// under it, and allocation throws `outOfMemory` when even that frees too little.
    func testRandomGraphsWithConcurrentCyclesAtAHeapLimit() {
        let m = runConcurrentStress("concurrent, heap limit", seed: 17, heapLimitBytes: 320 << 10, maxObjects: 100_000, cutOneIn: 64)
        guard !m.failed else { return }
        XCTAssertGreaterThan(m.outOfMemoryErrors, 0, "\(m.label): the limit was reached")
    }

    /// A 4-entry mark stack: the background marker overflows it and the final pause recovers.
    func testRandomGraphsWithConcurrentCyclesAndMarkStackOverflow() {
        let m = runConcurrentStress("concurrent, 4-entry mark stack", seed: 18, markStackMaximumEntries: 4)
        guard !m.failed else { return }
        XCTAssertGreaterThan(m.heap.shared.withLock { m.heap.shared.markStack.overflowCount }, 0)
    }

    func testRandomGraphsWithIncrementalCyclesAgainstTheModel() {
        _ = runStress("incremental", seed: 11)
    }

    /// The release-build settings: no poisoning, no reference checks; verifier and checkmark still on.
    func testRandomGraphsWithIncrementalCyclesWithoutDebugChecks() {
        _ = runStress("incremental, no debug checks", seed: 12, debugChecks: false)
    }

    /// A heap limit: the limit's stop-the-world collection abandons the cycle in progress, and allocation
    /// throws `outOfMemory` when even that frees too little.
    func testRandomGraphsWithIncrementalCyclesAtAHeapLimit() {
        let m = runStress("incremental, heap limit", seed: 13, heapLimitBytes: 320 << 10, maxObjects: 100_000, cutOneIn: 64)
        guard !m.failed else { return }
        XCTAssertGreaterThan(m.outOfMemoryErrors, 0, "\(m.label): the limit was reached")
    }

    /// A 4-entry mark stack: slices overflow it and final pauses recover by rescanning every marked cell.
    func testRandomGraphsWithIncrementalCyclesAndMarkStackOverflow() {
        let m = runStress("incremental, 4-entry mark stack", seed: 14, markStackMaximumEntries: 4)
        guard !m.failed else { return }
        XCTAssertGreaterThan(m.heap.shared.markStack.overflowCount, 0)
    }
}
