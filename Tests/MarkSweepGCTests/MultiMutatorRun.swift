import Foundation
import HeapLabCore
@testable import MarkSweepGC
import Synchronization
import XCTest

/// One run of the multi-mutator stress test (`MultiMutatorStressTests`): several mutator threads over one
/// `SharedHeap`, each with its own context, a private graph rooted on its own shadow stack, and access to a
/// shared graph held by global roots, and an independent model (`ModelGraph`) of every graph.
///
/// Every thread runs the same number of rounds of `interval` random operations; after each round all threads
/// meet (`Rendezvous`, waited on inside `withoutCollector`, so every thread but one is stopped), and that
/// round's leader collects and compares the whole heap with the model (`checkAtRendezvous`). Between
/// rendezvous, collections start wherever the pacer says (any thread's allocation slow path), in explicit
/// `collect()` calls of any thread, and, in incremental mode, as cycles whose slices and final pauses any
/// thread's allocation pays for, while the other threads keep mutating.
///
/// The seed fixes each thread's sequence of operations; the interleaving of threads is the scheduler's, so a
/// seed replays the operations but not necessarily the timing.
final class MultiMutatorRun: @unchecked Sendable {
    // @unchecked: the models are handed between threads by the rendezvous and the shared lock (ModelGraph);
    // `failures` is a Mutex; `stop` is written by a rendezvous leader only and read after the rendezvous.

    /// The `space` of the shared graph's objects (threads are 0..<threadCount).
    static let sharedSpace = 255

    let label: String
    let shared: SharedHeap
    let threadCount: Int
    let rounds: Int
    /// Operations per thread between two rendezvous.
    let interval: Int
    var threads: [MutatorThread] = []
    let sharedGraph = ModelGraph(space: MultiMutatorRun.sharedSpace)
    /// The global roots holding the shared graph, and what each holds in the model.
    var globals: [(handle: GlobalRoot, index: Int?)]
    /// Guards `sharedGraph`, `globals` and the objects of the shared graph reachable from them. Taken inside
    /// `withoutCollector` (`MutatorThread.withSharedLock`): a thread waiting for it must not hold up a
    /// collection that its holder's allocation starts.
    let sharedLock = NSLock()
    let rendezvous: Rendezvous
    let failures = Mutex<[String]>([])
    /// Set by a rendezvous leader when the run must end (a failure); read by every thread after the rendezvous.
    var stop = false

    // What the run went through, for its summary and the test's assertions (written by leaders).
    var checks = 0
    var objectsChecked = 0
    var deadObjectsChecked = 0
    var peakReachable = 0

    init(label: String, shared: SharedHeap, globals: [GlobalRoot], threadCount: Int, operationsPerThread: Int,
         interval: Int, seed: UInt64, maxPrivateObjects: Int, maxSharedObjects: Int) {
        self.label = label
        self.shared = shared
        self.threadCount = threadCount
        self.interval = interval
        rounds = max(1, operationsPerThread / interval)
        self.globals = globals.map { ($0, nil) }
        rendezvous = Rendezvous(count: threadCount)
        for t in 0..<threadCount {
            threads.append(MutatorThread(index: t, run: self, seed: seed &+ UInt64(t) &* 0x9E37_79B9,
                                         maxPrivateObjects: maxPrivateObjects, maxSharedObjects: maxSharedObjects))
        }
    }

    var failed: Bool { failures.withLock { !$0.isEmpty } }

    func fail(_ message: String) {
        failures.withLock { $0.append("\(label): \(message)") }
    }

    var operations: Int { threads.reduce(0) { $0 + $1.operations } }

    /// The graph `space` refers to.
    func graph(_ space: Int) -> ModelGraph { space == Self.sharedSpace ? sharedGraph : threads[space].graph }

    // MARK: the oracle

