#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// A precise, stop-the-world, non-moving mark-sweep garbage-collected heap: HeapLab's collector. With
/// `GCConfiguration.collectionMode = .incremental` it marks in slices between the mutator's allocations instead,
/// with a write barrier in `store` (IncrementalMarking.swift, Docs/Internals.md "Incremental marking").
///
/// How a cycle works, step by step, is in Docs/Internals.md (read it first); `Collection.swift` is the cycle
/// itself, a short function calling one function per phase. This file is the mutator's side: allocation,
/// loads and stores, roots.
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
/// Single-threaded: one mutator thread uses a heap; no operation is safe to call concurrently.
public final class GCHeap: MemoryManager {
    public typealias Ref = GCRef

    /// `gc`, or `gc-incremental` in incremental mode (the names the runner gives the two modes).
    public var name: String { configuration.collectionMode == .incremental ? "gc-incremental" : "gc" }
    @inlinable public var reclamation: Reclamation { .tracing }

    /// The settings this heap was made with.
    public let configuration: GCConfiguration
    /// Where every pause goes. The heap never measures itself in any other way.
    public let pauseLog: PauseLog

    // MARK: allocator state (the fast path reads only these)

    /// Per size class: where the next cell comes from (the allocation block's free list or bump range).
    @usableFromInline let allocators: UnsafeMutablePointer<ClassAllocator>
    /// Copies of the size-class tables, so the fast path does not go through a lazily initialized global.
    @usableFromInline let classOfGranules: UnsafeMutablePointer<UInt8>
    @usableFromInline let cellBytesOfClass: UnsafeMutablePointer<Int>
    @usableFromInline let poisonFreedCells: Bool
    @usableFromInline let checkReferences: Bool

    /// Objects allocated, and bytes of shapes requested, since the heap was made.
    @exclusivity(unchecked) @usableFromInline var allocations = 0
    @exclusivity(unchecked) @usableFromInline var bytesRequested = 0
    /// Heap in use: cells allocated (full cell bytes) plus large-object bytes, minus what the last collection
    /// proved dead. The pacer compares it with its goal.
    @exclusivity(unchecked) @usableFromInline var inUseBytes = 0

    // MARK: spaces and collector state

    /// Per size class: the block `allocators` hands out cells of, or nil.
    @exclusivity(unchecked) @usableFromInline var allocationBlocks: [Block?]
    /// Per size class: every block the class owns (`BlockHeader.indexInClass` is the position here).
    @exclusivity(unchecked) @usableFromInline var classBlocks: [[Block]]
    /// Per size class: blocks to allocate from next: swept blocks with free cells, or (lazy sweeping) blocks
    /// still to be swept.
    @exclusivity(unchecked) @usableFromInline var allocationQueue: [[Block]]
    @exclusivity(unchecked) @usableFromInline var blockSpace = BlockSpace()
    @exclusivity(unchecked) @usableFromInline var largeObjects = LargeObjectSpace()
    @exclusivity(unchecked) @usableFromInline var roots = RootStack()
    @exclusivity(unchecked) @usableFromInline var globalRoots = GlobalRoots()
    @exclusivity(unchecked) @usableFromInline var markStack: MarkStack
    @exclusivity(unchecked) @usableFromInline var pacer: Pacer
    @exclusivity(unchecked) @usableFromInline var stats = GCStatistics()
    /// What the last collection found live, and the allocation count then (for `liveObjectCount`).
    @exclusivity(unchecked) @usableFromInline var liveBytesAfterLastCycle = 0
    @exclusivity(unchecked) @usableFromInline var liveObjectsAfterLastCycle = 0
    @exclusivity(unchecked) @usableFromInline var allocationsAtLastCycle = 0
    /// Advanced (wrapping) each time a mark phase ends: a block whose `BlockHeader.sweptEpoch` differs needs a
    /// sweep (`needsSweep`). One store makes the whole heap unswept, however many blocks it has.
    @exclusivity(unchecked) @usableFromInline var sweepEpoch: UInt8 = 0
    /// True while a collection runs (a collection never starts inside another).
    @exclusivity(unchecked) @usableFromInline var collecting = false
    /// Incremental marking's state (IncrementalMarking.swift); the write barrier reads `incremental.marking`.
    @exclusivity(unchecked) @usableFromInline var incremental = IncrementalState()
    /// Failed checks kept for `takeCheckFailures()` (`CheckFailureMode.record`).
    var recordedCheckFailures: [HeapCheckFailure] = []
    /// When the heap was made (`MonotonicClock`), for the trace's time stamps.
    let createdNanoseconds: UInt64

