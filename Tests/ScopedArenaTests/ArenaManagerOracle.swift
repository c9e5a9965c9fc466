import HeapLabCore
import HeapLabTestSupport
import ScopedArena
import XCTest

/// The random-operation oracle of `ArenaManager`, the arena behind the `MemoryManager` contract.
///
/// The model: per object, its shape, whether it must be tagged (shape in the reference, no header: fewer than
/// 15 slots, under 4 KiB of payload, not empty) or headed (`ObjectLayout`), its scope depth, its slots (as
/// object ids) and every payload byte as written; the live objects in allocation order (their depths never
/// decrease, since a scope's objects die before its parent allocates again) with where each scope's begin;
/// every live address range; the allocation count, the requested bytes (cumulative) and the live bytes (each
/// object's block rounded to 8) the statistics must equal exactly.
///
/// The operations, at random: allocate an object of a random shape (small nodes mostly; shapes at the edge of
/// the tag, shapes with 15 to 20 slots, empty shapes, large payloads of 5 to 30 KB) and link it from an object of
/// its scope and to older objects; store a reference (or nil) into a slot, always to an object of the same or an
/// enclosing scope, as the arena requires; write payload bytes (one to eight at a time, unaligned too); read an
/// object back through the contract (`shape(of:)`, `load`, `loadPayload`); open a nested `withScope`, leave it
/// normally or by a throw; and with a limit, allocate an object sized to the room left under it.
///
/// Checked after every operation: `allocations`, `bytesRequested` and `liveBytes` equal the model's, the peak
/// live bytes, depth and scope ends, the arena's counters' consistency and the limit (`ArenaBudget`). Per
/// allocation: 8-aligned, tagged exactly when the shape fits a tag, a header with the shape when headed, every
/// slot nil and every payload byte zero, disjoint from every live object. At every scope end: the statistics back
/// where the scope began, one "scope" stall in the pause log with the live bytes before and after, and the
/// enclosing scope's objects intact. Every `fullCheckInterval` operations: every live object's memory (header,
/// slot bits, payload bytes) is the model's, read directly, not through the manager. An `outOfMemory` must be
/// justified by the budget and leave the statistics as they were.
final class ArenaManagerOracle {
    struct Settings {
        var name: String
        var configuration: ArenaConfiguration
        var fixedSeed: UInt64
        var operations: Int
        var fullCheckInterval = 64
        var maximumDepth = 12
        /// Objects allocated outside every scope stay until the end (the manager has no reset): at most this many.
        var maximumOutermostObjects = 2000
    }

    struct Object {
        let ref: ObjectRef
        let shape: ObjectShape
        let tagged: Bool
        let depth: Int
        /// Targets as object ids.
        var slots: [Int?]
        var payload: [UInt8]
        let operation: Int
        /// The block as the arena hands it out: header (when headed), slots and payload, rounded to 8 bytes.
        var blockBytes: Int { ((tagged ? 0 : ObjectLayout.headerBytes) + shape.bytes + 7) & ~7 }
    }

    struct ScopeExit: Error {}

    enum Operation {
        case allocate, store, writePayload, read, openScope, closeScope, throwOutOfScope, edgeOfLimit
    }

    let settings: Settings
    let label: String
    let budget: ArenaBudget
    var rng: SplitMix64
    let pauseLog = PauseLog()
    let manager: ArenaManager

    // MARK: the model

    /// Every object made, by id; nil once its scope ended.
    var objects: [Object?] = []
    /// Live object ids in allocation order; `scopeStarts[d]` is where depth d's begin.
    var live: [Int] = []
    var scopeStarts = [0]
    var intervals = LiveIntervals()
    var allocations = 0
    var bytesRequested = 0
    var liveBytes = 0
    var peakLiveBytes = 0
    var scopesEnded = 0

    // MARK: what the run did

    var operations = 0
    var current = "start"
    var failed = false
    var fullChecks = 0
    var nextFullCheck = 0
    var headedObjects = 0
    var largeObjects = 0
    var stores = 0
    var payloadWrites = 0
    var reads = 0
    var outOfMemoryErrors = 0
    var scopesLeftByThrow = 0
    var deepest = 0

    init(_ settings: Settings) {
        self.settings = settings
        let seed = StressEnvironment.seed(settings.fixedSeed)
        label = "arena manager oracle, \(settings.name), seed \(seed) (replay: \(StressEnvironment.replay))"
        budget = ArenaBudget(limitBytes: settings.configuration.limitBytes)
        rng = SplitMix64(seed: seed)
        manager = ArenaManager(configuration: settings.configuration, pauseLog: pauseLog)
    }

