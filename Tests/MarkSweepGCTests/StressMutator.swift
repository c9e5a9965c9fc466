import HeapLabCore
import HeapLabTestSupport
@testable import MarkSweepGC
import XCTest

/// The random mutator both stress tests drive (`StressTests`, `IncrementalStressTests`), and the independent
/// model (the oracle) it mirrors every operation in.
///
/// The model is plain Swift: per object its id, its slots as ids, and its payload bytes as written. Reachability
/// in the model is computed by its own traversal from the model's roots (the shadow stack above the mutator's
/// base, nested scopes included, and the global roots it holds), never by asking the heap. The operations, at
/// random: allocate (small objects of 0-4 slots and 0-40 payload bytes; one in 200 a large object of 9,000 to
/// 20,000 payload bytes) and link the new object in; store a reachable object (or nil) into a slot; rewrite a
/// random range of a payload; set, push and pop shadow-stack roots; enter a nested `withScope` (left normally
/// or by a throw); add, set and remove global roots; read an object back; force a collection; in incremental
/// mode, run an allocation slow path's step or a full mark slice, or start a cycle, between operations. All of it also happens while an incremental
/// cycle is marking, between its slices.
///
/// After every cycle -- forced, started by the pacer inside an allocation, forced by the heap limit, or an
/// incremental cycle ending -- the model is checked against the heap: every object that must survive is live,
/// and the reachable ones have exactly the slots and every payload byte the model says; every other object was
/// reclaimed by that very cycle; the heap's live-object count is exactly the survivors'. A stop-the-world cycle
/// must keep exactly the reachable objects; an incremental one (snapshot at the beginning) exactly those
/// reachable when it began plus those allocated while it marked. The heap also runs its verifier after every
/// cycle and (incremental mode) the checkmark after every mark, in record mode: their reports become test
/// failures naming the object, and the run stops there.
///
/// With a heap limit, an allocation may throw `outOfMemory`: the model then has no new object, the mutator drops
/// roots to make room, and the run goes on with the same heap (which must stay consistent with the model).
///
/// A class, not a struct: checks run from inside heap operations (an allocation can run a cycle), which would
/// overlap a mutating access to a struct.
final class StressMutator {
    let heap: GCHeap
    let incremental: Bool
    /// Says which run failed: the configuration and the seed, and how to replay it.
    let label: String
    var rng: SplitMix64
    /// The most objects alive in the model before allocation gives way to unrooting.
    let maxObjects: Int
    /// Stores and roots are set to nil one time in `cutOneIn` (the rest move a reachable object): 8 normally;
    /// a run that must reach its heap limit cuts rarely, so its graph keeps growing until allocation fails.
    let cutOneIn: Int
    /// Forced collections per thousand operations: frequent in stop-the-world mode (each is a check), rare in
    /// incremental mode, where each one abandons the cycle in progress.
    let forcedCollectionsPerThousand: Int

    // MARK: the model (by object id)

    var refs: [GCRef] = []
    var slots: [[Int?]] = []
    var payloads: [[UInt8]] = []
    /// Not yet found dead by a check.
    var alive: [Bool] = []
    /// The ids with `alive` set, compacted at every check.
    var aliveIds: [Int] = []
    /// The shadow stack above `base`, as ids: what the heap's entries `base...` hold.
    var roots: [Int?] = []
    /// Where the innermost open scope began in `roots`: pops never go below it.
    var scopeFloor = 0
    var globals: [(handle: GlobalRoot, id: Int?)] = []
    let base: Int

    /// Ids the model found reachable when it last looked. It may include objects cut off since: using them is
    /// legitimate until the next cycle boundary (no cycle has run, so they still exist), and the model follows
    /// every such use. It is refreshed at every boundary (a cycle ending, marking beginning), so an object that
    /// a cycle may free, or that an incremental cycle's snapshot does not hold, is never used again.
    var reachableCache: [Int] = []

    /// The incremental cycle in progress, as the model sees it: marking began (`snapshot` is what the model
    /// reached then), and the objects allocated since.
    var cycleInProgress = false
    var snapshot = Set<Int>()
    var allocatedDuring = Set<Int>()

    // MARK: what the run did (for the summary line and the tests' assertions)

