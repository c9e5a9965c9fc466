import HeapLabCore
import HeapLabTestSupport
import ScopedArena
import XCTest

/// A value with a deinit and 16-byte alignment: its destructor record and the value need padding between them.
struct AlignedRecord {
    let tracked: Tracked
    let stamp: SIMD2<UInt64>
}

/// The random-operation oracle of `Arena`: a random mix of operations on one arena, each mirrored in a plain
/// Swift model that never asks the arena what it holds.
///
/// The model: per open scope, the raw blocks allocated in it (address, size, the `FillPattern` window written
/// into it) and the typed allocations (address, size, the bytes they held when made, the ids of the tracked
/// values in them); every live address range (`LiveIntervals`); the
/// requested bytes, cumulative and live, and a bound on the alignment padding; the limit (`ArenaBudget`).
///
/// The operations, at random: raw allocations of 1 B to 200 KB at alignments 1 to 4096, zero-byte requests,
/// invalid requests; typed values and arrays, of classes, of noncopyable structs with a deinit, of a 16-byte
/// aligned struct holding a class reference, and of trivial types (no destructor); rewriting a raw block, reading
/// a typed value back (a trivial one is rewritten); opening a nested scope, leaving it normally or by a throw;
/// `reset()` (outside every scope); and with a limit, requests sized to the room left under it, or too large
/// for any free space in the chunks held.
///
/// Checked after every operation: the statistics against the model (`bytesAllocated` exactly, `liveBytes`
/// between the live requested bytes and that plus the padding bound, `peakLiveBytes` exactly the largest
/// `liveBytes` seen, depth, scope ends, resets, the counters' own consistency, `heapBytes` under the limit); no
/// destructor ran that the model did not expect, and the tracked values alive are exactly the model's. Checked
/// per allocation: aligned, inside memory the arena holds, disjoint from every live range. Checked at every
/// scope end and reset: the destructors of exactly the values of that scope ran, once each, newest first
/// (an array's elements in order); `liveBytes` is back where the scope began (0 after a reset); the enclosing
/// scope's blocks are intact; a reset keeps one chunk, at least as large as the mean of the chunks held and as
/// the chunk of the largest live block, and the next small request maps nothing. Every `fullCheckInterval`
/// operations: every live block's bytes, every typed value read back through `arena[p]` and `elements`, live
/// handles `isLive` and stale ones not, `checkInvariants()`. An `outOfMemory` must be justified by the budget
/// (`ArenaBudget.checkRefusal`), a request that fits the budget must be served, and after a refusal the
/// arena is unchanged but for its spares and goes on. At the end the arena's deinit must destroy every value
/// still alive.
///
/// A failure names the run (configuration, seed, how to replay it), the operation number and what is wrong,
/// and stops the run. A class: the model is updated from inside `withScope` bodies and destructors.
final class ArenaOracle {
    struct Settings {
        /// Names the configuration in the label.
        var name: String
        var configuration: ArenaConfiguration
        var fixedSeed: UInt64
        var operations: Int
        var fullCheckInterval = 64
        var maximumDepth = 20
    }

    /// A typed allocation's handle, for reading it back.
    enum Handle {
        case object(ArenaPointer<Tracked>)
        case token(ArenaPointer<TrackedToken>)
        case objects(ArenaBuffer<Tracked>)
        case tokens(ArenaBuffer<TrackedToken>)
        case records(ArenaBuffer<AlignedRecord>)
        case word(ArenaPointer<UInt64>)
        case pairs(ArenaBuffer<SIMD2<UInt64>>)
    }

    struct RawBlock {
        let address: UnsafeMutableRawPointer
        let byteCount: Int
        /// The `FillPattern` window the block holds.
        var offset: Int
        let operation: Int
    }

    struct TypedBlock {
        let handle: Handle
        let address: UnsafeMutableRawPointer
        let byteCount: Int
        /// Ids of the tracked values in it, in index order (empty for trivial types).
        let ids: [Int]
        /// Its bytes as made (or last rewritten).
        var bytes: [UInt8]
        /// The value a trivial allocation holds (or the stamp of a record array).
        var stamp: UInt64
        let operation: Int
    }

    /// One open scope (index 0: the arena itself).
    struct Frame {
        var raw: [RawBlock] = []
        var typed: [TypedBlock] = []
        /// The arena's `liveBytes` and the model's sums when the scope began.
        var liveBytesAtOpen = 0
        var liveRequestedAtOpen = 0
        var paddingBoundAtOpen = 0
    }

    struct ScopeExit: Error {}

    enum Operation {
        case rawSmall, rawMedium, rawLarge, zeroBytes, invalidRequest
        case object, token, objectArray, tokenArray, recordArray, word, pairArray
        case rewriteRaw, readTyped
        case openScope, closeScope, throwOutOfScope, reset, edgeOfLimit
    }

