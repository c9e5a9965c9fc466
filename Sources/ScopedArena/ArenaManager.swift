import HeapLabCore

/// The arena as a `MemoryManager`: objects are bump-allocated, `withScope` opens a nested arena scope whose
/// end frees every object allocated in it at once, and `dropTree` / `free` do nothing (memory comes back only
/// at scope end). Rooting is a no-op: nothing moves and nothing is collected.
///
/// Objects are laid out as `ObjectLayout` says, as malloc's are, so that neither is favoured, padded to a
/// multiple of 8 bytes; they are 8-byte aligned and zeroed on allocation (reused chunks hold old data or
/// poison).
///
/// Stalls: the scope end is this manager's bulk free. When a `PauseLog` is given, each scope end is timed and
/// recorded there as a `.stall` labelled "scope", with the arena's live bytes before and after.
public final class ArenaManager: MemoryManager {
    public typealias Ref = ObjectRef

    public let name = "arena"
    /// `dropTree` and `free` do nothing here; the bulk free is the scope end, which this manager times itself.
    @inlinable public var reclamation: Reclamation { .region }

    /// The owning arena; `state` points into it and is what the hot paths use.
    @usableFromInline let arena: Arena
    @usableFromInline let state: UnsafeMutablePointer<BumpAllocator>
    /// Where scope ends are recorded as stalls, or nil.
    @usableFromInline let pauseLog: PauseLog?
    /// The thread this manager is a context of (`ThreadedArenaManager.attach`), or nil for a manager made on
    /// its own. Read only by debug-build checks on rare paths (`checkContextThread`), never on the fast path.
    @usableFromInline let owner: ThreadIdentity?

    /// Makes a manager over a fresh arena, for one thread at a time (it may be handed to another thread before
    /// use).
    ///
    /// - Parameters:
    ///   - configuration: chunk sizes, limit, spares, poisoning (`ArenaConfiguration`).
    ///   - pauseLog: receives one `.stall` event labelled "scope" per scope end (the time to free the scope's
    ///     memory), or nil to not time scope ends.
    public init(configuration: ArenaConfiguration = ArenaConfiguration(), pauseLog: PauseLog? = nil) {
        let arena = Arena(configuration: configuration)
        state = arena.state
        self.arena = arena
        self.pauseLog = pauseLog
        owner = nil
    }

    /// The context of thread `owner` over a fresh arena of its own (`ThreadedArenaManager.attach`).
    init(configuration: ArenaConfiguration, owner: ThreadIdentity) {
        let arena = Arena(configuration: configuration)
        state = arena.state
        self.arena = arena
        pauseLog = nil
        self.owner = owner
    }

    /// Makes a manager from the runner's options (see `ArenaConfiguration.init(options:)`: `arena-limit`,
    /// `chunk-size`, `max-chunk-size`, `spare-limit`, `poison`).
    ///
    /// - Throws: `ParameterError` for an unknown key or a bad value.
    public convenience init(options: [String: String], pauseLog: PauseLog? = nil) throws(ParameterError) {
        self.init(configuration: try ArenaConfiguration(options: options), pauseLog: pauseLog)
    }

    // MARK: objects

    /// Objects whose shape fits a tag (every node shape) are tagged: no header, so a 24-byte node takes 24 bytes,
    /// as the C struct does (`ObjectLayout`). The fast path bumps the arena's cursor itself and costs two loads
    /// (cursor, limit), the object count's increment, the cursor's store and the stores that zero the object:
    /// no alignment step (the cursor is always 8-aligned here) and no other counter (bytes allocated and
    /// requested are derived; see `statistics()`). The state is written before the object, not after: the
    /// object's stores are then the last ones, which measured faster (Docs/Internals.md, "Swift-specific
    /// costs", has the figures).
    @inlinable @inline(__always)
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> ObjectRef {
        // ObjectShape guarantees shape.bytes <= 1 GiB, so none of this overflows. `tagged` folds away for a
        // constant shape.
        let tagged = ObjectLayout.tag(shape) != 0
        let bytes = (ObjectLayout.blockBytes(shape, tagged: tagged) &+ 7) & ~7
        let s = state
        let p = s.pointee.cursor
        // Invariant: the cursor is 8-aligned. Every allocation in this arena is one of these objects, a
        // multiple of 8 bytes at alignment 8, and chunks start 64-aligned, so no alignment step is needed.
        assert(Int(bitPattern: p) & 7 == 0, "arena: cursor \(p) is not 8-aligned")
        guard _fastPath(bytes <= s.pointee.limit - p) else { return try allocateSlow(shape, bytes: bytes, tagged: tagged) }
        // Invariant: [p, p + bytes) lies in [cursor, limit), unused memory of the current chunk.
        s.pointee.objectCount &+= 1
        if !tagged { s.pointee.headedObjectCount &+= 1 }
        if shape.bytes & 7 != 0 { s.pointee.objectPaddingBytes &+= bytes &- ObjectLayout.blockBytes(shape, tagged: tagged) }
        s.pointee.cursor = p + bytes
        ObjectLayout.initialize(p, shape: shape, blockBytes: bytes, tagged: tagged)
        // Invariant: chunks lie below 2^48 (`Chunk.map` checks each), so the address fits a reference.
        return ObjectRef(uncheckedAddress: p, shape: shape, tagged: tagged)
    }

