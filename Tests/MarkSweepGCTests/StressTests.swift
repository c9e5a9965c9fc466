import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// Random graphs with cycles, mutated and collected at random points, checked against an independent model.
///
/// The model (`Model`) is plain Swift: per object its id, its slots as ids, its payload seed. Reachability in
/// the model is computed by its own traversal from the model's roots, never by asking the heap. After every
/// collection -- forced ones at random points, and the ones the pacer starts inside allocation -- the test
/// checks that every object the model says is reachable is live with its slots and payload intact, that every
/// object the model says is unreachable was reclaimed by that very cycle, and that the heap's live-object count
/// equals the model's reachable count.
///
/// Size: 15,000 operations over up to ~3,000 objects by default (a few seconds in a debug build);
/// `HEAPLAB_STRESS_SCALE=N` multiplies both.
final class StressTests: XCTestCase {
    struct Model {
        var refs: [GCRef] = []           // by id
        var slots: [[Int?]] = []         // by id: the ids in its slots
        var payloadBytes: [Int] = []
        var alive: [Bool] = []           // not yet found unreachable
        var rootSlots: [Int?]            // the test's shadow-stack roots, as ids
        var globalSlot: Int? = nil       // one global root

        init(rootCount: Int) { rootSlots = Array(repeating: nil, count: rootCount) }

        func reachable() -> Set<Int> {
            var seen = Set<Int>()
            var stack = rootSlots.compactMap { $0 } + [globalSlot].compactMap { $0 }
            while let id = stack.popLast() {
                guard seen.insert(id).inserted else { continue }
                stack.append(contentsOf: slots[id].compactMap { $0 })
            }
            return seen
        }
    }