    var operations = 0
    var exactChecks = 0
    var incrementalChecks = 0
    var outOfMemoryErrors = 0
    var operationsWhileMarking = 0
    var scopesEntered = 0
    var deepestScope = 0
    var payloadRewrites = 0
    var rootPops = 0
    var globalRootChangesWhileMarking = 0
    /// The most objects alive in the model at a check.
    var peakLiveObjects = 0
    var failed = false

    init(heap: GCHeap, seed: UInt64, label: String, maxObjects: Int, cutOneIn: Int = 8) {
        self.heap = heap
        // Concurrent mode keeps the same contract (snapshot at the beginning); its cycles also run the steps below.
        incremental = heap.configuration.collectionMode.marksBetweenPauses
        self.cutOneIn = cutOneIn
        forcedCollectionsPerThousand = incremental ? 1 : 10
        self.label = "\(label), seed \(seed) (replay: HEAPLAB_STRESS_SEED=\(StressSettings.seedOffset))"
        self.maxObjects = maxObjects
        rng = SplitMix64(seed: seed)
        base = heap.rootDepth
    }

    func random(_ range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }
    func randomCached() -> Int? { reachableCache.isEmpty ? nil : reachableCache[random(0..<reachableCache.count)] }

    func fail(_ message: String, file: StaticString = #filePath, line: UInt = #line) {
        if !failed { XCTFail("\(label), operation \(operations): \(message)", file: file, line: line) }
        failed = true
    }

    // MARK: the run

    /// Runs `count` operations (nested scopes count theirs), then a final forced collection and check, then
    /// drops every root and checks that a collection leaves nothing.
    func run(operations count: Int) {
        refreshReachable()
        runOperations(until: count, depth: 0)
        guard !failed else { return }
        forceCollection()
        guard !failed else { return }
        heap.popRoots(to: base)
        for g in globals { heap.removeGlobalRoot(g.handle) }
        heap.collect()
        if heap.liveObjectCount != 0 || heap.heapInUseBytes != 0 {
            fail("after dropping every root: \(heap.liveObjectCount) objects, \(heap.heapInUseBytes) bytes still in use")
        }
        reportCheckFailures()
    }

    /// The operation mix, per thousand. Allocation dominates, as in the workloads.
    func runOperations(until target: Int, depth: Int) {
        while operations < target && !failed {
            operations += 1
            if heap.isMarking { operationsWhileMarking += 1 }
            if operations % 64 == 0 { refreshReachable() }
            let r = random(0..<1000)
            switch r {
            case 0..<330: aliveIds.count < maxObjects ? addObject() : unrootRandom()
            case 330..<540: storeRandom()
            case 540..<620: rewritePayload()
            case 620..<680: setRootRandom()
            case 680..<730: pushRoot()
            case 730..<780: popRoots()
            case 780..<800 where depth < 6: enterScope(depth: depth, until: target)
            case 800..<840: changeGlobalRoot()
            case 840..<850: if let id = randomCached() { checkIntact(id, "read back") }
            case 850..<(850 + forcedCollectionsPerThousand): forceCollection()
            case 853..<910 where incremental:
                // An allocation slow path without the allocation: a slice of the work allocation has paid for
                // (perhaps none), a cycle start at the trigger, or a sweep step.
                // (With the heap's lock, as a slow path holds it: a concurrent heap's background marker takes it.)
                stepIncremental { heap.shared.withLock { heap.shared.incrementalStep(pendingBytes: 0) } }
            case 910..<960 where incremental:
                // A full slice, as a slow path with a large debt would run, and the final pause when it empties
                // the mark stack.
                if heap.isMarking {
                    stepIncremental {
                        heap.shared.withLock {
                            // The cycle may have ended since `isMarking` was read (concurrent mode: an assist).
                            guard heap.shared.incremental.phase == .marking else { return }
                            if heap.shared.markSlice(workBytes: 4096) { heap.shared.finishIncrementalMarking(reason: .incremental) }
                        }
                    }
                }
            case 960..<970 where incremental:
                if !heap.isMarking {
                    stepIncremental {
                        heap.shared.withLock {
                            guard heap.shared.incremental.phase != .marking else { return }
                            heap.shared.startIncrementalMarking()
                        }
                    }
                }
            default: storeRandom()
            }
        }
    }

    // MARK: operations

