internal import CMarkSweepGC
import HeapLabCore

// MARK: - Central allocation: where a mutator's slow path meets the shared heap
//
// A mutator allocates from blocks it owns without any lock (GCHeap.allocate). When its block for a size class
// is exhausted, its slow path takes the shared lock and comes here: the block is left full in its class, the
// mutator's counts are folded into the totals, the pacer may start a collection (stopping every thread), and
// a block with free cells is installed: one from the class's queue (swept now if lazy sweeping left it), else a
// fresh one from the pool or the system. This is Go's mcache refilling from mcentral and mheap, one block
// (64 KiB of cells) per lock acquisition.
//
// Ownership invariant: a block is an allocation block of at most one mutator (`GCHeap.allocationBlocks`), and
// while it is, only that mutator takes cells from it; blocks on `allocationQueue` belong to no mutator, and are
// swept only under the lock. Everything here runs with the lock held.

extension SharedHeap {
    /// Installs a block with free cells for `sizeClass`: a swept block with free cells, a block swept now
    /// (lazy sweeping), or a fresh block from the pool or the system. Starts a collection first when the pacer
    /// says the heap reached its goal; runs a full one when the heap limit is in the way.
    func refill(sizeClass c: Int, for m: GCHeap) throws(AllocationError) {
        // The allocation block is exhausted: it stays in the class's block list, full.
        if let b = m.allocationBlocks[c] {
            b.header.pointee.freeCount = 0
            m.allocators[c] = ClassAllocator()
            m.allocationBlocks[c] = nil
        }
        fold(m)
        if configuration.collectionMode.marksBetweenPauses {
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
        install(b, sizeClass: c, in: m)
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

    /// Makes `b` the allocation block of `c` in mutator `m`: its free list or bump range moves to `m`'s fast
    /// path, and `m` owns the block until it is exhausted or retired.
    func install(_ b: Block, sizeClass c: Int, in m: GCHeap) {
        let h = b.header
        assert(h.pointee.freeCount > 0 && (h.pointee.freeList == nil) != (h.pointee.bumpFrom == nil),
               "gc: installing a block with no free cells, or with both a free list and a bump range")
        if incremental.marking { markFreeCells(b) }  // allocation during marking is black
        var allocator = ClassAllocator()
        allocator.freeList = h.pointee.freeList
        if let from = h.pointee.bumpFrom {
            allocator.bumpCursor = UInt(bitPattern: from)
            allocator.bumpEnd = UInt(bitPattern: b.cellsEnd)
            allocator.bumpLimit = ClassAllocator.nextLimit(from: allocator.bumpCursor, cellBytes: UInt(h.pointee.cellBytes),
                                                           end: allocator.bumpEnd)
        }
        m.allocators[c] = allocator
        h.pointee.freeList = nil
        h.pointee.bumpFrom = nil
        m.allocationBlocks[c] = b
    }

    /// Allocates a large object in a mapping of its own.
    func allocateLarge(_ shape: ObjectShape, objectBytes: Int, for m: GCHeap) throws(AllocationError) -> GCRef {
        fold(m)
        if configuration.collectionMode.marksBetweenPauses {
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
        // Counted in the shared totals at once (the lock is held).
        allocations += 1
        bytesRequested += shape.bytes
        inUseBytes += objectBytes
        return GCRef(object)
    }

    /// Bytes of memory the heap holds for objects: blocks owned by size classes plus large-object mappings.
    /// This is what the heap limit bounds.
    var footprintBytes: Int { blockSpace.bytesInUse + largeObjects.mappedBytes }


    /// The mutator whose allocation block `b` is, if any.
    func owner(ofAllocationBlock b: Block) -> GCHeap? {
        let c = Int(b.header.pointee.sizeClass)
        for u in mutators {
            let m = u.takeUnretainedValue()
            if m.allocationBlocks[c] == b { return m }
        }
        return nil
    }

    /// Whether `b` is some mutator's allocation block (the sweeper leaves those alone).
    func isAllocationBlock(_ b: Block) -> Bool { owner(ofAllocationBlock: b) != nil }

    /// Why `ref` is not a live heap object (it points outside the heap, into a free block, between cells, at a
    /// free cell, or at an object the last collection found unreachable), or nil when it is one.
    func referenceProblem(_ ref: GCRef) -> String? {
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
            // The mark byte is read atomically: parallel markers may be setting it (this check runs inside
            // `markObject` when `checkReferences` is on).
            if h.sweptEpoch != sweepEpoch && heaplab_load_mark_byte(block.markByte(of: address)) == 0 {
                return "\(ref) was found unreachable by the last collection (it is reclaimed)"
            }
            return nil
        }
        if largeObjects.contains(object: address) {
            // Field by field, never a copy of the whole descriptor: parallel markers may be exchanging its
            // `marked` flag, which is read atomically for that reason.
            let d = LargeObjectSpace.descriptor(ofObject: address)
            let flag = (UnsafeMutableRawPointer(d) + LargeObjectHeader.markedOffset).assumingMemoryBound(to: UInt32.self)
            if d.pointee.sweptEpoch != sweepEpoch && heaplab_load_flag(flag) == 0 {
                return "\(ref) was found unreachable by the last collection (it is reclaimed)"
            }
            return nil
        }
        return "\(ref) is not a heap object of this heap"
    }

    /// Whether `address` (a cell of `block`) lies in the block's range of cells not yet handed out since the
    /// block was empty: the owning mutator's bump range when `block` is an allocation block, else the block's
    /// own. A running mutator other than the caller moves its bump cursor without the lock, so its range is
    /// not read (false: the cell is then judged by its header word alone).
    func isInBumpRange(_ address: UnsafeRawPointer, of block: Block) -> Bool {
        if let m = owner(ofAllocationBlock: block) {
            guard m.state != .running || m.owner.isCurrent else { return false }
            let a = m.allocators[Int(block.header.pointee.sizeClass)]
            return a.bumpCursor != 0 && UInt(bitPattern: address) >= a.bumpCursor
        }
        guard let from = block.header.pointee.bumpFrom else { return false }
        return address >= UnsafeRawPointer(from)
    }

}
