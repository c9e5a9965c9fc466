import HeapLabCore

/// The sweep phase: unmarked cells back onto their block's free list, empty blocks to the pool, marks
/// cleared for the next cycle.
///
/// Eager sweeping does every block inside the pause. Lazy sweeping only queues them: the allocator sweeps a
/// block when it needs one of its class (`GCHeap.nextAllocationBlock`), and the next cycle finishes whatever
/// is left before it marks. Either way, a block's marks are the only record of what is live in it from
/// the end of marking until it is swept; `needsSweep` (the block's sweep epoch against the heap's) says which
/// blocks are in that state.
extension SharedHeap {
    /// Step 5: eager mode sweeps every block now (with the collector threads when `parallel`); lazy mode
    /// queues every block for the allocator. Large objects are swept now in both modes. Returns how many large
    /// objects were freed.
    func sweepAfterMark(parallel: Bool = false) -> Int {
        // Invariant: every block was swept before this mark phase (step 1), so all of them carry the current
        // epoch; after this line, all of them carry the one before: unswept, their marks the record of what is
        // live. Blocks formatted from now on carry the new epoch.
        sweepEpoch &+= 1
        // Large objects: stop-the-world mode sweeps them now; incremental mode hands the whole list to the
        // sweep pass in one step (LargeObjectSpace), to keep the final pause short.
        let large: (objects: Int, bytes: Int)
        if configuration.collectionMode.marksBetweenPauses {
            largeObjects.beginLazySweep()
            large = (0, 0)
        } else {
            large = largeObjects.sweep(sweepEpoch: sweepEpoch)
        }
        switch configuration.sweepMode {
        case .eager:
            // With collector threads, they sweep the blocks first; the loop below then only sorts them.
            if parallel { sweepBlocksInParallel() }
            for c in 0..<SizeClasses.count {
                allocationQueue[c].removeAll(keepingCapacity: true)
                // Backwards, so removing a block (swap with the last) never skips one.
                var i = classBlocks[c].count - 1
                while i >= 0 {
                    let b = classBlocks[c][i]
                    if sweepAndSort(b, sizeClass: c) { allocationQueue[c].append(b) }
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

    /// Sweeps one block. Its marks say which cells are live; everything else becomes free:
    /// - no cell marked: the block is empty; every cell is free above `bumpFrom` (no cell memory is touched);
    /// - every cell marked: the block is full; no free cell;
    /// - otherwise: the unmarked cells are linked, in address order, into the block's free list.
    /// With poisoning, every object freed now is filled with the pattern (and its first word zeroed) first.
    /// Clears the marks.
    ///
    /// Invariants on return: `freeCount + liveCount == cellCount`, every mark clear, `needsSweep(b)` false,
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
        if live > 0 { b.clearMarks() }  // no mark set: nothing to clear (a 4 KiB fill saved per dead block)
        h.pointee.freeCount = cellCount - live
        h.pointee.liveCount = live
        h.pointee.sweptEpoch = sweepEpoch
    }

    /// Sweeps `b` if it needs it, then sorts it: an empty block (not the allocation block) leaves its class
    /// for the pool. Returns true when `b` stays and has free cells: it belongs in the allocation queue.
    /// The one place every sweeper -- eager, `finishSweeping`, the incremental sweep pass -- decides a block's
    /// fate.
    @inline(__always)
    func sweepAndSort(_ b: Block, sizeClass c: Int) -> Bool {
        if needsSweep(b) { sweep(b) }
        if b.header.pointee.liveCount == 0 && !isAllocationBlock(b) {
            removeFromClass(b, sizeClass: c)
            blockSpace.returnBlock(b)
            return false
        }
        return b.header.pointee.freeCount > 0
    }

    /// Whether `b` has been marked by a cycle since it was last swept: its marks, not its free list, say
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

    /// Sweeps every block still waiting (lazy mode): afterwards every mark is clear and every free cell
    /// is on a free list. Empty blocks go back to the pool. The collection cycle calls this first; a program
    /// may call it to measure or verify a fully swept heap.
    func finishSweeping() {
        // An incremental finishing sweep partway through a class leaves stale positions in its queue.
        settleFinishingSweepForStop()
        _ = largeObjects.sweepUnswept(sweepEpoch: sweepEpoch, maxObjects: Int.max, until: UInt64.max)
        for c in 0..<SizeClasses.count {
            var kept: [Block] = []
            for b in allocationQueue[c] where sweepAndSort(b, sizeClass: c) { kept.append(b) }
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
                                       label: "lazy sweep of \(SharedHeap.sweptDescription(blocks: blocks, largeObjects: largeObjects))"))
        }
    }

    /// "N blocks", or "N blocks and M large objects", for sweep events' labels.
    static func sweptDescription(blocks: Int, largeObjects: Int) -> String {
        let b = "\(blocks) block\(blocks == 1 ? "" : "s")"
        return largeObjects == 0 ? b : b + " and \(largeObjects) large object\(largeObjects == 1 ? "" : "s")"
    }
}

// MARK: - The incremental sweep pass
//
// Incremental mode's step 1 (IncrementalMarking.swift has the whole cycle): after a cycle's final pause every
// block is unswept; a pass over the large objects and every class's allocation queue sweeps them, paced by
// allocation, before the next cycle's marking reuses the marks. Its state is `IncrementalState`'s
// `sweep...` fields.
extension SharedHeap {
    /// Step 1 begins, as a cycle ends (its pause calls this once every block is unswept): the pass starts at
    /// the first class, paced to look at every block before the heap in use reaches the next trigger.
    func beginFinishingSweep() {
        incremental.phase = .sweeping
        incremental.sweepClass = 0
        incremental.sweepIndex = 0
        incremental.sweepKept = 0
        incremental.sweepExamined = 0
        incremental.sweepStartInUse = inUseBytes
        let trigger = incrementalTriggerBytes
        incremental.sweepRunwayBytes = trigger == Int.max ? Int.max : max(trigger - inUseBytes, 64 << 10)
        incremental.sweepBlocksTotal = classBlocks.reduce(0) { $0 + $1.count } + largeObjects.count
    }

