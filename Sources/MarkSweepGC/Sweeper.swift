import HeapLabCore

/// The sweep phase: unmarked cells back onto their block's free list, empty blocks to the pool, mark bits
/// cleared for the next cycle.
///
/// Eager sweeping does every block inside the pause. Lazy sweeping only queues them: the allocator sweeps a
/// block when it needs one of its class (`GCHeap.nextAllocationBlock`), and the next cycle finishes whatever
/// is left before it marks. Either way, a block's mark bits are the only record of what is live in it from
/// the end of marking until it is swept; `needsSweep` (the block's sweep epoch against the heap's) says which
/// blocks are in that state.
extension GCHeap {
    /// Step 5: eager mode sweeps every block now; lazy mode queues every block for the allocator. Large
    /// objects are swept now in both modes. Returns how many large objects were freed.
    func sweepAfterMark() -> Int {
        // Invariant: every block was swept before this mark phase (step 1), so all of them carry the current
        // epoch; after this line, all of them carry the one before: unswept, their marks the record of what is
        // live. Blocks formatted from now on carry the new epoch.
        sweepEpoch &+= 1
        // Large objects: stop-the-world mode sweeps them now; incremental mode hands the whole list to the
        // sweep pass in one step (LargeObjectSpace), to keep the final pause short.
        let large: (objects: Int, bytes: Int)
        if configuration.collectionMode == .incremental {
            largeObjects.beginLazySweep()
            large = (0, 0)
        } else {
            large = largeObjects.sweep(sweepEpoch: sweepEpoch)
        }
        switch configuration.sweepMode {
        case .eager:
            for c in 0..<SizeClasses.count {
                allocationQueue[c].removeAll(keepingCapacity: true)
                // Backwards, so removing a block (swap with the last) never skips one.
                var i = classBlocks[c].count - 1
                while i >= 0 {
                    let b = classBlocks[c][i]
                    sweep(b)
                    if b.header.pointee.liveCount == 0 {
                        removeFromClass(b, sizeClass: c)
                        blockSpace.returnBlock(b)
                    } else if b.header.pointee.freeCount > 0 {
                        allocationQueue[c].append(b)
                    }
                    i -= 1
                }
            }
        case .lazy:
            // Advancing the epoch is what makes every block unswept (`needsSweep`): no block is touched here,
            // so this step costs O(size classes), not O(blocks). The queue assignment shares the class list's
            // storage; the copy, if any, happens when the allocator next changes either list.
            for c in 0..<SizeClasses.count { allocationQueue[c] = classBlocks[c] }
        }
        return large.objects
    }

    /// Sweeps one block. Its mark bits say which cells are live; everything else becomes free:
    /// - no cell marked: the block is empty; every cell is free above `bumpFrom` (no cell memory is touched);
    /// - every cell marked: the block is full; no free cell;
    /// - otherwise: the unmarked cells are linked, in address order, into the block's free list.
    /// With poisoning, every object freed now is filled with the pattern (and its first word zeroed) first.
    /// Clears the mark bits.
    ///
    /// Invariants on return: `freeCount + liveCount == cellCount`, every mark bit clear, `needsSweep(b)` false,
    /// and at most one of `freeList` and `bumpFrom` set.
    func sweep(_ b: Block) {
        let h = b.header
        let cellBytes = h.pointee.cellBytes
        let cellCount = h.pointee.cellCount
        let live = b.markCount()
        if poisonFreedCells { poisonFreedObjects(b) }
        h.pointee.freeList = nil
        h.pointee.bumpFrom = nil
        if live == 0 {
            h.pointee.bumpFrom = b.firstCell
        } else if live < cellCount {
            var head: UnsafeMutableRawPointer? = nil
            // Last cell first, so the list comes out in address order (the allocator then walks memory upwards).
            // Invariant: `cell` runs over the cell starts of this block, from the last down to the first, so
            // every store below writes the first word of a cell of this block (Block.isMarked asserts it).
            var cell = b.firstCell + (cellCount - 1) * cellBytes
            for _ in 0..<cellCount {
                if !b.isMarked(cell) {
                    cell.storeBytes(of: head, as: UnsafeMutableRawPointer?.self)
                    head = cell
                }
                cell -= cellBytes
            }
            h.pointee.freeList = head
        }
        b.clearMarks()
        h.pointee.freeCount = cellCount - live
        h.pointee.liveCount = live
        h.pointee.sweptEpoch = sweepEpoch
    }