    /// Run by the round's leader while every other thread waits at the rendezvous (inside `withoutCollector`):
    /// collects, then checks the whole heap against the model.
    ///
    /// - Every object the model reaches (from each thread's shadow stack and from the global roots, across
    ///   private-to-shared edges) is live, with the identity, value, shape and slots the model says.
    /// - Every other object the model knows (cut off since the last check, or allocated as garbage) is not
    ///   live -- unless its cell now holds a reachable object, which then must be a later allocation (its
    ///   identity says so, checked above).
    /// - The heap's live-object count is exactly the number of reachable objects, and its verifier is clean.
    func checkAtRendezvous(by leader: MutatorThread, round: Int) {
        compareWithModel(leader.context!, round: round)
        if failed { stop = true }
    }

    func compareWithModel(_ heap: GCHeap, round: Int) {
        reportCheckFailures(heap, "before the rendezvous")
        heap.collect()
        reportCheckFailures(heap, "in the rendezvous collection")
        guard !failed else { return }
        checks += 1

        // Reachability over every graph, by the model's own traversal.
        var marked: [Int: [Bool]] = [:]
        for t in threads { marked[t.index] = Array(repeating: false, count: t.graph.count) }
        marked[Self.sharedSpace] = Array(repeating: false, count: sharedGraph.count)
        var stack: [ObjectID] = []
        for t in threads {
            for case let i? in t.roots { stack.append(ObjectID(space: t.index, index: i)) }
        }
        for case let (_, i?) in globals { stack.append(ObjectID(space: Self.sharedSpace, index: i)) }
        var reachableCount = 0
        var reachableAddresses = Set<UnsafeMutableRawPointer>()
        while let id = stack.popLast() {
            guard !marked[id.space]![id.index] else { continue }
            marked[id.space]![id.index] = true
            reachableCount += 1
            let g = graph(id.space)
            reachableAddresses.insert(g.refs[id.index].address)
            for case let t? in g.slots[id.index] { stack.append(t.id) }
        }
        peakReachable = max(peakReachable, reachableCount)

        for space in marked.keys.sorted() {
            let g = graph(space)
            let isReachable = marked[space]!
            var stillPending: [Int] = []
            for i in g.pending {
                let ref = g.refs[i]
                if isReachable[i] {
                    stillPending.append(i)
                    objectsChecked += 1
                    guard heap.isLive(ref) else {
                        return fail("round \(round): reachable \(g.id(i)) (\(ref)) was reclaimed: \(heap.referenceProblem(ref) ?? "")")
                    }
                    if let problem = intactProblem(i, of: g, heap: heap) { return fail("round \(round): \(problem)") }
                } else {
                    deadObjectsChecked += 1
                    g.slots[i] = []  // dead: the model never looks at it again
                    if !reachableAddresses.contains(ref.address) && heap.isLive(ref) {
                        return fail("round \(round): \(g.id(i)) (\(ref)), unreachable, survived the collection")
                    }
                }
            }
            g.pending = stillPending
            for (ref, identity) in g.garbage {
                deadObjectsChecked += 1
                if !reachableAddresses.contains(ref.address) && heap.isLive(ref) {
                    return fail("round \(round): garbage object 0x\(String(identity, radix: 16)) (\(ref)) survived the collection")
                }
            }
            g.garbage.removeAll(keepingCapacity: true)
            // Every reachable object was pending: an object a check found dead is never used again.
            let reachableHere = isReachable.lazy.filter { $0 }.count
            if reachableHere != stillPending.count {
                return fail("round \(round): the model reaches \(reachableHere) objects of space \(space) but only \(stillPending.count) were pending (the test's own bug)")
            }
        }
        if heap.liveObjectCount != reachableCount {
            fail("round \(round): live-object count \(heap.liveObjectCount) after the collection, the model reaches \(reachableCount)")
        }
        let problems = heap.verify()
        if !problems.isEmpty { fail("round \(round): verifier: \(problems.prefix(10).joined(separator: "\n"))") }
    }

    func reportCheckFailures(_ heap: GCHeap, _ when: String) {
        for failure in heap.takeCheckFailures() { fail("\(when): \(failure)") }
    }

