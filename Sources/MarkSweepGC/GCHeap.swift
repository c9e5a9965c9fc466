#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore
import Synchronization

/// A precise, stop-the-world, non-moving mark-sweep garbage-collected heap: HeapLab's collector. With
/// `GCConfiguration.collectionMode = .incremental` it marks in slices between the mutator's allocations instead,
/// with a write barrier in `store` (IncrementalMarking.swift, Docs/Internals.md "Incremental marking").
///
/// How a cycle works, step by step, is in Docs/Internals.md (read it first); `Collection.swift` is the cycle
/// itself, a short function calling one function per phase. This file is the mutator's side: allocation,
/// loads and stores, roots; SharedHeap.swift is the state every thread shares.
///
/// Use:
/// ```swift
/// let log = PauseLog()
/// let heap = GCHeap(configuration: GCConfiguration(gogc: 100), pauseLog: log)
/// let node = try heap.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 8))
/// heap.pushRoot(node)                 // keep it alive across the next allocation
/// heap.store(node, slot: 0, try heap.allocate(...))
/// ```
///
/// Rules the program must follow (the `MemoryManager` contract): every reference held across an allocation is
/// reachable from a root (the shadow stack, a global root, or a slot of a reachable object); every reference
/// store goes through `store`. A reference not reachable that way may be reclaimed at the next allocation.
///
/// Bad input, and what happens:
/// - A shape with a negative count or above 1 GiB cannot be built (`ObjectShape` traps; `ObjectShape.validated`
///   throws `AllocationError.invalidShape`). Zero slots and zero payload are valid.
/// - A slot index or payload range out of bounds: precondition failure (all builds), naming the bounds.
/// - A root index out of range, `popRoots(to:)` above the depth, an unknown global root: precondition failure.
/// - A reference that is not a heap object, or whose object was reclaimed: precondition failure when
///   `checkReferences` is on (debug builds by default). Without it, the next collection stops (`fatalError`,
///   all builds) when the marker meets such a reference in a root or a slot and it lies outside the heap
///   (another heap's object, a non-heap address, a block back in the pool); one inside a live block (between
///   cells, a freed cell) is undefined behaviour in release builds.
/// - Precondition messages are printed in debug builds only (Swift drops them at -O); the marker's is always.
/// - A write into a reclaimed object: caught when its cell is next allocated, when `poisonFreedCells` is on
///   (debug builds by default).
/// - Out of memory: a thrown `AllocationError` (`.outOfMemory` at the heap limit after a full collection,
///   `.systemOutOfMemory` when mmap fails); the heap stays usable.
///
/// Threads: a `GCHeap` is one thread's *mutator context* of a heap shared by every attached thread
/// (`shared`, a `SharedHeap`). The thread that makes the heap is attached already; another thread calls
/// `heap.shared.attach()` on itself, uses the context it gets on that thread only, and `shared.detach(_:)`
/// with its roots popped. Objects may be shared freely between threads; two threads writing one slot need the
/// program's own synchronization. A collection started by any thread stops every other at its next
/// safepoint (its allocation slow path, `safepoint()`, or a whole-heap query); a thread about to block wraps
/// the wait in `withoutCollector`. Docs/Threads.md and Docs/Internals.md, "Many mutator threads".
public final class GCHeap: MemoryManager {
    public typealias Ref = GCRef

    /// `gc`, `gc-incremental` or `gc-concurrent`: the names the runner gives the three modes.
    public var name: String { configuration.collectionMode.managerName }
    @inlinable public var reclamation: Reclamation { .tracing }

    // MARK: allocator state (the fast path reads only these)

    /// Per size class: where the next cell comes from (the allocation block's free list or bump range).
    @usableFromInline let allocators: UnsafeMutablePointer<ClassAllocator>
    /// Copies of the size-class tables, so the fast path does not go through a lazily initialized global.
    @usableFromInline let classOfGranules: UnsafeMutablePointer<UInt8>
    @usableFromInline let cellBytesOfClass: UnsafeMutablePointer<Int>
    @usableFromInline let poisonFreedCells: Bool
    @usableFromInline let checkReferences: Bool

    /// This thread's allocation counts since its last slow path (folded into the shared totals there, and in
    /// every pause): objects, bytes of shapes requested, and cell bytes (what the pacer counts).
    @exclusivity(unchecked) @usableFromInline var pendingAllocations = 0
    @exclusivity(unchecked) @usableFromInline var pendingBytesRequested = 0
    @exclusivity(unchecked) @usableFromInline var pendingInUseBytes = 0