    let settings: Settings
    let label: String
    let budget: ArenaBudget
    var rng: SplitMix64
    let pattern: FillPattern
    let tracker = LifetimeTracker()

    // MARK: the model

    var frames: [Frame] = [Frame()]
    var intervals = LiveIntervals()
    /// Requested bytes, cumulative (the arena's `bytesAllocated`).
    var requestedBytes = 0
    /// Requested bytes of the live allocations, destructor records included.
    var liveRequestedBytes = 0
    /// The most alignment padding the live allocations can have needed.
    var paddingBound = 0
    /// The largest `liveBytes` seen after an operation (live bytes fall only at scope end and reset, which come
    /// right after an operation, so this is the exact peak).
    var peakLiveBytes = 0
    var trackedAlive = 0
    var nextId = 0
    var scopesEnded = 0
    var resets = 0
    /// Handles whose scope ended, the most recent ones: `isLive` must say no.
    var staleHandles: [Handle] = []

    // MARK: what the run did

    var operations = 0
    var current = "start"
    var failed = false
    var fullChecks = 0
    var nextFullCheck = 0
    var rawAllocations = 0
    var typedAllocations = 0
    var destructorsChecked = 0
    var outOfMemoryErrors = 0
    var invalidRequests = 0
    var scopesLeftByThrow = 0
    var deepest = 0

    /// Bytes of one destructor record, measured once on a fresh arena (the model counts them in the bytes
    /// requested; every run then checks the figure again after every typed allocation).
    static let recordBytes: Int = {
        let arena = Arena()
        let tracker = LifetimeTracker()
        _ = try! arena.make(Tracked(tracker))
        return arena.statistics().bytesAllocated - MemoryLayout<Tracked>.size
    }()
    /// Padding a record can need (its alignment is at most 16).
    static let recordPaddingBound = 15

    init(_ settings: Settings) {
        self.settings = settings
        let seed = StressEnvironment.seed(settings.fixedSeed)
        label = "arena oracle, \(settings.name), seed \(seed) (replay: \(StressEnvironment.replay))"
        budget = ArenaBudget(limitBytes: settings.configuration.limitBytes)
        rng = SplitMix64(seed: seed)
        pattern = FillPattern(seed: seed, maximumBytes: max(256 << 10, settings.configuration.limitBytes ?? 0))
    }