    /// Step 1: sweeps the blocks the last cycle left for the lazy sweeper, looking at no more than `maxBlocks`
    /// blocks and for at most one slice budget, and tidies each class's allocation queue as it goes (empty
    /// blocks back to the pool, full blocks out of the queue), so that the start pause finds nothing left to do
    /// for any block. Returns true when every class is done. Unpaced (the trigger has come), it is recorded as
    /// a `.sweep` event when it swept something; `paced` (proportional sweeping before the trigger), it is
    /// accounted as lazy sweeping (`recordLazySweep`, logged only when long).
    func sweepSlice(maxBlocks: Int = Int.max, paced: Bool = false) -> Bool {
        let start = MonotonicClock.now()
        let cpuStart = paced ? 0 : pauseCPUStart()
        let deadline = configuration.sliceBudgetNanoseconds.map { start &+ $0 } ?? UInt64.max
        var swept = 0, largeSwept = 0
        var examined = 0
        // Large objects first: the dead ones hold the most memory per object swept.
        if largeObjects.unswept != nil {
            let large = largeObjects.sweepUnswept(sweepEpoch: sweepEpoch, maxObjects: maxBlocks, until: deadline)
            examined += large.swept
            largeSwept = large.swept
        }
        classes: while incremental.sweepClass < SizeClasses.count && largeObjects.unswept == nil && examined < maxBlocks {
            let c = incremental.sweepClass
            while incremental.sweepIndex < allocationQueue[c].count {
                let b = allocationQueue[c][incremental.sweepIndex]
                incremental.sweepIndex += 1
                if needsSweep(b) { swept += 1 }
                if sweepAndSort(b, sizeClass: c) {
                    // Invariant: sweepKept < sweepIndex, so this overwrites a position already looked at.
                    allocationQueue[c][incremental.sweepKept] = b
                    incremental.sweepKept += 1
                }
                examined += 1
                if examined >= maxBlocks || (examined & 7 == 0 && MonotonicClock.now() >= deadline) {
                    break classes
                }
            }
            finishSweepClass()
        }
        incremental.sweepExamined += examined
        let done = incremental.sweepClass >= SizeClasses.count && largeObjects.unswept == nil
        if paced {
            if swept + largeSwept > 0 { recordLazySweep(start: start, blocks: swept, largeObjects: largeSwept) }
        } else if swept + largeSwept > 0 {
            let end = MonotonicClock.now()
            let duration = end &- start
            stats.lazySweepNanoseconds &+= duration
            stats.lazySweptBlocks += swept
            recordSlice(PauseEvent(kind: .sweep, cycle: stats.cycles + 1, startNanoseconds: start,
                                   durationNanoseconds: duration, phases: [PhaseTime("sweep", nanoseconds: duration)],
                                   heapBytesBefore: inUseBytes, heapBytesAfter: inUseBytes,
                                   label: "finish sweep of \(SharedHeap.sweptDescription(blocks: swept, largeObjects: largeSwept)) before marking",
                                   cpuNanoseconds: pauseCPUTime(since: cpuStart)))
        }
        return done
    }

