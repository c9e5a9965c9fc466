import HeapLabCore
@testable import MarkSweepGC

/// An object of the multi-mutator stress test's model: which graph it belongs to (`space`: a thread's index
/// for its private graph, `MultiMutatorRun.sharedSpace` for the shared one) and its index there.
struct ObjectID: Hashable, CustomStringConvertible {
    let space: Int
    let index: Int

    var description: String { "\(space == MultiMutatorRun.sharedSpace ? "shared" : "thread \(space)") object \(index)" }

    /// The word every object carries at payload offset 0: unique per object of a run, so an object whose cell
    /// was freed and handed out again reads back another object's identity.
    var identity: UInt64 { 0xA500_0000_0000_0000 | UInt64(space & 0xFF) << 40 | UInt64(index) }
}

/// A slot's target in the model: the object and its reference. The reference is kept beside the id so that a
/// thread can compare a private object's slot that points into the shared graph without reading the shared
/// model (which other threads grow under the shared lock).
struct Target: Equatable {
    let id: ObjectID
    let ref: GCRef
}

/// One graph of the model (a thread's private graph, or the shared graph): per object its reference, its
/// slots as ids, its payload size and the value in its second payload word. Plain Swift; reachability is
/// computed by its own traversal, never by asking the heap.
///
/// Payload layout of every object: word 0 its identity (`ObjectID.identity`), word 1 a value the mutators
/// rewrite, and when the payload is longer than 16 bytes its last word is the identity inverted (so a large
/// object is checked at both ends).
///
/// Owned by one thread at a time: its private graph by that thread, the shared graph by whoever holds the
/// shared lock, and all of them by the leader of a rendezvous while every other thread waits.
final class ModelGraph: @unchecked Sendable {
    let space: Int
    var refs: [GCRef] = []
    var slots: [[Target?]] = []
    var payloadBytes: [Int] = []
    var values: [UInt64] = []
    /// Objects no check has found dead yet (reachable, or cut off since the last check).
    var pending: [Int] = []
    /// Garbage allocated since the last check, never linked into the model's graph: each must be gone after
    /// the check's collection (unless its cell now holds a reachable object).
    var garbage: [(ref: GCRef, identity: UInt64)] = []

    /// The objects reachable from the graph's own starting points (`refreshReachable`), for picking operands.
    /// Exact, not a superset: `dirty` is set by every store that may have cut something off, and the list is
    /// recomputed before the next pick, since another thread may collect at this thread's next safepoint.
    var reachable: [Int] = []
    var dirty = true
    private var visited: [UInt32] = []
    private var visitEpoch: UInt32 = 0

    init(space: Int) { self.space = space }

    var count: Int { refs.count }

    /// Appends a new object and returns its index.
    func append(_ ref: GCRef, slotCount: Int, payloadBytes bytes: Int, value: UInt64) -> Int {
        refs.append(ref)
        slots.append(Array(repeating: nil, count: slotCount))
        payloadBytes.append(bytes)
        values.append(value)
        pending.append(refs.count - 1)
        return refs.count - 1
    }

    func id(_ index: Int) -> ObjectID { ObjectID(space: space, index: index) }
    func target(_ index: Int) -> Target { Target(id: id(index), ref: refs[index]) }

    /// Recomputes `reachable` from `starts` (indices into this graph), following slots into this graph only.
    func refreshReachable(from starts: [Int]) {
        if visited.count < refs.count { visited.append(contentsOf: repeatElement(0, count: refs.count - visited.count)) }
        visitEpoch &+= 1
        if visitEpoch == 0 {
            for i in visited.indices { visited[i] = 0 }
            visitEpoch = 1
        }
        reachable.removeAll(keepingCapacity: true)
        var stack = starts
        while let i = stack.popLast() {
            guard visited[i] != visitEpoch else { continue }
            visited[i] = visitEpoch
            reachable.append(i)
            for case let t? in slots[i] where t.id.space == space { stack.append(t.id.index) }
        }
        dirty = false
    }
}

/// Compares object `id` of `graph` with the heap, through `heap`'s loads (so a reclaimed object is caught by
/// the reference checks in debug builds, or reads back a wrong identity). Returns what is wrong, or nil.
func intactProblem(_ index: Int, of graph: ModelGraph, heap: GCHeap) -> String? {
    let id = graph.id(index)
    let ref = graph.refs[index]
    let bytes = graph.payloadBytes[index]
    let shape = heap.shape(of: ref)
    guard shape == ObjectShape(referenceSlots: graph.slots[index].count, payloadBytes: bytes) else {
        return "\(id) (\(ref)) has shape \(shape), the model says \(graph.slots[index].count) slots, \(bytes) payload bytes"
    }
    let identity = heap.loadPayload(ref, byteOffset: 0, as: UInt64.self)
    guard identity == id.identity else {
        return "\(id) (\(ref)) holds identity 0x\(String(identity, radix: 16)), expected 0x\(String(id.identity, radix: 16)) (its cell was reused or overwritten)"
    }
    let value = heap.loadPayload(ref, byteOffset: 8, as: UInt64.self)
    guard value == graph.values[index] else {
        return "\(id) (\(ref)) holds value \(value), the model says \(graph.values[index])"
    }
    if bytes > 16 {
        let tail = heap.loadPayload(ref, byteOffset: bytes - 8, as: UInt64.self)
        guard tail == ~id.identity else { return "\(id) (\(ref)): the last payload word is 0x\(String(tail, radix: 16))" }
    }
    for (s, expected) in graph.slots[index].enumerated() {
        let actual = heap.load(ref, slot: s)
        guard actual == expected?.ref else {
            return "slot \(s) of \(id) (\(ref)) holds \(actual.map { "\($0)" } ?? "nil"), the model says \(expected.map { "\($0.id) (\($0.ref))" } ?? "nil")"
        }
    }
    return nil
}
