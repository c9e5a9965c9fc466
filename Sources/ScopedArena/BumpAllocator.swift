import HeapLabCore
import Synchronization

/// The last generation number handed out to any arena of the process. Generations are unique across every
/// arena, so an `ArenaPointer` of one arena is never live in another. Arenas take them in blocks of
/// `BumpAllocator.generationBlock`, so opening a scope needs no atomic operation.
private let generationCounter = Atomic<UInt64>(0)

/// The state of one arena: the bump pointer, the chunk lists, the scope stack, the destructors, the counters.
///
/// It lives at a stable heap address that `Arena` (and `ArenaManager`) point to, so that allocation can be a
/// `borrowing` operation (as in Rust's bump allocators: allocation takes `&self`) and references into the
/// arena can depend on a borrow of it.
///
/// Invariants (checked by `checkInvariants()`, which tests call):
/// - `cursor <= limit`; both lie in `current` (`current.start ... current.end`), or both equal the sentinel
///   `Chunk.pageBytes` address when there is no current chunk. `bumpOrigin` lies in `current.start ... cursor`
///   (the sentinel when there is no chunk).
/// - `0 <= depth < generationCapacity`; `generations[0...depth]` hold the generations of the open depths.
/// - `heldBytes` is the sum of the mapping sizes of every chunk on the normal, large and spare lists;
///   `spareBytes` that of the spare list.
/// - Memory in `[cursor, limit)` is unused; every allocation made since the last scope end or reset at this
///   depth lies below `cursor` in `current`, in an older chunk of the normal list, or in a large chunk.
@usableFromInline
struct BumpAllocator {
    // MARK: hot state (the fast path reads `limit` and reads and writes `cursor`, nothing else)

    /// Next free byte of the current chunk.
    @usableFromInline var cursor: UnsafeMutableRawPointer
    /// End of the current chunk's usable bytes.
    @usableFromInline var limit: UnsafeMutableRawPointer

    // MARK: bytes allocated, derived from the cursor

    /// Where `cursor` stood when `settledBytesAllocated` was last brought up to date. Between two settlements
    /// the cursor only moves forward by bumping, so the bytes bumped since then are `cursor - bumpOrigin`.
    @usableFromInline var bumpOrigin: UnsafeMutableRawPointer
    /// Requested bytes allocated before `bumpOrigin`, minus the alignment padding bumped since it. With it,
    /// `bytesAllocated` costs the fast path no store: only a request that needs padding touches this.
    @usableFromInline var settledBytesAllocated = 0

    // MARK: objects (kept here for ArenaManager, beside the cursor)

    /// Objects `ArenaManager` allocated in this arena, cumulative (nothing else counts objects). It lives here,
    /// beside the cursor, so that the manager's fast path reaches it through the state pointer it already holds;
    /// as a stored property of the manager it cost a reload of the manager's address in every allocation loop.
    @usableFromInline var objectCount = 0
    /// Bytes `ArenaManager` added to objects to round them to 8 (touched only for sizes not a multiple of 8).
    @usableFromInline var objectPaddingBytes = 0

    // MARK: chunk lists (each newest first)

    /// The chunk being bumped; its `previous` chain holds the older bump chunks.
    @usableFromInline var current: Chunk?
    /// Chunks holding one large request each.
    @usableFromInline var large: Chunk?
    /// Released chunks kept for reuse.
    @usableFromInline var spares: Chunk?
    @usableFromInline var normalChunkCount = 0
    @usableFromInline var largeChunkCount = 0
    @usableFromInline var spareChunkCount = 0
    @usableFromInline var heldBytes = 0
    @usableFromInline var spareBytes = 0
    /// Used bytes of the bump chunks behind `current`.
    @usableFromInline var retiredUsedBytes = 0
    /// Used bytes (request plus alignment padding) in large chunks.
    @usableFromInline var largeUsedBytes = 0

    // MARK: scopes and destructors

    /// Open scopes: 0 outside every scope.
    @usableFromInline var depth = 0
    /// The generation of each open depth (index 0: the arena itself, renewed by reset), in a buffer of
    /// `generationCapacity` entries owned by this state (freed by `destroy`).
    @usableFromInline var generations: UnsafeMutablePointer<UInt64>
    @usableFromInline var generationCapacity: Int
    /// Generations reserved from `generationCounter` and not used yet: `nextFreeGeneration..<generationBlockEnd`.
    @usableFromInline var nextFreeGeneration: UInt64 = 0
    @usableFromInline var generationBlockEnd: UInt64 = 0
    /// Newest registered destructor record, or nil.
    @usableFromInline var cleanups: UnsafeMutableRawPointer?

