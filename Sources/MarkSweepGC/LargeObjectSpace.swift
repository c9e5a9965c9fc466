import HeapLabCore

/// The descriptor in front of every large object, at the block-aligned start of its own mapping:
///
///     +0   LargeObjectHeader (48 bytes, padded to 64)
///     +64  the object: its 8-byte header, slots, payload
///
/// Its first word is `HeapLayout.largeObjectKind`, at the same place as a small block's kind, so the marker
/// tells the two apart with one load at `address & ~(blockBytes - 1)`.
@usableFromInline
struct LargeObjectHeader {
    @usableFromInline var kind: UInt32
    /// 1 when the object was marked in the current cycle.
    @usableFromInline var marked: UInt32
    @usableFromInline var next: UnsafeMutableRawPointer?
    @usableFromInline var previous: UnsafeMutableRawPointer?
    /// Bytes of the whole mapping (descriptor included), a multiple of the page size.
    @usableFromInline var mappedBytes: Int
    /// Bytes of the object (header, slots, payload).
    @usableFromInline var objectBytes: Int
    /// The heap's sweep epoch when the object was allocated or last swept: like a block's
    /// (`BlockHeader.sweptEpoch`), it differs from the heap's while the object waits on `unswept`, and then
    /// its mark says whether the last cycle found it live.
    @usableFromInline var sweptEpoch: UInt8

    /// Byte offset of `marked` in the descriptor, for parallel marking's atomic set (`SharedHeap.markObject`).
    static let markedOffset = MemoryLayout<LargeObjectHeader>.offset(of: \.marked)!
}

/// The large-object space: every object whose cell would exceed 8 KiB gets a mapping of its own, aligned to
/// the block size, kept on a doubly linked list for sweeping. Freeing one unmaps it at once: large objects
/// are where returning memory to the system matters most, and a mapping is easy to give back whole.
///
/// Stop-the-world mode sweeps the list inside the pause (`sweep`). Incremental mode keeps the final pause
/// short: the whole list becomes `unswept` in one step (`beginLazySweep`), and the sweep pass takes objects
/// off it a few at a time (`sweepUnswept`): a marked one goes back on the list, an unmarked one is unmapped.
/// Walking thousands of descriptors, one mapping each, and unmapping the dead ones inside the final pause
/// had made it long (figures: Docs/Internals.md, "Incremental marking", "Limits").
@usableFromInline
struct LargeObjectSpace {
    /// Offset of the object header from the start of its mapping.
    @usableFromInline static let objectOffset = 64

    @usableFromInline var head: UnsafeMutableRawPointer?
    /// Objects the last incremental cycle marked or found dead, not swept yet (linked as `head` is).
    @usableFromInline var unswept: UnsafeMutableRawPointer?
    /// Objects on both lists.
    @usableFromInline var count = 0
    /// Bytes of all mappings (descriptors and page rounding included).
    @usableFromInline var mappedBytes = 0
    /// Bytes of the objects themselves.
    @usableFromInline var objectBytes = 0
    /// Base addresses of live mappings, for membership tests (debug reference checks, the verifier).
    @usableFromInline var bases: Set<UInt> = []

    init() {}

    /// Bytes a mapping for an object of `objectBytes` takes.
    static func mappingBytes(forObjectBytes objectBytes: Int) -> Int {
        let page = VirtualMemory.pageBytes
        return (objectOffset + objectBytes + page - 1) / page * page
    }

    @inlinable @inline(__always)
    static func descriptor(ofObject object: UnsafeRawPointer) -> UnsafeMutablePointer<LargeObjectHeader> {
        HeapLayout.blockBase(of: object).assumingMemoryBound(to: LargeObjectHeader.self)
    }

    /// Maps a zeroed large object of `objectBytes` and links it in. Returns the object's address, or nil when
    /// the system refuses memory.
    mutating func allocate(objectBytes: Int, sweepEpoch: UInt8) -> UnsafeMutableRawPointer? {
        let bytes = Self.mappingBytes(forObjectBytes: objectBytes)
        guard let base = VirtualMemory.mapAligned(bytes: bytes, alignment: HeapLayout.blockBytes, reserve: false) else { return nil }
        let d = base.bindMemory(to: LargeObjectHeader.self, capacity: 1)
        d.initialize(to: LargeObjectHeader(kind: HeapLayout.largeObjectKind, marked: 0, next: head, previous: nil,
                                           mappedBytes: bytes, objectBytes: objectBytes, sweptEpoch: sweepEpoch))
        if let head { head.assumingMemoryBound(to: LargeObjectHeader.self).pointee.previous = base }
        head = base
        count += 1
        mappedBytes += bytes
        self.objectBytes += objectBytes
        bases.insert(UInt(bitPattern: base))
        return base + Self.objectOffset
    }

