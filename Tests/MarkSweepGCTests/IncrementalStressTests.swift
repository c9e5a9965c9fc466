import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// The random-graph stress test of `StressTests`, with incremental cycles in progress while the graph mutates:
/// stores into black objects, stores that cut grey ones off, unrooting and rerooting, allocation during
/// marking, explicit mark slices at random points between operations, and forced stop-the-world collections
/// that abandon a cycle half-way.
///
/// The oracle is the same independent model (ids, slots, payload seeds, its own reachability). It knows the
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
    func payloadByte(_ id: Int, _ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: id &* 31 &+ offset &* 7 &+ 1) }

    func runStress(seed: UInt64, debugChecks: Bool = true, markStackMaximumEntries: Int = 1 << 32) throws {
        var rng = SplitMix64(seed: seed)
        let (heap, _) = makeIncrementalTestHeap(minimumHeapBytes: 32 << 10, sliceBudgetBytes: 1024, debugChecks: debugChecks,
                                                markStackMaximumEntries: markStackMaximumEntries)
        let rootCount = 16
        var model = StressTests.Model(rootCount: rootCount)
        let base = heap.rootDepth
        for _ in 0..<rootCount { heap.pushRoot(nil) }
        let global = heap.addGlobalRoot(nil)
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
            let reachable = model.reachable()
            let survivors = exact ? reachable : reachable.union(snapshot).union(allocatedDuring)
            XCTAssertTrue(exact || reachable.isSubset(of: snapshot.union(allocatedDuring)),
                          "seed \(seed): the model reached an object outside the snapshot (the test's own bug)")
            var expectedLive = 0
            for id in 0..<model.refs.count where model.alive[id] {
                let ref = model.refs[id]
                if survivors.contains(id) {
                    expectedLive += 1
                    guard heap.isLive(ref) else {
                        return XCTFail("seed \(seed): object \(id) (\(reachable.contains(id) ? "reachable" : "in the snapshot")) was reclaimed: \(heap.referenceProblem(ref)!)")
                    }
                    guard reachable.contains(id) else { continue }
                    for (s, expected) in model.slots[id].enumerated() where heap.load(ref, slot: s) != expected.map({ model.refs[$0] }) {
                        return XCTFail("seed \(seed): slot \(s) of object \(id) changed")
                    }
                    let n = model.payloadBytes[id]
                    for offset in stride(from: 0, to: n, by: max(1, n / 8)) where
                        heap.loadPayload(ref, byteOffset: offset, as: UInt8.self) != payloadByte(id, offset) {
                        return XCTFail("seed \(seed): payload byte \(offset) of object \(id) changed")
                    }
                } else {
                    model.alive[id] = false
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
                snapshot = model.reachable()
                if snapshot.isEmpty { snapshot = [-1] }  // (a sentinel: "a cycle is in progress")
            }
            return result
        }

        func randomReachable(_ reachable: [Int]) -> Int? { reachable.isEmpty ? nil : reachable[Int.random(in: 0..<reachable.count, using: &rng)] }

        var reachableCache = Array(model.reachable())
        for op in 0..<operations {
            if op % 64 == 0 { reachableCache = Array(model.reachable()) }
            if heap.isMarking { opsWhileMarking += 1 }
            let choice = Int.random(in: 0..<100, using: &rng)
            switch choice {
            case 0..<40 where model.refs.count < maxObjects || Int.random(in: 0..<4, using: &rng) == 0:
                let large = Int.random(in: 0..<200, using: &rng) == 0
                let slotCount = Int.random(in: 0...4, using: &rng)
                let payload = large ? Int.random(in: 9_000...20_000, using: &rng) : Int.random(in: 0...40, using: &rng)
                let ref = try step(except: { $0 }) {
                    try heap.allocate(ObjectShape(referenceSlots: slotCount, payloadBytes: payload))
                }
                let id = model.refs.count
                model.refs.append(ref)
                model.slots.append(Array(repeating: nil, count: slotCount))
                model.payloadBytes.append(payload)
                model.alive.append(true)
                if heap.isMarking { allocatedDuring.insert(id) }
                for offset in stride(from: 0, to: payload, by: max(1, payload / 8)) {
                    heap.storePayload(ref, byteOffset: offset, payloadByte(id, offset))
                }
                let reachable = Array(model.reachable())
                if let parent = randomReachable(reachable), !model.slots[parent].isEmpty, Bool.random(using: &rng) {
                    // Often a store into a black object (marked, or allocated during marking).
                    let s = Int.random(in: 0..<model.slots[parent].count, using: &rng)
                    heap.store(model.refs[parent], slot: s, ref)
                    model.slots[parent][s] = id
                } else {
                    let r = Int.random(in: 0..<rootCount, using: &rng)
                    heap.setRoot(base + r, ref)
                    model.rootSlots[r] = id
                }
                for s in 0..<slotCount where Bool.random(using: &rng) {
                    if let target = randomReachable(reachable) {
                        heap.store(ref, slot: s, model.refs[target])
                        model.slots[id][s] = target
                    }
                }
                reachableCache = Array(model.reachable())
            case 0..<65:
                // Store: cuts whatever the slot held (perhaps a grey or white object) and moves another object.
                guard let a = randomReachable(reachableCache), !model.slots[a].isEmpty else { continue }
                let s = Int.random(in: 0..<model.slots[a].count, using: &rng)
                let b = Int.random(in: 0..<5, using: &rng) == 0 ? nil : randomReachable(reachableCache)
                heap.store(model.refs[a], slot: s, b.map { model.refs[$0] })
                model.slots[a][s] = b
                reachableCache = Array(model.reachable())
            case 0..<75:
                let r = Int.random(in: 0..<rootCount, using: &rng)
                heap.setRoot(base + r, nil)
                model.rootSlots[r] = nil
                reachableCache = Array(model.reachable())
            case 0..<83:
                guard let a = randomReachable(reachableCache) else { continue }
                let r = Int.random(in: 0..<rootCount, using: &rng)
                heap.setRoot(base + r, model.refs[a])
                model.rootSlots[r] = a
                reachableCache = Array(model.reachable())
            case 0..<87:
                let a = randomReachable(reachableCache)
                heap.setGlobalRoot(global, a.map { model.refs[$0] })
                model.globalSlot = a
                reachableCache = Array(model.reachable())
            case 0..<97:
                // An allocation slow path without the allocation: a mark slice (or a cycle start or end) here.
                step(except: { (_: Void) in nil }) { heap.incrementalStep(pendingBytes: 0) }
                reachableCache = Array(model.reachable())
            case 0..<99:
                // A cycle starts now, whatever the pacer says (so cycles also start at small heap sizes).
                if !heap.isMarking { step(except: { (_: Void) in nil }) { heap.startIncrementalMarking() } }
                reachableCache = Array(model.reachable())
            default:
                guard Int.random(in: 0..<2, using: &rng) == 0 else { continue }
                step(except: { (_: Void) in nil }) { heap.collect() }
                reachableCache = Array(model.reachable())
            }
        }
        step(except: { (_: Void) in nil }) { heap.collect() }
        XCTAssertGreaterThan(incrementalChecks, 20, "the run went through many incremental cycles")
        XCTAssertGreaterThan(forcedChecks, 5)
        XCTAssertGreaterThan(opsWhileMarking, operations / 10, "much of the mutation happened while marking")
        XCTAssertGreaterThan(heap.incremental.barrierShades, 0)
        heap.popRoots(to: base)
        heap.removeGlobalRoot(global)
        heap.collect()
        XCTAssertEqual(heap.liveObjectCount, 0)
        XCTAssertEqual(heap.heapInUseBytes, 0)
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
