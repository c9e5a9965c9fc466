import HeapLabCore

/// The live set of a workload whose objects die at random times (fragmentation, large-objects): a rooted
/// table object in the managed heap whose reference slots hold the live objects, and Swift-side bookkeeping
/// (sizes, ids, death times in a min-heap, free slots) that holds no references.
///
/// Every object is slot-less, `size` payload bytes (at least 16): its first word is its id, its last word the
/// id's complement, so that a freed-early or overwritten object is caught when it dies (`expire`).
///
/// Holding the objects in a managed table (not a Swift array) is what makes the workloads correct on a precise
/// collector: the table is rooted, so everything in it survives collections, and an emptied slot is all it
/// takes for an object to become garbage.
///
/// The arena (`Reclamation.region`) can not free a single object, and random lifetimes do not nest. Its
/// workaround is `copyOut` / `rebuild`: the workload runs in generation scopes; at the end of each, every
/// live object's bytes are copied to a Swift staging buffer, the scope ends (freeing everything, dead or
/// alive, at once), and the table is rebuilt in the next scope with the same slots, ids and death times.
@usableFromInline
struct LiveObjectTable {
    /// Payload bytes per slot; 0 for an empty slot. (Int32: objects here are at most 8 MiB; bookkeeping is
    /// kept small because it is resident memory that is not live bytes.)
    @usableFromInline var sizes: [Int32]
    @usableFromInline var ids: [UInt64]
    @usableFromInline var freeSlots: [Int32]
    /// (death time, slot), smallest death first.
    @usableFromInline var deaths: MinHeap
    @usableFromInline var liveBytes = 0
    @usableFromInline var liveObjects = 0
    @usableFromInline var nextID: UInt64 = 1
    /// Objects not stored because the table was full (freed at once).
    @usableFromInline var rejected = 0
    /// Sum of the ids of objects verified at their death.
    @usableFromInline var checksum: UInt64 = 0
    @usableFromInline var bytesCopied = 0

    @usableFromInline var capacity: Int { sizes.count }

    /// Bytes this bookkeeping takes outside the managed heap (Swift arrays), plus the table object's slots:
    /// the same on every manager, part of resident memory but not of the live bytes.
    @usableFromInline var bookkeepingBytes: Int {
        capacity * (MemoryLayout<Int32>.stride * 2 + MemoryLayout<UInt64>.stride + 8)
            + deaths.items.capacity * MemoryLayout<(death: Int, slot: Int)>.stride
    }

    @inlinable
    init(capacity: Int) {
        precondition(capacity <= Int(Int32.max), "LiveObjectTable: capacity \(capacity) exceeds Int32")
        sizes = [Int32](repeating: 0, count: capacity)
        ids = [UInt64](repeating: 0, count: capacity)
        freeSlots = (0..<Int32(capacity)).reversed()
        deaths = MinHeap()
    }

    /// Allocates the (empty) table object; the caller roots it.
    @inlinable
    func makeTable<M: MemoryManager>(_ m: M) throws -> M.Ref {
        try m.allocate(ObjectShape(referenceSlots: capacity, payloadBytes: 0))
    }

    /// Allocates one object of `size` bytes (>= 16, a multiple of 8) that dies at `death`, stores it in the
    /// table, and writes `touchStride`-spaced words into it (the first and last always). Returns false when
    /// the table was full (the object was dropped at once).
    @inlinable
    mutating func add<M: MemoryManager>(_ m: M, table: M.Ref, size: Int, death: Int, touchStride: Int = 0) throws -> Bool {
        precondition(size >= 16 && size % 8 == 0 && size <= Int(Int32.max),
                     "LiveObjectTable: object size \(size) must be >= 16, a multiple of 8 and below 2 GiB")
        let object = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: size))
        let id = nextID
        nextID &+= 1
        m.storePayload(object, byteOffset: 0, id)
        m.storePayload(object, byteOffset: size - 8, ~id)
        if touchStride > 0 {
            var offset = touchStride
            while offset < size - 8 { m.storePayload(object, byteOffset: offset, id &+ UInt64(offset)); offset += touchStride }
        }
        guard let slot32 = freeSlots.popLast() else {
            rejected += 1
            if m.reclamation.freesBeforeScopeEnd { m.free(object) }
            return false
        }
        let slot = Int(slot32)
        m.store(table, slot: slot, object)
        sizes[slot] = Int32(size)
        ids[slot] = id
        deaths.push(death: death, slot: slot)
        liveBytes += size
        liveObjects += 1
        return true
    }

    /// Removes, verifies and frees every object whose death time is at most `now`. Returns the bytes freed.
    @inlinable
    mutating func expire<M: MemoryManager>(_ m: M, table: M.Ref, now: Int) throws -> Int {
        var freed = 0
        while let top = deaths.min, top.death <= now {
            deaths.popMin()
            let slot = top.slot
            let object = m.load(table, slot: slot)!
            let size = Int(sizes[slot]), id = ids[slot]
            guard m.loadPayload(object, byteOffset: 0, as: UInt64.self) == id,
                  m.loadPayload(object, byteOffset: size - 8, as: UInt64.self) == ~id else {
                throw WorkloadFailure("object \(id) of \(size) bytes in slot \(slot) was corrupted or freed early")
            }
            checksum &+= id
            m.store(table, slot: slot, nil)
            if m.reclamation.freesBeforeScopeEnd { m.free(object) }
            sizes[slot] = 0
            freeSlots.append(Int32(slot))
            liveBytes -= size
            liveObjects -= 1
            freed += size
        }
        return freed
    }

    /// Frees every live object, verifying each (the end of a run).
    @inlinable
    mutating func expireAll<M: MemoryManager>(_ m: M, table: M.Ref) throws {
        _ = try expire(m, table: table, now: Int.max)
    }

    /// Copies every live object's bytes out (arena generations), in slot order.
    /// - Throws: `AllocationError` when the staging buffer can not be allocated.
    @inlinable
    mutating func copyOut<M: MemoryManager>(_ m: M, table: M.Ref) throws(AllocationError) -> StagingWords {
        let words = StagingWords()
        try words.reserve(liveBytes / 8)
        for slot in 0..<capacity where sizes[slot] != 0 {
            let object = m.load(table, slot: slot)!
            for w in 0..<(Int(sizes[slot]) / 8) { try words.append(m.loadPayload(object, byteOffset: w * 8, as: UInt64.self)) }
        }
        bytesCopied += words.count * 8
        return words
    }

    /// Reallocates every live object from `words` (what `copyOut` returned) into a fresh table.
    @inlinable
    mutating func rebuild<M: MemoryManager>(_ m: M, table: M.Ref, from words: StagingWords) throws {
        var offset = 0
        for slot in 0..<capacity where sizes[slot] != 0 {
            let size = Int(sizes[slot])
            let object = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: size))
            for w in 0..<(size / 8) { m.storePayload(object, byteOffset: w * 8, words[offset + w]) }
            offset += size / 8
            m.store(table, slot: slot, object)
        }
        bytesCopied += offset * 8
    }
}