    // MARK: this thread's collector state

    /// The heap every thread's context shares: spaces, block lists, global roots, pacer, collector.
    public let shared: SharedHeap
    /// Per size class: the block `allocators` hands out cells of, or nil. Owned by this context while set: the
    /// sweeper and other mutators leave it alone.
    @exclusivity(unchecked) @usableFromInline var allocationBlocks: [Block?]
    /// This thread's shadow stack of roots.
    @exclusivity(unchecked) @usableFromInline var roots = RootStack()
    /// This mutator's copy of `shared.incremental.marking`, the write barrier's switch. Rewritten only while
    /// the world is stopped (or by this thread), so the store fast path reads a field of its own context.
    @exclusivity(unchecked) @usableFromInline var barrierOn = false
    /// The thread that attached this context, the only one that may use it.
    public let owner: ThreadIdentity
    /// Running, stopped or inactive (the handshake's count; under the shared lock).
    @exclusivity(unchecked) var state = MutatorState.running
    /// False once detached (under the shared lock).
    @exclusivity(unchecked) var attached = true
    /// The owner thread's CPU clock, readable from the collecting thread (ThreadCPUClock.read).
    let cpuClock: clockid_t
    /// For the stop in progress (under the lock): this thread's CPU clock at the request (nil when it was not
    /// running then), and when it stopped (`MonotonicClock`).
    @exclusivity(unchecked) var cpuAtStopRequest: UInt64?
    @exclusivity(unchecked) var parkedAt: UInt64 = 0

    /// Makes an empty heap and attaches the calling thread to it: the heap object returned is this thread's
    /// context. No memory is mapped until the first allocation. More threads attach with `shared.attach()`.
    ///
    /// - Parameters:
    ///   - configuration: pacing, limit, sweep mode and debug settings.
    ///   - pauseLog: receives one `PauseEvent` per collection (and per long lazy sweep).
    public convenience init(configuration: GCConfiguration = GCConfiguration(), pauseLog: PauseLog) {
        let shared = SharedHeap(configuration: configuration, pauseLog: pauseLog)
        self.init(shared: shared)
        shared.withLock { shared.link(self) }
    }

    /// A context of `shared` for the calling thread, not linked yet (`SharedHeap.attach` links it).
    init(shared: SharedHeap) {
        self.shared = shared
        let classes = SizeClasses.count
        allocators = .allocate(capacity: classes)
        allocators.initialize(repeating: ClassAllocator(), count: classes)
        classOfGranules = SizeClasses.classOfGranules
        cellBytesOfClass = SizeClasses.cellBytesOfClass
        poisonFreedCells = shared.configuration.poisonFreedCells
        checkReferences = shared.configuration.checkReferences
        allocationBlocks = Array(repeating: nil, count: classes)
        owner = ThreadIdentity.current
        cpuClock = ThreadCPUClock.clockOfCurrentThread()
    }

    deinit {
        // A context dropped without `detach` (the one `init(configuration:pauseLog:)` made, typically) leaves
        // the heap here: its blocks go back to the classes, its counts into the totals. Its roots are gone with it.
        // No parking: this may run on another attached thread, which a stop counts as itself, not as this
        // context. Unlinking during a stop request is safe: the collector waits with the lock released and
        // starts the cycle only under it, and it stops waiting for this context once it is unlinked.
        shared.withLock {
            if attached { shared.unlink(self) }
        }
        roots.deallocate()
        allocators.deallocate()
    }

    /// The settings this heap was made with.
    public var configuration: GCConfiguration { shared.configuration }
    /// Where every pause goes. The heap never measures itself in any other way.
    public var pauseLog: PauseLog { shared.pauseLog }

    /// The configuration as strings (keys as `GCConfiguration.init(options:)` takes), for reports.
    public func configurationDescription() -> [String: String] { shared.configuration.dictionary }

    /// Debug builds: stops with a precondition message when the calling thread is not this context's owner.
    /// Called on slow paths only (allocation slow path, safepoints, roots growing, collect).
    @inline(__always)
    func checkOwner(_ operation: StaticString) {
        assert(owner.isCurrent,
               "gc: \(operation) on \(ThreadIdentity.current.label), but this mutator context belongs to \(owner.label) (attach a context on each thread)")
        assert(attached, "gc: \(operation) on a detached mutator context")
    }

    // MARK: allocation