    /// Ends step 1's pass over the current class: the stale positions between the kept blocks and the blocks
    /// not looked at yet are removed, and the pass moves to the next class. Called by `sweepSlice` when it has
    /// looked at every block of the class, by the allocator when it is about to take the last block not looked
    /// at (`settleFinishingSweep(sizeClass:)`), and when the cycle is abandoned or swept to the end.
    func finishSweepClass() {
        let c = incremental.sweepClass
        allocationQueue[c].removeSubrange(incremental.sweepKept..<incremental.sweepIndex)
        incremental.sweepClass += 1
        incremental.sweepIndex = 0
        incremental.sweepKept = 0
    }

    /// Keeps the allocator and step 1 apart: before the allocator pops a block of class `c`, a class step 1
    /// is partway through and has no block left to look at is finished, so the stale positions at the end of
    /// its queue are gone before the allocator could pop one. O(1) when nothing is pending.
    @inline(__always)
    func settleFinishingSweep(sizeClass c: Int) {
        if incremental.phase == .sweeping && c == incremental.sweepClass
            && allocationQueue[c].count == incremental.sweepIndex && incremental.sweepIndex > 0 {
            finishSweepClass()
        }
    }

    /// Stops step 1 where it is, leaving every queue consistent (no stale positions): before a stop-the-world
    /// collection abandons the cycle, and before `finishSweeping` sweeps the rest in one go.
    func settleFinishingSweepForStop() {
        guard incremental.phase == .sweeping, incremental.sweepClass < SizeClasses.count else { return }
        finishSweepClass()
    }

    /// Incremental mode bounds the allocator's lazy sweeping too: a slow path that has swept
    /// `allocatorSweepBlockBudget` blocks, or for a slice budget, without finding a block with free cells stops,
    /// and the allocator takes a fresh block instead; the blocks it left are swept by the sweep pass or later
    /// slow paths. The block budget matters after a cycle: the end of each queue (where the allocator takes
    /// from) holds the blocks allocated black during marking, full, and one slow path could sweep a run of a
    /// thousand of them to find no free cell (what that cost: Docs/Internals.md, "Incremental marking", step 1).
    /// Go's mcentral gives up after 100 spans the same way. Stop-the-world mode sweeps until it finds one.
    func lazySweepSliceSpent(since start: UInt64, blocks: Int) -> Bool {
        guard configuration.collectionMode.marksBetweenPauses else { return false }
        if blocks >= SharedHeap.allocatorSweepBlockBudget { return true }
        guard let budget = configuration.sliceBudgetNanoseconds else { return false }
        return MonotonicClock.now() &- start >= budget
    }

    /// Blocks the allocator sweeps, at most, looking for free cells in one slow path (incremental mode).
    static let allocatorSweepBlockBudget = 32
}