    // MARK: counters

    @usableFromInline var wastedBytes = 0
    @usableFromInline var chunksMapped = 0
    @usableFromInline var chunksUnmapped = 0
    @usableFromInline var resets = 0
    @usableFromInline var scopesEnded = 0
    @usableFromInline var peakLiveBytes = 0
    @usableFromInline var peakHeldBytes = 0

    @usableFromInline let configuration: ArenaConfiguration

    /// The non-null address `cursor` and `limit` hold before the first chunk exists: page-aligned, so a
    /// zero-byte request with any allowed alignment fits, and below Linux's mmap_min_addr, so never mapped.
    @inlinable static var sentinel: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: Chunk.pageBytes)! }

    @usableFromInline
    init(configuration: ArenaConfiguration) {
        self.configuration = configuration
        cursor = Self.sentinel
        limit = Self.sentinel
        bumpOrigin = Self.sentinel
        generationCapacity = 16
        generations = .allocate(capacity: generationCapacity)
        generations[0] = takeGeneration()
    }

    // MARK: allocation

    /// Bump-allocates `byteCount` bytes aligned to `alignment`: the fast path, a few instructions when the
    /// cursor is already aligned and the current chunk has room.
    ///
    /// A request that needs alignment padding takes the out-of-line path, which pads within the current chunk
    /// when the request fits there (the same placement). Keeping padding out of the fast path means it needs
    /// no alignment arithmetic and no counter: `bytesAllocated` is derived from the cursor, and only padding
    /// would have to be taken out of it. (A never-taken "padding?" branch in the fast path nearly doubled the
    /// time of `Arena fill 1 MiB + reset`; Docs/Arena.md has the figures.)
    @inlinable @inline(__always)
    mutating func allocate(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        let mask = alignment &- 1
        // A power of two in 1...pageBytes: mask below a page and no bit shared with alignment. A constant
        // alignment folds this away.
        guard UInt(bitPattern: mask) < UInt(Chunk.pageBytes), alignment & mask == 0 else {
            throw .invalidRequest("alignment \(alignment) is not a power of two in 1...\(Chunk.pageBytes)")
        }
        let c = Int(bitPattern: cursor)
        // A negative byteCount fails the first test and goes to the slow path, which throws.
        if byteCount >= 0 && c & mask == 0 && byteCount <= Int(bitPattern: limit) &- c {
            // Invariant: [cursor, cursor + byteCount) lies in [cursor, limit), unused memory of `current`, and
            // cursor is aligned.
            let p = cursor
            cursor = p + byteCount
            return p
        }
        return try allocateSlow(byteCount: byteCount, alignment: alignment)
    }

    /// Requests larger than this (including worst-case padding) are refused: no arena serves 1 TiB.
    @inlinable static var maximumRequestBytes: Int { 1 << 40 }

    /// Mapping size of the next bump chunk: twice the current chunk, at least `initialChunkBytes`, capped at
    /// `maximumChunkBytes`. Growing from the current chunk (not from a count of chunks) is what lets a loop
    /// of resets settle: reset keeps the largest chunk, the next chunk is twice that, the next reset keeps
    /// that one, until one chunk holds a whole iteration (or the cap is reached).
    @usableFromInline var nextChunkBytes: Int {
        guard let chunk = current else { return configuration.initialChunkBytes }
        let doubled = chunk.byteCount > configuration.maximumChunkBytes / 2 ? configuration.maximumChunkBytes : chunk.byteCount * 2
        return min(max(doubled, configuration.initialChunkBytes), configuration.maximumChunkBytes)
    }

    /// The slow path: validates the request, then serves it from a new bump chunk, or from a chunk of its own
    /// when it is large (more than a quarter of the next chunk), so a big request neither wastes the rest of
    /// the current chunk nor inflates the chunk sizes.
    @usableFromInline @inline(never)
    mutating func allocateSlow(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        guard byteCount >= 0 else { throw .invalidRequest("byte count \(byteCount) is negative") }
        // A zero-byte request owns no memory: any aligned non-null address will do. The alignment value itself
        // is such an address; at most 4096, it lies below Linux's mmap_min_addr (64 KiB by default), so it is
        // never mapped and a stray access faults. It costs no chunk.
        if byteCount == 0 { return UnsafeMutableRawPointer(bitPattern: alignment).unsafelyUnwrapped }
        let (needed, overflow) = byteCount.addingReportingOverflow(alignment &- 1)
        guard !overflow, needed <= Self.maximumRequestBytes else {
            throw .invalidRequest("byte count \(byteCount) with alignment \(alignment) exceeds the \(Self.maximumRequestBytes)-byte request limit")
        }
        // A request that needed padding, and fits in the current chunk after it: served there, as the fast
        // path would with the padding. Signed compare: if the padding passes `limit`, the room is negative.
        let aligned = Self.align(cursor, alignment)
        if byteCount <= limit - aligned {
            // Invariant: [aligned, aligned + byteCount) lies in [cursor, limit). The padding was bumped but not
            // requested: take it out of the derived count.
            settledBytesAllocated &-= aligned - cursor
            cursor = aligned + byteCount
            return aligned
        }
        let next = nextChunkBytes
        if needed > (next &- Chunk.headerBytes) / 4 {
            let chunk = try obtainChunk(usable: needed, mappingBytes: 0, hugePages: configuration.hugePages != .none)
            chunk.previous = large
            large = chunk
            largeChunkCount &+= 1
            let p = Self.align(chunk.start, alignment)
            let used = p - chunk.start + byteCount
            largeUsedBytes &+= used
            wastedBytes &+= chunk.usableBytes &- used
            settledBytesAllocated &+= byteCount
            return p
        }
        let chunk = try obtainChunk(usable: needed, mappingBytes: next, hugePages: configuration.hugePages == .all)
        // Only now, with the new chunk in hand, retire the current one: a failed request changes nothing.
        if let old = current {
            wastedBytes &+= limit - cursor
            retiredUsedBytes &+= cursor - old.start
        }
        chunk.previous = current
        current = chunk
        normalChunkCount &+= 1
        let p = Self.align(chunk.start, alignment)
        // Invariant: needed <= usable, so p + byteCount <= chunk.end.
        settleBytesAllocated()
        cursor = p + byteCount
        limit = chunk.end
        bumpOrigin = cursor
        assert(cursor <= limit, "ScopedArena: a new chunk is too small for its request")
        settledBytesAllocated &+= byteCount
        return p
    }

    @inlinable
    static func align(_ p: UnsafeMutableRawPointer, _ alignment: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: p) &+ alignment &- 1) & ~(alignment &- 1)).unsafelyUnwrapped
    }

    /// A chunk with at least `usable` usable bytes: a spare that fits (first fit, newest first), else a new
    /// mapping of `max(mappingBytes, what usable needs)`, shrunk to the minimum when the limit is near.
    ///
    /// - Throws: `.outOfMemory` when even the minimum mapping would exceed `limitBytes` after returning every
    ///   spare to the system; `.systemOutOfMemory` when mmap fails. Either way nothing changed but spares.
    @usableFromInline
    mutating func obtainChunk(usable: Int, mappingBytes preferred: Int, hugePages: Bool) throws(AllocationError) -> Chunk {
        var before: Chunk? = nil
        var candidate = spares
        while let chunk = candidate {
            if chunk.usableBytes >= usable {
                if let before { before.previous = chunk.previous } else { spares = chunk.previous }
                chunk.previous = nil
                spareChunkCount &-= 1
                spareBytes &-= chunk.byteCount
                return chunk
            }
            before = chunk
            candidate = chunk.previous
        }
        guard let minimum = Chunk.mappingBytes(usable: usable) else {
            throw .invalidRequest("a chunk for \(usable) bytes overflows")
        }
        // The configured sizes need not be whole pages (`ArenaConfiguration` accepts any size from 4 KiB): a
        // mapping always is. `preferred` is at most 2^40 (the configuration's cap), so rounding can not overflow.
        let preferredPages = (preferred &+ Chunk.pageBytes &- 1) & ~(Chunk.pageBytes &- 1)
        var bytes = max(minimum, preferredPages)
        if let limitBytes = configuration.limitBytes, heldBytes &+ bytes > limitBytes {
            bytes = minimum
            if heldBytes &+ bytes > limitBytes { releaseAllSpares() }
            if heldBytes &+ bytes > limitBytes {
                throw .outOfMemory(requestedBytes: bytes, liveBytes: liveBytes, limitBytes: limitBytes)
            }
        }
        guard let chunk = Chunk.map(byteCount: bytes, hugePages: hugePages) else { throw .systemOutOfMemory(requestedBytes: bytes) }
        heldBytes &+= bytes
        chunksMapped &+= 1
        peakHeldBytes = max(peakHeldBytes, heldBytes)
        return chunk
    }

    /// Takes a chunk that left the normal or large list: keeps it as a spare if there is room, poisoned when
    /// poisoning is on, else returns it to the system.
    @usableFromInline
    mutating func release(_ chunk: Chunk) {
        if spareBytes &+ chunk.byteCount <= configuration.maximumSpareBytes {
            if configuration.poisonsFreedMemory { Chunk.poison(from: chunk.start, to: chunk.end) }
            chunk.previous = spares
            spares = chunk
            spareChunkCount &+= 1
            spareBytes &+= chunk.byteCount
        } else {
            unmap(chunk)
        }
    }

    @usableFromInline
    mutating func unmap(_ chunk: Chunk) {
        heldBytes &-= chunk.byteCount
        chunksUnmapped &+= 1
        chunk.unmap()
    }

    @usableFromInline
    mutating func releaseAllSpares() {
        while let chunk = spares {
            spares = chunk.previous
            unmap(chunk)
        }
        spareChunkCount = 0
        spareBytes = 0
    }

    // MARK: bytes allocated

    /// Requested bytes handed out, cumulative (see `ArenaStatistics.bytesAllocated`).
    @usableFromInline var bytesAllocated: Int { settledBytesAllocated &+ (cursor - bumpOrigin) }

    /// Folds the bytes bumped since `bumpOrigin` into `settledBytesAllocated`. Called before the cursor moves
    /// by anything but bumping (a new chunk, a scope end, a reset); the caller sets `bumpOrigin` to the new
    /// cursor afterwards.
    @usableFromInline
    mutating func settleBytesAllocated() {
        settledBytesAllocated &+= cursor - bumpOrigin
        bumpOrigin = cursor
    }

    // MARK: live bytes

    /// Bytes in use now (see `ArenaStatistics.liveBytes`).
    @usableFromInline var liveBytes: Int {
        let currentUsed = current.map { cursor - $0.start } ?? 0
        return retiredUsedBytes &+ largeUsedBytes &+ currentUsed
    }

    @usableFromInline
    mutating func updatePeak() {
        peakLiveBytes = max(peakLiveBytes, liveBytes)
    }

    // MARK: scopes

    /// Generations taken from the process-wide counter at a time.
    @inlinable static var generationBlock: UInt64 { 1 << 16 }

    /// A generation number never used before by any arena of the process.
    @usableFromInline
    mutating func takeGeneration() -> UInt64 {
        if nextFreeGeneration == generationBlockEnd {
            let last = generationCounter.add(Self.generationBlock, ordering: .relaxed).newValue
            nextFreeGeneration = last - Self.generationBlock + 1
            generationBlockEnd = last + 1
        }
        defer { nextFreeGeneration &+= 1 }
        return nextFreeGeneration
    }

    /// Opens a scope: saves the position, pushes a fresh generation.
    @usableFromInline
    mutating func beginScope() -> ScopeMark {
        let mark = ScopeMark(chunk: current, cursor: cursor, limit: limit, large: large, cleanups: cleanups,
                             retiredUsedBytes: retiredUsedBytes, largeUsedBytes: largeUsedBytes,
                             normalChunkCount: normalChunkCount, largeChunkCount: largeChunkCount, depth: depth)
        depth &+= 1
        if depth == generationCapacity { growGenerations() }
        // Invariant: depth < generationCapacity.
        generations[depth] = takeGeneration()
        return mark
    }

    @usableFromInline
    mutating func growGenerations() {
        let grown = UnsafeMutablePointer<UInt64>.allocate(capacity: generationCapacity * 2)
        grown.initialize(from: generations, count: generationCapacity)
        generations.deallocate()
        generations = grown
        generationCapacity *= 2
    }

    /// Ends the innermost scope: runs its destructors, releases its chunks, poisons what it freed in the
    /// parent's chunk, and puts the bump pointer back where `mark` saved it.
    ///
    /// - Precondition: `mark` is the mark of the innermost open scope (scopes end innermost first).
    @usableFromInline
    mutating func endScope(_ mark: ScopeMark) {
        precondition(mark.depth &+ 1 == depth,
                     "ScopedArena: scopes must end innermost first (ending a scope opened at depth \(mark.depth) while at depth \(depth))")
        updatePeak()
        settleBytesAllocated()
        runCleanups(until: mark.cleanups)
        while let chunk = large, chunk != mark.large {
            large = chunk.previous
            release(chunk)
        }
        if current == mark.chunk {
            // The scope stayed in the parent's chunk: give back what it bumped.
            if configuration.poisonsFreedMemory { Chunk.poison(from: mark.cursor, to: cursor) }
            cursor = mark.cursor
            limit = mark.limit
        } else if mark.chunk == nil {
            // The parent had no chunk yet: keep the scope's first chunk, emptied, as the parent's current chunk
            // instead of releasing it, so a loop of scopes in a fresh arena does not take the slow path (and
            // a spare) in every scope.
            while let chunk = current, let older = chunk.previous {
                current = older
                release(chunk)
            }
            // Invariant: a scope that left the parent's chunk mapped at least one chunk, so current is set.
            let first = current.unsafelyUnwrapped
            if configuration.poisonsFreedMemory { Chunk.poison(from: first.start, to: first.end) }
            cursor = first.start
            limit = first.end
        } else {
            while let chunk = current, chunk != mark.chunk {
                current = chunk.previous
                release(chunk)
            }
            // The parent's chunk was left at mark.cursor; everything after it was this scope's or is unused.
            if configuration.poisonsFreedMemory { Chunk.poison(from: mark.cursor, to: mark.limit) }
            cursor = mark.cursor
            limit = mark.limit
        }
        bumpOrigin = cursor
        normalChunkCount = current == nil ? 0 : (current == mark.chunk ? mark.normalChunkCount : 1)
        retiredUsedBytes = mark.retiredUsedBytes
        largeUsedBytes = mark.largeUsedBytes
        largeChunkCount = mark.largeChunkCount
        depth &-= 1
        scopesEnded &+= 1
    }

    /// Whether a value stamped with `generation` at `stampDepth` is still allocated.
    @inlinable
    func isLive(generation: UInt64, depth stampDepth: Int) -> Bool {
        stampDepth >= 0 && stampDepth <= depth && generations[stampDepth] == generation
    }

    // MARK: destructors

    /// Runs the destructor records registered after `stop`, newest first.
    @usableFromInline
    mutating func runCleanups(until stop: UnsafeMutableRawPointer?) {
        while let record = cleanups, record != stop {
            // Invariant: every record on the list was initialized by `registerCleanup` and not yet run.
            let cleanup = record.assumingMemoryBound(to: Cleanup.self).move()
            cleanups = cleanup.next
            cleanup.destroy(cleanup.object, cleanup.count)
        }
    }

    /// Allocates room for a destructor record (before the values it will destroy, so that a failure to
    /// allocate the values leaves only an unused record's bytes behind).
    @usableFromInline
    mutating func allocateCleanupRecord() throws(AllocationError) -> UnsafeMutableRawPointer {
        try allocate(byteCount: MemoryLayout<Cleanup>.size, alignment: MemoryLayout<Cleanup>.alignment)
    }

    /// Registers the destructor for `count` values of `T` at `object`, in a record allocated by
    /// `allocateCleanupRecord`.
    @inlinable
    mutating func registerCleanup<T: ~Copyable>(record: UnsafeMutableRawPointer, object: UnsafeMutablePointer<T>,
                                                 count: Int) {
        record.initializeMemory(as: Cleanup.self, to: Cleanup(next: cleanups, object: UnsafeMutableRawPointer(object),
                                                               count: count, destroy: Cleanup.destroyer(for: T.self)))
        cleanups = record
    }

    // MARK: reset and teardown

    /// Frees everything and keeps only the largest chunk, as the fresh current chunk.
    ///
    /// - Precondition: no scope is open.
    @usableFromInline
    mutating func reset() {
        precondition(depth == 0, "ScopedArena: reset() with \(depth) scope(s) open would free their parents' memory; reset only outside every scope")
        updatePeak()
        settleBytesAllocated()
        runCleanups(until: nil)
        var keep: Chunk? = nil
        func consider(_ chunk: Chunk, _ state: inout BumpAllocator) {
            if let kept = keep, kept.byteCount >= chunk.byteCount {
                state.unmap(chunk)
            } else {
                if let kept = keep { state.unmap(kept) }
                keep = chunk
            }
        }
        for var list in [current, large, spares] {
            while let chunk = list {
                list = chunk.previous
                consider(chunk, &self)
            }
        }
        current = nil
        large = nil
        spares = nil
        normalChunkCount = 0
        largeChunkCount = 0
        spareChunkCount = 0
        spareBytes = 0
        retiredUsedBytes = 0
        largeUsedBytes = 0
        cursor = Self.sentinel
        limit = Self.sentinel
        if let kept = keep {
            kept.previous = nil
            if configuration.poisonsFreedMemory { Chunk.poison(from: kept.start, to: kept.end) }
            current = kept
            normalChunkCount = 1
            cursor = kept.start
            limit = kept.end
        }
        bumpOrigin = cursor
        generations[0] = takeGeneration()
        resets &+= 1
    }

    /// Runs every destructor, returns every chunk to the system and frees the generation stack (the arena's
    /// deinit). The state must not be used afterwards.
    @usableFromInline
    mutating func destroy() {
        runCleanups(until: nil)
        defer { generations.deallocate() }
        for var list in [current, large, spares] {
            while let chunk = list {
                list = chunk.previous
                unmap(chunk)
            }
        }
        current = nil
        large = nil
        spares = nil
        assert(heldBytes == 0, "ScopedArena: chunk accounting is off by \(heldBytes) bytes at teardown")
    }

    // MARK: statistics and invariants

    /// Whether `[p, p + byteCount)` lies in memory handed out and not yet freed: below the cursor in the
    /// current chunk, or inside an older bump chunk or a large chunk still in use. O(chunks); for tests and
    /// debug checks.
    @usableFromInline
    func contains(_ p: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
        if let chunk = current, p >= chunk.start, byteCount <= cursor - p { return true }
        for head in [current?.previous, large] {
            var list = head
            while let chunk = list {
                if p >= chunk.start && byteCount <= chunk.end - p { return true }
                list = chunk.previous
            }
        }
        return false
    }

    @usableFromInline
    func statistics() -> ArenaStatistics {
        let live = liveBytes
        return ArenaStatistics(bytesAllocated: bytesAllocated, liveBytes: live, peakLiveBytes: max(peakLiveBytes, live),
                               chunkCount: normalChunkCount &+ largeChunkCount, spareChunkCount: spareChunkCount,
                               heapBytes: heldBytes, peakHeapBytes: peakHeldBytes, wastedBytes: wastedBytes,
                               chunksMapped: chunksMapped, chunksUnmapped: chunksUnmapped, resets: resets,
                               scopesEnded: scopesEnded, scopeDepth: depth)
    }

    /// Walks the lists and checks the invariants stated on the type; traps with a message naming the first
    /// one broken. O(chunks).
    @usableFromInline
    func checkInvariants() {
        precondition(cursor <= limit, "ScopedArena invariant: cursor past limit")
        if let chunk = current {
            precondition(cursor >= chunk.start && limit == chunk.end, "ScopedArena invariant: cursor outside the current chunk")
            precondition(bumpOrigin >= chunk.start && bumpOrigin <= cursor, "ScopedArena invariant: bump origin outside the current chunk's used bytes")
        } else {
            precondition(cursor == Self.sentinel && limit == Self.sentinel, "ScopedArena invariant: no chunk but cursor moved")
            precondition(bumpOrigin == Self.sentinel, "ScopedArena invariant: no chunk but bump origin moved")
        }
        precondition(depth >= 0 && depth < generationCapacity, "ScopedArena invariant: depth outside the generation stack")
        var total = 0, spareTotal = 0
        var counts = [0, 0, 0]
        for (index, head) in [current, large, spares].enumerated() {
            var list = head
            while let chunk = list {
                precondition(chunk.byteCount % Chunk.pageBytes == 0, "ScopedArena invariant: chunk size not whole pages")
                total += chunk.byteCount
                if index == 2 { spareTotal += chunk.byteCount }
                counts[index] += 1
                list = chunk.previous
            }
        }
        precondition(total == heldBytes, "ScopedArena invariant: heldBytes \(heldBytes) but chunks add up to \(total)")
        precondition(spareTotal == spareBytes, "ScopedArena invariant: spareBytes \(spareBytes) but spares add up to \(spareTotal)")
        precondition(counts == [normalChunkCount, largeChunkCount, spareChunkCount],
                     "ScopedArena invariant: chunk counts \(counts) but counters say \([normalChunkCount, largeChunkCount, spareChunkCount])")
    }
}