    /// Allocates an object of `shape`, every slot nil and every payload byte zero.
    ///
    /// The fast path takes a cell from its size class's allocator: pops the free list, or bumps through an
    /// empty block; then zeroes the object and writes its header. When both are exhausted, the slow path
    /// installs another block, and may first collect (when the pacer says so) -- so every unrooted reference
    /// the caller holds may be dead after this call.
    ///
    /// - Throws: `AllocationError.outOfMemory` when the heap limit would be exceeded even after a full
    ///   collection (`requestedBytes` is the cell or mapping the request needs, `liveBytes` what the collection
    ///   found live plus what was allocated since, `limitBytes` the limit); `.systemOutOfMemory` when mmap
    ///   fails. The heap stays usable after both.
    @inlinable @inline(__always)
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> GCRef {
        // ObjectShape guarantees shape.bytes <= 1 GiB, so this cannot overflow.
        let bytes = ObjectHeader.bytes &+ shape.bytes
        if _fastPath(bytes <= SizeClasses.maximumSmallCellBytes) {
            let sizeClass = Int(classOfGranules[(bytes &+ 15) &>> 4])
            let allocator = allocators + sizeClass
            if let cell = allocator.pointee.freeList {
                // Invariant: a cell on a free list holds its successor (or 0) in its first word.
                allocator.pointee.freeList = cell.load(as: UnsafeMutableRawPointer?.self)
                return initializeObject(cell, shape: shape, sizeClass: sizeClass)
            }
            let cursor = allocator.pointee.bumpCursor
            let next = cursor &+ UInt(bitPattern: cellBytesOfClass[sizeClass])
            if next <= allocator.pointee.bumpLimit {
                // Invariant: [cursor, bumpLimit) are whole free cells of the allocation block (0 <= 0 when none,
                // which `next > 0` excludes).
                allocator.pointee.bumpCursor = next
                return initializeObject(UnsafeMutableRawPointer(bitPattern: cursor).unsafelyUnwrapped,
                                        shape: shape, sizeClass: sizeClass)
            }
        }
        return try allocateSlow(shape)
    }

    /// Turns the free cell `cell` of `sizeClass` into an object of `shape`.
    @inlinable @inline(__always)
    func initializeObject(_ cell: UnsafeMutableRawPointer, shape: ObjectShape, sizeClass: Int) -> GCRef {
        let cellBytes = cellBytesOfClass[sizeClass]
        if poisonFreedCells { checkPoison(cell, cellBytes: cellBytes) }
        // Zero the slots and payload, rounded up to whole words: the cell has room (cellBytes >= 8 + bytes,
        // and cell sizes are multiples of 16).
        Zeroing.zeroWords(cell + ObjectHeader.bytes, bytes: (shape.bytes &+ 7) & ~7)
        cell.storeBytes(of: ObjectHeader(shape).bits, as: UInt64.self)
        pendingAllocations &+= 1
        pendingBytesRequested &+= shape.bytes
        pendingInUseBytes &+= cellBytes
        return GCRef(cell)
    }

    @usableFromInline @inline(never)
    func checkPoison(_ cell: UnsafeMutableRawPointer, cellBytes: Int) {
        if let word = Poison.firstDamagedWord(cell, cellBytes: cellBytes) {
            preconditionFailure("gc: free cell \(cell) (\(cellBytes) bytes) was written after it was reclaimed: word \(word) is 0x\(String(cell.load(fromByteOffset: word * 8, as: UInt64.self), radix: 16)), expected the poison 0x\(String(Poison.pattern, radix: 16)) (a use of a reclaimed object)")
        }
    }