    func random(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    func chance(_ oneIn: Int) -> Bool { rng.next(below: oneIn) == 0 }

    func fail(_ message: String, file: StaticString = #filePath, line: UInt = #line) {
        if !failed { XCTFail("\(label), operation \(operations) (\(current)): \(message)", file: file, line: line) }
        failed = true
    }

    // MARK: the run

    /// Runs `settings.operations` operations, then checks that the arena's deinit destroys what is left.
    func run() {
        // Printed first, so that a trap inside the arena (a broken invariant) can be traced to its run.
        print("\(label): \(settings.operations) operations")
        do {
            var arena = Arena(configuration: settings.configuration)
            runOutermost(&arena)
            guard !failed else { return }
            current = "final check"
            checkEverything(arena)
            current = "the arena's deinit"
        }
        guard !failed else { return }
        expectDestroyed(frames.flatMap { $0.typed }.reversed().flatMap(\.ids), "by the arena's deinit")
        if tracker.live != 0 { fail("\(tracker.live) tracked values outlived the arena") }
    }

    func runOutermost(_ arena: inout Arena) {
        while !failed && operations < settings.operations {
            let operation = choose(depth: 0)
            operations += 1
            switch operation {
            case .reset: reset(&arena)
            case .openScope: openScope(arena, depth: 0)
            default: perform(operation, arena, depth: 0)
            }
            afterOperation(arena, depth: 0)
        }
    }

    func runScope(_ arena: borrowing Arena, depth: Int) throws(ScopeExit) {
        while !failed && operations < settings.operations {
            let operation = choose(depth: depth)
            operations += 1
            switch operation {
            case .closeScope:
                current = "close the scope at depth \(depth)"
                return
            case .throwOutOfScope:
                current = "throw out of the scope at depth \(depth)"
                scopesLeftByThrow += 1
                throw ScopeExit()
            case .openScope: openScope(arena, depth: depth)
            default: perform(operation, arena, depth: depth)
            }
            afterOperation(arena, depth: depth)
        }
    }

    func choose(depth: Int) -> Operation {
        var weights: [(Operation, Int)] = [
            (.rawSmall, 30), (.rawMedium, 6), (.rawLarge, 1), (.zeroBytes, 2), (.invalidRequest, 1),
            (.object, 5), (.token, 4), (.objectArray, 4), (.tokenArray, 2), (.recordArray, 3), (.word, 3), (.pairArray, 2),
            (.rewriteRaw, 4), (.readTyped, 4),
        ]
        if depth < settings.maximumDepth { weights.append((.openScope, 6)) }
        if depth > 0 {
            weights.append((.closeScope, 4 + depth / 2))
            weights.append((.throwOutOfScope, 1))
        } else {
            weights.append((.reset, 1))
        }
        if budget.limitBytes != nil { weights.append((.edgeOfLimit, 2)) }
        var pick = rng.next(below: weights.reduce(0) { $0 + $1.1 })
        for (operation, weight) in weights {
            if pick < weight { return operation }
            pick -= weight
        }
        preconditionFailure("unreachable")
    }

    func perform(_ operation: Operation, _ arena: borrowing Arena, depth: Int) {
        switch operation {
        case .rawSmall:
            allocateRaw(arena, byteCount: random(1...256), alignment: randomAlignment(), depth: depth)
        case .rawMedium:
            allocateRaw(arena, byteCount: random(257...8192), alignment: randomAlignment(), depth: depth)
        case .rawLarge:
            allocateRaw(arena, byteCount: random(8193...200_000), alignment: randomAlignment(), depth: depth)
        case .edgeOfLimit:
            // Half the time sized to the room left under the limit, give or take a few pages: some fit, some can
            // not. Otherwise larger than the room and than all the free space the chunks held can have (what they
            // hold beyond the live bytes), so that it needs a chunk of its own: a reset keeps the largest chunk,
            // and once that is most of the limit, requests sized to the room alone fit in it and never reach the
            // limit.
            let s = arena.statistics()
            let room = budget.limitBytes! - s.heapBytes - ArenaBudget.chunkHeaderBytes
            let byteCount = chance(2) ? room + random(-3 * 4096...2 * 4096) : max(room, s.heapBytes - s.liveBytes) + random(1...2 * 4096)
            allocateRaw(arena, byteCount: min(pattern.maximumBytes, max(1, byteCount)), alignment: chance(4) ? 4096 : 16, depth: depth)
        case .zeroBytes: allocateZeroBytes(arena, depth: depth)
        case .invalidRequest: makeInvalidRequest(arena, depth: depth)
        case .object, .token, .objectArray, .tokenArray, .recordArray, .word, .pairArray:
            allocateTyped(operation, arena, depth: depth)
        case .rewriteRaw: rewriteRaw(depth: depth)
        case .readTyped: readTyped(arena, depth: depth)
        case .openScope, .closeScope, .throwOutOfScope, .reset:
            preconditionFailure("handled by the run loops")
        }
    }

    /// Mostly small alignments, sometimes up to a page.
    func randomAlignment() -> Int {
        chance(8) ? 1 << random(7...12) : 1 << random(0...6)
    }

    // MARK: raw allocation

    func allocateRaw(_ arena: borrowing Arena, byteCount: Int, alignment: Int, depth: Int) {
        current = "allocate \(byteCount) B aligned \(alignment) at depth \(depth)"
        let before = arena.statistics()
        let p: UnsafeMutableRawPointer
        do {
            p = try arena.allocate(byteCount: byteCount, alignment: alignment)
        } catch {
            refused(error, requests: [(byteCount, alignment)], before: before, after: arena.statistics())
            if !budget.mustServe(byteCount: byteCount, alignment: alignment, heapBytesBefore: before.heapBytes) { return }
            return fail("a request the budget allows was refused: \(before.heapBytes) bytes held, limit \(budget.limitBytes.map(String.init) ?? "none")")
        }
        rawAllocations += 1
        guard admit(p, byteCount: byteCount, alignment: alignment, arena) else { return }
        let offset = rng.next(below: FillPattern.offsets)
        pattern.fill(p, byteCount: byteCount, offset: offset)
        frames[frames.count - 1].raw.append(RawBlock(address: p, byteCount: byteCount, offset: offset, operation: operations))
        requestedBytes += byteCount
        liveRequestedBytes += byteCount
        paddingBound += alignment - 1
    }

    /// Checks a new allocation's address (aligned, in memory the arena holds, disjoint from every live range)
    /// and records its range. False when it is wrong.
    func admit(_ p: UnsafeMutableRawPointer, byteCount: Int, alignment: Int, _ arena: borrowing Arena) -> Bool {
        guard Int(bitPattern: p) % alignment == 0 else {
            fail("\(p) is not aligned to \(alignment)")
            return false
        }
        guard byteCount > 0 else { return true }
        guard arena.contains(p, byteCount: byteCount) else {
            fail("[\(p), +\(byteCount)) is not in memory the arena holds")
            return false
        }
        let start = Int(bitPattern: p)
        if let clash = intervals.insert(start: start, end: start + byteCount) {
            fail("[\(p), +\(byteCount)) overlaps the live block [\(hex(clash.start)), \(hex(clash.end))) \(describeBlock(at: clash.start))")
            return false
        }
        return true
    }

    /// Checks a refusal: it must be `outOfMemory`, justified by the budget, and leave the arena as it was but
    /// for its spares (and, for a typed allocation, the record it took before the value was refused).
    func refused(_ error: AllocationError, requests: [(byteCount: Int, alignment: Int)], before: ArenaStatistics,
                 after: ArenaStatistics, recordMayStay: Bool = false) {
        guard case let .outOfMemory(requested, live, limit) = error else {
            fail("unexpected error \(error)")
            return
        }
        outOfMemoryErrors += 1
        if let problem = budget.checkRefusal(requestedBytes: requested, liveBytes: live, limitBytes: limit, requests: requests, after: after) {
            return fail(problem)
        }
        let grew = after.bytesAllocated - before.bytesAllocated
        if grew != 0 && !(recordMayStay && grew == Self.recordBytes) {
            return fail("a refused request changed bytesAllocated by \(grew)")
        }
        if grew != 0 {
            // The record was allocated before the value was refused; it stays (unused) until its scope ends.
            requestedBytes += grew
            liveRequestedBytes += grew
            paddingBound += Self.recordPaddingBound
        }
        // Only the record (40 bytes) may have needed a chunk of its own.
        let allowed = grew == 0 ? 0...0 : 0...1
        if !allowed.contains(after.chunkCount - before.chunkCount) || !allowed.contains(after.chunksMapped - before.chunksMapped) {
            fail("a refused request changed the chunks in use: \(before.chunkCount) -> \(after.chunkCount), mapped \(before.chunksMapped) -> \(after.chunksMapped)")
        }
    }

    func allocateZeroBytes(_ arena: borrowing Arena, depth: Int) {
        let alignment = 1 << random(0...12)
        current = "allocate 0 B aligned \(alignment) at depth \(depth)"
        let before = arena.statistics()
        do {
            let p = try arena.allocate(byteCount: 0, alignment: alignment)
            guard Int(bitPattern: p) % alignment == 0 else { return fail("\(p) is not aligned to \(alignment)") }
        } catch {
            return fail("a zero-byte request threw \(error)")
        }
        let after = arena.statistics()
        if after != before { fail("a zero-byte request changed the statistics: \(before) -> \(after)") }
    }

    func makeInvalidRequest(_ arena: borrowing Arena, depth: Int) {
        let requests: [(Int, Int)] = [(-1, 8), (-random(2...1 << 20), 16), (8, 0), (8, 3), (16, 48), (8, 8192), (1 << 41, 8), (Int.max, 16)]
        let (byteCount, alignment) = requests[rng.next(below: requests.count)]
        current = "invalid request of \(byteCount) B aligned \(alignment) at depth \(depth)"
        let before = arena.statistics()
        do {
            _ = try arena.allocate(byteCount: byteCount, alignment: alignment)
            fail("an invalid request was served")
        } catch {
            guard case .invalidRequest = error else { return fail("an invalid request threw \(error), not invalidRequest") }
            invalidRequests += 1
        }
        let after = arena.statistics()
        if after != before { fail("an invalid request changed the statistics: \(before) -> \(after)") }
    }

    func rewriteRaw(depth: Int) {
        let candidates = frames.indices.filter { !frames[$0].raw.isEmpty }
        guard !candidates.isEmpty else { return }
        let f = candidates[rng.next(below: candidates.count)]
        let b = rng.next(below: frames[f].raw.count)
        let block = frames[f].raw[b]
        current = "rewrite the \(block.byteCount) B block of operation \(block.operation) (depth \(f)) from depth \(depth)"
        guard checkRaw(block, depth: f, "before the rewrite") else { return }
        let offset = rng.next(below: FillPattern.offsets)
        pattern.fill(block.address, byteCount: block.byteCount, offset: offset)
        frames[f].raw[b].offset = offset
    }

    // MARK: typed allocation

    func allocateTyped(_ operation: Operation, _ arena: borrowing Arena, depth: Int) {
        let before = arena.statistics()
        let count = operation == .object || operation == .token || operation == .word ? 1 : random(0...12)
        let firstId = nextId
        let stamp = rng.next()
        /// Makes `count` values of `T` with `make`, which consumes the value it is given, or `makeArray`, which
        /// makes its elements only once the memory is there. Types with a deinit (`tracked`, each value with
        /// an id of its own) register a destructor record first; trivial ones register none.
        func allocate<T: ~Copyable>(_ name: String, _: T.Type, tracked: Bool, consumesValue: Bool,
                                    _ body: () throws(AllocationError) -> (Handle, UnsafeMutableRawPointer)) {
            let stride = MemoryLayout<T>.stride, alignment = MemoryLayout<T>.alignment
            let byteCount = stride * count
            let hasRecord = tracked && count > 0
            current = "\(name) ×\(count) (\(stride) B aligned \(alignment)) at depth \(depth)"
            let handle: Handle, address: UnsafeMutableRawPointer
            do {
                (handle, address) = try body()
            } catch {
                var requests = [(byteCount: byteCount, alignment: alignment)]
                if hasRecord { requests.insert((Self.recordBytes, 8), at: 0) }
                refused(error, requests: requests, before: before, after: arena.statistics(), recordMayStay: hasRecord)
                let worstCase = requests.reduce(0) { $0 + ArenaBudget.minimumChunkBytes(byteCount: $1.byteCount, alignment: $1.alignment) }
                if let limit = budget.limitBytes, before.heapBytes + worstCase <= limit {
                    return fail("a typed allocation the budget allows was refused: \(before.heapBytes) bytes held, limit \(limit)")
                }
                if consumesValue && tracked {
                    // `make` consumed the value: it is destroyed when the allocation fails, never leaked.
                    nextId += 1
                    trackedAlive += 1
                    expectDestroyed([firstId], "when its allocation was refused")
                } else if tracker.created != nextId {
                    fail("a refused makeArray made \(tracker.created - nextId) elements")
                }
                return
            }
            typedAllocations += 1
            guard admit(address, byteCount: byteCount, alignment: alignment, arena) else { return }
            let ids = tracked ? Array(firstId..<firstId + count) : []
            nextId += ids.count
            trackedAlive += ids.count
            let bytes = Array(UnsafeRawBufferPointer(start: address, count: byteCount))
            frames[frames.count - 1].typed.append(TypedBlock(handle: handle, address: address, byteCount: byteCount, ids: ids,
                                                             bytes: bytes, stamp: stamp, operation: operations))
            requestedBytes += byteCount + (hasRecord ? Self.recordBytes : 0)
            liveRequestedBytes += byteCount + (hasRecord ? Self.recordBytes : 0)
            paddingBound += (byteCount > 0 ? alignment - 1 : 0) + (hasRecord ? Self.recordPaddingBound : 0)
        }
        switch operation {
        case .object:
            allocate("Tracked", Tracked.self, tracked: true, consumesValue: true) { () throws(AllocationError) in
                let p = try arena.make(Tracked(tracker, id: firstId))
                return (.object(p), UnsafeMutableRawPointer(p.unsafeAddress))
            }
        case .token:
            allocate("TrackedToken", TrackedToken.self, tracked: true, consumesValue: true) { () throws(AllocationError) in
                let p = try arena.make(TrackedToken(tracker, id: firstId))
                return (.token(p), UnsafeMutableRawPointer(p.unsafeAddress))
            }
        case .objectArray:
            allocate("[Tracked]", Tracked.self, tracked: true, consumesValue: false) { () throws(AllocationError) in
                let b = try arena.makeArray(count: count) { i in Tracked(tracker, id: firstId + i) }
                return (.objects(b), UnsafeMutableRawPointer(b.unsafeBaseAddress))
            }
        case .tokenArray:
            allocate("[TrackedToken]", TrackedToken.self, tracked: true, consumesValue: false) { () throws(AllocationError) in
                let b = try arena.makeArray(count: count) { i in TrackedToken(tracker, id: firstId + i) }
                return (.tokens(b), UnsafeMutableRawPointer(b.unsafeBaseAddress))
            }
        case .recordArray:
            allocate("[AlignedRecord]", AlignedRecord.self, tracked: true, consumesValue: false) { () throws(AllocationError) in
                let b = try arena.makeArray(count: count) { i in
                    AlignedRecord(tracked: Tracked(tracker, id: firstId + i), stamp: SIMD2(stamp &+ UInt64(i), UInt64(firstId + i)))
                }
                return (.records(b), UnsafeMutableRawPointer(b.unsafeBaseAddress))
            }
        case .word:
            allocate("UInt64", UInt64.self, tracked: false, consumesValue: true) { () throws(AllocationError) in
                let p = try arena.make(stamp)
                return (.word(p), UnsafeMutableRawPointer(p.unsafeAddress))
            }
        case .pairArray:
            allocate("[SIMD2<UInt64>]", SIMD2<UInt64>.self, tracked: false, consumesValue: false) { () throws(AllocationError) in
                let b = try arena.makeArray(repeating: SIMD2(stamp, ~stamp), count: count)
                return (.pairs(b), UnsafeMutableRawPointer(b.unsafeBaseAddress))
            }
        default:
            preconditionFailure("not a typed allocation")
        }
    }

    func readTyped(_ arena: borrowing Arena, depth: Int) {
        let candidates = frames.indices.filter { !frames[$0].typed.isEmpty }
        guard !candidates.isEmpty else { return }
        let f = candidates[rng.next(below: candidates.count)]
        let t = rng.next(below: frames[f].typed.count)
        current = "read back the typed allocation of operation \(frames[f].typed[t].operation) (depth \(f)) from depth \(depth)"
        guard checkTyped(frames[f].typed[t], depth: f, arena, "when read back") else { return }
        if case let .word(p) = frames[f].typed[t].handle {
            // A trivial value is plain memory: write it through the checked subscript.
            let value = rng.next()
            arena[p] = value
            frames[f].typed[t].stamp = value
            frames[f].typed[t].bytes = withUnsafeBytes(of: value) { Array($0) }
        }
    }

    // MARK: destructors

    /// The destructors that ran since the last check must be exactly `ids`, in that order.
    func expectDestroyed(_ ids: [Int], _ context: String) {
        let ran = tracker.destroyedOrder
        tracker.destroyedOrder.removeAll(keepingCapacity: true)
        trackedAlive -= ids.count
        destructorsChecked += ran.count
        guard ran != ids else { return }
        if ran.count != ids.count {
            return fail("\(ran.count) destructors ran \(context), expected \(ids.count) (expected ids \(ids.prefix(20))..., ran \(ran.prefix(20))...)")
        }
        let i = ran.indices.first { ran[$0] != ids[$0] }!
        fail("destructor \(i) \(context) was of value \(ran[i]), expected \(ids[i]) (newest first, an array's elements in order)")
    }

    // MARK: scopes and reset

    func openScope(_ arena: borrowing Arena, depth: Int) {
        current = "open a scope at depth \(depth + 1)"
        deepest = max(deepest, depth + 1)
        frames.append(Frame(liveBytesAtOpen: arena.statistics().liveBytes, liveRequestedAtOpen: liveRequestedBytes,
                            paddingBoundAtOpen: paddingBound))
        do {
            try arena.withScope { scope throws(ScopeExit) in
                if scope.statistics().scopeDepth != depth + 1 {
                    fail("a new scope is at depth \(scope.statistics().scopeDepth), expected \(depth + 1)")
                }
                var exit: ScopeExit?
                do throws(ScopeExit) { try runScope(scope, depth: depth + 1) } catch { exit = error }
                if !failed { checkFrame(frames.count - 1, scope, "just before the end of its scope") }
                if let exit { throw exit }
            }
        } catch {}
        guard !failed else { return }
        current += "; its end"
        let frame = frames.removeLast()
        scopesEnded += 1
        expectDestroyed(frame.typed.reversed().flatMap(\.ids), "at the end of a scope at depth \(depth + 1)")
        forget(frame)
        liveRequestedBytes = frame.liveRequestedAtOpen
        paddingBound = frame.paddingBoundAtOpen
        let s = arena.statistics()
        if s.liveBytes != frame.liveBytesAtOpen {
            fail("liveBytes is \(s.liveBytes) after a scope ended, \(frame.liveBytesAtOpen) when it began")
        }
        // The enclosing scope's blocks are the ones a faulty scope end would touch (poisoning from the wrong
        // cursor, a chunk released too many): check them all now; the rest at the next full check.
        if !failed { checkFrame(frames.count - 1, arena, "after the end of its child scope") }
    }

    /// Drops a frame's allocations from the model (their scope ended or the arena was reset).
    func forget(_ frame: Frame) {
        intervals.remove(startingAt: frame.raw.map { Int(bitPattern: $0.address) }
            + frame.typed.filter { $0.byteCount > 0 }.map { Int(bitPattern: $0.address) })
        staleHandles.append(contentsOf: frame.typed.suffix(16).map(\.handle))
        if staleHandles.count > 64 { staleHandles.removeFirst(staleHandles.count - 64) }
    }

    func reset(_ arena: inout Arena) {
        current = "reset"
        let before = arena.statistics()
        let frame = frames[0]
        let largestBlock = (frame.raw.map(\.byteCount) + frame.typed.map(\.byteCount)).max() ?? 0
        arena.reset()
        resets += 1
        expectDestroyed(frame.typed.reversed().flatMap(\.ids), "by reset()")
        forget(frame)
        frames[0] = Frame()
        liveRequestedBytes = 0
        paddingBound = 0
        guard !failed else { return }
        let s = arena.statistics()
        let held = before.chunkCount + before.spareChunkCount
        if s.liveBytes != 0 || s.resets != resets || s.spareChunkCount != 0 || s.chunkCount != min(held, 1) {
            return fail("after reset: \(s.liveBytes) live bytes, \(s.resets) resets, \(s.chunkCount) chunks and \(s.spareChunkCount) spares (held \(held) chunks before)")
        }
        if s.chunksUnmapped - before.chunksUnmapped != max(held - 1, 0) || s.chunksMapped != before.chunksMapped {
            return fail("reset unmapped \(s.chunksUnmapped - before.chunksUnmapped) of \(held) chunks and mapped \(s.chunksMapped - before.chunksMapped)")
        }
        guard held > 0 else { return }
        // Reset keeps the largest chunk: at least the mean of those held, and at least the chunk that held the
        // largest live block.
        if s.heapBytes > before.heapBytes || s.heapBytes * held < before.heapBytes {
            return fail("reset kept a chunk of \(s.heapBytes) bytes out of \(held) chunks of \(before.heapBytes) bytes: not the largest")
        }
        if largestBlock > 0, s.heapBytes < ArenaBudget.minimumChunkBytes(byteCount: largestBlock, alignment: 1) {
            return fail("reset kept a chunk of \(s.heapBytes) bytes; a live block of \(largestBlock) bytes was in a larger one")
        }
        // The kept chunk serves what follows: a small request maps nothing.
        current = "reset, then a small request"
        allocateRaw(arena, byteCount: 64, alignment: 16, depth: 0)
        if arena.statistics().chunksMapped != s.chunksMapped { fail("the first request after reset mapped a chunk") }
    }

    // MARK: checks

    func afterOperation(_ arena: borrowing Arena, depth: Int) {
        guard !failed else { return }
        let s = arena.statistics()
        peakLiveBytes = max(peakLiveBytes, s.liveBytes)
        if s.bytesAllocated != requestedBytes { return fail("bytesAllocated is \(s.bytesAllocated), the model requested \(requestedBytes)") }
        if s.liveBytes < liveRequestedBytes || s.liveBytes > liveRequestedBytes + paddingBound {
            return fail("liveBytes \(s.liveBytes) outside [\(liveRequestedBytes), \(liveRequestedBytes + paddingBound)] (live requested bytes, plus padding)")
        }
        if s.peakLiveBytes != peakLiveBytes { return fail("peakLiveBytes is \(s.peakLiveBytes), the largest liveBytes seen \(peakLiveBytes)") }
        if s.scopeDepth != depth || s.scopesEnded != scopesEnded || s.resets != resets {
            return fail("depth \(s.scopeDepth), \(s.scopesEnded) scope ends, \(s.resets) resets; the model has \(depth), \(scopesEnded), \(resets)")
        }
        if let problem = budget.checkConsistency(s) { return fail(problem) }
        if !tracker.destroyedOrder.isEmpty { return fail("destructors ran for values \(tracker.destroyedOrder.prefix(20)) whose scope is open") }
        if tracker.live != trackedAlive || tracker.created != nextId {
            return fail("\(tracker.live) tracked values alive and \(tracker.created) made; the model has \(trackedAlive) and \(nextId)")
        }
        if operations >= nextFullCheck {
            nextFullCheck = operations + settings.fullCheckInterval
            checkEverything(arena)
        }
    }

    func checkEverything(_ arena: borrowing Arena) {
        fullChecks += 1
        arena.checkInvariants()
        for f in frames.indices {
            checkFrame(f, arena, "at a full check")
            if failed { return }
        }
        let ranges = frames.reduce(0) { $0 + $1.raw.count + $1.typed.filter { $0.byteCount > 0 }.count }
        if intervals.count != ranges { return fail("the model has \(intervals.count) live ranges for \(ranges) blocks") }
        for handle in staleHandles where isLive(handle, arena) {
            return fail("a handle whose scope ended is still live: \(describe(handle))")
        }
    }

    func checkFrame(_ f: Int, _ arena: borrowing Arena, _ context: String) {
        for block in frames[f].raw {
            guard checkRaw(block, depth: f, context) else { return }
        }
        for block in frames[f].typed {
            guard checkTyped(block, depth: f, arena, context) else { return }
        }
    }

    func checkRaw(_ block: RawBlock, depth: Int, _ context: String) -> Bool {
        guard let bad = pattern.firstMismatch(block.address, byteCount: block.byteCount, offset: block.offset) else { return true }
        let found = block.address.load(fromByteOffset: bad, as: UInt8.self)
        let expected = pattern.window(block.offset).load(fromByteOffset: bad, as: UInt8.self)
        fail("\(context): byte \(bad) of the \(block.byteCount) B block at \(block.address) (operation \(block.operation), depth \(depth)) is \(hex(found)), expected \(hex(expected))")
        return false
    }

    func isLive(_ handle: Handle, _ arena: borrowing Arena) -> Bool {
        switch handle {
        case let .object(p): arena.isLive(p)
        case let .token(p): arena.isLive(p)
        case let .objects(b): arena.isLive(b)
        case let .tokens(b): arena.isLive(b)
        case let .records(b): arena.isLive(b)
        case let .word(p): arena.isLive(p)
        case let .pairs(b): arena.isLive(b)
        }
    }

    /// The typed allocation's bytes are as made, then its values read through the arena are the model's.
    func checkTyped(_ block: TypedBlock, depth: Int, _ arena: borrowing Arena, _ context: String) -> Bool {
        var subject: String { "the \(block.byteCount) B typed allocation at \(block.address) (operation \(block.operation), depth \(depth))" }
        let now = UnsafeRawBufferPointer(start: block.address, count: block.byteCount)
        let same = block.byteCount == 0 || block.bytes.withUnsafeBytes { memcmp(block.address, $0.baseAddress!, block.byteCount) == 0 }
        if !same, let bad = now.indices.first(where: { now[$0] != block.bytes[$0] }) {
            fail("\(context): byte \(bad) of \(subject) is \(hex(now[bad])), expected \(hex(block.bytes[bad]))")
            return false
        }
        guard isLive(block.handle, arena) else {
            fail("\(context): isLive is false for \(subject)")
            return false
        }
        var found: [Int] = []
        switch block.handle {
        case let .object(p):
            found = [arena[p].id]
        case let .token(p):
            found = [arena[p].id]
        case let .objects(b):
            found = arena.elements(b).map(\.id)
        case let .tokens(b):
            let elements = arena.elements(b)
            found = elements.indices.map { elements[$0].id }
        case let .records(b):
            let elements = arena.elements(b)
            for (i, record) in elements.enumerated() where record.stamp != SIMD2(block.stamp &+ UInt64(i), UInt64(block.ids[i])) {
                fail("\(context): element \(i) of \(subject) has stamp \(record.stamp)")
                return false
            }
            found = elements.map(\.tracked.id)
        case let .word(p):
            if arena[p] != block.stamp {
                fail("\(context): \(subject) reads \(arena[p]), expected \(block.stamp)")
                return false
            }
        case let .pairs(b):
            if let i = arena.elements(b).firstIndex(where: { $0 != SIMD2(block.stamp, ~block.stamp) }) {
                fail("\(context): element \(i) of \(subject) reads \(arena.elements(b)[i])")
                return false
            }
        }
        if found != block.ids {
            fail("\(context): \(subject) holds values \(found.prefix(20)), expected \(block.ids.prefix(20))")
            return false
        }
        return true
    }

    func describe(_ handle: Handle) -> String {
        func stamped(_ kind: String, _ address: UnsafeRawPointer, _ generation: UInt64, _ depth: Int) -> String {
            "\(kind) at \(address) (generation \(generation), depth \(depth))"
        }
        return switch handle {
        case let .object(p): stamped("Tracked", p.unsafeAddress, p.generation, p.depth)
        case let .token(p): stamped("TrackedToken", p.unsafeAddress, p.generation, p.depth)
        case let .objects(b): stamped("[Tracked]", b.unsafeBaseAddress, b.generation, b.depth)
        case let .tokens(b): stamped("[TrackedToken]", b.unsafeBaseAddress, b.generation, b.depth)
        case let .records(b): stamped("[AlignedRecord]", b.unsafeBaseAddress, b.generation, b.depth)
        case let .word(p): stamped("UInt64", p.unsafeAddress, p.generation, p.depth)
        case let .pairs(b): stamped("[SIMD2<UInt64>]", b.unsafeBaseAddress, b.generation, b.depth)
        }
    }

    /// Which live block starts at `start`, for failure messages.
    func describeBlock(at start: Int) -> String {
        for (f, frame) in frames.enumerated() {
            if let b = frame.raw.first(where: { Int(bitPattern: $0.address) == start }) {
                return "(raw, \(b.byteCount) B, operation \(b.operation), depth \(f))"
            }
            if let t = frame.typed.first(where: { Int(bitPattern: $0.address) == start }) {
                return "(typed, \(t.byteCount) B, operation \(t.operation), depth \(f))"
            }
        }
        return "(not in the model)"
    }

    // MARK: report

    /// Runs the oracle, prints the summary, and asserts that the run went through what it is meant to.
    func runAndCheck(file: StaticString = #filePath, line: UInt = #line) {
        run()
        print(summary)
        guard !failed else { return }
        XCTAssertEqual(operations, settings.operations, "\(label): every operation ran", file: file, line: line)
        XCTAssertGreaterThan(scopesEnded, settings.operations / 100, "\(label): many scopes ended", file: file, line: line)
        XCTAssertGreaterThan(resets, settings.operations / 2000, "\(label): resets happened", file: file, line: line)
        XCTAssertGreaterThan(destructorsChecked, settings.operations / 20, "\(label): destructors ran", file: file, line: line)
        XCTAssertGreaterThan(scopesLeftByThrow, 0, "\(label): scopes left by a throw", file: file, line: line)
        XCTAssertGreaterThan(deepest, 3, "\(label): nested scopes", file: file, line: line)
        if budget.limitBytes != nil {
            XCTAssertGreaterThan(outOfMemoryErrors, 0, "\(label): the limit was reached", file: file, line: line)
        }
    }

    var summary: String {
        "stress: \(label): \(operations) operations, \(fullChecks) full checks, \(rawAllocations) raw and \(typedAllocations) typed allocations, \(destructorsChecked) destructors checked, \(scopesEnded) scope ends (\(scopesLeftByThrow) by a throw, deepest \(deepest)), \(resets) resets, \(outOfMemoryErrors) out-of-memory errors, \(invalidRequests) invalid requests, peak \(peakLiveBytes) live bytes"
    }
}

func hex(_ value: Int) -> String { "0x" + String(value, radix: 16) }
func hex(_ value: UInt8) -> String { "0x" + String(value, radix: 16) }