    /// Whether `b` has been marked by a cycle since it was last swept: its mark bits, not its free list, say
    /// which cells are live. O(1): one byte of the block header against the heap's epoch.
    @inline(__always)
    func needsSweep(_ b: Block) -> Bool { b.header.pointee.sweptEpoch != sweepEpoch }

    /// Debug poisoning at sweep time: every unmarked cell that holds an object (not a cell that was already
    /// free) gets a zero first word and the poison pattern, so a later write through a stale reference shows
    /// when the cell is handed out again.
    func poisonFreedObjects(_ b: Block) {
        let cellBytes = b.header.pointee.cellBytes
        let end = b.header.pointee.bumpFrom ?? b.cellsEnd
        var cell = b.firstCell
        while cell < end {
            if !b.isMarked(cell) && ObjectHeader(bits: cell.load(as: UInt64.self)).isObject {
                cell.storeBytes(of: 0 as UInt64, as: UInt64.self)
                Poison.fill(cell, cellBytes: cellBytes)
            }
            cell += cellBytes
        }
    }

    /// Removes `b` from its class's block list (swap with the last, O(1)).
    func removeFromClass(_ b: Block, sizeClass c: Int) {
        let index = b.header.pointee.indexInClass
        assert(classBlocks[c][index] == b, "gc: block list out of sync")
        let last = classBlocks[c].removeLast()
        if last != b {
            classBlocks[c][index] = last
            last.header.pointee.indexInClass = index
        }
        b.header.pointee.indexInClass = -1
    }

    /// Sweeps every block still waiting (lazy mode): afterwards every mark bit is clear and every free cell
    /// is on a free list. Empty blocks go back to the pool. The collection cycle calls this first; a program
    /// may call it to measure or verify a fully swept heap.
    public func finishSweeping() {
        // An incremental finishing sweep partway through a class leaves stale positions in its queue.
        settleFinishingSweepForStop()
        _ = largeObjects.sweepUnswept(sweepEpoch: sweepEpoch, maxObjects: Int.max, until: UInt64.max)
        for c in 0..<SizeClasses.count {
            var kept: [Block] = []
            for b in allocationQueue[c] {
                if needsSweep(b) { sweep(b) }
                if b.header.pointee.liveCount == 0 && b != allocationBlocks[c] {
                    removeFromClass(b, sizeClass: c)
                    blockSpace.returnBlock(b)
                } else if b.header.pointee.freeCount > 0 {
                    kept.append(b)
                }
            }
            allocationQueue[c] = kept
        }
        // Every block is swept: an incremental pass under way has nothing left to do.
        incremental.sweepClass = SizeClasses.count
        if incremental.phase == .sweeping { incremental.phase = .idle }
    }

    /// Accounts for lazy sweeping done on the allocation slow path (and logs it when it was long).
    func recordLazySweep(start: UInt64, blocks: Int, largeObjects: Int = 0) {
        let end = MonotonicClock.now()
        let duration = end &- start
        stats.lazySweepNanoseconds &+= duration
        stats.lazySweptBlocks += blocks
        if duration >= configuration.lazySweepLogThresholdNanoseconds {
            // A logged sweep is a pause in every report, so the pause totals count it too.
            stats.totalPauseNanoseconds &+= duration
            stats.maxPauseNanoseconds = max(stats.maxPauseNanoseconds, duration)
            pauseLog.record(PauseEvent(kind: .sweep, cycle: stats.cycles, startNanoseconds: start,
                                       durationNanoseconds: duration, phases: [PhaseTime("sweep", nanoseconds: duration)],
                                       heapBytesBefore: inUseBytes, heapBytesAfter: inUseBytes,
                                       label: "lazy sweep of \(GCHeap.sweptDescription(blocks: blocks, largeObjects: largeObjects))"))
        }
    }

    /// "N blocks", or "N blocks and M large objects", for sweep events' labels.
    static func sweptDescription(blocks: Int, largeObjects: Int) -> String {
        let b = "\(blocks) block\(blocks == 1 ? "" : "s")"
        return largeObjects == 0 ? b : b + " and \(largeObjects) large object\(largeObjects == 1 ? "" : "s")"
    }
}