    /// Allocates an object of random shape, fills its payload with random bytes, and links it in (`link`).
    func addObject() {
        let large = random(0..<200) == 0
        let slotCount = random(0..<5)
        let payloadBytes = large ? Int.random(in: 9_000...20_000, using: &rng) : random(0..<41)
        let shape = ObjectShape(referenceSlots: slotCount, payloadBytes: payloadBytes)
        let ref: GCRef
        switch allocate(shape) {
        case let .success(r): ref = r
        case let .failure(error):
            guard case .outOfMemory = error, heap.configuration.heapLimitBytes != nil else {
                return fail("allocation of \(shape) threw \(error)")
            }
            outOfMemoryErrors += 1
            relievePressure()
            return
        }
        guard !failed else { return }
        let id = refs.count
        refs.append(ref)
        slots.append(Array(repeating: nil, count: slotCount))
        payloads.append(randomBytes(payloadBytes))
        alive.append(true)
        aliveIds.append(id)
        if cycleInProgress { allocatedDuring.insert(id) }
        writePayload(id, from: 0, payloads[id])
        link(id)
    }

    /// Makes `id` reachable, by a store into an empty slot of a random reachable object (in incremental mode
    /// often a black one), else into a new root, else over a random root; and points some of its slots at
    /// reachable objects: cycles. Filling empty slots first lets the graph grow to thousands of objects while
    /// the other operations cut parts of it off.
    func link(_ id: Int) {
        let ref = refs[id]
        var parentSlot: (parent: Int, slot: Int)? = nil
        for _ in 0..<8 {
            guard let p = randomCached(), !slots[p].isEmpty else { continue }
            let s = random(0..<slots[p].count)
            if slots[p][s] == nil { parentSlot = (p, s); break }
        }
        if let (parent, s) = parentSlot {
            heap.store(refs[parent], slot: s, ref)
            slots[parent][s] = id
        } else if roots.count < 64 && random(0..<2) == 0 {
            heap.pushRoot(ref)
            roots.append(id)
        } else if !roots.isEmpty {
            let r = random(0..<roots.count)
            heap.setRoot(base + r, ref)
            roots[r] = id
        } else {
            heap.pushRoot(ref)
            roots.append(id)
        }
        for s in 0..<slots[id].count where random(0..<2) == 0 {
            if let target = randomCached() {
                heap.store(ref, slot: s, refs[target])
                slots[id][s] = target
            }
        }
        reachableCache.append(id)
    }

    /// A reachable object's slot gets another reachable object, or nil one time in `cutOneIn` (cutting whatever the
    /// slot held: perhaps a grey or white object while marking).
    func storeRandom() {
        guard let a = randomCached(), !slots[a].isEmpty else { return }
        let s = random(0..<slots[a].count)
        let b = random(0..<cutOneIn) == 0 ? nil : randomCached()
        heap.store(refs[a], slot: s, b.map { refs[$0] })
        slots[a][s] = b
    }

    /// Rewrites a random range of a reachable object's payload with random bytes.
    func rewritePayload() {
        guard let a = randomCached(), !payloads[a].isEmpty else { return }
        let n = payloads[a].count
        let from = random(0..<n)
        let length = random(1..<(min(n - from, 64) + 1))
        let bytes = randomBytes(length)
        payloads[a].replaceSubrange(from..<(from + length), with: bytes)
        writePayload(a, from: from, bytes)
        payloadRewrites += 1
    }

    func setRootRandom() {
        guard !roots.isEmpty else { return pushRoot() }
        let r = random(0..<roots.count)
        let a = random(0..<cutOneIn) == 0 ? nil : randomCached()
        heap.setRoot(base + r, a.map { refs[$0] })
        roots[r] = a
    }

    func unrootRandom() {
        guard !roots.isEmpty else { return }
        let r = random(0..<roots.count)
        heap.setRoot(base + r, nil)
        roots[r] = nil
    }

    func pushRoot() {
        guard roots.count < 64 else { return popRoots() }
        let a = random(0..<8) == 0 ? nil : randomCached()
        let index = heap.pushRoot(a.map { refs[$0] })
        if index != base + roots.count { fail("pushRoot returned index \(index), expected \(base + roots.count)") }
        roots.append(a)
    }

