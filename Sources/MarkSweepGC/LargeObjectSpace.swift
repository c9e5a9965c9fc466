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
}

/// The large-object space: every object whose cell would exceed 8 KiB gets a mapping of its own, aligned to
/// the block size, kept on a doubly linked list for sweeping. Freeing one unmaps it at once: large objects
/// are where returning memory to the system matters most, and a mapping is easy to give back whole.
@usableFromInline
struct LargeObjectSpace {
    /// Offset of the object header from the start of its mapping.
    @usableFromInline static let objectOffset = 64

    @usableFromInline var head: UnsafeMutableRawPointer?
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
        let page = SystemMemory.pageBytes
        return (objectOffset + objectBytes + page - 1) / page * page
    }

    @inlinable @inline(__always)
    static func descriptor(ofObject object: UnsafeRawPointer) -> UnsafeMutablePointer<LargeObjectHeader> {
        HeapLayout.blockBase(of: object).assumingMemoryBound(to: LargeObjectHeader.self)
    }

    /// Maps a zeroed large object of `objectBytes` and links it in. Returns the object's address, or nil when
    /// the system refuses memory.
    mutating func allocate(objectBytes: Int) -> UnsafeMutableRawPointer? {
        let bytes = Self.mappingBytes(forObjectBytes: objectBytes)
        guard let base = SystemMemory.mapAligned(bytes: bytes, alignment: HeapLayout.blockBytes) else { return nil }
        let d = base.bindMemory(to: LargeObjectHeader.self, capacity: 1)
        d.initialize(to: LargeObjectHeader(kind: HeapLayout.largeObjectKind, marked: 0, next: head, previous: nil,
                                           mappedBytes: bytes, objectBytes: objectBytes))
        if let head { head.assumingMemoryBound(to: LargeObjectHeader.self).pointee.previous = base }
        head = base
        count += 1
        mappedBytes += bytes
        self.objectBytes += objectBytes
        bases.insert(UInt(bitPattern: base))
        return base + Self.objectOffset
    }

    /// Unlinks and unmaps the large object whose mapping starts at `base`.
    /// Detaches the large object at `base` from the list of objects: it is no longer an object of the heap
    /// (counts, `contains`), but its mapping stays until `unmap` or `releasePending`.
    mutating func unlink(base: UnsafeMutableRawPointer) {
        let d = base.assumingMemoryBound(to: LargeObjectHeader.self).pointee
        if let p = d.previous { p.assumingMemoryBound(to: LargeObjectHeader.self).pointee.next = d.next } else { head = d.next }
        if let n = d.next { n.assumingMemoryBound(to: LargeObjectHeader.self).pointee.previous = d.previous }
        count -= 1
        objectBytes -= d.objectBytes
        bases.remove(UInt(bitPattern: base))
    }

    mutating func free(base: UnsafeMutableRawPointer) {
        unlink(base: base)
        unmap(base: base)
    }

    /// Gives the mapping of an unlinked large object back to the system.
    mutating func unmap(base: UnsafeMutableRawPointer) {
        let mapped = base.assumingMemoryBound(to: LargeObjectHeader.self).pointee.mappedBytes
        mappedBytes -= mapped
        SystemMemory.unmap(base, bytes: mapped)
    }

    /// Frees every unmarked large object and clears the marks of the rest. Returns the objects and object
    /// bytes freed. With `deferringUnmaps`, a dead object is only unlinked (it is no longer an object of the
    /// heap) and queued on `pending`; its mapping goes back to the system later, in `releasePending` steps:
    /// unmapping a resident mapping costs about its page count, so freeing many megabytes in one pause took
    /// 14-22 ms on `large-objects` in incremental mode.
    mutating func sweep(deferringUnmaps: Bool = false) -> (objects: Int, bytes: Int) {
        var freed = 0, freedBytes = 0
        var cursor = head
        while let base = cursor {
            let d = base.assumingMemoryBound(to: LargeObjectHeader.self)
            cursor = d.pointee.next
            if d.pointee.marked != 0 {
                d.pointee.marked = 0
            } else {
                freed += 1
                freedBytes += d.pointee.objectBytes
                if deferringUnmaps {
                    unlink(base: base)
                    pending.append(base)
                } else {
                    free(base: base)
                }
            }
        }
        return (freed, freedBytes)
    }

    /// Dead large objects whose mappings are still to be given back (`sweep(deferringUnmaps: true)`); their
    /// bytes are still in `mappedBytes`, so the heap's footprint counts them until then.
    @usableFromInline var pending: [UnsafeMutableRawPointer] = []

    /// Unmaps pending mappings until none is left or `deadline` (`MonotonicClock`) has passed; at least one.
    /// Returns how many it unmapped.
    mutating func releasePending(until deadline: UInt64) -> Int {
        var released = 0
        while let base = pending.popLast() {
            unmap(base: base)
            released += 1
            if MonotonicClock.now() >= deadline { break }
        }
        return released
    }

    @usableFromInline
    func contains(object: UnsafeRawPointer) -> Bool {
        let base = UInt(bitPattern: object) & ~HeapLayout.blockMask
        return bases.contains(base) && UInt(bitPattern: object) == base + UInt(Self.objectOffset)
    }

    /// Unmaps every large object (the heap's deinit).
    mutating func unmapAll() {
        while let base = head { free(base: base) }
        _ = releasePending(until: UInt64.max)
    }
}