    /// One line for the log (`scripts/stress.sh` sums the operation counts of `stress:` lines).
    var summary: String {
        let sum = { (f: (MutatorThread) -> Int) in self.threads.reduce(0) { $0 + f($1) } }
        return "stress: \(label): \(operations) operations, \(checks) rendezvous checks (\(objectsChecked) reachable and \(deadObjectsChecked) dead objects checked, at most \(peakReachable) reachable), \(sum(\.allocations)) objects and \(sum(\.garbageAllocations)) garbage allocated, \(sum(\.largeObjects)) large, \(sum(\.sharedOperations)) shared-graph operations, \(sum(\.crossEdges)) private-to-shared edges, \(sum(\.explicitCollections)) explicit collections, \(sum(\.readBacks)) read-backs, \(sum(\.blockedWaits)) blocked waits"
    }
}

/// One mutator thread of a `MultiMutatorRun`: its context, its private graph and shadow stack as the model
/// sees them, its random operations.
final class MutatorThread: @unchecked Sendable {
    // @unchecked: used by its own thread, and by a rendezvous leader while this thread waits (MultiMutatorRun).
    let index: Int
    unowned let run: MultiMutatorRun
    var rng: SplitMix64
    let graph: ModelGraph
    let maxPrivateObjects: Int
    let maxSharedObjects: Int
    /// The context's shadow stack (from depth 0), as indices into `graph` (a root holds a private object or nil).
    var roots: [Int?] = []
    /// Made on the thread, by `SharedHeap.attach()`.
    var context: GCHeap?
    var garbageCounter = 0
    var failedHere = false

    var operations = 0
    var allocations = 0
    var garbageAllocations = 0
    var largeObjects = 0
    var sharedOperations = 0
    var crossEdges = 0
    var explicitCollections = 0
    var readBacks = 0
    var blockedWaits = 0

    init(index: Int, run: MultiMutatorRun, seed: UInt64, maxPrivateObjects: Int, maxSharedObjects: Int) {
        self.index = index
        self.run = run
        rng = SplitMix64(seed: seed)
        graph = ModelGraph(space: index)
        self.maxPrivateObjects = maxPrivateObjects
        self.maxSharedObjects = maxSharedObjects
    }

    func random(_ range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }

    func fail(_ message: String) {
        failedHere = true
        run.fail("thread \(index), operation \(operations): \(message)")
    }

    var heap: GCHeap { context! }

    // MARK: the thread's life

    /// The thread's body: attach, the rounds with a rendezvous after each, detach with every root popped.
    /// `started` is met by every thread (and only them) once each has attached, so no thread starts
    /// operating while another is still joining.
    func main(started: Rendezvous) {
        do {
            context = try run.shared.attach()
        } catch {
            run.fail("thread \(index): attach threw \(error)")
            started.wait()
            return
        }
        heap.withoutCollector { started.wait() }
        if run.failed {
            run.shared.detach(heap)
            return
        }
        for round in 0..<run.rounds {
            if !failedHere { runOperations(run.interval) }
            if !meet(round: round) { break }
        }
        heap.popRoots(to: 0)
        roots.removeAll()
        run.shared.detach(heap)
        context = nil
    }

    /// The rendezvous after a round: every thread waits inside `withoutCollector` (so it counts as stopped),
    /// the leader leaves it to collect and check, then meets the others again. Returns whether to go on.
    func meet(round: Int) -> Bool {
        if round % run.threadCount == index {
            heap.withoutCollector { run.rendezvous.wait() }
            run.checkAtRendezvous(by: self, round: round)
            heap.withoutCollector { run.rendezvous.wait() }
        } else {
            heap.withoutCollector {
                run.rendezvous.wait()  // every thread has arrived: the leader checks
                run.rendezvous.wait()  // the leader is done
            }
        }
        return !run.stop
    }

    // MARK: operations