    /// Pops one to three roots, never below the innermost scope's floor.
    func popRoots() {
        let count = min(random(1..<4), roots.count - scopeFloor)
        guard count > 0 else { return }
        heap.popRoots(to: base + roots.count - count)
        roots.removeLast(count)
        rootPops += 1
        if heap.rootDepth != base + roots.count { fail("root depth \(heap.rootDepth) after popRoots, expected \(base + roots.count)") }
    }

    struct LeaveScope: Error {}

    /// Runs a random number of operations inside `withScope`, left normally or (one time in four) by a throw;
    /// either way every root pushed inside must be gone afterwards.
    func enterScope(depth: Int, until target: Int) {
        scopesEntered += 1
        deepestScope = max(deepestScope, depth + 1)
        let depthBefore = heap.rootDepth
        let outerFloor = scopeFloor
        let rootsBefore = roots.count
        let end = min(target, operations + random(1..<300))
        let throwOut = random(0..<4) == 0
        do {
            try heap.withScope { () throws(LeaveScope) in
                scopeFloor = roots.count
                runOperations(until: end, depth: depth + 1)
                if throwOut { throw LeaveScope() }
            }
        } catch {}
        scopeFloor = outerFloor
        roots.removeLast(roots.count - rootsBefore)
        if heap.rootDepth != depthBefore { fail("withScope left root depth \(heap.rootDepth), was \(depthBefore) (threw: \(throwOut))") }
    }

    /// Adds a global root (up to 6), or sets or removes one.
    func changeGlobalRoot() {
        if heap.isMarking { globalRootChangesWhileMarking += 1 }
        let a = random(0..<5) == 0 ? nil : randomCached()
        if globals.count < 6 && (globals.isEmpty || random(0..<3) == 0) {
            globals.append((heap.addGlobalRoot(a.map { refs[$0] }), a))
        } else if random(0..<3) == 0 {
            let g = globals.remove(at: random(0..<globals.count))
            heap.removeGlobalRoot(g.handle)
        } else {
            let i = random(0..<globals.count)
            heap.setGlobalRoot(globals[i].handle, a.map { refs[$0] })
            globals[i].id = a
            if heap.globalRoot(globals[i].handle) != a.map({ refs[$0] }) { fail("global root \(i) does not hold what was set") }
        }
    }

    /// After an out-of-memory error: drops half the roots and every global root, so the next cycle has room
    /// to free.
    func relievePressure() {
        for r in 0..<roots.count where random(0..<2) == 0 {
            heap.setRoot(base + r, nil)
            roots[r] = nil
        }
        for i in globals.indices {
            heap.setGlobalRoot(globals[i].handle, nil)
            globals[i].id = nil
        }
    }

    // MARK: heap operations that may run a cycle

    /// Allocates through `step`; the result, or the error it threw (after checking any cycle it ran).
    func allocate(_ shape: ObjectShape) -> Result<GCRef, AllocationError> {
        let before = Counters(heap)
        let result: Result<GCRef, AllocationError>
        do throws(AllocationError) {
            result = .success(try heap.allocate(shape))
        } catch {
            result = .failure(error)
        }
        afterStep(before, newObject: try? result.get())
        return result
    }

    func forceCollection() {
        let before = Counters(heap)
        heap.collect()
        afterStep(before, newObject: nil)
    }

    func stepIncremental(_ body: () -> Void) {
        let before = Counters(heap)
        body()
        afterStep(before, newObject: nil)
    }

    /// The heap's cycle counters before an operation.
    struct Counters {
        let cycles: Int
        let incrementalCycles: Int
        init(_ heap: GCHeap) {
            // Under the lock: a concurrent heap's background marker writes the heap's state meanwhile.
            (cycles, incrementalCycles) = heap.shared.withLock { (heap.shared.stats.cycles, heap.shared.incremental.cycles) }
        }
    }

