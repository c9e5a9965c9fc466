import HeapLabCore

/// server: a long-lived LRU cache serving a stream of requests, each of which makes short-lived garbage. The
/// case that debates about garbage collection versus ownership are about; per-request latency is its figure.
///
/// The cache (all in the managed heap): a root object (buckets, most- and least-recently-used entry), a bucket
/// array of 2^k reference slots (k the smallest with 2^k >= `entries`), and per entry an entry object (LRU prev,
/// LRU next, hash-chain next, value; key in its payload) and a value object of `valueBytes / 2` to
/// `3 * valueBytes / 2` bytes whose 8-byte words are a function of (key, version). It starts full with keys
/// 0..<entries.
///
/// A request (one operation, one latency sample) draws a key from 0..<2*entries, skewed toward small keys
/// (key = 2 * entries * u^3), and is a GET (80%) or a SET (20%):
/// 1. in a request scope: it allocates a parsed request with four header objects (garbage), looks the key up,
///    and for a GET hit allocates a response buffer and copies the value into it, verifying every word;
/// 2. then, outside the request scope: a GET hit moves the entry to the front; a miss inserts the key
///    (entry + value) and evicts the least recently used entry when the cache is full; a SET replaces the
///    value by a new one with the next version (the old value becomes garbage) or inserts the key.
/// An independent oracle (a Swift array of each key's current version) checks every value read. At the end
/// the LRU list and the hash chains must both hold exactly `min(distinct keys, entries)` entries.
///
/// Lifetimes per model: request garbage is dropped at the end of step 1 (malloc: `dropTree` of the parsed
/// request, `free` of the response; ARC: last references go; collector: unrooted). Evicted entries and
/// replaced values are freed at once by malloc, released by ARC (LRU prev and next are strong, as in a
/// hand-written Swift LRU: eviction unlinks both ways, and teardown breaks every link before the final drop,
/// which is what keeps ARC from leaking the list), and found by a collector.
///
/// The arena (`Reclamation.region`): each request's garbage lives in the request's scope, but the cache does
/// not nest in any request, and evicted entries and replaced values can not be freed one by one. The
/// workaround, as a Rust programmer would write it with a bump arena: the cache lives in a *generation* scope;
/// every `rebuildInterval` requests the surviving entries are copied out to a staging buffer (plain Swift
/// arrays), the generation scope ends (freeing the old cache and all its dead entries at once, logged as a
/// stall), and the cache is rebuilt from the staging buffer, in LRU order, in a new scope. The outcome's notes
/// say so; `rebuilds` and `bytesCopiedInRebuilds` measure its cost.
public struct Server: Workload {
    public static let name = "server"
    public static let summary = "long-lived LRU cache of N entries serving requests that make short-lived garbage (per-request latency)"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("entries", default: 1_000_000, test: 2_000, range: 1...100_000_000, help: "cache capacity, entries"),
        WorkloadParameter("requests", default: 2_000_000, test: 20_000, range: 0...1_000_000_000, help: "requests served"),
        WorkloadParameter("valueBytes", default: 256, test: 64, range: 16...1_048_576, help: "mean value payload, bytes (uniform in [v/2, 3v/2], multiple of 8)"),
        WorkloadParameter("rebuildInterval", default: 100_000, test: 3_000, range: 1...1_000_000_000, help: "requests per cache generation (arena only)"),
        WorkloadParameter("seed", default: 42, test: 42, range: 0...Int.max, help: "random seed"),
    ]

    // Slots of the cache root, of an entry.
    @usableFromInline static let rootBuckets = 0, rootHead = 1, rootTail = 2
    @usableFromInline static let entryPrev = 0, entryNext = 1, entryChain = 2, entryValue = 3
    @inlinable static var rootShape: ObjectShape { ObjectShape(referenceSlots: 3, payloadBytes: 0) }
    @inlinable static var entryShape: ObjectShape { ObjectShape(referenceSlots: 4, payloadBytes: 8) }
    @inlinable static var requestShape: ObjectShape { ObjectShape(referenceSlots: 1, payloadBytes: 64) }
    @inlinable static var headerShape: ObjectShape { ObjectShape(referenceSlots: 1, payloadBytes: 32) }

    public let entries: Int
    public let requests: Int
    public let valueBytes: Int
    public let rebuildInterval: Int
    public let seed: UInt64
    /// log2 of the bucket count.
    public let bucketBits: Int

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        entries = p["entries"]!
        requests = p["requests"]!
        valueBytes = p["valueBytes"]! & ~7
        rebuildInterval = p["rebuildInterval"]!
        seed = UInt64(p["seed"]!)
        var bits = 0
        while 1 << bits < entries { bits += 1 }
        bucketBits = bits
    }

    /// The 8-byte word `index` of the value of `key` at `version` (words 0 and 1 are the key and version).
    @inlinable
    static func word(key: UInt64, version: UInt64, index: Int) -> UInt64 {
        switch index {
        case 0: return key
        case 1: return version
        default:
            var z = key &* 0x9E37_79B9_7F4A_7C15 &+ version &* 0xBF58_476D_1CE4_E5B9 &+ UInt64(index)
            z ^= z >> 31
            return z
        }
    }

    /// The value size of `key`, a function of the key so rebuilt values keep their size.
    @inlinable
    func valueSize(key: UInt64) -> Int {
        var r = SplitMix64(seed: key ^ 0x5EED)
        return valueBytes / 2 + (r.next(below: valueBytes / 8 + 1) * 8)
    }

    @inlinable
    func bucket(_ key: UInt64) -> Int { bucketBits == 0 ? 0 : Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bucketBits)) }

    /// The cache's contents outside the managed heap, between two generations (arena only): each entry's key
    /// and value length (bytes), and the values' words one after the other. In malloc'd buffers, so that a
    /// refused allocation is the run's `outOfMemory` (see `StagingWords`).
    @usableFromInline
    struct Staging {
        @usableFromInline let keys = StagingWords()
        @usableFromInline let lengths = StagingWords()
        @usableFromInline let words = StagingWords()
        @usableFromInline init() {}
    }

    /// Counters of one run.
    @usableFromInline
    struct Tally {
        @usableFromInline var checksum: UInt64 = 0
        @usableFromInline var hits = 0, misses = 0, sets = 0, evictions = 0
        @usableFromInline var count = 0
        @usableFromInline var liveBytes = 0
        @usableFromInline var rebuilds = 0, bytesCopied = 0
        @usableFromInline init() {}
    }

    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        try run(on: m, context: context, stop: nil)
    }

    /// The server on one thread's manager, checking `stop` before every request, so that one thread of
    /// `mt-server` on the arena ends soon after another has failed (nil: never stopped; the check folds away).
    ///
    /// - Throws: as `run(on:context:)`, and `ThreadStopped` when `stop` was raised.
    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext, stop: StopSignal?) throws -> WorkloadOutcome {
        var rng = SplitMix64(seed: seed)
        var versions = [UInt32](repeating: 0, count: 2 * entries)  // the oracle: each key's current version
        var tally = Tally()
        var staging: Staging? = nil
        var served = 0
        let generation = m.reclamation == .region ? rebuildInterval : Int.max
        repeat {
            var stall = StallToken(start: 0)
            try m.withScope {
                let mark = m.rootDepth
                // The arena's rebuild and copy-out stop the program as a collector's pause would: logged as
                // stalls (the scope end between them is logged by the arena itself).
                let root = staging == nil ? try buildCache(m, from: nil, versions: versions, tally: &tally)
                    : try context.pauseLog.measureStall("generation rebuild") {
                        try buildCache(m, from: staging, versions: versions, tally: &tally)
                    }
                m.pushRoot(root)
                let end = served + min(generation, requests - served)
                while served < end {
                    try stop?.check()
                    try context.operation { try serve(m, root, rng: &rng, versions: &versions, tally: &tally) }
                    served += 1
                    context.sampleMemory(liveBytes: tally.liveBytes)
                }
                try verify(m, root, tally: tally)
                if served < requests {
                    staging = try context.pauseLog.measureStall("generation copy-out") { () throws(AllocationError) in
                        try copyOut(m, root, tally: &tally)
                    }
                    tally.rebuilds += 1
                    m.popRoots(to: mark)
                    stall = context.beginDrop(on: m)  // ends when the scope has freed the generation
                } else {
                    m.popRoots(to: mark)
                    stall = context.beginDrop(on: m)
                    teardown(m, root)
                }
            }
            context.endDrop(stall, served < requests ? "cache generation" : "cache teardown")
        } while served < requests
        context.sampleMemory(liveBytes: 0, force: true)

        var notes: [String] = []
        switch m.reclamation {
        case .region:
            notes.append("arena workaround: the cache lives in a generation scope; every \(rebuildInterval) requests the survivors are copied to a staging buffer, the scope ends, and the cache is rebuilt in a new scope (\(tally.rebuilds) rebuilds)")
        case .referenceCounting:
            notes.append("reference counting: LRU links are strong; eviction unlinks both ways and teardown breaks every link before the drop")
        case .tracing, .explicitFree:
            break
        }
        return WorkloadOutcome(
            checksum: tally.checksum,
            metrics: ["requests": Double(requests), "hits": Double(tally.hits), "misses": Double(tally.misses),
                      "sets": Double(tally.sets), "evictions": Double(tally.evictions), "entries": Double(tally.count),
                      "rebuilds": Double(tally.rebuilds), "bytesCopiedInRebuilds": Double(tally.bytesCopied)],
            notes: notes)
    }

    // MARK: the cache

    /// Makes the cache: full with keys 0..<entries at their oracle versions, or rebuilt from `staging` (whose
    /// entries are in LRU order, least recent first). Returns the unrooted root: the caller roots it.
    @inlinable
    func buildCache<M: MemoryManager>(_ m: M, from staging: Staging?, versions: [UInt32], tally: inout Tally) throws -> M.Ref {
        let mark = m.rootDepth
        let root = try m.allocate(Self.rootShape)
        m.pushRoot(root)
        let buckets = try m.allocate(ObjectShape(referenceSlots: 1 << bucketBits, payloadBytes: 0))
        m.store(root, slot: Self.rootBuckets, buckets)
        tally.count = 0
        tally.liveBytes = Self.rootShape.bytes + (1 << bucketBits) * 8
        if let staging {
            var offset = 0
            for i in 0..<staging.keys.count {
                let key = staging.keys[i], length = Int(staging.lengths[i])
                try insert(m, root, key: key, tally: &tally) { value in
                    for w in 0..<(length / 8) { m.storePayload(value, byteOffset: w * 8, staging.words[offset + w]) }
                }
                offset += length / 8
                tally.bytesCopied += length
            }
        } else {
            for key in 0..<UInt64(entries) {
                let version = UInt64(versions[Int(key)])
                try insert(m, root, key: key, tally: &tally) { value in fill(m, value, key: key, version: version) }
            }
        }
        m.popRoots(to: mark)
        return root
    }

    /// Writes the words of (key, version) into `value`.
    @inlinable
    func fill<M: MemoryManager>(_ m: M, _ value: M.Ref, key: UInt64, version: UInt64) {
        for w in 0..<(valueSize(key: key) / 8) {
            m.storePayload(value, byteOffset: w * 8, Self.word(key: key, version: version, index: w))
        }
    }

    /// Finds the entry of `key`, or nil.
    @inlinable
    func lookup<M: MemoryManager>(_ m: M, _ root: M.Ref, key: UInt64) -> M.Ref? {
        var cursor = m.load(m.load(root, slot: Self.rootBuckets)!, slot: bucket(key))
        while let entry = cursor {
            if m.loadPayload(entry, byteOffset: 0, as: UInt64.self) == key { return entry }
            cursor = m.load(entry, slot: Self.entryChain)
        }
        return nil
    }

    /// Inserts `key` at the front (most recent) with a new value written by `write`; evicts the least recently
    /// used entry when the cache is over capacity.
    @inlinable
    func insert<M: MemoryManager>(_ m: M, _ root: M.Ref, key: UInt64, tally: inout Tally,
                                  write: (M.Ref) -> Void) throws {
        let mark = m.rootDepth
        let entry = try m.allocate(Self.entryShape)
        m.pushRoot(entry)
        let size = valueSize(key: key)
        let value = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: size))
        m.store(entry, slot: Self.entryValue, value)
        write(value)
        m.storePayload(entry, byteOffset: 0, key)
        let buckets = m.load(root, slot: Self.rootBuckets)!
        let b = bucket(key)
        m.store(entry, slot: Self.entryChain, m.load(buckets, slot: b))
        m.store(buckets, slot: b, entry)
        linkFront(m, root, entry)
        m.popRoots(to: mark)
        tally.count += 1
        tally.liveBytes += Self.entryShape.bytes + size
        if tally.count > entries { evict(m, root, tally: &tally) }
    }

    /// Links a detached entry in front of the LRU list.
    @inlinable
    func linkFront<M: MemoryManager>(_ m: M, _ root: M.Ref, _ entry: M.Ref) {
        let head = m.load(root, slot: Self.rootHead)
        m.store(entry, slot: Self.entryPrev, nil)
        m.store(entry, slot: Self.entryNext, head)
        if let head { m.store(head, slot: Self.entryPrev, entry) } else { m.store(root, slot: Self.rootTail, entry) }
        m.store(root, slot: Self.rootHead, entry)
    }

    /// Detaches an entry from the LRU list, clearing both of its links.
    @inlinable
    func unlink<M: MemoryManager>(_ m: M, _ root: M.Ref, _ entry: M.Ref) {
        let prev = m.load(entry, slot: Self.entryPrev), next = m.load(entry, slot: Self.entryNext)
        if let prev { m.store(prev, slot: Self.entryNext, next) } else { m.store(root, slot: Self.rootHead, next) }
        if let next { m.store(next, slot: Self.entryPrev, prev) } else { m.store(root, slot: Self.rootTail, prev) }
        m.store(entry, slot: Self.entryPrev, nil)
        m.store(entry, slot: Self.entryNext, nil)
    }

    /// Removes the least recently used entry from the list and its hash chain, and frees it with its value.
    @inlinable
    func evict<M: MemoryManager>(_ m: M, _ root: M.Ref, tally: inout Tally) {
        let victim = m.load(root, slot: Self.rootTail)!
        unlink(m, root, victim)
        let key = m.loadPayload(victim, byteOffset: 0, as: UInt64.self)
        let buckets = m.load(root, slot: Self.rootBuckets)!
        let b = bucket(key)
        var previous: M.Ref? = nil
        var cursor = m.load(buckets, slot: b)
        while let entry = cursor, entry != victim {
            previous = entry
            cursor = m.load(entry, slot: Self.entryChain)
        }
        precondition(cursor != nil, "server: evicted entry \(key) is missing from its hash chain")
        let after = m.load(victim, slot: Self.entryChain)
        if let previous { m.store(previous, slot: Self.entryChain, after) } else { m.store(buckets, slot: b, after) }
        m.store(victim, slot: Self.entryChain, nil)
        let value = m.load(victim, slot: Self.entryValue)!
        tally.liveBytes -= Self.entryShape.bytes + m.shape(of: value).payloadBytes
        tally.count -= 1
        tally.evictions += 1
        if m.reclamation.freesBeforeScopeEnd {
            m.free(value)
            m.free(victim)
        }
    }

    // MARK: a request

    @inlinable
    func serve<M: MemoryManager>(_ m: M, _ root: M.Ref, rng: inout SplitMix64, versions: inout [UInt32],
                                 tally: inout Tally) throws {
        let keySpace = 2 * entries
        let u = rng.nextUnit()
        let key = UInt64(min(keySpace - 1, Int(Double(keySpace) * u * u * u)))
        let isSet = rng.next(below: 100) < 20

        // Step 1, in the request's scope: parse (garbage), look up, respond.
        let hit: Bool = try m.withScope {
            let mark = m.rootDepth
            let request = try m.allocate(Self.requestShape)
            m.pushRoot(request)
            m.storePayload(request, byteOffset: 0, key)
            for h in 0..<4 {
                let header = try m.allocate(Self.headerShape)
                m.storePayload(header, byteOffset: 0, UInt64(h) &+ key)
                m.store(header, slot: 0, m.load(request, slot: 0))
                m.store(request, slot: 0, header)
            }
            let entry = lookup(m, root, key: key)
            if !isSet, let entry {
                m.pushRoot(entry)
                let size = m.shape(of: m.load(entry, slot: Self.entryValue)!).payloadBytes
                let response = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: size + 64))
                // Loaded after the allocation: only rooted references are held across one.
                let value = m.load(entry, slot: Self.entryValue)!
                let version = UInt64(versions[Int(key)])
                var digest: UInt64 = 0
                for w in 0..<(size / 8) {
                    let x = m.loadPayload(value, byteOffset: w * 8, as: UInt64.self)
                    guard x == Self.word(key: key, version: version, index: w) else {
                        throw WorkloadFailure("server: value of key \(key) version \(version) has a wrong word \(w)")
                    }
                    m.storePayload(response, byteOffset: 64 + w * 8, x)
                    digest = (digest ^ x) &* 0x100_0000_01B3
                }
                tally.checksum &+= digest
                if m.reclamation.freesBeforeScopeEnd { m.free(response) }
            }
            m.popRoots(to: mark)
            if m.reclamation.freesBeforeScopeEnd { m.dropTree(request) }
            return entry != nil
        }

        // Step 2, outside the request's scope: the cache changes (allocations here belong to the cache).
        if isSet {
            tally.sets += 1
            versions[Int(key)] &+= 1
            let version = UInt64(versions[Int(key)])
            if let entry = lookup(m, root, key: key) {
                let mark = m.rootDepth
                m.pushRoot(entry)
                let value = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: valueSize(key: key)))
                fill(m, value, key: key, version: version)
                let old = m.load(entry, slot: Self.entryValue)!
                m.store(entry, slot: Self.entryValue, value)
                if m.reclamation.freesBeforeScopeEnd { m.free(old) }
                unlink(m, root, entry)
                linkFront(m, root, entry)
                m.popRoots(to: mark)
            } else {
                try insert(m, root, key: key, tally: &tally) { value in fill(m, value, key: key, version: version) }
            }
        } else if hit {
            tally.hits += 1
            let entry = lookup(m, root, key: key)!
            unlink(m, root, entry)
            linkFront(m, root, entry)
        } else {
            tally.misses += 1
            let version = UInt64(versions[Int(key)])
            try insert(m, root, key: key, tally: &tally) { value in fill(m, value, key: key, version: version) }
        }
    }

    // MARK: checks, generations, teardown

    /// The LRU list (both directions) and the hash chains must each hold exactly `tally.count` entries.
    @inlinable
    func verify<M: MemoryManager>(_ m: M, _ root: M.Ref, tally: Tally) throws {
        var forward = 0
        var cursor = m.load(root, slot: Self.rootHead)
        while let entry = cursor { forward += 1; cursor = m.load(entry, slot: Self.entryNext) }
        var backward = 0
        cursor = m.load(root, slot: Self.rootTail)
        while let entry = cursor { backward += 1; cursor = m.load(entry, slot: Self.entryPrev) }
        var chained = 0
        let buckets = m.load(root, slot: Self.rootBuckets)!
        for b in 0..<(1 << bucketBits) {
            cursor = m.load(buckets, slot: b)
            while let entry = cursor { chained += 1; cursor = m.load(entry, slot: Self.entryChain) }
        }
        guard forward == tally.count, backward == tally.count, chained == tally.count,
              tally.count == min(entries, tally.count) else {
            throw WorkloadFailure("server: cache holds \(forward) entries forward, \(backward) backward, \(chained) in chains; expected \(tally.count)")
        }
    }

    /// Copies every entry out, least recently used first (arena generations).
    /// - Throws: `AllocationError` when the staging buffers can not be allocated.
    @inlinable
    func copyOut<M: MemoryManager>(_ m: M, _ root: M.Ref, tally: inout Tally) throws(AllocationError) -> Staging {
        let staging = Staging()
        try staging.keys.reserve(tally.count)
        try staging.lengths.reserve(tally.count)
        var cursor = m.load(root, slot: Self.rootTail)
        while let entry = cursor {
            try staging.keys.append(m.loadPayload(entry, byteOffset: 0, as: UInt64.self))
            let value = m.load(entry, slot: Self.entryValue)!
            let size = m.shape(of: value).payloadBytes
            try staging.lengths.append(UInt64(size))
            for w in 0..<(size / 8) { try staging.words.append(m.loadPayload(value, byteOffset: w * 8, as: UInt64.self)) }
            tally.bytesCopied += size
            cursor = m.load(entry, slot: Self.entryPrev)
        }
        return staging
    }

    /// Drops the whole cache at the end of the run, the way each model drops a structure that is not a tree.
    @inlinable
    func teardown<M: MemoryManager>(_ m: M, _ root: M.Ref) {
        guard m.reclamation.dropsStall else { return }  // collector: unrooted; arena: the scope end frees it
        var cursor = m.load(root, slot: Self.rootHead)
        m.store(root, slot: Self.rootHead, nil)
        m.store(root, slot: Self.rootTail, nil)
        if m.reclamation == .referenceCounting {
            // Break the LRU cycles; what remains (root, buckets, chains, values) is a tree.
            while let entry = cursor {
                cursor = m.load(entry, slot: Self.entryNext)
                m.store(entry, slot: Self.entryPrev, nil)
                m.store(entry, slot: Self.entryNext, nil)
            }
            m.dropTree(root)
        } else {
            while let entry = cursor {
                cursor = m.load(entry, slot: Self.entryNext)
                m.free(m.load(entry, slot: Self.entryValue)!)
                m.free(entry)
            }
            m.free(m.load(root, slot: Self.rootBuckets)!)
            m.free(root)
        }
    }
}