    func payloadByte(_ id: Int, _ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: id &* 31 &+ offset &* 7 &+ 1) }

    func runStress(mode: SweepMode, seed: UInt64, debugChecks: Bool = true) throws {
        var rng = SplitMix64(seed: seed)
        let (heap, _) = makeTestHeap(minimumHeapBytes: 128 << 10, sweepMode: mode, debugChecks: debugChecks)
        let rootCount = 16
        var model = Model(rootCount: rootCount)
        let base = heap.rootDepth
        for _ in 0..<rootCount { heap.pushRoot(nil) }
        let global = heap.addGlobalRoot(nil)
        let operations = 15_000 * stressScale
        let maxObjects = 3_000 * stressScale
        var checks = 0

        /// Checks the heap against the model right after a cycle; `except` is a cell that may already hold a
        /// new object (the allocation that started the cycle).
        func checkAfterCycle(except: GCRef?) {
            checks += 1
            let reachable = model.reachable()
            for id in 0..<model.refs.count where model.alive[id] {
                let ref = model.refs[id]
                if reachable.contains(id) {
                    guard heap.isLive(ref) else {
                        return XCTFail("seed \(seed): reachable object \(id) was reclaimed: \(heap.referenceProblem(ref)!)")
                    }
                    for (s, expected) in model.slots[id].enumerated() {
                        let actual = heap.load(ref, slot: s)
                        if actual != expected.map({ model.refs[$0] }) {
                            return XCTFail("seed \(seed): slot \(s) of object \(id) changed")
                        }
                    }
                    let n = model.payloadBytes[id]
                    for offset in stride(from: 0, to: n, by: max(1, n / 8)) where
                        heap.loadPayload(ref, byteOffset: offset, as: UInt8.self) != payloadByte(id, offset) {
                        return XCTFail("seed \(seed): payload byte \(offset) of object \(id) changed")
                    }
                } else {
                    model.alive[id] = false
                    if ref != except && heap.isLive(ref) {
                        return XCTFail("seed \(seed): unreachable object \(id) survived a cycle")
                    }
                }
            }
            if except == nil {
                XCTAssertEqual(heap.liveObjectCount, reachable.count, "seed \(seed): live-object count")
            }
        }

        // `reachableCache` may include objects a store has just cut off; using them until the next cycle is
        // legitimate (no collection has run, so they still exist), and the model follows every such use.
        func randomReachable(_ reachable: [Int]) -> Int? { reachable.isEmpty ? nil : reachable[Int.random(in: 0..<reachable.count, using: &rng)] }

        var reachableCache = Array(model.reachable())
        for op in 0..<operations {
            if op % 64 == 0 { reachableCache = Array(model.reachable()) }
            let choice = Int.random(in: 0..<100, using: &rng)
            switch choice {
            case 0..<40 where model.refs.count < maxObjects || Int.random(in: 0..<4, using: &rng) == 0:
                // Allocate, then immediately root it or store it into a reachable object.
                let large = Int.random(in: 0..<200, using: &rng) == 0
                let slotCount = Int.random(in: 0...4, using: &rng)
                let payload = large ? Int.random(in: 9_000...20_000, using: &rng) : Int.random(in: 0...40, using: &rng)
                let cyclesBefore = heap.stats.cycles
                let ref = try heap.allocate(ObjectShape(referenceSlots: slotCount, payloadBytes: payload))
                if heap.stats.cycles != cyclesBefore { checkAfterCycle(except: ref) }
                let id = model.refs.count
                model.refs.append(ref)
                model.slots.append(Array(repeating: nil, count: slotCount))
                model.payloadBytes.append(payload)
                model.alive.append(true)
                for offset in stride(from: 0, to: payload, by: max(1, payload / 8)) {
                    heap.storePayload(ref, byteOffset: offset, payloadByte(id, offset))
                }
                let reachable = Array(model.reachable())
                if let parent = randomReachable(reachable), !model.slots[parent].isEmpty, Bool.random(using: &rng) {
                    let s = Int.random(in: 0..<model.slots[parent].count, using: &rng)
                    heap.store(model.refs[parent], slot: s, ref)
                    model.slots[parent][s] = id
                } else {
                    let r = Int.random(in: 0..<rootCount, using: &rng)
                    heap.setRoot(base + r, ref)
                    model.rootSlots[r] = id
                }
                // A new object may point back at older ones: cycles.
                for s in 0..<slotCount where Bool.random(using: &rng) {
                    if let target = randomReachable(reachable) {
                        heap.store(ref, slot: s, model.refs[target])
                        model.slots[id][s] = target
                    }
                }
                reachableCache = Array(model.reachable())
            case 0..<70:
                // Store: a reachable object's slot gets another reachable object, or nil.
                guard let a = randomReachable(reachableCache), !model.slots[a].isEmpty else { continue }
                let s = Int.random(in: 0..<model.slots[a].count, using: &rng)
                let b = Int.random(in: 0..<5, using: &rng) == 0 ? nil : randomReachable(reachableCache)
                heap.store(model.refs[a], slot: s, b.map { model.refs[$0] })
                model.slots[a][s] = b
                if b == nil { reachableCache = Array(model.reachable()) }
            case 0..<80:
                // Unroot.
                let r = Int.random(in: 0..<rootCount, using: &rng)
                heap.setRoot(base + r, nil)
                model.rootSlots[r] = nil
                reachableCache = Array(model.reachable())
            case 0..<88:
                // Reroot something still reachable (often the only path to part of the graph).
                guard let a = randomReachable(reachableCache) else { continue }
                let r = Int.random(in: 0..<rootCount, using: &rng)
                heap.setRoot(base + r, model.refs[a])
                model.rootSlots[r] = a
                reachableCache = Array(model.reachable())
            case 0..<92:
                let a = randomReachable(reachableCache)
                heap.setGlobalRoot(global, a.map { model.refs[$0] })
                model.globalSlot = a
                reachableCache = Array(model.reachable())
            case 0..<95:
                heap.collect()
                checkAfterCycle(except: nil)
                reachableCache = Array(model.reachable())
            default:
                continue
            }
        }
        heap.collect()
        checkAfterCycle(except: nil)
        XCTAssertGreaterThan(checks, 20, "the run went through many cycles")
        heap.popRoots(to: base)
        heap.removeGlobalRoot(global)
        heap.collect()
        XCTAssertEqual(heap.liveObjectCount, 0)
        XCTAssertEqual(heap.heapInUseBytes, 0)
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
