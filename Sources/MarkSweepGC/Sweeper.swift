import HeapLabCore

/// The sweep phase: unmarked cells back onto their block's free list, empty blocks to the pool, mark bits
/// cleared for the next cycle.
///
/// Eager sweeping does every block inside the pause. Lazy sweeping only queues them: the allocator sweeps a
/// block when it needs one of its class (`GCHeap.nextAllocationBlock`), and the next cycle finishes whatever
/// is left before it marks. Either way, a block's mark bits are the only record of what is live in it from
/// the end of marking until it is swept; `BlockHeader.needsSweep` says which blocks are in that state.
extension GCHeap {
    /// Step 5: eager mode sweeps every block now; lazy mode queues every block for the allocator. Large
    /// objects are swept now in both modes. Returns how many large objects were freed.
    func sweepAfterMark() -> Int {
        let large = largeObjects.sweep()
        switch configuration.sweepMode {
        case .eager:
            for c in 0..<SizeClasses.count {
                allocationQueue[c].removeAll(keepingCapacity: true)
                // Backwards, so removing a block (swap with the last) never skips one.
                var i = classBlocks[c].count - 1
                while i >= 0 {
                    let b = classBlocks[c][i]
                    _ = sweep(b)
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
            for c in 0..<SizeClasses.count {
                for b in classBlocks[c] { b.header.pointee.needsSweep = true }
                allocationQueue[c] = classBlocks[c]
            }
        }
        return large.objects
    }

    /// Sweeps one block: links its unmarked cells, in address order, into its free list; poisons the cells of
    /// objects freed now (when poisoning); clears its mark bits. Returns the objects it freed.
    ///
    /// Invariants on return: `freeCount + liveCount == cellCount`, every mark bit clear, `needsSweep` false.
    func sweep(_ b: Block) -> Int {
        let cellBytes = b.header.pointee.cellBytes
        let cellCount = b.header.pointee.cellCount
        let poison = poisonFreedCells
        var head: UnsafeMutableRawPointer? = nil
        var free = 0, freedObjects = 0
        // Last cell first, so the list comes out in address order (the allocator then walks memory upwards).
        var cell = b.firstCell + (cellCount - 1) * cellBytes
        for _ in 0..<cellCount {
            if !b.isMarked(cell) {
                if ObjectHeader(bits: cell.load(as: UInt64.self)).isObject {
                    // An object that was allocated and is now unreachable. (Cells already free keep their
                    // poison from when they were freed.)
                    freedObjects += 1
                    if poison { Poison.fill(cell, cellBytes: cellBytes) }
                }
                cell.storeBytes(of: head, as: UnsafeMutableRawPointer?.self)
                head = cell
                free += 1
            }
            cell -= cellBytes
        }
        b.clearMarks()
        b.header.pointee.freeList = head
        b.header.pointee.freeCount = free
        b.header.pointee.liveCount = cellCount - free
        b.header.pointee.needsSweep = false
        return freedObjects
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
        for c in 0..<SizeClasses.count {
            var kept: [Block] = []
            for b in allocationQueue[c] {
                if b.header.pointee.needsSweep { _ = sweep(b) }
                if b.header.pointee.liveCount == 0 && b != allocationBlocks[c] {
                    removeFromClass(b, sizeClass: c)
                    blockSpace.returnBlock(b)
                } else if b.header.pointee.freeCount > 0 {
                    kept.append(b)
                }
            }
            allocationQueue[c] = kept
        }
    }

    /// Accounts for lazy sweeping done on the allocation slow path (and logs it when it was long).
    func recordLazySweep(start: UInt64, blocks: Int) {
        let end = MonotonicClock.now()
        let duration = end &- start
        stats.lazySweepNanoseconds &+= duration
        stats.lazySweptBlocks += blocks
        if duration >= configuration.lazySweepLogThresholdNanoseconds {
            pauseLog.record(PauseEvent(kind: .sweep, cycle: stats.cycles, startNanoseconds: start,
                                       durationNanoseconds: duration, phases: [PhaseTime("sweep", nanoseconds: duration)],
                                       heapBytesBefore: inUseBytes, heapBytesAfter: inUseBytes,
                                       label: "lazy sweep of \(blocks) block\(blocks == 1 ? "" : "s")"))
        }
    }
}