    /// Unlinks the object whose mapping starts at `base` from `head`'s list and unmaps it.
    mutating func free(base: UnsafeMutableRawPointer) {
        let d = base.assumingMemoryBound(to: LargeObjectHeader.self).pointee
        if let p = d.previous { p.assumingMemoryBound(to: LargeObjectHeader.self).pointee.next = d.next } else { head = d.next }
        if let n = d.next { n.assumingMemoryBound(to: LargeObjectHeader.self).pointee.previous = d.previous }
        unmap(base: base)
    }

    /// Gives the mapping of an object that is on no list back to the system, and forgets it.
    mutating func unmap(base: UnsafeMutableRawPointer) {
        let d = base.assumingMemoryBound(to: LargeObjectHeader.self).pointee
        count -= 1
        mappedBytes -= d.mappedBytes
        objectBytes -= d.objectBytes
        bases.remove(UInt(bitPattern: base))
        VirtualMemory.unmap(base, bytes: d.mappedBytes)
    }

    /// Links the object at `base` (on no list) at the front of `head`'s list.
    mutating func pushFront(_ base: UnsafeMutableRawPointer) {
        let d = base.assumingMemoryBound(to: LargeObjectHeader.self)
        d.pointee.previous = nil
        d.pointee.next = head
        if let head { head.assumingMemoryBound(to: LargeObjectHeader.self).pointee.previous = base }
        head = base
    }

    /// Frees every unmarked large object and clears the marks of the rest, now (stop-the-world mode). Returns
    /// the objects and object bytes freed.
    mutating func sweep(sweepEpoch: UInt8) -> (objects: Int, bytes: Int) {
        var freed = 0, freedBytes = 0
        var cursor = head
        while let base = cursor {
            let d = base.assumingMemoryBound(to: LargeObjectHeader.self)
            cursor = d.pointee.next
            if d.pointee.marked != 0 {
                d.pointee.marked = 0
                d.pointee.sweptEpoch = sweepEpoch
            } else {
                freed += 1
                freedBytes += d.pointee.objectBytes
                free(base: base)
            }
        }
        return (freed, freedBytes)
    }

    /// The end of an incremental mark: every large object goes on `unswept` at once, O(1). Objects allocated
    /// from now on go on `head`.
    ///
    /// - Precondition: the last lazy sweep has finished (`unswept` is empty).
    mutating func beginLazySweep() {
        precondition(unswept == nil, "gc: a lazy large-object sweep began before the last one finished")
        unswept = head
        head = nil
    }

    /// Sweeps objects off the front of `unswept` until it is empty, `maxObjects` have been swept, or the clock
    /// (`MonotonicClock`, checked after each object) passes `deadline`: a marked object has its mark cleared
    /// and goes back on `head`'s list; an unmarked one is unmapped. Returns how many it swept and freed.
    mutating func sweepUnswept(sweepEpoch: UInt8, maxObjects: Int, until deadline: UInt64) -> (swept: Int, freed: Int) {
        var swept = 0, freed = 0
        while swept < maxObjects, let base = unswept {
            let d = base.assumingMemoryBound(to: LargeObjectHeader.self)
            unswept = d.pointee.next
            if let next = unswept { next.assumingMemoryBound(to: LargeObjectHeader.self).pointee.previous = nil }
            swept += 1
            if d.pointee.marked != 0 {
                d.pointee.marked = 0
                d.pointee.sweptEpoch = sweepEpoch
                pushFront(base)
            } else {
                freed += 1
                unmap(base: base)
            }
            if MonotonicClock.now() >= deadline { break }
        }
        return (swept, freed)
    }

    @usableFromInline
    func contains(object: UnsafeRawPointer) -> Bool {
        let base = UInt(bitPattern: object) & ~HeapLayout.blockMask
        return bases.contains(base) && UInt(bitPattern: object) == base + UInt(Self.objectOffset)
    }

    /// Unmaps every large object (the heap's deinit).
    mutating func unmapAll() {
        while let base = head { free(base: base) }
        while let base = unswept {
            unswept = base.assumingMemoryBound(to: LargeObjectHeader.self).pointee.next
            unmap(base: base)
        }
    }
}
