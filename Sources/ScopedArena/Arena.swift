import HeapLabCore

/// An ownership-scoped arena: memory lives exactly as long as its owner and is freed in one step.
///
/// Allocation bumps a pointer through a chunk (a few instructions); when the chunk is full a new one is
/// mapped, twice the size of the last up to `ArenaConfiguration.maximumChunkBytes`, and a request larger than
/// a quarter of a chunk gets a chunk of its own. Nothing is freed one by one: a scope's end (`withScope`)
/// frees everything allocated in it at once, `reset()` frees everything and keeps the largest chunk for
/// reuse, and the arena's deinit returns every chunk to the system. Chunks released by a scope end are kept
/// as spares (up to `maximumSpareBytes`), so a loop of scopes reaches a steady state with no system calls.
///
/// Ownership: `Arena` is noncopyable. The value made by `init` owns the memory; the values `withScope` passes
/// to its body are views of the same arena, one scope deeper, that own nothing. Allocation is `borrowing`
/// (as in Rust's bump allocators, allocation does not need exclusive access): only the innermost scope may
/// allocate, which is checked on every allocation, since a parent allocating inside a child's scope would
/// have its memory freed by the child.
///
/// Destructors: typed allocation (`make`, `makeArray`) accepts any type. Values of types that need
/// destruction get a destructor record in the arena, run at scope end, reset or deinit, newest first; values
/// of trivially destructible types cost nothing more. Nothing is leaked silently. Raw allocation
/// (`allocate(byteCount:alignment:)`) gives uninitialized bytes and runs nothing.
///
/// Debug checks: freed memory is filled with `poisonByte` (`ArenaConfiguration.poisonsFreedMemory`, on by
/// default in debug builds); `arena[pointer]` traps in debug builds when the pointer's scope has ended.
///
/// Not thread-safe: one arena belongs to one thread at a time.
public struct Arena: ~Copyable {
    /// The arena's state, at a stable address. Owned (created and destroyed) by the root arena.
    @usableFromInline let state: UnsafeMutablePointer<BumpAllocator>
    /// Scope depth of this value: 0 for the owner, n inside n nested `withScope` calls.
    @usableFromInline let depth: Int

    /// The byte freed memory is filled with when poisoning is on (0xDE, for "dead").
    @inlinable public static var poisonByte: UInt8 { 0xDE }

    /// The largest alignment a request may ask for: the page size, 4096 bytes.
    @inlinable public static var maximumAlignment: Int { Chunk.pageBytes }

    /// Makes an empty arena. No memory is mapped until the first allocation.
    public init(configuration: ArenaConfiguration = ArenaConfiguration()) {
        state = .allocate(capacity: 1)
        state.initialize(to: BumpAllocator(configuration: configuration))
        depth = 0
    }

    /// A view of `state` one scope deeper (made only by `withScope`).
    @inlinable
    init(scopeOf state: UnsafeMutablePointer<BumpAllocator>, depth: Int) {
        self.state = state
        self.depth = depth
    }

    deinit {
        // Only the owner tears down; a scope's view ends when `withScope` ends the scope.
        if depth == 0 {
            state.pointee.destroy()
            state.deinitialize(count: 1)
            state.deallocate()
        }
    }

    /// Traps unless this value is the innermost open scope.
    @inlinable @inline(__always)
    func checkInnermost() {
        precondition(depth == state.pointee.depth,
                     "ScopedArena: allocation from the arena of depth \(depth) while a scope of depth \(state.pointee.depth) is open; allocate from the innermost scope's arena (memory allocated here would be freed by the inner scope)")
    }

    // MARK: raw allocation

