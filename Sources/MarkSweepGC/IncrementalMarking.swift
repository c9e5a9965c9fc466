import HeapLabCore

// MARK: - Incremental marking
//
// The incremental cycle (`CollectionMode.incremental`), top to bottom (Docs/Internals.md, "Incremental
// marking", explains each step and why):
//
//   0. trigger        the allocation slow path sees the heap in use pass the trigger, by default half-way from
//                     the last live size to the pacer's goal, and the cycle begins. If the pass has not
//                     finished, the rest is swept in slices (`.sweep` events) first, because marking reuses the
//                     marks.
//   1. sweep pass     the previous cycle's end made every block and large object unswept (one epoch step). A
//                     pass over the large objects and every class's queue sweeps them, paced by allocation so
//                     that it has looked at everything when the heap in use reaches this trigger (proportional
//                     sweeping, counted as lazy sweeping); the allocator sweeps the blocks it takes on its own.
//                     Phase `.sweeping`, then `.idle`.
//   2. start pause    (`.markSlice`, label "start") the allocation blocks are retired, the roots are marked
//                     grey: the snapshot of the roots. The write barrier is switched on.
//   3. mark slices    (`.markSlice`) every allocation slow path while marking pays the mark work the bytes it
//                     allocated have run up (the assist debt), capped by the slice budget in time and bytes.
//                     Objects allocated meanwhile are black: a block installed for allocation has its free
//                     cells marked. The mutator's stores shade the reference they overwrite (WriteBarrier.swift).
//   4. final pause    (`.finalMark`) as soon as a slice empties the mark stack: retire the allocation blocks
//                     (their untouched free cells unmarked again), rescan the roots, drain what that and the
//                     barrier left, optionally the checkmark, then the lazy-sweep set-up (one epoch step, the
//                     large-object list moved aside), the pacer, memory release; the next sweep pass begins.
//
// What makes this correct is the snapshot-at-the-beginning invariant: every object reachable when the roots
// were snapshot, or allocated since, ends the cycle marked. Marking traces the snapshot; the barrier keeps every
// path into it that the mutator cuts by a store; roots need no barrier because they were copied (marked) at the
// snapshot and everything a root gets later comes from the snapshot or is new. So what survives a cycle is
// exactly the objects reachable at its start plus the objects allocated during it, and the stress test checks
// exactly that.

/// The state of the incremental collector between the mutator's slow paths.
@usableFromInline
struct IncrementalState {
    /// `.sweeping`: a sweep pass (step 1) is under way; `.idle`: every block is swept, waiting for the
    /// trigger; `.marking`: from the start pause to the final pause.
    enum Phase { case idle, sweeping, marking }
    var phase = Phase.idle
    /// True from the start pause to the final pause: the write barrier shades overwritten references, and
    /// blocks installed for allocation are allocated black. The one field the store fast path reads.
    @usableFromInline var marking = false

    /// Objects and bytes marked grey in this cycle by tracing and by the barrier (not allocation).
    var counts = MarkCounts()
    /// At the start pause: heap in use, allocations, objects not known dead (for the cycle's accounting).
    var inUseAtStart = 0
    var allocationsAtStart = 0
    var objectsAtStart = 0
    /// Heap in use when the last step ran: allocation since then is what the next step pays for.
    var inUseAtLastStep = 0
    /// Mark work owed by the mutator's allocation and not done yet, in bytes.
    var debtBytes = 0.0
    /// Mark work expected for this cycle: the bytes the last cycle traced.
    var expectedWorkBytes = 0
    /// Bytes the last incremental cycle traced (marked grey: not its black allocation), and that cycle's number.
    var lastTracedBytes = 0
    var lastTracedCycle = -1
    /// The heap in use at which a cycle that is not finished by then is finished in one pause: the goal plus
    /// twice the runway the cycle started with (a memory bound; the pacing above normally ends the cycle first).
    var overrunBytes = Int.max
    /// Slices and their time in this cycle (the mutator's view of the cycle).
    var cycleSlices = 0
    var cycleSliceNanoseconds: UInt64 = 0
    /// Where the finishing sweep (step 1) is: the size class, and in its allocation queue the next block to
    /// look at (`sweepIndex`) and the number of blocks kept so far (`sweepKept`). The queue is compacted in
    /// place as the sweep goes: positions below `sweepKept` hold the blocks kept (swept, with free cells),
    /// positions from `sweepKept` to `sweepIndex` are stale and removed when the class is done, positions from
    /// `sweepIndex` on are not looked at yet. The allocator pops from the end, so it only ever takes a block
    /// not looked at yet, and the class is done as soon as none is left, whoever took the last one.
    /// `SizeClasses.count` when no pass is under way (every block swept).
    var sweepClass = SizeClasses.count
    var sweepIndex = 0
    var sweepKept = 0
    /// Proportional sweeping (Go's sweep pacing): the pass begins when a cycle ends and looks at
    /// `sweepBlocksTotal` blocks over the `sweepRunwayBytes` of allocation until the next trigger, starting from
    /// `sweepStartInUse` bytes in use; `sweepExamined` is how many it has looked at.
    var sweepStartInUse = 0
    var sweepRunwayBytes = 1
    var sweepBlocksTotal = 0
    var sweepExamined = 0

