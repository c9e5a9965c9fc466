import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// The random-graph mutator both stress tests drive (`StressTests`, `IncrementalStressTests`): a heap with 16
/// shadow-stack roots and one global root, and an independent model that every operation is mirrored in.
///
/// The model (`Model`) is plain Swift: per object its id, its slots as ids, its payload size. Reachability in
/// the model is computed by its own traversal from the model's roots, never by asking the heap. Payload byte
/// `i` of object `id` is `payloadByte(id, i)`, so a payload that was overwritten or reclaimed shows.
///
/// A class, not a struct: the tests check the heap against the model from inside an allocation (a cycle can
/// run there), which would overlap a mutating access to a struct.
final class StressMutator {
    struct Model {
        var refs: [GCRef] = []           // by id
        var slots: [[Int?]] = []         // by id: the ids in its slots
        var payloadBytes: [Int] = []
        var alive: [Bool] = []           // not yet found unreachable
        var rootSlots: [Int?]            // the mutator's shadow-stack roots, as ids
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

    let heap: GCHeap
    let seed: UInt64
    var rng: SplitMix64
    var model: Model
    let rootCount = 16
    /// The first of the mutator's shadow-stack roots.
    let base: Int
    let global: GlobalRoot
    /// Ids reachable in the model when it was last refreshed. It may include objects a store has cut off
    /// since: using them until the next cycle is legitimate (no collection has run, so they still exist), and
    /// the model follows every such use.
    var reachableCache: [Int] = []

    init(heap: GCHeap, seed: UInt64) {
        self.heap = heap
        self.seed = seed
        rng = SplitMix64(seed: seed)
        model = Model(rootCount: rootCount)
        base = heap.rootDepth
        for _ in 0..<rootCount { heap.pushRoot(nil) }
        global = heap.addGlobalRoot(nil)
    }

    static func payloadByte(_ id: Int, _ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: id &* 31 &+ offset &* 7 &+ 1) }

    func random(_ range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }
    func coin() -> Bool { Bool.random(using: &rng) }
    func refreshReachable() { reachableCache = Array(model.reachable()) }
    func randomReachable(_ reachable: [Int]) -> Int? { reachable.isEmpty ? nil : reachable[random(0..<reachable.count)] }

    // MARK: operations

    /// A new object of random shape (0-4 slots; a 9,000-20,000-byte payload 1 time in 200, else 0-40 bytes),
    /// allocated by `allocate` (the caller's, so it can watch for a cycle around the allocation), entered in
    /// the model and its payload written; then linked (`link`). Returns its id.
    @discardableResult
    func addObject(allocate: (ObjectShape) throws -> GCRef) throws -> Int {
        let large = random(0..<200) == 0
        let slotCount = random(0..<5)
        let payload = large ? Int.random(in: 9_000...20_000, using: &rng) : random(0..<41)
        let ref = try allocate(ObjectShape(referenceSlots: slotCount, payloadBytes: payload))
        let id = model.refs.count
        model.refs.append(ref)
        model.slots.append(Array(repeating: nil, count: slotCount))
        model.payloadBytes.append(payload)
        model.alive.append(true)
        for offset in stride(from: 0, to: payload, by: max(1, payload / 8)) {
            heap.storePayload(ref, byteOffset: offset, Self.payloadByte(id, offset))
        }
        link(id)
        return id
    }

    /// Makes object `id` reachable, by a store into a random reachable object (in incremental mode often a
    /// black one) or in a random root, and points some of its slots back at reachable objects: cycles.
    func link(_ id: Int) {
        let ref = model.refs[id]
        let reachable = Array(model.reachable())
        if let parent = randomReachable(reachable), !model.slots[parent].isEmpty, coin() {
            let s = random(0..<model.slots[parent].count)
            heap.store(model.refs[parent], slot: s, ref)
            model.slots[parent][s] = id
        } else {
            let r = random(0..<rootCount)
            heap.setRoot(base + r, ref)
            model.rootSlots[r] = id
        }
        for s in 0..<model.slots[id].count where coin() {
            if let target = randomReachable(reachable) {
                heap.store(ref, slot: s, model.refs[target])
                model.slots[id][s] = target
            }
        }
        refreshReachable()
    }

    /// A reachable object's slot gets another reachable object, or nil 1 time in 5: cuts whatever the slot
    /// held (and refreshes the reachable set after a nil). Does nothing when no reachable object has a slot.
    func storeRandom() {
        guard let a = randomReachable(reachableCache), !model.slots[a].isEmpty else { return }
        let s = random(0..<model.slots[a].count)
        let b = random(0..<5) == 0 ? nil : randomReachable(reachableCache)
        heap.store(model.refs[a], slot: s, b.map { model.refs[$0] })
        model.slots[a][s] = b
        if b == nil { refreshReachable() }
    }

    func unrootRandom() {
        let r = random(0..<rootCount)
        heap.setRoot(base + r, nil)
        model.rootSlots[r] = nil
        refreshReachable()
    }

    /// Roots something still reachable (often the only path to part of the graph).
    func rerootRandom() {
        guard let a = randomReachable(reachableCache) else { return }
        let r = random(0..<rootCount)
        heap.setRoot(base + r, model.refs[a])
        model.rootSlots[r] = a
        refreshReachable()
    }

    func setGlobalRandom() {
        let a = randomReachable(reachableCache)
        heap.setGlobalRoot(global, a.map { model.refs[$0] })
        model.globalSlot = a
        refreshReachable()
    }

    // MARK: checks

    /// Fails (and returns false) unless object `id` is live with the slots and payload the model says.
    /// `what` names why it must be live, for the message.
    func checkIntact(_ id: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let ref = model.refs[id]
        guard heap.isLive(ref) else {
            XCTFail("seed \(seed): \(what) object \(id) was reclaimed: \(heap.referenceProblem(ref)!)", file: file, line: line)
            return false
        }
        for (s, expected) in model.slots[id].enumerated() where heap.load(ref, slot: s) != expected.map({ model.refs[$0] }) {
            XCTFail("seed \(seed): slot \(s) of object \(id) changed", file: file, line: line)
            return false
        }
        let n = model.payloadBytes[id]
        for offset in stride(from: 0, to: n, by: max(1, n / 8)) where
            heap.loadPayload(ref, byteOffset: offset, as: UInt8.self) != Self.payloadByte(id, offset) {
            XCTFail("seed \(seed): payload byte \(offset) of object \(id) changed", file: file, line: line)
            return false
        }
        return true
    }

    /// Drops every root and collects: nothing may be left.
    func dropEverything(file: StaticString = #filePath, line: UInt = #line) {
        heap.popRoots(to: base)
        heap.removeGlobalRoot(global)
        heap.collect()
        XCTAssertEqual(heap.liveObjectCount, 0, file: file, line: line)
        XCTAssertEqual(heap.heapInUseBytes, 0, file: file, line: line)
    }
}