    /// After an operation that may start, advance or end a cycle: checks the model against the heap if a cycle
    /// ended, takes the snapshot if marking began, and refreshes the reachable set at either boundary.
    /// `newObject` is what the operation allocated (after any cycle it ran), not yet in the model.
    func afterStep(_ before: Counters, newObject: GCRef?) {
        // The heap's own checks ran inside the operation: their reports come first.
        reportCheckFailures()
        guard !failed else { return }
        let now = Counters(heap)
        let incrementalEnded = now.incrementalCycles - before.incrementalCycles
        let stopTheWorld = now.cycles - before.cycles - incrementalEnded
        var boundary = false
        if stopTheWorld > 0 || incrementalEnded > 0 {
            // Within one allocation a stop-the-world cycle (the heap limit's) only ever follows an incremental
            // step, never precedes it: when one ran, it was the last, and it marked from scratch.
            if stopTheWorld == 0 && !cycleInProgress {
                return fail("an incremental cycle ended that the model never saw begin (the test's own bug)")
            }
            checkAfterCycle(exact: stopTheWorld > 0, newObject: newObject)
            boundary = true
        }
        if heap.isMarking && !cycleInProgress {
            // Marking began inside this operation, before anything it allocated: the model has not changed
            // since, so what it reaches now is the snapshot.
            cycleInProgress = true
            snapshot = reachableSet()
            allocatedDuring = []
            boundary = true
        }
        if boundary { refreshReachable() }
    }

    /// The verifier's and the checkmark's reports (record mode), as test failures.
    func reportCheckFailures() {
        for failure in heap.takeCheckFailures() { fail("\(failure)") }
    }

    // MARK: the oracle