    /// Allocates `byteCount` uninitialized bytes aligned to `alignment`, valid until the current scope ends
    /// (or the arena is reset or destroyed).
    ///
    /// - A zero-byte request consumes no memory and returns a non-null pointer aligned to `alignment` that must
    ///   not be read or written; it may equal the address of another allocation.
    /// - Throws: `AllocationError.invalidRequest` for a negative `byteCount`, an `alignment` that is not a power
    ///   of two in `1...maximumAlignment`, or a size that overflows with its alignment padding or exceeds
    ///   1 TiB; `.outOfMemory` when a new chunk would exceed `limitBytes`; `.systemOutOfMemory` when mmap
    ///   fails. The arena is unchanged after a throw.
    /// - Precondition: this value is the innermost open scope.
    @inlinable @inline(__always)
    public borrowing func allocate(byteCount: Int, alignment: Int = 16) throws(AllocationError) -> UnsafeMutableRawPointer {
        checkInnermost()
        return try state.pointee.allocate(byteCount: byteCount, alignment: alignment)
    }

    // MARK: typed allocation

    /// Moves `value` into the arena. Its deinit (if its type has one) runs when the current scope ends, the
    /// arena is reset, or destroyed.
    ///
    /// - Throws: as `allocate(byteCount:alignment:)` (`value` is destroyed then).
    @inlinable
    public borrowing func make<T: ~Copyable>(_ value: consuming T) throws(AllocationError) -> ArenaPointer<T> {
        checkInnermost()
        let record = _isPOD(T.self) ? nil : try state.pointee.allocateCleanupRecord()
        let raw = try state.pointee.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
        // Invariant: raw is MemoryLayout<T>.size bytes aligned for T, uninitialized.
        let p = raw.bindMemory(to: T.self, capacity: 1)
        p.initialize(to: value)
        if let record { state.pointee.registerCleanup(record: record, object: p, count: 1) }
        return ArenaPointer(p, generation: state.pointee.generations[depth], depth: depth)
    }

    /// Allocates `count` values, the i-th initialized to `element(i)` (called in order, from 0). Their deinits
    /// run as `make`'s do.
    ///
    /// - Throws: `AllocationError.invalidRequest` for a negative `count` or when `count * stride` overflows;
    ///   otherwise as `allocate(byteCount:alignment:)`.
    @inlinable
    public borrowing func makeArray<T: ~Copyable>(count: Int, _ element: (Int) -> T) throws(AllocationError) -> ArenaBuffer<T> {
        checkInnermost()
        guard count >= 0 else { throw .invalidRequest("element count \(count) is negative") }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else { throw .invalidRequest("\(count) elements of \(MemoryLayout<T>.stride) bytes overflow") }
        let record = _isPOD(T.self) || count == 0 ? nil : try state.pointee.allocateCleanupRecord()
        let raw = try state.pointee.allocate(byteCount: bytes, alignment: MemoryLayout<T>.alignment)
        // Invariant: raw is count * stride bytes aligned for T, uninitialized.
        let base = raw.bindMemory(to: T.self, capacity: count)
        for i in 0..<count { (base + i).initialize(to: element(i)) }
        if let record { state.pointee.registerCleanup(record: record, object: base, count: count) }
        return ArenaBuffer(base, count: count, generation: state.pointee.generations[depth], depth: depth)
    }

    /// Allocates `count` copies of `value`. See `makeArray(count:_:)`.
    @inlinable
    public borrowing func makeArray<T>(repeating value: T, count: Int) throws(AllocationError) -> ArenaBuffer<T> {
        try makeArray(count: count) { _ in value }
    }

    // MARK: checked access

    /// Whether `pointer`'s memory is still allocated in this arena: its scope is open and was not reset.
    /// False for pointers of another arena. Never traps.
    @inlinable
    public borrowing func isLive<T: ~Copyable>(_ pointer: ArenaPointer<T>) -> Bool {
        state.pointee.isLive(generation: pointer.generation, depth: pointer.depth)
    }

    /// Whether `buffer`'s memory is still allocated in this arena. Never traps.
    @inlinable
    public borrowing func isLive<T: ~Copyable>(_ buffer: ArenaBuffer<T>) -> Bool {
        state.pointee.isLive(generation: buffer.generation, depth: buffer.depth)
    }