    /// `count` random operations; the mix per thousand is below. Allocation dominates, as in the workloads.
    func runOperations(_ count: Int) {
        for _ in 0..<count where !failedHere {
            operations += 1
            switch random(0..<1000) {
            case 0..<250: privateReachable().count < maxPrivateObjects ? addPrivate() : cutRoot()
            case 250..<450: addGarbage()
            case 450..<600: storePrivate()
            case 600..<650: rewritePrivateValue()
            case 650..<690: setRoot()
            case 690..<720: pushRoot()
            case 720..<750: popRoots()
            case 750..<770: readBack()
            case 770..<880: sharedOperation()
            case 880..<882:
                explicitCollections += 1
                heap.collect()
            case 882..<894: heap.safepoint()
            case 894..<896:
                // Blocked as a thread waiting on I/O or a lock would be: other threads collect meanwhile.
                blockedWaits += 1
                let microseconds = UInt32(random(20..<200))
                heap.withoutCollector { _ = usleep(microseconds) }
            default: storePrivate()
            }
        }
    }

    /// The private objects reachable from this thread's roots, recomputed when a store may have cut one off.
    func privateReachable() -> [Int] {
        if graph.dirty { graph.refreshReachable(from: roots.compactMap { $0 }) }
        return graph.reachable
    }

    func pickPrivate() -> Int? {
        let r = privateReachable()
        return r.isEmpty ? nil : r[random(0..<r.count)]
    }

    /// A random shape: 0-4 slots and 16-40 payload bytes; one object in 500 a large one (9,000-20,000 bytes).
    func randomShape(maxSlots: Int) -> ObjectShape {
        let large = random(0..<500) == 0
        let payload = large ? 8 * random(1_125..<2_500) : 16 + 8 * random(0..<4)
        return ObjectShape(referenceSlots: random(0..<(maxSlots + 1)), payloadBytes: payload)
    }

    /// Allocates an object of `shape` and writes its payload (identity, value, inverted identity at the end).
    /// Returns nil after recording a failure when allocation throws (nothing here approaches a limit).
    func allocate(_ shape: ObjectShape, identity: UInt64, value: UInt64) -> GCRef? {
        let ref: GCRef
        do {
            ref = try heap.allocate(shape)
        } catch {
            fail("allocation of \(shape) threw \(error)")
            return nil
        }
        if shape.payloadBytes >= 9_000 { largeObjects += 1 }
        heap.storePayload(ref, byteOffset: 0, identity)
        heap.storePayload(ref, byteOffset: 8, value)
        if shape.payloadBytes > 16 { heap.storePayload(ref, byteOffset: shape.payloadBytes - 8, ~identity) }
        return ref
    }

    /// A new private object, linked in: into an empty slot of a reachable object, else a new or existing root;
    /// some of its own slots point at reachable objects (cycles included).
    func addPrivate() {
        let shape = randomShape(maxSlots: 4)
        let value = rng.next()
        let id = ObjectID(space: index, index: graph.count)
        guard let ref = allocate(shape, identity: id.identity, value: value) else { return }
        allocations += 1
        // The allocation may have collected: the model's reachable set is exact, so every pick below is live.
        let i = graph.append(ref, slotCount: shape.referenceSlots, payloadBytes: shape.payloadBytes, value: value)
        var linked = false
        for _ in 0..<8 {
            guard let p = pickPrivate(), !graph.slots[p].isEmpty else { continue }
            let s = random(0..<graph.slots[p].count)
            guard graph.slots[p][s] == nil else { continue }
            heap.store(graph.refs[p], slot: s, ref)
            graph.slots[p][s] = graph.target(i)
            linked = true
            break
        }
        if !linked {
            if roots.count < 64 {
                heap.pushRoot(ref)
                roots.append(i)
            } else {
                let r = random(0..<roots.count)
                heap.setRoot(r, ref)
                if roots[r] != nil { graph.dirty = true }
                roots[r] = i
            }
        }
        if !graph.dirty { graph.reachable.append(i) }
        for s in 0..<shape.referenceSlots where random(0..<2) == 0 {
            guard let t = pickPrivate() else { break }
            heap.store(ref, slot: s, graph.refs[t])
            graph.slots[i][s] = graph.target(t)
        }
    }