extension LiveObjectTable {
    /// Runs operations `0 ..< operations`, each one `operation(&self, table, op)`, with the table rooted in a
    /// scope, then drops the live set (logged as the "live set" stall where drops cost something).
    ///
    /// Under `Reclamation.region` (the arena) random lifetimes do not nest, so the operations run in
    /// generations of `rebuildInterval`, each in a scope of its own: at a generation's end the live objects are
    /// copied out, the scope ends (its bulk free logged as the "generation" stall), and they are reallocated in
    /// the next scope; the copy-out and the rebuild stop the program as a collector's pause would, so they are
    /// logged as stalls too. Every other manager runs all operations in one generation.
    @inlinable
    mutating func runInGenerations<M: MemoryManager>(
        on m: M, context: RunContext, operations: Int, rebuildInterval: Int,
        _ operation: (inout LiveObjectTable, M.Ref, Int) throws -> Void
    ) throws {
        var op = 0
        var staging: StagingWords? = nil
        let generation = m.reclamation == .region ? rebuildInterval : Int.max
        repeat {
            var stall = StallToken(start: 0)
            try m.withScope {
                let mark = m.rootDepth
                let table = try makeTable(m)
                m.pushRoot(table)
                if let words = staging {
                    try context.pauseLog.measureStall("generation rebuild") { try rebuild(m, table: table, from: words) }
                }
                let end = op + min(generation, operations - op)
                while op < end {
                    try operation(&self, table, op)
                    op += 1
                }
                if op < operations {
                    staging = try context.pauseLog.measureStall("generation copy-out") { () throws(AllocationError) in
                        try copyOut(m, table: table)
                    }
                    m.popRoots(to: mark)
                    stall = context.beginDrop(on: m)  // ends when the scope has freed the generation
                } else {
                    context.sampleMemory(liveBytes: liveBytes, force: true)
                    stall = context.beginDrop(on: m)
                    try expireAll(m, table: table)
                    m.popRoots(to: mark)
                    if m.reclamation.freesBeforeScopeEnd { m.free(table) }
                }
            }
            context.endDrop(stall, op < operations ? "generation" : "live set")
        } while op < operations
        context.sampleMemory(liveBytes: 0, force: true)
    }

    /// The outcome note that names the arena's workaround, or none for other managers.
    @inlinable
    func generationNotes(_ reclamation: Reclamation, rebuildInterval: Int) -> [String] {
        guard reclamation == .region else { return [] }
        return ["arena workaround: generations of \(rebuildInterval) operations in their own scopes; live objects copied out and reallocated at each generation end (\(bytesCopied) bytes copied)"]
    }
}

/// A binary min-heap of (death time, slot) pairs.
@usableFromInline
struct MinHeap {
    @usableFromInline var items: [(death: Int, slot: Int)] = []
    @inlinable init() {}

    @inlinable var min: (death: Int, slot: Int)? { items.first }
    @inlinable var count: Int { items.count }

    @inlinable
    mutating func push(death: Int, slot: Int) {
        items.append((death, slot))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].death < items[parent].death else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    @inlinable
    mutating func popMin() {
        let last = items.removeLast()
        guard !items.isEmpty else { return }
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && items[l].death < items[smallest].death { smallest = l }
            if r < items.count && items[r].death < items[smallest].death { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}