    /// Makes an empty heap. No memory is mapped until the first allocation.
    ///
    /// - Parameters:
    ///   - configuration: pacing, limit, sweep mode and debug settings.
    ///   - pauseLog: receives one `PauseEvent` per collection (and per long lazy sweep).
    public init(configuration: GCConfiguration = GCConfiguration(), pauseLog: PauseLog) {
        self.configuration = configuration
        self.pauseLog = pauseLog
        let classes = SizeClasses.count
        allocators = .allocate(capacity: classes)
        allocators.initialize(repeating: ClassAllocator(), count: classes)
        classOfGranules = SizeClasses.classOfGranules
        cellBytesOfClass = SizeClasses.cellBytesOfClass
        poisonFreedCells = configuration.poisonFreedCells
        checkReferences = configuration.checkReferences
        allocationBlocks = Array(repeating: nil, count: classes)
        classBlocks = Array(repeating: [], count: classes)
        allocationQueue = Array(repeating: [], count: classes)
        markStack = MarkStack(maximumEntries: configuration.markStackMaximumEntries)
        pacer = Pacer(gogc: configuration.gogc, minimumHeapBytes: configuration.minimumHeapBytes,
                      limitBytes: configuration.heapLimitBytes)
        createdNanoseconds = MonotonicClock.now()
    }

    deinit {
        blockSpace.unmapAll()
        largeObjects.unmapAll()
        roots.deallocate()
        markStack.deallocate()
        allocators.deallocate()
    }

