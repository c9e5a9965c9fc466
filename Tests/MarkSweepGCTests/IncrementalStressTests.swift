import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// The random-graph stress test of `StressTests`, with incremental cycles in progress while the graph mutates:
/// stores into black objects, stores that cut grey ones off, unrooting and rerooting, allocation during
/// marking, explicit mark slices at random points between operations, and forced stop-the-world collections
/// that abandon a cycle half-way.
///
/// The mutator and the oracle are `StressMutator`'s (ids, slots, payload seeds, its own reachability). It knows the
/// snapshot-at-the-beginning contract exactly: when an incremental cycle ends, the objects that survive are
/// precisely those the model found reachable at the cycle's start (computed at the moment marking began) plus
/// those allocated while it marked. So after every cycle the test checks that every object reachable now is
/// live with its slots and payload intact, that every object in the snapshot or allocated during the cycle is
/// still live (floating garbage is kept, not lost), that everything else was reclaimed by that cycle, and that
/// the heap's live-object count is exactly that set's size. The heap runs its verifier and the checkmark after
/// every cycle as well.
///
/// Size: 15,000 operations over up to ~3,000 objects by default (seconds in a debug build);
/// `HEAPLAB_STRESS_SCALE=N` multiplies both.
final class IncrementalStressTests: XCTestCase {
    func runStress(seed: UInt64, debugChecks: Bool = true, markStackMaximumEntries: Int = 1 << 32) throws {
        let (heap, _) = makeIncrementalTestHeap(minimumHeapBytes: 32 << 10, sliceBudgetBytes: 1024, debugChecks: debugChecks,
                                                markStackMaximumEntries: markStackMaximumEntries)
        let m = StressMutator(heap: heap, seed: seed)
        let operations = 15_000 * stressScale
        let maxObjects = 3_000 * stressScale
        var incrementalChecks = 0, forcedChecks = 0, opsWhileMarking = 0

        // The cycle in progress, as the model sees it.
        var snapshot = Set<Int>()       // reachable when marking began
        var allocatedDuring = Set<Int>()

        /// Checks the heap against the model right after a cycle ended. `exact`: a stop-the-world collection
        /// (survivors are exactly the reachable objects); else an incremental one (snapshot + allocated).
        /// `except` is a cell that may already hold a new object (allocated after the cycle ended).
        func checkAfterCycle(exact: Bool, except: GCRef?) {
            if exact { forcedChecks += 1 } else { incrementalChecks += 1 }
            let reachable = m.model.reachable()
            let survivors = exact ? reachable : reachable.union(snapshot).union(allocatedDuring)
            XCTAssertTrue(exact || reachable.isSubset(of: snapshot.union(allocatedDuring)),
                          "seed \(seed): the model reached an object outside the snapshot (the test's own bug)")
            var expectedLive = 0
            for id in 0..<m.model.refs.count where m.model.alive[id] {
                let ref = m.model.refs[id]
                if survivors.contains(id) {
                    expectedLive += 1
                    if reachable.contains(id) {
                        guard m.checkIntact(id, "reachable") else { return }
                    } else if !heap.isLive(ref) {
                        return XCTFail("seed \(seed): object \(id) (in the snapshot) was reclaimed: \(heap.referenceProblem(ref)!)")
                    }
                } else {
                    m.model.alive[id] = false
                    if ref != except && heap.isLive(ref) {
                        return XCTFail("seed \(seed): object \(id), neither reachable at the cycle's start nor allocated during it, survived")
                    }
                }
            }
            XCTAssertEqual(heap.liveObjectCount, expectedLive + (except == nil ? 0 : 1), "seed \(seed): live-object count")
            snapshot = []
            allocatedDuring = []
        }

        /// Runs a heap operation that may start, advance or end a cycle, and follows it in the model.
        func step<R>(except: (R) -> GCRef?, _ body: () throws -> R) rethrows -> R {
            let cyclesBefore = heap.stats.cycles
            let incrementalCyclesBefore = heap.incremental.cycles
            let result = try body()
            if heap.stats.cycles != cyclesBefore {
                // A stop-the-world cycle (forced; it abandons an incremental one in progress) is exact.
                checkAfterCycle(exact: heap.incremental.cycles == incrementalCyclesBefore, except: except(result))
            }
            if heap.isMarking && snapshot.isEmpty && allocatedDuring.isEmpty {
                // Marking began inside this operation, before anything the operation allocated: the model has not
                // changed since, so its reachable set now is the snapshot.
                snapshot = m.model.reachable()
                if snapshot.isEmpty { snapshot = [-1] }  // (a sentinel: "a cycle is in progress")
            }
            return result
        }

        m.refreshReachable()
        for op in 0..<operations {
            if op % 64 == 0 { m.refreshReachable() }
            if heap.isMarking { opsWhileMarking += 1 }
            switch m.random(0..<100) {
            case 0..<40 where m.model.refs.count < maxObjects || m.random(0..<4) == 0:
                // Linked, often, by a store into a black object (marked, or allocated during marking).
                try m.addObject { shape in
                    let ref = try step(except: { $0 }) { try heap.allocate(shape) }
                    if heap.isMarking { allocatedDuring.insert(m.model.refs.count) }
                    return ref
                }
            case 0..<65:
                // Cuts whatever the slot held (perhaps a grey or white object) and moves another object.
                m.storeRandom()
                m.refreshReachable()
            case 0..<75: m.unrootRandom()
            case 0..<83: m.rerootRandom()
            case 0..<87: m.setGlobalRandom()
            case 0..<97:
                // An allocation slow path without the allocation: a mark slice (or a cycle start or end) here.
                step(except: { (_: Void) in nil }) { heap.incrementalStep(pendingBytes: 0) }
                m.refreshReachable()
            case 0..<99:
                // A cycle starts now, whatever the pacer says (so cycles also start at small heap sizes).
                if !heap.isMarking { step(except: { (_: Void) in nil }) { heap.startIncrementalMarking() } }
                m.refreshReachable()
            default:
                guard m.random(0..<2) == 0 else { continue }
                step(except: { (_: Void) in nil }) { heap.collect() }
                m.refreshReachable()
            }
        }
        step(except: { (_: Void) in nil }) { heap.collect() }
        XCTAssertGreaterThan(incrementalChecks, 20, "the run went through many incremental cycles")
        XCTAssertGreaterThan(forcedChecks, 5)
        XCTAssertGreaterThan(opsWhileMarking, operations / 10, "much of the mutation happened while marking")
        XCTAssertGreaterThan(heap.incremental.barrierShades, 0)
        m.dropEverything()
    }

    func testRandomGraphsWithIncrementalCyclesAgainstTheModel() throws {
        for seed: UInt64 in [11, 12, 13] { try runStress(seed: seed) }
    }

    /// The release-build settings: no poisoning, no reference checks; verifier and checkmark still on.
    func testRandomGraphsWithIncrementalCyclesWithoutPoisoning() throws {
        try runStress(seed: 14, debugChecks: false)
    }

    /// A 4-entry mark stack: slices overflow it and final pauses recover by rescanning every marked cell.
    func testRandomGraphsWithIncrementalCyclesAndMarkStackOverflow() throws {
        try runStress(seed: 15, debugChecks: false, markStackMaximumEntries: 4)
        try runStress(seed: 16, debugChecks: true, markStackMaximumEntries: 4)
    }
}