    // Totals since the heap was made.
    var cycles = 0
    var markSlices = 0
    var sweepSlices = 0
    var sliceNanoseconds: UInt64 = 0
    var maxSliceNanoseconds: UInt64 = 0
    var finalPauseNanoseconds: UInt64 = 0
    var maxFinalPauseNanoseconds: UInt64 = 0
    var barrierShades = 0
    /// Cycles finished in one pause because the heap passed `overrunBytes` first (marking fell behind).
    var overruns = 0
    /// Cycles abandoned by a stop-the-world collection (`collect()`, the heap limit).
    var abandoned = 0
}

extension SharedHeap {
    /// Whether an incremental cycle is marking now (between its start pause and its final pause).
    var isMarking: Bool { incremental.marking }

    /// Switches the write barrier of every mutator (world stopped, or one mutator: the caller).
    func setBarrier(_ on: Bool) {
        incremental.marking = on
        forEachMutator { $0.barrierOn = on }
    }

    /// The allocation slow path's hook in incremental mode: starts a cycle at the trigger, sweeps or marks a
    /// slice, finishes the cycle. `pendingBytes` is what the allocation in progress is about to add (a large
    /// object), counted as if already allocated.
    func incrementalStep(pendingBytes: Int) {
        let inUse = inUseBytes &+ pendingBytes
        switch incremental.phase {
        case .idle:
            // Every block is swept (the last pass finished); marking starts at the trigger.
            guard inUse >= incrementalTriggerBytes else { return }
            startIncrementalMarking()
        case .sweeping:
            if inUse >= incrementalTriggerBytes {
                // The trigger came before the pass finished: the rest is swept in full slices (`.sweep`
                // events), because marking reuses the marks; then marking starts.
                if sweepSlice(maxBlocks: Int.max) { startIncrementalMarking() }
                return
            }
            // Proportional sweeping: by the time the heap in use reaches the trigger, every block has been
            // looked at, so the pass is spread over the allocation in between instead of piling up in front of
            // the next cycle. Counted and logged as lazy sweeping (allocation's own work), as the allocator's
            // sweeping is.
            let progress = Double(max(0, inUse - incremental.sweepStartInUse)) / Double(incremental.sweepRunwayBytes)
            let due = Int(min(progress, 1) * Double(incremental.sweepBlocksTotal)) + 1
            let owed = due - incremental.sweepExamined
            if owed > 0 && sweepSlice(maxBlocks: owed, paced: true) { incremental.phase = .idle }
        case .marking:
            if inUse >= incremental.overrunBytes {
                incremental.overruns += 1
                finishIncrementalMarking(reason: .incrementalOverrun)
                return
            }
            let allocated = max(0, inUse - incremental.inUseAtLastStep)
            incremental.inUseAtLastStep = inUse
            // Go's assist ratio: the mark work still expected over the heap growth still allowed. While the
            // tracer is within the work expected (what the last cycle traced), the growth allowed is up to the
            // goal. Once it has passed that, the work left is bounded by what was in the heap at the snapshot
            // (nothing else can need tracing), and the growth allowed is up to half-way to the hard bound
            // (`overrunBytes`), as Go's pacer switches to its hard goal: marking then spreads over the extra runway instead of
            // running full slices back to back at the goal. The runway is at least 64 KiB.
            let traced = incremental.counts.bytes
            let remainingWork: Int
            let limit: Int
            if traced < incremental.expectedWorkBytes {
                remainingWork = incremental.expectedWorkBytes - traced
                limit = pacer.goalBytes
            } else {
                remainingWork = max(incremental.inUseAtStart - traced, 64 << 10)
                // Half-way from the goal to the hard bound: the bound itself ends marking in one pause, so the
                // target keeps a margin for growth the estimate did not see.
                limit = pacer.goalBytes + (incremental.overrunBytes - pacer.goalBytes) / 2
            }
            let runway = max(limit - inUse, 64 << 10)
            incremental.debtBytes += Double(allocated) * Double(remainingWork) / Double(runway)
            if configuration.collectionMode == .concurrent {
                // No slices: the background marker marks, and this mutator assists only for the debt its
                // credit did not cover (ConcurrentMarking.swift).
                concurrentStep()
                return
            }
            if markSlice(workBytes: Int(min(incremental.debtBytes, Double(Int.max / 2)))) {
                finishIncrementalMarking(reason: .incremental)
            }
        }
    }