    /// A new chunk (or a spare) is needed: the arena's slow path, then the object as on the fast path.
    @usableFromInline @inline(never)
    func allocateSlow(_ shape: ObjectShape, bytes: Int, tagged: Bool) throws(AllocationError) -> ObjectRef {
        checkContextThread(owner, manager: "arena", operation: "allocate (new chunk)")
        let p = try state.pointee.allocate(byteCount: bytes, alignment: 8)
        ObjectLayout.initialize(p, shape: shape, blockBytes: bytes, tagged: tagged)
        state.pointee.objectCount &+= 1
        if !tagged { state.pointee.headedObjectCount &+= 1 }
        if shape.bytes & 7 != 0 { state.pointee.objectPaddingBytes &+= bytes &- ObjectLayout.blockBytes(shape, tagged: tagged) }
        return ObjectRef(uncheckedAddress: p, shape: shape, tagged: tagged)
    }

    /// Debug builds: traps unless `p` is an object this arena allocated and has not freed, which catches a
    /// reference used after its scope ended. O(chunks), compiled out of release builds.
    @inlinable @inline(__always)
    func checkLive(_ p: UnsafeMutableRawPointer) {
        // Every object's block is at least 8 bytes (empty shapes are headed), so its first word is in bounds.
        assert(state.pointee.contains(p, byteCount: 8),
               "arena: object at \(p) is not in memory the arena holds (used after its scope ended?)")
    }

    @inlinable @inline(__always)
    public func shape(of object: ObjectRef) -> ObjectShape {
        checkLive(object.address)
        return object.shape
    }

    @inlinable @inline(__always)
    public func load(_ object: ObjectRef, slot: Int) -> ObjectRef? {
        checkLive(object.address)
        return ObjectLayout.load(object, slot: slot, manager: "arena")
    }

    @inlinable @inline(__always)
    public func store(_ object: ObjectRef, slot: Int, _ value: ObjectRef?) {
        checkLive(object.address)
        ObjectLayout.store(object, slot: slot, value, manager: "arena")
    }

    @inlinable @inline(__always)
    public func loadPayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, as type: T.Type) -> T {
        checkLive(object.address)
        return ObjectLayout.loadPayload(object, byteOffset: byteOffset, as: T.self, manager: "arena")
    }

    @inlinable @inline(__always)
    public func storePayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, _ value: T) {
        checkLive(object.address)
        ObjectLayout.storePayload(object, byteOffset: byteOffset, value, manager: "arena")
    }

    // MARK: rooting: nothing moves and nothing is collected

    @inlinable public var rootDepth: Int { 0 }
    @inlinable @discardableResult public func pushRoot(_ ref: ObjectRef?) -> Int { 0 }
    @inlinable public func setRoot(_ index: Int, _ ref: ObjectRef?) {}
    @inlinable public func popRoots(to depth: Int) {}

    // MARK: lifetimes

    /// Nothing: the tree's memory comes back when its scope ends.
    @inlinable public func dropTree(_ root: consuming ObjectRef) {}

    /// Nothing: the object's memory comes back when its scope ends.
    @inlinable public func free(_ object: consuming ObjectRef) {}

    /// Runs `body` in a nested arena scope; everything allocated in it is freed in one step when it returns
    /// or throws (timed into the pause log as a "scope" stall when one was given).
    @inlinable
    public func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        checkContextThread(owner, manager: "arena", operation: "withScope")
        let mark = state.pointee.beginScope()
        defer { endScope(mark) }
        return try body()
    }

    @usableFromInline
    func endScope(_ mark: ScopeMark) {
        guard let pauseLog, pauseLog.recordsStalls else {
            state.pointee.endScope(mark)
            return
        }
        let before = state.pointee.liveBytes
        let start = MonotonicClock.now()
        state.pointee.endScope(mark)
        let end = MonotonicClock.now()
        pauseLog.record(PauseEvent(kind: .stall, startNanoseconds: start, durationNanoseconds: end &- start,
                                   heapBytesBefore: before, heapBytesAfter: state.pointee.liveBytes, label: "scope"))
    }

    // MARK: statistics

    /// The arena's own counters, as in `ArenaStatistics`.
    public var arenaStatistics: ArenaStatistics { state.pointee.statistics() }

    /// The arena's effective configuration (`ArenaConfiguration.dictionary`), for RunReports.
    public var settings: [String: String] { state.pointee.configuration.dictionary }

    /// Nothing to do (no collector stops this thread); debug builds check that a context runs on its thread.
    @inlinable public func safepoint() { checkContextThread(owner, manager: "arena", operation: "safepoint()") }

    public func statistics() -> ManagerStatistics {
        checkContextThread(owner, manager: "arena", operation: "statistics()")
        return uncheckedStatistics()
    }

    /// `statistics()` without the thread check, for `ThreadedArenaManager`, which reads every context's.
    func uncheckedStatistics() -> ManagerStatistics {
        let s = state.pointee.statistics()
        // Exact: every allocation in this arena is an object, of the requested bytes, 8 header bytes for a headed
        // one, and the padding to 8 that `objectPaddingBytes` counts, so the arena's bytes allocated are their sum.
        let objects = state.pointee.objectCount
        let requested = s.bytesAllocated &- ObjectLayout.headerBytes &* state.pointee.headedObjectCount
            &- state.pointee.objectPaddingBytes
        return ManagerStatistics(
            allocations: objects, bytesRequested: requested, heapBytes: s.heapBytes, liveBytes: s.liveBytes,
            extra: [
                "chunks": Double(s.chunkCount), "spareChunks": Double(s.spareChunkCount),
                "chunksMapped": Double(s.chunksMapped), "wastedBytes": Double(s.wastedBytes),
                "peakLiveBytes": Double(s.peakLiveBytes), "peakHeapBytes": Double(s.peakHeapBytes),
                "resets": Double(s.resets), "scopesEnded": Double(s.scopesEnded),
            ])
    }
}