    func random(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    func chance(_ oneIn: Int) -> Bool { rng.next(below: oneIn) == 0 }

    func fail(_ message: String, file: StaticString = #filePath, line: UInt = #line) {
        if !failed { XCTFail("\(label), operation \(operations) (\(current)): \(message)", file: file, line: line) }
        failed = true
    }

    var depth: Int { scopeStarts.count - 1 }

    /// Live ids of depth `d` and the scopes enclosing it: the objects an object of depth `d` may refer to.
    func visible(from d: Int) -> ArraySlice<Int> {
        live[..<(d + 1 < scopeStarts.count ? scopeStarts[d + 1] : live.count)]
    }

    // MARK: the run

    func run() {
        print("\(label): \(settings.operations) operations")
        try? runScope()   // the outermost level never throws out
        guard !failed else { return }
        current = "final check"
        checkEverything()
    }

    func runScope() throws(ScopeExit) {
        while !failed && operations < settings.operations {
            let operation = choose()
            operations += 1
            switch operation {
            case .allocate: allocateObject(shape: randomShape())
            case .edgeOfLimit:
                // Sized to the room left under the limit, give or take a few pages.
                let room = budget.limitBytes! - manager.arenaStatistics.heapBytes - ArenaBudget.chunkHeaderBytes - 16
                allocateObject(shape: ObjectShape(referenceSlots: random(0...2), payloadBytes: max(0, room + random(-3 * 4096...2 * 4096))))
            case .store: store()
            case .writePayload: writePayload()
            case .read: read()
            case .openScope: openScope()
            case .closeScope:
                current = "close the scope at depth \(depth)"
                return
            case .throwOutOfScope:
                current = "throw out of the scope at depth \(depth)"
                scopesLeftByThrow += 1
                throw ScopeExit()
            }
            afterOperation()
        }
    }

    func choose() -> Operation {
        var weights: [(Operation, Int)] = [(.store, 15), (.writePayload, 10), (.read, 8)]
        // Objects outside every scope stay to the end (the manager has no reset): a bounded number of them, in a
        // quarter of the limit at most, so that the runs spend their time in scopes, not stuck at the limit.
        let outermostRoom = live.count < settings.maximumOutermostObjects && liveBytes < (budget.limitBytes ?? .max) / 4
        if depth > 0 || outermostRoom { weights.append((.allocate, 40)) }
        if depth < settings.maximumDepth { weights.append((.openScope, depth == 0 ? 12 : 6)) }
        if depth > 0 {
            weights.append((.closeScope, 4 + depth / 2))
            weights.append((.throwOutOfScope, 1))
        }
        if budget.limitBytes != nil && depth > 0 { weights.append((.edgeOfLimit, 2)) }
        var pick = rng.next(below: weights.reduce(0) { $0 + $1.1 })
        for (operation, weight) in weights {
            if pick < weight { return operation }
            pick -= weight
        }
        preconditionFailure("unreachable")
    }

    func randomShape() -> ObjectShape {
        switch rng.next(below: 100) {
        case 0..<70: ObjectShape(referenceSlots: random(0...4), payloadBytes: random(0...40))
        case 70..<80: ObjectShape(referenceSlots: random(0...14), payloadBytes: random(0...200))
        case 80..<86: ObjectShape(referenceSlots: random(13...20), payloadBytes: random(0...16))
        case 86..<92: ObjectShape(referenceSlots: random(0...2), payloadBytes: random(4090...4100))
        case 92..<95: ObjectShape(referenceSlots: 0, payloadBytes: 0)
        default: ObjectShape(referenceSlots: random(0...3), payloadBytes: random(5000...30_000))
        }
    }

    // MARK: operations

    func allocateObject(shape: ObjectShape) {
        let tagged = shape.referenceSlots <= 14 && shape.payloadBytes <= 4095 && shape.bytes > 0
        let blockBytes = ((tagged ? 0 : ObjectLayout.headerBytes) + shape.bytes + 7) & ~7
        current = "allocate \(shape) (\(blockBytes) B block) at depth \(depth)"
        let before = manager.arenaStatistics
        let ref: ObjectRef
        do {
            ref = try manager.allocate(shape)
        } catch {
            guard case let .outOfMemory(requested, live, limit) = error else { return fail("unexpected error \(error)") }
            outOfMemoryErrors += 1
            let after = manager.arenaStatistics
            if let problem = budget.checkRefusal(requestedBytes: requested, liveBytes: live, limitBytes: limit,
                                                 requests: [(blockBytes, 8)], after: after) {
                return fail(problem)
            }
            if after.chunkCount != before.chunkCount || after.chunksMapped != before.chunksMapped {
                return fail("a refused allocation changed the chunks in use")
            }
            if budget.mustServe(byteCount: blockBytes, alignment: 8, heapBytesBefore: before.heapBytes) {
                return fail("an allocation the budget allows was refused: \(before.heapBytes) bytes held, limit \(limit)")
            }
            return
        }
        let p = ref.address
        guard Int(bitPattern: p) & 7 == 0 else { return fail("object at \(p) is not 8-aligned") }
        guard ref.isTagged == tagged else { return fail("the reference is \(ref.isTagged ? "tagged" : "headed"), expected \(tagged ? "tagged" : "headed")") }
        if !tagged {
            let header = (p.load(as: UInt32.self), p.load(fromByteOffset: 4, as: UInt32.self))
            if header != (UInt32(shape.referenceSlots), UInt32(shape.payloadBytes)) {
                return fail("header (\(header.0) slots, \(header.1) B), expected \(shape)")
            }
        }
        if let i = firstNonzeroByte(ref.slots, byteCount: shape.bytes) {
            return fail("byte \(i) of a new object's slots and payload is \(hex(ref.slots.load(fromByteOffset: i, as: UInt8.self))), not zero")
        }
        let start = Int(bitPattern: p)
        if let clash = intervals.insert(start: start, end: start + blockBytes) {
            return fail("[\(p), +\(blockBytes)) overlaps the live object at [\(hex(clash.start)), \(hex(clash.end)))")
        }
        let id = objects.count
        objects.append(Object(ref: ref, shape: shape, tagged: tagged, depth: depth, slots: Array(repeating: nil, count: shape.referenceSlots),
                              payload: Array(repeating: 0, count: shape.payloadBytes), operation: operations))
        live.append(id)
        allocations += 1
        bytesRequested += shape.bytes
        liveBytes += blockBytes
        if !tagged { headedObjects += 1 }
        if shape.bytes > 4096 { largeObjects += 1 }
        // Link it: from an object of its own scope, and to objects it may outlive nothing of.
        let mine = live[scopeStarts[depth]...]
        if chance(2), let source = mine.randomElement(using: &rng), !objects[source]!.slots.isEmpty {
            setSlot(of: source, rng.next(below: objects[source]!.slots.count), to: id)
        }
        for slot in 0..<min(shape.referenceSlots, 4) where chance(2) {
            setSlot(of: id, slot, to: visible(from: depth).randomElement(using: &rng))
        }
    }

    func setSlot(of source: Int, _ slot: Int, to target: Int?) {
        manager.store(objects[source]!.ref, slot: slot, target.map { objects[$0]!.ref })
        objects[source]!.slots[slot] = target
        stores += 1
    }

    func store() {
        guard let source = live.randomElement(using: &rng), let object = objects[source], !object.slots.isEmpty else { return }
        let slot = rng.next(below: object.slots.count)
        let target = chance(5) ? nil : visible(from: object.depth).randomElement(using: &rng)
        current = "store object \(target.map(String.init) ?? "nil") into slot \(slot) of object \(source) (depth \(object.depth))"
        setSlot(of: source, slot, to: target)
    }

    func writePayload() {
        guard let id = live.randomElement(using: &rng), let object = objects[id], object.shape.payloadBytes > 0 else { return }
        let size = [1, 2, 4, 8][rng.next(below: 4)]
        guard object.shape.payloadBytes >= size else { return }
        let offset = rng.next(below: object.shape.payloadBytes - size + 1)
        current = "write \(size) payload bytes at \(offset) into object \(id) (\(object.shape))"
        let value = rng.next()
        switch size {
        case 1: manager.storePayload(object.ref, byteOffset: offset, UInt8(truncatingIfNeeded: value))
        case 2: manager.storePayload(object.ref, byteOffset: offset, UInt16(truncatingIfNeeded: value))
        case 4: manager.storePayload(object.ref, byteOffset: offset, UInt32(truncatingIfNeeded: value))
        default: manager.storePayload(object.ref, byteOffset: offset, value)
        }
        withUnsafeBytes(of: value.littleEndian) { bytes in
            for i in 0..<size { objects[id]!.payload[offset + i] = bytes[i] }
        }
        payloadWrites += 1
    }

    /// Reads an object back through the contract.
    func read() {
        guard let id = live.randomElement(using: &rng), let object = objects[id] else { return }
        current = "read object \(id) (\(object.shape), depth \(object.depth)) back"
        reads += 1
        if manager.shape(of: object.ref) != object.shape { return fail("shape(of:) is \(manager.shape(of: object.ref)), expected \(object.shape)") }
        for (slot, target) in object.slots.enumerated() where manager.load(object.ref, slot: slot) != target.map({ objects[$0]!.ref }) {
            return fail("slot \(slot) loads \(String(describing: manager.load(object.ref, slot: slot))), expected object \(target.map(String.init) ?? "nil")")
        }
        // A sample of the payload through loadPayload (all of it for small objects), and one unaligned word.
        for offset in stride(from: 0, to: object.shape.payloadBytes, by: max(1, object.shape.payloadBytes / 64)) {
            let byte = manager.loadPayload(object.ref, byteOffset: offset, as: UInt8.self)
            if byte != object.payload[offset] { return fail("payload byte \(offset) loads \(hex(byte)), expected \(hex(object.payload[offset]))") }
        }
        if object.shape.payloadBytes >= 9 {
            let word = manager.loadPayload(object.ref, byteOffset: 1, as: UInt64.self)
            let expected = object.payload[1..<9].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            if word != expected { return fail("the payload word at 1 loads \(word), expected \(expected)") }
        }
    }

    func openScope() {
        current = "open a scope at depth \(depth + 1)"
        let before = manager.statistics()
        let outer = depth
        deepest = max(deepest, depth + 1)
        scopeStarts.append(live.count)
        do {
            try manager.withScope { () throws(ScopeExit) in
                var exit: ScopeExit?
                do throws(ScopeExit) { try runScope() } catch { exit = error }
                if !failed { checkScope(depth, "just before the end of its scope") }
                if let exit { throw exit }
            }
        } catch {}
        guard !failed else { return }
        current += "; its end"
        let liveBefore = liveBytes
        let ended = live[scopeStarts.removeLast()...]
        intervals.remove(startingAt: ended.map { Int(bitPattern: objects[$0]!.ref.address) })
        for id in ended {
            liveBytes -= objects[id]!.blockBytes
            objects[id] = nil
        }
        live.removeLast(ended.count)
        scopesEnded += 1
        let after = manager.statistics()
        if after.liveBytes != before.liveBytes || after.liveBytes != liveBytes {
            return fail("liveBytes is \(after.liveBytes.map(String.init) ?? "nil") after a scope ended, \(before.liveBytes.map(String.init) ?? "nil") when it began, the model has \(liveBytes)")
        }
        let events = pauseLog.events
        pauseLog.removeAll()
        guard events.count == 1, let event = events.first, event.kind == .stall, event.label == "scope",
              event.heapBytesBefore == liveBefore, event.heapBytesAfter == liveBytes else {
            return fail("the scope end logged \(events.map { "\($0.kind) \($0.label) \($0.heapBytesBefore)->\($0.heapBytesAfter)" }), expected one scope stall \(liveBefore)->\(liveBytes)")
        }
        if depth != outer { return fail("the model is at depth \(depth) after a scope of depth \(outer + 1) ended") }
        if !failed { checkScope(depth, "after the end of its child scope") }
    }

    // MARK: checks

    /// 64 KiB of zeros to compare new objects with.
    let zeros = [UInt8](repeating: 0, count: 64 << 10)

    /// The offset of the first nonzero byte of `[p, p + byteCount)`, or nil (one `memcmp` per 64 KiB).
    func firstNonzeroByte(_ p: UnsafeRawPointer, byteCount: Int) -> Int? {
        var offset = 0
        while offset < byteCount {
            let n = min(zeros.count, byteCount - offset)
            if zeros.withUnsafeBytes({ memcmp(p + offset, $0.baseAddress!, n) }) != 0 {
                return (offset..<offset + n).first { p.load(fromByteOffset: $0, as: UInt8.self) != 0 }
            }
            offset += n
        }
        return nil
    }

    func afterOperation() {
        guard !failed else { return }
        let s = manager.statistics()
        let a = manager.arenaStatistics
        peakLiveBytes = max(peakLiveBytes, liveBytes)
        if s.allocations != allocations || s.bytesRequested != bytesRequested || s.liveBytes != liveBytes {
            return fail("statistics: \(s.allocations) allocations, \(s.bytesRequested) bytes requested, \(s.liveBytes.map(String.init) ?? "nil") live; the model has \(allocations), \(bytesRequested), \(liveBytes)")
        }
        if s.heapBytes != a.heapBytes { return fail("heapBytes \(s.heapBytes.map(String.init) ?? "nil") differs from the arena's \(a.heapBytes)") }
        if a.peakLiveBytes != peakLiveBytes { return fail("peakLiveBytes is \(a.peakLiveBytes), the largest live bytes seen \(peakLiveBytes)") }
        if a.scopeDepth != depth || a.scopesEnded != scopesEnded {
            return fail("depth \(a.scopeDepth) and \(a.scopesEnded) scope ends; the model has \(depth) and \(scopesEnded)")
        }
        if let problem = budget.checkConsistency(a) { return fail(problem) }
        if operations >= nextFullCheck {
            nextFullCheck = operations + settings.fullCheckInterval
            checkEverything()
        }
    }

    func checkEverything() {
        fullChecks += 1
        for d in 0...depth {
            checkScope(d, "at a full check")
            if failed { return }
        }
        if intervals.count != live.count { fail("the model has \(intervals.count) live ranges for \(live.count) objects") }
    }

    /// Every object of depth `d`: its memory, read directly, is the model's.
    func checkScope(_ d: Int, _ context: String) {
        let end = d + 1 < scopeStarts.count ? scopeStarts[d + 1] : live.count
        for id in live[scopeStarts[d]..<end] {
            let object = objects[id]!
            let p = object.ref.address
            var subject: String { "object \(id) (\(object.shape), \(object.tagged ? "tagged" : "headed"), operation \(object.operation), depth \(d)) at \(p)" }
            if !object.tagged {
                let header = (p.load(as: UInt32.self), p.load(fromByteOffset: 4, as: UInt32.self))
                if header != (UInt32(object.shape.referenceSlots), UInt32(object.shape.payloadBytes)) {
                    return fail("\(context): the header of \(subject) reads (\(header.0) slots, \(header.1) B)")
                }
            }
            let slots = object.ref.slots
            for (slot, target) in object.slots.enumerated() {
                let bits = slots.load(fromByteOffset: slot * 8, as: UInt64.self)
                let expected = target.map { objects[$0]!.ref.bits } ?? 0
                if bits != expected {
                    return fail("\(context): slot \(slot) of \(subject) holds \(hex(Int(bitPattern: UInt(bits)))), expected \(hex(Int(bitPattern: UInt(expected)))) (object \(target.map(String.init) ?? "nil"))")
                }
            }
            let payload = UnsafeRawPointer(slots + 8 * object.shape.referenceSlots)
            let same = object.payload.isEmpty || object.payload.withUnsafeBytes { memcmp(payload, $0.baseAddress!, object.shape.payloadBytes) == 0 }
            if !same, let i = object.payload.indices.first(where: { payload.load(fromByteOffset: $0, as: UInt8.self) != object.payload[$0] }) {
                return fail("\(context): payload byte \(i) of \(subject) is \(hex(payload.load(fromByteOffset: i, as: UInt8.self))), expected \(hex(object.payload[i]))")
            }
        }
    }

    // MARK: report

    func runAndCheck(file: StaticString = #filePath, line: UInt = #line) {
        run()
        print(summary)
        guard !failed else { return }
        XCTAssertEqual(operations, settings.operations, "\(label): every operation ran", file: file, line: line)
        XCTAssertGreaterThan(scopesEnded, settings.operations / 100, "\(label): many scopes ended", file: file, line: line)
        XCTAssertGreaterThan(scopesLeftByThrow, 0, "\(label): scopes left by a throw", file: file, line: line)
        XCTAssertGreaterThan(headedObjects, 0, "\(label): headed objects", file: file, line: line)
        XCTAssertGreaterThan(largeObjects, 0, "\(label): large objects", file: file, line: line)
        XCTAssertGreaterThan(deepest, 3, "\(label): nested scopes", file: file, line: line)
        if budget.limitBytes != nil {
            XCTAssertGreaterThan(outOfMemoryErrors, 0, "\(label): the limit was reached", file: file, line: line)
        }
    }

    var summary: String {
        "stress: \(label): \(operations) operations, \(fullChecks) full checks, \(allocations) objects (\(headedObjects) headed, \(largeObjects) large), \(stores) stores, \(payloadWrites) payload writes, \(reads) reads, \(scopesEnded) scope ends (\(scopesLeftByThrow) by a throw, deepest \(deepest)), \(outOfMemoryErrors) out-of-memory errors, peak \(peakLiveBytes) live bytes"
    }
}
