import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// Random graphs with cycles, mutated and collected at random points, checked against an independent model.
///
/// The mutator and its model are `StressMutator`'s: reachability in the model is computed by its own traversal
/// from the model's roots, never by asking the heap. After every
/// collection -- forced ones at random points, and the ones the pacer starts inside allocation -- the test
/// checks that every object the model says is reachable is live with its slots and payload intact, that every
/// object the model says is unreachable was reclaimed by that very cycle, and that the heap's live-object count
/// equals the model's reachable count.
///
/// Size: 15,000 operations over up to ~3,000 objects by default (a few seconds in a debug build);
/// `HEAPLAB_STRESS_SCALE=N` multiplies both.
final class StressTests: XCTestCase {
    func runStress(mode: SweepMode, seed: UInt64, debugChecks: Bool = true) throws {
        let (heap, _) = makeTestHeap(minimumHeapBytes: 128 << 10, sweepMode: mode, debugChecks: debugChecks)
        let m = StressMutator(heap: heap, seed: seed)
        let operations = 15_000 * stressScale
        let maxObjects = 3_000 * stressScale
        var checks = 0

        /// Checks the heap against the model right after a cycle; `except` is a cell that may already hold a
        /// new object (the allocation that started the cycle).
        func checkAfterCycle(except: GCRef?) {
            checks += 1
            let reachable = m.model.reachable()
            for id in 0..<m.model.refs.count where m.model.alive[id] {
                if reachable.contains(id) {
                    guard m.checkIntact(id, "reachable") else { return }
                } else {
                    m.model.alive[id] = false
                    let ref = m.model.refs[id]
                    if ref != except && heap.isLive(ref) {
                        return XCTFail("seed \(seed): unreachable object \(id) survived a cycle")
                    }
                }
            }
            if except == nil {
                XCTAssertEqual(heap.liveObjectCount, reachable.count, "seed \(seed): live-object count")
            }
        }

        m.refreshReachable()
        for op in 0..<operations {
            if op % 64 == 0 { m.refreshReachable() }
            switch m.random(0..<100) {
            case 0..<40 where m.model.refs.count < maxObjects || m.random(0..<4) == 0:
                try m.addObject { shape in
                    let cyclesBefore = heap.stats.cycles
                    let ref = try heap.allocate(shape)
                    if heap.stats.cycles != cyclesBefore { checkAfterCycle(except: ref) }
                    return ref
                }
            case 0..<70: m.storeRandom()
            case 0..<80: m.unrootRandom()
            case 0..<88: m.rerootRandom()
            case 0..<92: m.setGlobalRandom()
            case 0..<95:
                heap.collect()
                checkAfterCycle(except: nil)
                m.refreshReachable()
            default:
                continue
            }
        }
        heap.collect()
        checkAfterCycle(except: nil)
        XCTAssertGreaterThan(checks, 20, "the run went through many cycles")
        m.dropEverything()
    }

    func testRandomGraphsAgainstTheModelEager() throws {
        for seed: UInt64 in [1, 2] { try runStress(mode: .eager, seed: seed) }
    }

    func testRandomGraphsAgainstTheModelLazy() throws {
        for seed: UInt64 in [3, 4] { try runStress(mode: .lazy, seed: seed) }
    }

    /// The release-build settings: no poisoning (free cells keep stale object headers) and no reference
    /// checks; the verifier still runs after every cycle.
    func testRandomGraphsAgainstTheModelWithoutPoisoning() throws {
        try runStress(mode: .eager, seed: 5, debugChecks: false)
        try runStress(mode: .lazy, seed: 6, debugChecks: false)
    }
}