    /// The slow path: a large object, or a small one whose class has no free cell in hand. Takes the shared
    /// heap's lock, stops first if another thread is stopping the world (a safepoint), then asks the shared
    /// heap for a block (CentralAllocation.swift) and takes the cell from it.
    @usableFromInline @inline(never)
    func allocateSlow(_ shape: ObjectShape) throws(AllocationError) -> GCRef {
        checkOwner("allocate")
        let bytes = ObjectHeader.bytes + shape.bytes
        if bytes <= SizeClasses.maximumSmallCellBytes {
            // The next step of the block's bump range: a safepoint poll, and no lock.
            let sizeClass = Int(classOfGranules[(bytes + 15) >> 4])
            let allocator = allocators + sizeClass
            if allocator.pointee.bumpLimit < allocator.pointee.bumpEnd {
                safepoint()  // a collection here retires the allocator (bumpEnd 0): the locked path below
                let cellBytes = UInt(cellBytesOfClass[sizeClass])
                let cursor = allocator.pointee.bumpCursor
                if allocator.pointee.bumpLimit < allocator.pointee.bumpEnd && cursor &+ cellBytes <= allocator.pointee.bumpEnd {
                    allocator.pointee.bumpLimit = ClassAllocator.nextLimit(from: cursor, cellBytes: cellBytes,
                                                                           end: allocator.pointee.bumpEnd)
                    // Invariant: [cursor, bumpEnd) are whole free cells of the allocation block.
                    allocator.pointee.bumpCursor = cursor &+ cellBytes
                    return initializeObject(UnsafeMutableRawPointer(bitPattern: cursor).unsafelyUnwrapped,
                                            shape: shape, sizeClass: sizeClass)
                }
            }
        }
        // A safepoint (every reference the caller holds is rooted): a stop of the world that begins while this
        // thread waits for the lock counts it as stopped, and it parks first once it has the lock.
        shared.lockAtSafepoint()
        defer { shared.unlock() }
        shared.parkIfStopRequested(self)
        if bytes > SizeClasses.maximumSmallCellBytes {
            return try shared.allocateLarge(shape, objectBytes: bytes, for: self)
        }
        let sizeClass = Int(classOfGranules[(bytes + 15) >> 4])
        try shared.refill(sizeClass: sizeClass, for: self)
        // Invariant: refill returned only after installing a block with a free cell; take it as the fast path
        // would.
        let allocator = allocators + sizeClass
        if let cell = allocator.pointee.freeList {
            allocator.pointee.freeList = cell.load(as: UnsafeMutableRawPointer?.self)
            return initializeObject(cell, shape: shape, sizeClass: sizeClass)
        }
        let cursor = allocator.pointee.bumpCursor
        assert(cursor != 0 && cursor + UInt(cellBytesOfClass[sizeClass]) <= allocator.pointee.bumpLimit)
        allocator.pointee.bumpCursor = cursor + UInt(cellBytesOfClass[sizeClass])
        return initializeObject(UnsafeMutableRawPointer(bitPattern: cursor)!, shape: shape, sizeClass: sizeClass)
    }

    // MARK: objects

    /// The shape `object` was allocated with (read from its header).
    /// - Precondition (debug builds, `checkReferences`): `object` is a live object of this heap.
    @inlinable @inline(__always)
    public func shape(of object: GCRef) -> ObjectShape {
        if checkReferences { checkReference(object, "shape(of:)") }
        return ObjectHeader(bits: object.address.load(as: UInt64.self)).shape
    }

    /// Reads reference slot `slot` of `object`. A plain load: no read barrier.
    /// - Precondition: `0 <= slot < referenceSlots` (all builds); `object` is a live object of this heap
    ///   (debug builds, `checkReferences`).
    @inlinable @inline(__always)
    public func load(_ object: GCRef, slot: Int) -> GCRef? {
        if checkReferences { checkReference(object, "load") }
        let header = ObjectHeader(bits: object.address.load(as: UInt64.self))
        checkSlot(slot, count: header.referenceSlots, manager: "gc")
        // Invariant: slot < referenceSlots, so the word at 8 + 8*slot lies inside the object.
        return object.address.load(fromByteOffset: 8 &+ slot &* 8, as: UnsafeMutableRawPointer?.self).map(GCRef.init)
    }

    /// Writes `value` into slot `slot` of `object`. The heap's one reference store, and so the one place of the
    /// write barrier (WriteBarrier.swift: while incremental marking runs, the overwritten reference is shaded).
    /// - Precondition: `0 <= slot < referenceSlots` (all builds); `object` and `value` are live objects of this
    ///   heap (debug builds, `checkReferences`).
    @inlinable @inline(__always)
    public func store(_ object: GCRef, slot: Int, _ value: GCRef?) {
        if checkReferences {
            checkReference(object, "store into")
            if let value { checkReference(value, "store of") }
        }
        let header = ObjectHeader(bits: object.address.load(as: UInt64.self))
        checkSlot(slot, count: header.referenceSlots, manager: "gc")
        writeBarrier(object, slot: slot)
        // A release store: concurrent marking reads slots while mutators run, with an acquire load
        // (ConcurrentMarking.swift says what the pair orders). On x86-64 it is the same plain `mov` as before.
        // Invariant: slot < referenceSlots, so the word at 8 + 8*slot lies inside the object, 8-byte aligned.
        (object.address + (8 &+ slot &* 8)).assumingMemoryBound(to: Atomic<UInt>.self).pointee
            .store(UInt(bitPattern: value?.address), ordering: .releasing)
    }