    /// The configuration as strings (keys as `GCConfiguration.init(options:)` takes), for reports.
    public func configurationDescription() -> [String: String] { configuration.dictionary }

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
        allocations &+= 1
        bytesRequested &+= shape.bytes
        inUseBytes &+= cellBytes
        return GCRef(cell)
    }

    @usableFromInline @inline(never)
    func checkPoison(_ cell: UnsafeMutableRawPointer, cellBytes: Int) {
        if let word = Poison.firstDamagedWord(cell, cellBytes: cellBytes) {
            preconditionFailure("gc: free cell \(cell) (\(cellBytes) bytes) was written after it was reclaimed: word \(word) is 0x\(String(cell.load(fromByteOffset: word * 8, as: UInt64.self), radix: 16)), expected the poison 0x\(String(Poison.pattern, radix: 16)) (a use of a reclaimed object)")
        }
    }

    /// The slow path: a large object, or a small one whose class has no free cell in hand.
    @usableFromInline @inline(never)
    func allocateSlow(_ shape: ObjectShape) throws(AllocationError) -> GCRef {
        let bytes = ObjectHeader.bytes + shape.bytes
        if bytes > SizeClasses.maximumSmallCellBytes {
            return try allocateLarge(shape, objectBytes: bytes)
        }
        let sizeClass = Int(classOfGranules[(bytes + 15) >> 4])
        try refill(sizeClass: sizeClass)
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

    /// Installs a block with free cells for `sizeClass`: a swept block with free cells, a block swept now
    /// (lazy sweeping), or a fresh block from the pool or the system. Starts a collection first when the pacer
    /// says the heap reached its goal; runs a full one when the heap limit is in the way.
    func refill(sizeClass c: Int) throws(AllocationError) {
        // The allocation block is exhausted: it stays in the class's block list, full.
        if let b = allocationBlocks[c] {
            b.header.pointee.freeCount = 0
            allocators[c] = ClassAllocator()
            allocationBlocks[c] = nil
        }
        if configuration.collectionMode == .incremental {
            if !collecting { incrementalStep(pendingBytes: 0) }
        } else if pacer.shouldCollect(inUseBytes: inUseBytes) && !collecting {
            collect(reason: .pacer)
        }
        let b = try acquireMemory(limitBytes: HeapLayout.blockBytes, requestedBytes: cellBytesOfClass[c],
                                  systemBytes: HeapLayout.regionBytes,
                                  reuse: { nextAllocationBlock(sizeClass: c) }) { () -> Block? in
            guard let b = blockSpace.takeBlock() else { return nil }
            b.format(sizeClass: c, sweepEpoch: sweepEpoch, poison: poisonFreedCells)
            b.header.pointee.indexInClass = classBlocks[c].count
            classBlocks[c].append(b)
            return b
        }
        install(b, sizeClass: c)
    }

    /// Memory for the slow path, with the heap limit's one retry: `reuse` is tried first (memory the heap
    /// holds already), then `map` (new memory from the system), unless `limitBytes` more would pass the heap
    /// limit. When the limit is in the way or the system refuses, one full collection (`collectForLimit`)
    /// and a second try from `reuse`; then the error.
    ///
    /// - Throws: `.outOfMemory(requestedBytes:liveBytes:limitBytes:)` at the limit, or
    ///   `.systemOutOfMemory(requestedBytes: systemBytes)`; `stats.outOfMemoryErrors` counts both.
    func acquireMemory<T>(limitBytes: Int, requestedBytes: Int, systemBytes: Int, reuse: () -> T? = { nil },
                          map: () -> T?) throws(AllocationError) -> T {
        var collectedForLimit = false
        while true {
            if let memory = reuse() { return memory }
            if let limit = configuration.heapLimitBytes, footprintBytes + limitBytes > limit {
                if !collectedForLimit {
                    collectForLimit()
                    collectedForLimit = true
                    continue
                }
                stats.outOfMemoryErrors += 1
                throw .outOfMemory(requestedBytes: requestedBytes, liveBytes: inUseBytes, limitBytes: limit)
            }
            if let memory = map() { return memory }
            if !collectedForLimit {
                collectForLimit()
                collectedForLimit = true
                continue
            }
            stats.outOfMemoryErrors += 1
            throw .systemOutOfMemory(requestedBytes: systemBytes)
        }
    }

    /// The next block of the queue with free cells, sweeping it first if it still needs it.
    func nextAllocationBlock(sizeClass c: Int) -> Block? {
        var sweepStart: UInt64 = 0
        var swept = 0
        defer {
            if swept > 0 { recordLazySweep(start: sweepStart, blocks: swept) }
        }
        while true {
            settleFinishingSweep(sizeClass: c)  // incremental step 1 may be partway through this class's queue
            guard let b = allocationQueue[c].popLast() else { break }
            if needsSweep(b) {
                if swept == 0 { sweepStart = MonotonicClock.now() }
                swept += 1
                sweep(b)
            }
            if b.header.pointee.freeCount > 0 { return b }
            if swept & 7 == 0 && swept > 0 && lazySweepSliceSpent(since: sweepStart, blocks: swept) { return nil }
        }
        return nil
    }

    /// Makes `b` the allocation block of `c`: its free list or bump range moves to the fast path.
    func install(_ b: Block, sizeClass c: Int) {
        let h = b.header
        assert(h.pointee.freeCount > 0 && (h.pointee.freeList == nil) != (h.pointee.bumpFrom == nil),
               "gc: installing a block with no free cells, or with both a free list and a bump range")
        if incremental.marking { markFreeCells(b) }  // allocation during marking is black
        var allocator = ClassAllocator()
        allocator.freeList = h.pointee.freeList
        if let from = h.pointee.bumpFrom {
            allocator.bumpCursor = UInt(bitPattern: from)
            allocator.bumpLimit = UInt(bitPattern: b.cellsEnd)
        }
        allocators[c] = allocator
        h.pointee.freeList = nil
        h.pointee.bumpFrom = nil
        allocationBlocks[c] = b
    }

    /// Allocates a large object in a mapping of its own.
    func allocateLarge(_ shape: ObjectShape, objectBytes: Int) throws(AllocationError) -> GCRef {
        if configuration.collectionMode == .incremental {
            if !collecting { incrementalStep(pendingBytes: objectBytes) }
        } else if pacer.shouldCollect(inUseBytes: inUseBytes &+ objectBytes) && !collecting {
            collect(reason: .pacer)
        }
        let mapping = LargeObjectSpace.mappingBytes(forObjectBytes: objectBytes)
        let object = try acquireMemory(limitBytes: mapping, requestedBytes: mapping, systemBytes: mapping) {
            largeObjects.allocate(objectBytes: objectBytes, sweepEpoch: sweepEpoch)
        }
        // A fresh mapping is zero: slots nil, payload zero, as promised.
        object.storeBytes(of: ObjectHeader(shape).bits, as: UInt64.self)
        // Allocation during incremental marking is black.
        if incremental.marking { LargeObjectSpace.descriptor(ofObject: object).pointee.marked = 1 }
        allocations += 1
        bytesRequested += shape.bytes
        inUseBytes += objectBytes
        return GCRef(object)
    }

    /// Bytes of memory the heap holds for objects: blocks owned by size classes plus large-object mappings.
    /// This is what the heap limit bounds.
    @usableFromInline var footprintBytes: Int { blockSpace.bytesInUse + largeObjects.mappedBytes }

    // MARK: objects

    /// The shape `object` was allocated with (read from its header).
    /// - Precondition (debug builds, `checkReferences`): `object` is a live object of this heap.
    @inlinable
    public func shape(of object: GCRef) -> ObjectShape {
        if checkReferences { checkReference(object, "shape(of:)") }
        return ObjectHeader(bits: object.address.load(as: UInt64.self)).shape
    }

    /// Reads reference slot `slot` of `object`. A plain load: no read barrier.
    /// - Precondition: `0 <= slot < referenceSlots` (all builds); `object` is a live object of this heap
    ///   (debug builds, `checkReferences`).
    @inlinable
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
    @inlinable
    public func store(_ object: GCRef, slot: Int, _ value: GCRef?) {
        if checkReferences {
            checkReference(object, "store into")
            if let value { checkReference(value, "store of") }
        }
        let header = ObjectHeader(bits: object.address.load(as: UInt64.self))
        checkSlot(slot, count: header.referenceSlots, manager: "gc")
        writeBarrier(object, slot: slot)
        object.address.storeBytes(of: value?.address, toByteOffset: 8 &+ slot &* 8, as: UnsafeMutableRawPointer?.self)
    }

    /// Reads a `T` at `byteOffset` bytes into `object`'s payload (unaligned reads are fine).
    /// - Precondition: `0 <= byteOffset` and `byteOffset + MemoryLayout<T>.size <= payloadBytes` (all builds).
    @inlinable
    public func loadPayload<T: BitwiseCopyable>(_ object: GCRef, byteOffset: Int, as type: T.Type) -> T {
        if checkReferences { checkReference(object, "loadPayload") }
        let header = ObjectHeader(bits: object.address.load(as: UInt64.self))
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: header.payloadBytes, manager: "gc")
        return object.address.loadUnaligned(fromByteOffset: 8 &+ header.referenceSlots &* 8 &+ byteOffset, as: T.self)
    }

    /// Writes `value` at `byteOffset` bytes into `object`'s payload. Payload is not traced: storing an object
    /// address here does not keep that object alive.
    /// - Precondition: `0 <= byteOffset` and `byteOffset + MemoryLayout<T>.size <= payloadBytes` (all builds).
    @inlinable
    public func storePayload<T: BitwiseCopyable>(_ object: GCRef, byteOffset: Int, _ value: T) {
        if checkReferences { checkReference(object, "storePayload") }
        let header = ObjectHeader(bits: object.address.load(as: UInt64.self))
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: header.payloadBytes, manager: "gc")
        object.address.storeBytes(of: value, toByteOffset: 8 &+ header.referenceSlots &* 8 &+ byteOffset, as: T.self)
    }

    // MARK: roots

    /// Number of entries on the shadow stack.
    @inlinable
    public var rootDepth: Int { roots.count }

    /// Pushes `ref` on the shadow stack: it and everything it reaches survive collections until popped.
    @inlinable @discardableResult
    public func pushRoot(_ ref: GCRef?) -> Int {
        if checkReferences, let ref { checkReference(ref, "pushRoot") }
        return roots.push(ref?.address)
    }

    /// - Precondition: `index < rootDepth`.
    @inlinable
    public func setRoot(_ index: Int, _ ref: GCRef?) {
        if checkReferences, let ref { checkReference(ref, "setRoot") }
        roots.set(index, ref?.address)
    }

    /// - Precondition: `0 <= depth <= rootDepth`.
    @inlinable
    public func popRoots(to depth: Int) {
        roots.pop(to: depth)
    }

    /// The root at `index` of the shadow stack.
    /// - Precondition: `index < rootDepth`.
    public func root(at index: Int) -> GCRef? {
        precondition(index >= 0 && index < roots.count, "gc: root index \(index) out of range (root depth \(roots.count))")
        return roots.entries[index].map(GCRef.init)
    }

    /// Adds a global root holding `ref`: a root not tied to the shadow stack's nesting, kept until removed.
    public func addGlobalRoot(_ ref: GCRef?) -> GlobalRoot {
        if checkReferences, let ref { checkReference(ref, "addGlobalRoot") }
        return globalRoots.add(ref?.address)
    }

    /// Replaces what global root `root` holds.
    /// - Precondition: `root` was returned by `addGlobalRoot` and not removed.
    public func setGlobalRoot(_ root: GlobalRoot, _ ref: GCRef?) {
        if checkReferences, let ref { checkReference(ref, "setGlobalRoot") }
        globalRoots.set(root, ref?.address)
    }

    /// What global root `root` holds.
    /// - Precondition: as `setGlobalRoot`.
    public func globalRoot(_ root: GlobalRoot) -> GCRef? { globalRoots.get(root).map(GCRef.init) }

    /// Removes a global root; its handle becomes invalid.
    /// - Precondition: as `setGlobalRoot`.
    public func removeGlobalRoot(_ root: GlobalRoot) { globalRoots.remove(root) }

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

    /// Objects not known to be dead: those the last collection found live plus those allocated since.
    /// Right after `collect()` it is exactly the number of objects reachable from the roots.
    public var liveObjectCount: Int { liveObjectsAfterLastCycle + (allocations - allocationsAtLastCycle) }

    /// Heap in use, in bytes: cells allocated (header and rounding included) and large objects, minus what the
    /// last collection proved dead. Right after `collect()` it is exactly the bytes reachable from the roots.
    public var heapInUseBytes: Int { inUseBytes }

    /// Whether `ref` still holds an object: true for every object reachable from the roots; false for one
    /// the collector reclaimed (until its cell is reused by a later allocation, after which the address holds
    /// a new object). For tests and debugging; a hash lookup and a few loads.
    public func isLive(_ ref: GCRef) -> Bool { referenceProblem(ref) == nil }

    /// Why `ref` is not a live heap object (it points outside the heap, into a free block, between cells, at a
    /// free cell, or at an object the last collection found unreachable), or nil when it is one.
    public func referenceProblem(_ ref: GCRef) -> String? {
        let address = UnsafeRawPointer(ref.address)
        if blockSpace.contains(address) {
            let block = Block(containing: address)
            let h = block.header.pointee
            guard h.kind == HeapLayout.smallBlockKind else {
                return "\(ref) points into a free block (its object was reclaimed)"
            }
            guard block.isCellStart(address) else {
                return "\(ref) is not the start of an object (cells of that block are \(h.cellBytes) bytes)"
            }
            if isInBumpRange(address, of: block) {
                return "\(ref) is a free cell not yet handed out (its object was reclaimed)"
            }
            guard ObjectHeader(bits: address.load(as: UInt64.self)).isObject else {
                return "\(ref) is a free cell (its object was reclaimed)"
            }
            if h.sweptEpoch != sweepEpoch && !block.isMarked(address) {
                return "\(ref) was found unreachable by the last collection (it is reclaimed)"
            }
            return nil
        }
        if largeObjects.contains(object: address) {
            let d = LargeObjectSpace.descriptor(ofObject: address).pointee
            if d.sweptEpoch != sweepEpoch && d.marked == 0 {
                return "\(ref) was found unreachable by the last collection (it is reclaimed)"
            }
            return nil
        }
        return "\(ref) is not a heap object of this heap"
    }

    /// Whether `address` (a cell of `block`) lies in the block's range of cells not yet handed out since the
    /// block was empty: the allocator's bump range when `block` is an allocation block, else the block's own.
    func isInBumpRange(_ address: UnsafeRawPointer, of block: Block) -> Bool {
        let c = Int(block.header.pointee.sizeClass)
        if allocationBlocks[c] == block {
            let a = allocators[c]
            return a.bumpCursor != 0 && UInt(bitPattern: address) >= a.bumpCursor
        }
        guard let from = block.header.pointee.bumpFrom else { return false }
        return address >= UnsafeRawPointer(from)
    }

    /// Stops with a precondition message when `ref` is not a live object (only called when `checkReferences`).
    @usableFromInline @inline(never)
    func checkReference(_ ref: GCRef, _ operation: StaticString) {
        if let problem = referenceProblem(ref) {
            preconditionFailure("gc: \(operation): \(problem)")
        }
    }
}
