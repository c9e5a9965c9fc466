#if canImport(Glibc)
import Glibc
#endif

/// The marker's explicit work list of objects marked but not yet scanned. Marking never recurses, so the depth
/// of the object graph (a 10-million-node list) costs mark-stack entries, never native stack.
///
/// The stack grows by doubling (malloc'd memory, outside the heap and its limit). Growth can fail: the system
/// refuses memory, or the stack reached `maximumEntries` (tests set it small to exercise this). Then the push
/// is dropped and `overflowed` set: the object stays marked but unscanned, and the marker recovers by rescanning
/// the heap for marked objects with unmarked children (`GCHeap.markHeap`, which calls `rescanMarkedObjects`).
@usableFromInline
struct MarkStack {
    @usableFromInline var entries: UnsafeMutablePointer<UnsafeMutableRawPointer>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int
    /// The most entries the stack may grow to.
    @usableFromInline var maximumEntries: Int
    /// Set when a push was dropped; cleared by the recovery scan.
    @usableFromInline var overflowed = false
    /// Overflows since the heap was made.
    @usableFromInline var overflowCount = 0
    /// Objects with more reference slots than `GCHeap.scanChunkSlots` whose scan is under way: each is grey
    /// until its last chunk is scanned (as Go splits large objects into "oblets"), so one huge array costs
    /// many short steps instead of one long one. Never large: one entry per such object being scanned.
    @usableFromInline var partialScans: [PartialScan] = []
    /// The region (address >> `RegionMap.regionShift`) of the last reference the marker found in one of the
    /// heap's regions, or `UInt.max`: a reference in the same region needs no region-map lookup. Valid for the
    /// heap's whole life, because regions are never unmapped while it lives (BlockSpace).
    @usableFromInline var lastRegion = UInt.max

    init(initialCapacity: Int = 4096, maximumEntries: Int) {
        capacity = min(initialCapacity, max(1, maximumEntries))
        self.maximumEntries = max(1, maximumEntries)
        // malloc, not `allocate`, because `grow` reallocs it.
        guard let raw = malloc(capacity * MemoryLayout<UnsafeMutableRawPointer>.stride) else {
            fatalError("gc: cannot allocate the initial mark stack (\(capacity) entries)")
        }
        entries = raw.bindMemory(to: UnsafeMutableRawPointer.self, capacity: capacity)
    }

    /// No grey object left: no entry and no scan under way.
    @inlinable @inline(__always)
    var isEmpty: Bool { count == 0 && partialScans.isEmpty }

    /// Forgets every entry and every scan under way (an abandoned cycle).
    mutating func removeAll() {
        count = 0
        overflowed = false
        partialScans.removeAll()
    }

    @inlinable @inline(__always)
    mutating func push(_ object: UnsafeMutableRawPointer) {
        if _slowPath(count == capacity) {
            guard grow() else {
                overflowed = true
                overflowCount += 1
                return
            }
        }
        // Invariant: count < capacity here.
        entries[count] = object
        count &+= 1
    }

    @inlinable @inline(__always)
    mutating func pop() -> UnsafeMutableRawPointer? {
        guard count > 0 else { return nil }
        count &-= 1
        return entries[count]
    }

    /// Doubles the capacity (up to `maximumEntries`); false when that is impossible.
    @usableFromInline @inline(never)
    mutating func grow() -> Bool {
        let newCapacity = min(capacity * 2, maximumEntries)
        guard newCapacity > capacity,
              let raw = realloc(entries, newCapacity * MemoryLayout<UnsafeMutableRawPointer>.stride) else { return false }
        // realloc kept the first `count` entries; the memory stays bound to UnsafeMutableRawPointer.
        entries = raw.assumingMemoryBound(to: UnsafeMutableRawPointer.self)
        capacity = newCapacity
        return true
    }

    func deallocate() { Glibc.free(entries) }

    // MARK: sharing work (parallel marking)

    /// Takes part of this stack's grey objects out for another marker (ParallelMarking.swift): half of the
    /// entries, from the bottom, when there are at least two (the oldest entries are nearest the roots, so
    /// usually the largest subgraphs); else, with no entries to spare, half of a huge array's remaining
    /// chunks, or half of the scans under way. Nil when there is nothing worth giving.
    mutating func takeShare() -> MarkPacket? {
        if count >= 2 {
            let n = count / 2
            // Invariant: entries[0..<count] are initialized; the first n are copied out, the rest moved down
            // (the ranges may overlap: memmove).
            let objects = Array(UnsafeBufferPointer(start: entries, count: n))
            memmove(entries, entries + n, (count - n) * MemoryLayout<UnsafeMutableRawPointer>.stride)
            count -= n
            return MarkPacket(objects: objects, partials: [])
        }
        if partialScans.count >= 2 {
            let n = partialScans.count / 2
            let given = Array(partialScans[..<n])
            partialScans.removeFirst(n)
            return MarkPacket(objects: [], partials: given)
        }
        if var last = partialScans.last, last.slotCount - last.nextSlot >= 2 * SharedHeap.scanChunkSlots {
            // One huge array: the upper half of its remaining slots, on a chunk boundary, goes to the other
            // marker; `slotCount` is where a scan stops, so each half ends where it should.
            let remainingChunks = (last.slotCount - last.nextSlot) / SharedHeap.scanChunkSlots
            let middle = last.nextSlot + remainingChunks / 2 * SharedHeap.scanChunkSlots
            let upper = PartialScan(object: last.object, nextSlot: middle, slotCount: last.slotCount)
            last.slotCount = middle
            partialScans[partialScans.count - 1] = last
            return MarkPacket(objects: [], partials: [upper])
        }
        return nil
    }

    /// Adds another marker's share to this stack (a push may overflow, as any push).
    mutating func load(_ packet: MarkPacket) {
        for object in packet.objects { push(object) }
        partialScans.append(contentsOf: packet.partials)
    }
}

/// Grey objects handed from one parallel marker to another: entries of a mark stack and scans of huge arrays
/// under way (each a range of its slots).
struct MarkPacket {
    var objects: [UnsafeMutableRawPointer]
    var partials: [PartialScan]
}

/// A large object being scanned a chunk at a time: the next slot to scan, and how many it has.
@usableFromInline
struct PartialScan {
    @usableFromInline var object: UnsafeMutableRawPointer
    @usableFromInline var nextSlot: Int
    @usableFromInline var slotCount: Int
}