    /// Reads a `T` at `byteOffset` bytes into `object`'s payload (unaligned reads are fine).
    /// - Precondition: `0 <= byteOffset` and `byteOffset + MemoryLayout<T>.size <= payloadBytes` (all builds).
    @inlinable @inline(__always)
    public func loadPayload<T: BitwiseCopyable>(_ object: GCRef, byteOffset: Int, as type: T.Type) -> T {
        if checkReferences { checkReference(object, "loadPayload") }
        let header = ObjectHeader(bits: object.address.load(as: UInt64.self))
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: header.payloadBytes, manager: "gc")
        return object.address.loadUnaligned(fromByteOffset: 8 &+ header.referenceSlots &* 8 &+ byteOffset, as: T.self)
    }

    /// Writes `value` at `byteOffset` bytes into `object`'s payload. Payload is not traced: storing an object
    /// address here does not keep that object alive.
    /// - Precondition: `0 <= byteOffset` and `byteOffset + MemoryLayout<T>.size <= payloadBytes` (all builds).
    @inlinable @inline(__always)
    public func storePayload<T: BitwiseCopyable>(_ object: GCRef, byteOffset: Int, _ value: T) {
        if checkReferences { checkReference(object, "storePayload") }
        let header = ObjectHeader(bits: object.address.load(as: UInt64.self))
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: header.payloadBytes, manager: "gc")
        object.address.storeBytes(of: value, toByteOffset: 8 &+ header.referenceSlots &* 8 &+ byteOffset, as: T.self)
    }

    // MARK: roots

    /// Number of entries on the shadow stack.
    @inlinable @inline(__always)
    public var rootDepth: Int { roots.count }

    /// Pushes `ref` on the shadow stack: it and everything it reaches survive collections until popped.
    @inlinable @discardableResult
    public func pushRoot(_ ref: GCRef?) -> Int {
        assert(owner.isCurrent, "gc: pushRoot on \(ThreadIdentity.current.label), but this mutator context belongs to \(owner.label)")
        if checkReferences, let ref { checkReference(ref, "pushRoot") }
        return roots.push(ref?.address)
    }

    /// - Precondition: `index < rootDepth`.
    @inlinable @inline(__always)
    public func setRoot(_ index: Int, _ ref: GCRef?) {
        if checkReferences, let ref { checkReference(ref, "setRoot") }
        roots.set(index, ref?.address)
    }

    /// - Precondition: `0 <= depth <= rootDepth`.
    @inlinable @inline(__always)
    public func popRoots(to depth: Int) {
        assert(owner.isCurrent, "gc: popRoots on \(ThreadIdentity.current.label), but this mutator context belongs to \(owner.label)")
        roots.pop(to: depth)
    }

    /// The root at `index` of the shadow stack.
    /// - Precondition: `index < rootDepth`.
    public func root(at index: Int) -> GCRef? {
        precondition(index >= 0 && index < roots.count, "gc: root index \(index) out of range (root depth \(roots.count))")
        return roots.entries[index].map(GCRef.init)
    }

    /// Adds a global root holding `ref`: a root not tied to the shadow stack's nesting, kept until removed.
    /// Global roots belong to the shared heap: every thread sees the same ones.
    public func addGlobalRoot(_ ref: GCRef?) -> GlobalRoot {
        if checkReferences, let ref { checkReference(ref, "addGlobalRoot") }
        return shared.addGlobalRoot(ref)
    }

    /// Replaces what global root `root` holds.
    /// - Precondition: `root` was returned by `addGlobalRoot` and not removed.
    public func setGlobalRoot(_ root: GlobalRoot, _ ref: GCRef?) {
        if checkReferences, let ref { checkReference(ref, "setGlobalRoot") }
        shared.setGlobalRoot(root, ref)
    }

    /// What global root `root` holds.
    /// - Precondition: as `setGlobalRoot`.
    public func globalRoot(_ root: GlobalRoot) -> GCRef? { shared.globalRoot(root) }

    /// Removes a global root; its handle becomes invalid.
    /// - Precondition: as `setGlobalRoot`.
    public func removeGlobalRoot(_ root: GlobalRoot) { shared.removeGlobalRoot(root) }

    // MARK: lifetimes

    /// Nothing to do: the collector finds dead structures itself.
    @inlinable
    public func dropTree(_ root: consuming GCRef) {}

    /// Nothing to do: the collector finds dead objects itself.
    @inlinable
    public func free(_ object: consuming GCRef) {}

    /// Runs `body`, then pops every root it pushed (also when it throws).
    @inlinable
    public func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let depth = roots.count
        defer { roots.pop(to: depth) }
        return try body()
    }

    // MARK: introspection
    //
    // Each of these looks at the whole heap, so it stops the world for its answer: it is a safepoint (every
    // reference the caller holds across it must be rooted), and with other threads attached it waits for them
    // to stop. With one thread that costs a lock and two clock readings.

    /// Objects not known to be dead: those the last collection found live plus those allocated since (by
    /// every thread). Right after `collect()` it is exactly the number of objects reachable from the roots.
    public var liveObjectCount: Int { withHeapStopped { shared.liveObjectCount } }

    /// Heap in use, in bytes: cells allocated (header and rounding included) and large objects, minus what the
    /// last collection proved dead. Right after `collect()` it is exactly the bytes reachable from the roots.
    public var heapInUseBytes: Int { withHeapStopped { shared.inUseBytes } }

    /// Whether `ref` still holds an object: true for every object reachable from the roots; false for one
    /// the collector reclaimed (until its cell is reused by a later allocation, after which the address holds
    /// a new object). For tests and debugging; a hash lookup and a few loads.
    public func isLive(_ ref: GCRef) -> Bool { referenceProblem(ref) == nil }

    /// Why `ref` is not a live heap object (it points outside the heap, into a free block, between cells, at a
    /// free cell, or at an object the last collection found unreachable), or nil when it is one.
    public func referenceProblem(_ ref: GCRef) -> String? { withHeapStopped { shared.referenceProblem(ref) } }

    /// Whether an incremental cycle is marking now (between its start pause and its final pause).
    public var isMarking: Bool { shared.withLock { shared.incremental.marking } }

    /// What the heap measured about itself so far, every thread's allocation included (SharedHeap's
    /// `statistics()` lists the counters). A safepoint.
    public func statistics() -> ManagerStatistics { withHeapStopped { shared.statistics() } }

    /// Checks the heap and returns a description of every problem found (empty when the heap is sound).
    /// Costs a walk of the whole heap and a traversal of everything reachable, with a hash set of addresses.
    /// Stops the world while it runs: a safepoint.
    public func verify() -> [String] { withHeapStopped { shared.verify() } }

    /// The failures the heap's own checks recorded since the last call (`CheckFailureMode.record`), oldest
    /// first; always empty in `.trap` mode, where a failure stops the process instead.
    public func takeCheckFailures() -> [HeapCheckFailure] { shared.withLock { shared.takeCheckFailures() } }

    /// Finishes lazy sweeping now: every block is swept, and empty ones go back to the pool. A safepoint.
    public func finishSweeping() { withHeapStopped { shared.finishSweeping() } }

    /// Runs a full collection now, in the configured sweep mode, stopping every other thread first.
    /// Afterwards `liveObjectCount` and `heapInUseBytes` are exactly the objects and bytes reachable from the
    /// roots of every thread and the global roots. In incremental mode it is a stop-the-world cycle too: an
    /// incremental cycle in progress is abandoned first (nothing freed by it). A safepoint: if another thread
    /// is collecting, this thread first stops for that collection, then collects.
    ///
    /// - Precondition: not called while a collection runs (from a verifier or a trace hook).
    public func collect() {
        checkOwner("collect()")
        shared.lock()
        defer { shared.unlock() }
        shared.parkIfStopRequested(self)
        precondition(!shared.collecting, "gc: collect() called during a collection")
        shared.collect(reason: .forced)
    }

    /// Runs `body` (which reads the shared heap) with the lock held, this thread's counts folded and every
    /// other mutator stopped. A safepoint.
    func withHeapStopped<R>(_ body: () -> R) -> R {
        checkOwner("a whole-heap query")
        shared.lock()
        defer { shared.unlock() }
        shared.parkIfStopRequested(self)
        return shared.withWorldStopped {
            shared.foldAll()
            return body()
        }
    }

    /// Stops with a precondition message when `ref` is not a live object (only called when `checkReferences`,
    /// debug builds by default). Takes the shared lock: another thread's slow path may be changing the block
    /// headers and marks it reads. Not a safepoint: the caller may hold unrooted references.
    @usableFromInline @inline(never)
    func checkReference(_ ref: GCRef, _ operation: StaticString) {
        shared.lock()
        let problem = shared.referenceProblem(ref)
        shared.unlock()
        if let problem { preconditionFailure("gc: \(operation): \(problem)") }
    }
}