    /// One to six objects of 16 to 504 payload bytes that nothing reaches: a short chain, its head rooted while
    /// the rest is allocated; sometimes pointing into the private graph. Each must be gone after the next
    /// rendezvous collection. Most of the bytes allocated are these, so the pacer collects between rendezvous.
    func addGarbage() {
        let n = random(1..<7)
        let depth = heap.rootDepth
        var previous: GCRef? = nil
        for _ in 0..<n {
            garbageCounter += 1
            let identity = 0x6A00_0000_0000_0000 | UInt64(index) << 40 | UInt64(garbageCounter)
            let shape = ObjectShape(referenceSlots: 2, payloadBytes: 16 + 8 * random(0..<62))
            guard let ref = allocate(shape, identity: identity, value: 0) else { break }
            garbageAllocations += 1
            graph.garbage.append((ref, identity))
            if let p = previous { heap.store(ref, slot: 0, p) }
            if random(0..<4) == 0, let t = pickPrivate() { heap.store(ref, slot: 1, graph.refs[t]) }
            if heap.rootDepth == depth { heap.pushRoot(ref) } else { heap.setRoot(depth, ref) }
            previous = ref
        }
        heap.popRoots(to: depth)
    }

    /// A reachable object's slot gets another reachable private object, or nil one time in eight.
    func storePrivate() {
        guard let a = pickPrivate(), !graph.slots[a].isEmpty else { return }
        let s = random(0..<graph.slots[a].count)
        let b = random(0..<8) == 0 ? nil : pickPrivate()
        heap.store(graph.refs[a], slot: s, b.map { graph.refs[$0] })
        if graph.slots[a][s] != nil { graph.dirty = true }
        graph.slots[a][s] = b.map { graph.target($0) }
    }

    func rewritePrivateValue() {
        guard let a = pickPrivate() else { return }
        let v = rng.next()
        heap.storePayload(graph.refs[a], byteOffset: 8, v)
        graph.values[a] = v
    }

    func setRoot() {
        guard !roots.isEmpty else { return pushRoot() }
        let r = random(0..<roots.count)
        let a = random(0..<8) == 0 ? nil : pickPrivate()
        heap.setRoot(r, a.map { graph.refs[$0] })
        if roots[r] != nil { graph.dirty = true }
        roots[r] = a
    }

    func cutRoot() {
        guard !roots.isEmpty else { return }
        let r = random(0..<roots.count)
        heap.setRoot(r, nil)
        if roots[r] != nil { graph.dirty = true }
        roots[r] = nil
    }

    func pushRoot() {
        guard roots.count < 64 else { return popRoots() }
        let a = random(0..<8) == 0 ? nil : pickPrivate()
        let depth = heap.pushRoot(a.map { graph.refs[$0] })
        if depth != roots.count { fail("pushRoot returned index \(depth), expected \(roots.count)") }
        roots.append(a)
    }

    func popRoots() {
        let n = min(random(1..<4), roots.count)
        guard n > 0 else { return }
        heap.popRoots(to: roots.count - n)
        if roots.suffix(n).contains(where: { $0 != nil }) { graph.dirty = true }
        roots.removeLast(n)
        if heap.rootDepth != roots.count { fail("root depth \(heap.rootDepth) after popRoots, expected \(roots.count)") }
    }

    /// Reads back up to 32 reachable private objects, with a `safepoint()` every 8 (a long read-only walk
    /// must not hold up another thread's collection): identity, value, shape and slots as the model says.
    func readBack() {
        readBacks += 1
        for k in 0..<32 {
            guard let a = pickPrivate() else { return }
            if let problem = intactProblem(a, of: graph, heap: heap) { return fail("read back: \(problem)") }
            if k % 8 == 7 { heap.safepoint() }
        }
    }

    // MARK: the shared graph

    /// Runs `body` holding the shared lock, which is waited for inside `withoutCollector`.
    func withSharedLock(_ body: () -> Void) {
        heap.withoutCollector { run.sharedLock.lock() }
        defer { run.sharedLock.unlock() }
        body()
    }