    func reachableSet() -> Set<Int> {
        var seen = Set<Int>()
        var stack = roots.compactMap { $0 } + globals.compactMap(\.id)
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            for case let child? in slots[id] { stack.append(child) }
        }
        return seen
    }

    func refreshReachable() { reachableCache = Array(reachableSet()) }

    /// Checks the heap against the model right after a cycle ended. `exact`: the last cycle was stop-the-world
    /// (survivors are exactly the reachable objects); else an incremental one (the snapshot plus what was
    /// allocated during it). `newObject` is a cell allocated after the cycle, perhaps one a dead object had.
    func checkAfterCycle(exact: Bool, newObject: GCRef?) {
        if exact { exactChecks += 1 } else { incrementalChecks += 1 }
        let reachable = reachableSet()
        if !exact && !reachable.isSubset(of: snapshot.union(allocatedDuring)) {
            return fail("the model reached an object outside the snapshot (the test's own bug)")
        }
        var expectedLive = 0
        var stillAlive: [Int] = []
        stillAlive.reserveCapacity(aliveIds.count)
        for id in aliveIds {
            let ref = refs[id]
            if reachable.contains(id) || (!exact && (snapshot.contains(id) || allocatedDuring.contains(id))) {
                expectedLive += 1
                stillAlive.append(id)
                if reachable.contains(id) {
                    guard checkIntact(id, "reachable") else { return }
                } else if !heap.isLive(ref) {
                    return fail("object \(id) \(describe(id)), in the cycle's snapshot or allocated during it, was reclaimed: \(heap.referenceProblem(ref)!)")
                }
            } else {
                alive[id] = false
                payloads[id] = []
                if ref != newObject && heap.isLive(ref) {
                    return fail("object \(id) \(describe(id)), \(exact ? "unreachable" : "neither reachable at the cycle's start nor allocated during it"), survived the cycle")
                }
            }
        }
        aliveIds = stillAlive
        peakLiveObjects = max(peakLiveObjects, expectedLive)
        let expected = expectedLive + (newObject == nil ? 0 : 1)
        if heap.liveObjectCount != expected { fail("live-object count \(heap.liveObjectCount), the model says \(expected)") }
        cycleInProgress = false
        snapshot = []
        allocatedDuring = []
    }

    /// Fails (and returns false) unless object `id` is live with exactly the slots and payload bytes the model
    /// says. Slots and one payload word are read through the heap's API; the whole payload is compared in
    /// place.
    @discardableResult
    func checkIntact(_ id: Int, _ why: String) -> Bool {
        let ref = refs[id]
        if let problem = heap.referenceProblem(ref) {
            fail("\(why) object \(id) \(describe(id)) was reclaimed: \(problem)")
            return false
        }
        if heap.shape(of: ref) != ObjectShape(referenceSlots: slots[id].count, payloadBytes: payloads[id].count) {
            fail("\(why) object \(id) \(describe(id)) has shape \(heap.shape(of: ref))")
            return false
        }
        for (s, expected) in slots[id].enumerated() where heap.load(ref, slot: s) != expected.map({ refs[$0] }) {
            fail("slot \(s) of \(why) object \(id) \(describe(id)) holds \(String(describing: heap.load(ref, slot: s))), the model says \(expected.map { "object \($0) \(refs[$0])" } ?? "nil")")
            return false
        }
        let n = payloads[id].count
        guard n > 0 else { return true }
        // Invariant: the object is live with `slots[id].count` slots (checked above), so its payload is the
        // `n` bytes after its header and slots.
        let payload = UnsafeRawBufferPointer(start: ref.address + 8 + 8 * slots[id].count, count: n)
        let equal = payloads[id].withUnsafeBytes { model in memcmp(model.baseAddress!, payload.baseAddress!, n) == 0 }
        if !equal {
            let first = (0..<n).first { payload[$0] != payloads[id][$0] }!
            fail("payload byte \(first) of \(why) object \(id) \(describe(id)) is \(payload[first]), the model says \(payloads[id][first])")
            return false
        }
        let offset = random(0..<n)
        if heap.loadPayload(ref, byteOffset: offset, as: UInt8.self) != payloads[id][offset] {
            fail("loadPayload at \(offset) of object \(id) \(describe(id)) disagrees with its memory")
            return false
        }
        return true
    }

    func describe(_ id: Int) -> String {
        "(\(refs[id]), \(slots[id].count) slots, \(payloads[id].count) payload bytes)"
    }

    // MARK: payload bytes

    func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = rng.next()
            for _ in 0..<min(8, count - i) {
                bytes[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return bytes
    }

    /// Writes `bytes` at `from` in object `id`'s payload through the heap's API: eight bytes at a time (at any
    /// alignment), then the tail byte by byte.
    func writePayload(_ id: Int, from: Int, _ bytes: [UInt8]) {
        let ref = refs[id]
        var i = 0
        while i + 8 <= bytes.count {
            var word: UInt64 = 0
            for k in 0..<8 { word |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            heap.storePayload(ref, byteOffset: from + i, word)
            i += 8
        }
        while i < bytes.count {
            heap.storePayload(ref, byteOffset: from + i, bytes[i])
            i += 1
        }
    }
}

/// Settings shared by the stress tests: how many operations, which seeds.
enum StressSettings {
    /// Operations per run (one configuration and seed). Debug builds: 10,000, seconds per run; release builds
    /// (`scripts/stress.sh`): 125,000, so the eight runs of the two stress test classes make 10^6. Either is
    /// multiplied by `HEAPLAB_STRESS_SCALE`.
    static var operationsPerRun: Int {
        #if DEBUG
        return 10_000 * stressScale
        #else
        return 125_000 * stressScale
        #endif
    }

    /// `HEAPLAB_STRESS_SEED` (`StressEnvironment`): what is added to every fixed seed.
    static var seedOffset: UInt64 { StressEnvironment.seedOffset }

    /// The seed a run with fixed seed `fixed` uses.
    static func seed(_ fixed: UInt64) -> UInt64 { StressEnvironment.seed(fixed) }
}

extension StressMutator {
    /// Runs `StressSettings.operationsPerRun` operations, prints the summary, and asserts what every run must
    /// have gone through (beyond the oracle's own checks). Returns false when the run failed.
    func runAndCheck(file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let count = StressSettings.operationsPerRun
        run(operations: count)
        print(summary)
        guard !failed else { return false }
        XCTAssertEqual(operations, count, file: file, line: line)
        XCTAssertGreaterThan(exactChecks + incrementalChecks, count / 2_000, "\(label): the run went through many cycles",
                             file: file, line: line)
        if incremental {
            XCTAssertGreaterThan(incrementalChecks, count / 5_000, "\(label): many incremental cycles ran to their end",
                                 file: file, line: line)
        }
        XCTAssertGreaterThan(deepestScope, 1, "\(label): nested scopes", file: file, line: line)
        XCTAssertGreaterThan(rootPops, 0, file: file, line: line)
        XCTAssertGreaterThan(payloadRewrites, 0, file: file, line: line)
        return true
    }

    /// One line for the log: what the run went through.
    var summary: String {
        "stress: \(label): \(operations) operations, \(exactChecks) stop-the-world and \(incrementalChecks) incremental cycles checked, \(outOfMemoryErrors) out-of-memory errors, at most \(peakLiveObjects) objects live, \(operationsWhileMarking) operations while marking, \(scopesEntered) scopes (deepest \(deepestScope)), \(payloadRewrites) payload rewrites, \(heap.shared.withLock { heap.shared.incremental.barrierShades }) barrier shades"
    }
}