    /// Heap in use at which an incremental cycle starts: `markTriggerFraction` of the way from the last live
    /// size to the pacer's goal (half-way by default), so that marking at the assist ratio (about
    /// `traced / (goal - trigger)` bytes marked per byte allocated) finishes at the goal. An earlier trigger
    /// spreads marking thinner over more allocation, for a larger heap. Never when the goal is unbounded.
    var incrementalTriggerBytes: Int {
        let goal = pacer.goalBytes
        guard goal != Int.max else { return Int.max }
        let live = min(liveBytesAfterLastCycle, goal)
        return live + Int(Double(goal - live) * configuration.markTriggerFraction)
    }

    /// Step 2, the start pause: every block is swept already (step 1), so every mark is clear; the
    /// allocation blocks are retired and queued again (so the next block installed for each class is allocated
    /// black), the roots are marked grey, and the barrier is switched on. No step here visits every block: the
    /// pause is O(size classes + roots).
    func startIncrementalMarking() {
        prepareBackgroundMarker()  // concurrent mode: its thread is started before the pause opens, not in it
        let pause = openPause()
        defer { startTheWorld() }
        let (cpuStart, start, stopped, safepointWait) = (pause.cpuStart, pause.start, pause.stopped, pause.safepointWait)
        if incremental.sweepClass < SizeClasses.count || largeObjects.unswept != nil {
            // Started without step 1 (a test drives the phases by hand): sweep everything now, in the pause.
            finishSweeping()
        }
        let retired = installedAllocationBlocks()
        retireAllocationBlocks()
        for b in retired where b.header.pointee.freeCount > 0 {
            // Back on the queue, so its free cells are used (and allocated black when it is installed again).
            // liveCount must be right for the next finishing sweep, which returns blocks with none to the pool.
            b.header.pointee.liveCount = b.header.pointee.cellCount - b.header.pointee.freeCount
            allocationQueue[Int(b.header.pointee.sizeClass)].append(b)
        }
        let afterRetire = MonotonicClock.now()
        incremental.counts = MarkCounts()
        incremental.inUseAtStart = inUseBytes
        incremental.inUseAtLastStep = inUseBytes
        incremental.allocationsAtStart = allocations
        incremental.objectsAtStart = liveObjectCount
        incremental.debtBytes = 0
        incremental.cycleSlices = 0
        incremental.cycleSliceNanoseconds = 0
        // What the last cycle traced: a stop-the-world cycle's live bytes, or an incremental cycle's traced bytes
        // (its live bytes also count what it allocated black, which is no work for the tracer).
        let lastTraced = incremental.lastTracedCycle == stats.cycles ? incremental.lastTracedBytes : liveBytesAfterLastCycle
        incremental.expectedWorkBytes = max(lastTraced, 64 << 10)
        let goal = pacer.goalBytes
        let trigger = incrementalTriggerBytes
        incremental.overrunBytes = goal == Int.max ? Int.max : goal + 2 * max(goal - min(trigger, goal), 64 << 10)
        markRoots(&incremental.counts)
        setBarrier(true)
        incremental.phase = .marking
        if configuration.collectionMode == .concurrent { startBackgroundMarking() }
        let end = MonotonicClock.now()
        // The background marker is woken after the pause's clock stops (below): a thread woken on this
        // processor may run before the waker, which belongs to the mutator's time, not to the stop.
        recordSlice(PauseEvent(kind: .markSlice, cycle: stats.cycles + 1, startNanoseconds: start,
                               durationNanoseconds: end &- start,
                               phases: [PhaseTime("safepoint", nanoseconds: stopped &- start),
                                        PhaseTime("retire", nanoseconds: afterRetire &- stopped),
                                        PhaseTime("roots", nanoseconds: end &- afterRetire)],
                               heapBytesBefore: inUseBytes, heapBytesAfter: inUseBytes,
                               objectsMarked: incremental.counts.objects, bytesMarked: incremental.counts.bytes,
                               label: "start: roots snapshot", cpuNanoseconds: pauseCPUTime(since: cpuStart),
                               safepointOffCPUNanoseconds: safepointWait.offCPUNanoseconds))
        if configuration.collectionMode == .concurrent { wakeBackgroundMarker() }
    }