    func sharedReachable() -> [Int] {
        let g = run.sharedGraph
        if g.dirty { g.refreshReachable(from: run.globals.compactMap(\.index)) }
        return g.reachable
    }

    func pickShared() -> Int? {
        let r = sharedReachable()
        return r.isEmpty ? nil : r[random(0..<r.count)]
    }

    /// One operation on the shared graph, under the shared lock: allocate a shared object and link it in,
    /// store, rewrite a value, set a global root, point a private object at a shared one, or read one back.
    func sharedOperation() {
        sharedOperations += 1
        withSharedLock {
            let g = run.sharedGraph
            switch random(0..<100) {
            case 0..<30:
                if sharedReachable().count < maxSharedObjects { addShared() } else { setGlobalRoot(cut: true) }
            case 30..<55:
                guard let a = pickShared(), !g.slots[a].isEmpty else { return }
                let s = random(0..<g.slots[a].count)
                let b = random(0..<8) == 0 ? nil : pickShared()
                heap.store(g.refs[a], slot: s, b.map { g.refs[$0] })
                if g.slots[a][s] != nil { g.dirty = true }
                g.slots[a][s] = b.map { g.target($0) }
            case 55..<70:
                guard let a = pickShared() else { return }
                let v = rng.next()
                heap.storePayload(g.refs[a], byteOffset: 8, v)
                g.values[a] = v
            case 70..<78:
                setGlobalRoot(cut: random(0..<5) == 0)
            case 78..<90:
                // A private object points into the shared graph: the shared object stays live through this
                // thread's roots even when the shared graph lets go of it (after which no thread mutates it).
                guard let a = pickPrivate(), !graph.slots[a].isEmpty, let b = pickShared() else { return }
                let s = random(0..<graph.slots[a].count)
                heap.store(graph.refs[a], slot: s, g.refs[b])
                if graph.slots[a][s] != nil { graph.dirty = true }
                graph.slots[a][s] = g.target(b)
                crossEdges += 1
            default:
                guard let a = pickShared() else { return }
                if let problem = intactProblem(a, of: g, heap: heap) { fail("read back: \(problem)") }
            }
        }
    }

    /// A new shared object, linked into an empty slot of a reachable shared object or a global root.
    func addShared() {
        let g = run.sharedGraph
        let shape = randomShape(maxSlots: 3)
        let value = rng.next()
        let id = ObjectID(space: MultiMutatorRun.sharedSpace, index: g.count)
        guard let ref = allocate(shape, identity: id.identity, value: value) else { return }
        allocations += 1
        let i = g.append(ref, slotCount: shape.referenceSlots, payloadBytes: shape.payloadBytes, value: value)
        var linked = false
        for _ in 0..<8 {
            guard let p = pickShared(), !g.slots[p].isEmpty else { continue }
            let s = random(0..<g.slots[p].count)
            guard g.slots[p][s] == nil else { continue }
            heap.store(g.refs[p], slot: s, ref)
            g.slots[p][s] = g.target(i)
            linked = true
            break
        }
        if !linked {
            let r = random(0..<run.globals.count)
            heap.setGlobalRoot(run.globals[r].handle, ref)
            if run.globals[r].index != nil { g.dirty = true }
            run.globals[r].index = i
        }
        if !g.dirty { g.reachable.append(i) }
        for s in 0..<shape.referenceSlots where random(0..<2) == 0 {
            guard let t = pickShared() else { break }
            heap.store(ref, slot: s, g.refs[t])
            g.slots[i][s] = g.target(t)
        }
    }

    func setGlobalRoot(cut: Bool) {
        let r = random(0..<run.globals.count)
        let a = cut ? nil : pickShared()
        heap.setGlobalRoot(run.globals[r].handle, a.map { run.sharedGraph.refs[$0] })
        if run.globals[r].index != nil { run.sharedGraph.dirty = true }
        run.globals[r].index = a
    }
}