    /// The value `pointer` refers to.
    ///
    /// - Precondition (debug builds): `isLive(pointer)`. A stale pointer (its scope ended, the arena was reset,
    ///   or it belongs to another arena) traps with "ScopedArena: stale ArenaPointer ...". Release builds skip
    ///   the check and read the freed memory: use `isLive` where that matters.
    @inlinable
    public subscript<T: ~Copyable>(_ pointer: ArenaPointer<T>) -> T {
        unsafeAddress {
            checkLive(pointer.generation, pointer.depth, T.self)
            return UnsafePointer(pointer.unsafeAddress)
        }
        nonmutating unsafeMutableAddress {
            checkLive(pointer.generation, pointer.depth, T.self)
            return pointer.unsafeAddress
        }
    }

    /// The elements of `buffer`, as an unsafe buffer pointer valid until its scope ends.
    ///
    /// - Precondition (debug builds): `isLive(buffer)`, as for `subscript(_:)`.
    @inlinable
    public borrowing func elements<T: ~Copyable>(_ buffer: ArenaBuffer<T>) -> UnsafeMutableBufferPointer<T> {
        checkLive(buffer.generation, buffer.depth, T.self)
        return UnsafeMutableBufferPointer(start: buffer.unsafeBaseAddress, count: buffer.count)
    }

    @inlinable @inline(__always)
    func checkLive<T: ~Copyable>(_ generation: UInt64, _ stampDepth: Int, _: T.Type) {
        assert(state.pointee.isLive(generation: generation, depth: stampDepth),
               "ScopedArena: stale ArenaPointer<\(T.self)> used after its scope ended (allocated at depth \(stampDepth), generation \(generation); the arena is at depth \(state.pointee.depth)); its memory is freed")
    }

    // MARK: scopes

    /// Runs `body` in a nested scope and frees everything allocated in it when `body` returns or throws:
    /// runs the destructors registered in it, releases the chunks it mapped, and puts the bump pointer back.
    /// Memory of enclosing scopes is untouched.
    ///
    /// `body` receives the scope's arena: allocate from it, not from `self` (which traps while the scope is
    /// open). Pointers allocated in the scope must not be used after it (debug builds trap on `arena[p]`).
    /// The scope end is O(chunks released + destructors registered), plus the poisoning memset when on.
    @inlinable
    public borrowing func withScope<R, E: Error>(_ body: (borrowing Arena) throws(E) -> R) throws(E) -> R {
        checkInnermost()
        let mark = state.pointee.beginScope()
        let scope = Arena(scopeOf: state, depth: depth &+ 1)
        defer { state.pointee.endScope(mark) }
        return try body(scope)
    }

    /// Frees everything and keeps the largest chunk for the allocations that follow, so a loop that resets
    /// reaches a steady state with no system calls. Runs every registered destructor first.
    ///
    /// - Precondition: no scope is open (a reset would free the memory of the scopes' parents).
    public mutating func reset() {
        state.pointee.reset()
    }

    /// Counters and sizes, computed in O(1).
    public borrowing func statistics() -> ArenaStatistics {
        state.pointee.statistics()
    }

    /// Whether `[pointer, pointer + byteCount)` lies in memory this arena handed out and has not freed (below
    /// the bump pointer in the current chunk, or in an older chunk still in use). O(chunks); for tests and
    /// debug checks. Never traps.
    public borrowing func contains(_ pointer: UnsafeRawPointer, byteCount: Int) -> Bool {
        state.pointee.contains(UnsafeMutableRawPointer(mutating: pointer), byteCount: byteCount)
    }

    /// Checks the arena's internal invariants (chunk lists, counters, bump pointer), trapping with a message
    /// naming the first one broken. O(chunks); tests call it.
    public borrowing func checkInvariants() {
        state.pointee.checkInvariants()
    }
}

/// Makes an arena, runs `body` with it, and frees all its memory when `body` returns or throws.
///
/// `body` gets the arena `inout`, so it may `reset()` it. Nothing allocated in it may be used after
/// `withArena` returns.
@inlinable
public func withArena<R, E: Error>(configuration: ArenaConfiguration = ArenaConfiguration(),
                                   _ body: (inout Arena) throws(E) -> R) throws(E) -> R {
    var arena = Arena(configuration: configuration)
    return try body(&arena)
}