    /// Step 3: one mark slice of at most `workBytes` bytes marked (and the configured caps). Returns true when
    /// the mark stack is empty afterwards: marking is done but for the final pause.
    func markSlice(workBytes: Int) -> Bool {
        if markStack.isEmpty && !markStack.overflowed { return true }
        var budget = max(workBytes, 1)
        if let cap = configuration.sliceBudgetBytes { budget = min(budget, cap) }
        // A slice reads objects other mutators could be writing: it stops them (with one mutator, a no-op).
        let pause = openPause()
        defer { startTheWorld() }
        let (cpuStart, start, stopped, safepointWait) = (pause.cpuStart, pause.start, pause.stopped, pause.safepointWait)
        let deadline = configuration.sliceBudgetNanoseconds.map { stopped &+ $0 } ?? UInt64.max
        let before = incremental.counts
        var stack = markStack
        drain(&stack, &incremental.counts, untilBytes: before.bytes &+ budget, deadline: deadline)
        markStack = stack
        let end = MonotonicClock.now()
        let done = incremental.counts.bytes &- before.bytes
        incremental.debtBytes = max(0, incremental.debtBytes - Double(done))
        stats.totalMarkNanoseconds &+= end &- stopped
        recordSlice(PauseEvent(kind: .markSlice, cycle: stats.cycles + 1, startNanoseconds: start,
                               durationNanoseconds: end &- start,
                               phases: [PhaseTime("safepoint", nanoseconds: stopped &- start),
                                        PhaseTime("mark", nanoseconds: end &- stopped)],
                               heapBytesBefore: inUseBytes, heapBytesAfter: inUseBytes,
                               objectsMarked: incremental.counts.objects &- before.objects, bytesMarked: done,
                               cpuNanoseconds: pauseCPUTime(since: cpuStart),
                               safepointOffCPUNanoseconds: safepointWait.offCPUNanoseconds))
        return markStack.isEmpty
    }

    /// Step 4, the final pause: retire the allocation blocks and unmark their free cells, rescan the roots,
    /// drain what is left (and recover from a mark-stack overflow), then sweep set-up and accounting as the
    /// stop-the-world cycle does. With `checkmark`, an independent re-mark checks the result (not timed).
    func finishIncrementalMarking(reason: CollectionReason) {
        let pause = openPause()
        defer { startTheWorld() }
        var cpuStart = pause.cpuStart
        let (start, safepointWait) = (pause.start, pause.safepointWait)
        var timer = pause.phaseTimer()
        collecting = true
        defer { collecting = false }
        let inUseBefore = inUseBytes
        // First the allocation blocks: retired, the marks of their free cells cleared. Nothing allocates
        // until the pause ends, and a mark-stack overflow recovery below rescans every *marked* cell, which
        // must then all hold objects.
        let installed = installedAllocationBlocks()
        retireAllocationBlocks()
        for b in installed { unmarkFreeCells(b) }
        // The roots need no rescan for correctness under the snapshot barrier (see the top of this file); it
        // costs one pass over the shadow stack and makes the final pause robust to a root written behind the
        // heap's back. It finds nothing new in a correct program, and the checkmark would say so if it did.
        markRoots(&incremental.counts)
        timer.end("roots")
        markHeap(&incremental.counts)
        setBarrier(false)
        timer.end("mark")
        if configuration.checkmark {
            let cpuBeforeCheckmark = pauseCPUStart()
            let problems = checkmarkProblems()
            if !problems.isEmpty {
                reportCheckFailure(HeapCheckFailure(check: .checkmark, cycle: stats.cycles + 1, problems: problems))
            }
            timer.lapStart = MonotonicClock.now()  // the checkmark is not part of the pause
            cpuStart &+= pauseCPUStart() &- cpuBeforeCheckmark
        }
        let allocatedBytes = inUseBytes - incremental.inUseAtStart
        let allocatedObjects = allocations - incremental.allocationsAtStart
        let liveBytes = incremental.counts.bytes + allocatedBytes
        let liveObjects = incremental.counts.objects + allocatedObjects
        let largeFreed = sweepAfterMark()
        // The pacer's goal grows from everything marked, black allocation included (as Go's does): floating
        // garbage then costs heap, not a heavier mark rate in the next cycle.
        finishCycle(liveBytes: liveBytes, liveObjects: liveObjects)
        incremental.lastTracedBytes = incremental.counts.bytes
        incremental.lastTracedCycle = stats.cycles + 1
        if configuration.collectionMode == .concurrent {
            // Outside the pause: the background thread gives the memory back a batch at a time (a release of
            // tens of MiB took 28 ms in this pause on binary-trees).
            scheduleBackgroundRelease()
        } else {
            releaseUnneededMemory()
        }
        timer.end("sweep")
        let duration = timer.phases.reduce(0) { $0 &+ $1.nanoseconds }
        beginFinishingSweep()  // every block is unswept now: the next pass starts, paced to the next trigger
        incremental.cycles += 1
        incremental.finalPauseNanoseconds &+= duration
        incremental.maxFinalPauseNanoseconds = max(incremental.maxFinalPauseNanoseconds, duration)
        let event = PauseEvent(kind: .finalMark, cycle: stats.cycles + 1, startNanoseconds: start,
                               durationNanoseconds: duration, phases: timer.phases, heapBytesBefore: inUseBefore,
                               heapBytesAfter: inUseBytes, objectsMarked: liveObjects, bytesMarked: liveBytes,
                               cellsFreed: incremental.objectsAtStart - incremental.counts.objects,
                               label: configuration.collectionMode == .concurrent ? concurrentCycleLabel
                                   : "\(incremental.cycleSlices) slices, \(GCTrace.fixed(Double(incremental.cycleSliceNanoseconds) / 1e6, 3)) ms",
                               cpuNanoseconds: pauseCPUTime(since: cpuStart),
                               safepointOffCPUNanoseconds: safepointWait.offCPUNanoseconds,
                               concurrentWork: configuration.collectionMode == .concurrent
                                   ? concurrent.cycleSpans.workSpans(relativeTo: start) : nil)
        recordCycle(event, largeObjectsFreed: largeFreed, reason: reason)
        // The totals behind the mark rate count what the tracer marked, not the black allocation the event
        // reports as live.
        stats.objectsMarkedTotal -= allocatedObjects
        stats.bytesMarkedTotal -= allocatedBytes
    }

    /// Abandons an incremental cycle in progress (a stop-the-world collection is about to run): clears every
    /// mark, empties the mark stack, switches the barrier off. Nothing is freed; the collection that follows
    /// marks from scratch, so it is exact.
    func abandonIncrementalCycle() {
        guard incremental.phase != .idle else { return }
        settleFinishingSweepForStop()
        if incremental.phase == .marking {
            // Every block and large object was swept before marking began, so every mark now is this cycle's.
            assert(largeObjects.unswept == nil, "gc: marking began before the large objects were swept")
            for c in 0..<SizeClasses.count {
                for b in classBlocks[c] { b.clearMarks() }
            }
            var cursor = largeObjects.head
            while let base = cursor {
                let d = base.assumingMemoryBound(to: LargeObjectHeader.self)
                d.pointee.marked = 0
                cursor = d.pointee.next
            }
            markStack.removeAll()
            incremental.abandoned += 1
        }
        setBarrier(false)
        incremental.phase = .idle
    }

    /// Appends a slice (or the start pause, or a finishing sweep) to the pause log and the statistics.
    func recordSlice(_ event: PauseEvent) {
        let duration = event.durationNanoseconds
        if event.kind == .markSlice { incremental.markSlices += 1 } else { incremental.sweepSlices += 1 }
        incremental.cycleSlices += 1
        incremental.cycleSliceNanoseconds &+= duration
        incremental.sliceNanoseconds &+= duration
        incremental.maxSliceNanoseconds = max(incremental.maxSliceNanoseconds, duration)
        stats.totalPauseNanoseconds &+= duration
        stats.maxPauseNanoseconds = max(stats.maxPauseNanoseconds, duration)
        pauseLog.record(event)
    }

    // MARK: black allocation

    /// Allocation during marking is black: a block about to be installed for allocation gets a mark on
    /// every free cell, so whatever the allocator hands out from it is marked. The cells still free when
    /// marking ends are unmarked again (`unmarkFreeCells`). The allocation fast path is unchanged.
    ///
    /// - Precondition: marking, and `b` holds its free cells (`freeList` or `bumpFrom`) in its header.
    func markFreeCells(_ b: Block) {
        setMarksOfFreeCells(b, to: true)
    }

    /// Clears the marks of the free cells of a retired block (which hold no object).
    func unmarkFreeCells(_ b: Block) {
        setMarksOfFreeCells(b, to: false)
    }

    private func setMarksOfFreeCells(_ b: Block, to marked: Bool) {
        let h = b.header.pointee
        var cursor = h.freeList
        // Invariant: free-list entries are cell starts of `b` (the verifier checks it), so each has a mark byte.
        while let cell = cursor {
            b.setMark(cell, marked)
            cursor = cell.load(as: UnsafeMutableRawPointer?.self)
        }
        if let from = h.bumpFrom {
            var cell = from
            let end = b.cellsEnd
            while cell < end {
                b.setMark(cell, marked)
                cell += h.cellBytes
            }
        }
    }

    // MARK: budgeted draining

    /// `drain` with a budget: stops when `untilBytes` bytes have been marked in `counts` or the clock passes
    /// `deadline` (checked every 32 objects scanned), whichever comes first. Objects still in the prefetch ring
    /// go back on the stack (they are grey). The loop is `drainRing`, the stop-the-world drain's own.
    func drain(_ stack: inout MarkStack, _ counts: inout MarkCounts, untilBytes: Int, deadline: UInt64) {
        drainRing(&stack, &counts, budget: DrainBudget(untilBytes: untilBytes, deadline: deadline))
    }

    /// `drain` with a budget while mutators run (concurrent marking: the background marker and assists), with
    /// the lock held: atomic slot reads and marks (`drainRing`'s `concurrent`). `yieldsToLockWaiters`: stop
    /// early when another thread waits for the lock (the background marker gives way to mutators' slow paths).
    func drainConcurrently(_ stack: inout MarkStack, _ counts: inout MarkCounts, untilBytes: Int, deadline: UInt64,
                           yieldsToLockWaiters: Bool = false) {
        drainRing(&stack, &counts, budget: DrainBudget(untilBytes: untilBytes, deadline: deadline,
                                                       yieldsToLockWaiters: yieldsToLockWaiters), concurrent: true)
    }
}

extension SharedHeap {
    /// The incremental collector's counters, merged into `statistics().extra` (all 0 in stop-the-world mode):
    /// `incrementalCycles`, `markSlices` (start pauses included), `sweepSlices` (finishing sweeps before a
    /// cycle), `sliceNanoseconds` (total), `maxSliceNanoseconds`, `finalPauseNanoseconds` (total),
    /// `maxFinalPauseNanoseconds`, `barrierShades` (stores that found a reference to shade while marking),
    /// `markOverruns` (cycles finished in one pause because marking fell behind), `abandonedCycles`.
    func incrementalStatistics() -> [String: Double] {
        let s = incremental
        return ["incrementalCycles": Double(s.cycles), "markSlices": Double(s.markSlices),
                "sweepSlices": Double(s.sweepSlices), "sliceNanoseconds": Double(s.sliceNanoseconds),
                "maxSliceNanoseconds": Double(s.maxSliceNanoseconds),
                "finalPauseNanoseconds": Double(s.finalPauseNanoseconds),
                "maxFinalPauseNanoseconds": Double(s.maxFinalPauseNanoseconds),
                "barrierShades": Double(s.barrierShades), "markOverruns": Double(s.overruns),
                "abandonedCycles": Double(s.abandoned)]
    }
}
