import HeapLabCore

/// Why a collection started.
@usableFromInline
enum CollectionReason: String {
    /// The program called `collect()`.
    case forced
    /// The heap in use reached the pacer's goal.
    case pacer
    /// An allocation would have passed the heap limit.
    case heapLimit = "limit"
    /// An incremental cycle whose marking finished in slices.
    case incremental
    /// An incremental cycle finished in one pause because the heap outgrew the pacer's bound first.
    case incrementalOverrun = "incremental-overrun"
    /// A concurrent cycle whose marking finished beside the mutators (background marker and assists).
    case concurrent
}

/// Objects and bytes the marker found live in one cycle.
@usableFromInline
struct MarkCounts {
    var objects = 0
    /// Cell bytes for small objects (header and rounding included), object bytes for large ones: the same
    /// measure as `GCHeap.inUseBytes`.
    var bytes = 0
}

/// The opening of a collector pause (`SharedHeap.openPause`): when it began by the thread's CPU clock and by
/// the monotonic clock, when every other mutator had stopped, and what stopping them took.
struct PauseOpening {
    let cpuStart: UInt64
    let start: UInt64
    let stopped: UInt64
    let safepointWait: SafepointWait

    /// A phase timer from the pause's start, its first phase, `safepoint`, recorded.
    func phaseTimer() -> PhaseTimer {
        var timer = PhaseTimer(start: start)
        timer.end("safepoint", at: stopped)
        return timer
    }
}

/// Times a pause's phases: each `end(name)` records the time since the previous one (or the start).
struct PhaseTimer {
    private(set) var phases: [PhaseTime] = []
    /// When the phase under way began.
    var lapStart: UInt64

    init(start: UInt64) {
        lapStart = start
        phases.reserveCapacity(4)
    }

    mutating func end(_ name: String, at now: UInt64 = MonotonicClock.now()) {
        phases.append(PhaseTime(name, nanoseconds: now &- lapStart))
        lapStart = now
    }
}

// MARK: - The collection cycle
//
// One stop-the-world cycle, top to bottom (Docs/Internals.md explains each step and why):
//
//   1. finish sweeping   lazy mode: blocks the allocator did not get to since the last cycle are swept now, so
//                        every mark is clear and every free cell is recorded as free before marking starts.
//   2. retire allocators each size class's allocation block takes back its unused free list or bump range.
//   3. roots             every object on the shadow stack and in the global roots is marked and pushed.
//   4. mark              the mark stack is drained: each popped object's slots are read and every unmarked
//                        child is marked and pushed. If the stack overflowed, the heap is rescanned.
//   5. sweep             eager: every block is swept now (unmarked cells free, empty blocks to the
//                        pool, marks cleared); lazy: every block is queued to be swept by the allocator. Large
//                        objects are swept now in both modes (unmarked ones unmapped). Then the pacer sets the
//                        next goal and pool memory beyond what the goal needs goes back to the system.
//   6. report            one PauseEvent to the pause log; a trace line if asked; the verifier if asked.
//
// Everything in 1-5 is the pause; the report step is outside it. No allocation happens during a cycle, and
// the mutator does not run: no barrier is needed. Incremental mode (IncrementalMarking.swift) splits step 4
// into slices between which the mutator runs, with a barrier in `GCHeap.store` (WriteBarrier.swift).

extension SharedHeap {
    /// A collection that also finishes sweeping (lazy mode), so empty blocks go back to the pool: what the
    /// heap does before it gives up on an allocation at the heap limit.
    func collectForLimit() {
        stats.limitCollections += 1
        collect(reason: .heapLimit)
        if configuration.sweepMode == .lazy { finishSweeping() }
    }

    /// One stop-the-world cycle: the phases in order, each timed. Called with the lock held by a running
    /// mutator; the first phase, `safepoint`, is the time it took to stop every other mutator.
    func collect(reason: CollectionReason) {
        let pause = openPause()
        defer { startTheWorld() }
        var cpuStart = pause.cpuStart
        let (start, safepointWait) = (pause.start, pause.safepointWait)
        var timer = pause.phaseTimer()
        abandonIncrementalCycle()  // a stop-the-world cycle marks from scratch (IncrementalMarking.swift)
        collecting = true
        defer { collecting = false }
        let inUseBefore = inUseBytes
        let objectsBefore = liveObjectCount
        let helpersCPUBefore = stats.collectorThreadsCPUNanoseconds
        helperSpans.removeAll(keepingCapacity: true)
        pauseStart = start

        if configuration.sweepMode == .lazy {
            finishSweeping()
            timer.end("finish-sweep")
        }
        retireAllocationBlocks()
        var counts = MarkCounts()
        markRoots(&counts)
        timer.end("roots")
        let parallel = startsParallelPause()
        markHeap(&counts, parallel: parallel)
        timer.end("mark")
        if parallel && configuration.checkmark {
            // A parallel mark is checked as an incremental one is: by an independent re-mark, not timed.
            let cpuBeforeCheckmark = pauseCPUStart()
            let problems = checkmarkProblems()
            if !problems.isEmpty {
                reportCheckFailure(HeapCheckFailure(check: .checkmark, cycle: stats.cycles + 1, problems: problems))
            }
            let checkmarkEnd = MonotonicClock.now()
            // Left out of the pause, so the collector threads' later spans are timed as if it had not run.
            pauseStart &+= checkmarkEnd &- timer.lapStart
            timer.lapStart = checkmarkEnd
            cpuStart &+= pauseCPUStart() &- cpuBeforeCheckmark
        }
        let largeFreed = sweepAfterMark(parallel: parallel)
        finishCycle(liveBytes: counts.bytes, liveObjects: counts.objects)
        releaseUnneededMemory()
        // Incremental mode sweeps the blocks this cycle left unswept in a paced pass before its next cycle.
        if configuration.collectionMode.marksBetweenPauses { beginFinishingSweep() }
        timer.end("sweep")
        // The sum of the phases: a checkmark's time is left out (without one, the time from start to end).
        let duration = timer.phases.reduce(0) { $0 &+ $1.nanoseconds }

        let event = PauseEvent(kind: .collection, cycle: stats.cycles + 1, startNanoseconds: start,
                               durationNanoseconds: duration, phases: timer.phases, heapBytesBefore: inUseBefore,
                               heapBytesAfter: inUseBytes, objectsMarked: counts.objects, bytesMarked: counts.bytes,
                               cellsFreed: objectsBefore - counts.objects, cpuNanoseconds: pauseCPUTime(since: cpuStart),
                               safepointOffCPUNanoseconds: safepointWait.offCPUNanoseconds,
                               collectorThreadsCPUNanoseconds: parallel && configuration.measurePauseCPUTime
                                   ? stats.collectorThreadsCPUNanoseconds &- helpersCPUBefore : nil,
                               collectorThreadSpans: parallel ? helperSpans : nil)
        recordCycle(event, largeObjectsFreed: largeFreed, reason: reason)
    }

    /// Step 2: every mutator's allocation blocks take back what its allocators did not hand out (their free
    /// lists, or the rest of their bump ranges), so the sweeper and the verifier find every free cell recorded
    /// in its block, and no cell is handed out during the cycle. Each mutator refills on its next slow path.
    func retireAllocationBlocks() {
        forEachMutator { retireAllocationBlocks(of: $0) }
    }

    /// The blocks every mutator allocates from now (they are all retired next).
    func installedAllocationBlocks() -> [Block] {
        var blocks: [Block] = []
        forEachMutator { m in blocks.append(contentsOf: m.allocationBlocks.compactMap { $0 }) }
        return blocks
    }

    /// Step 2 for one mutator (stopped, or the calling thread's own, lock held).
    func retireAllocationBlocks(of m: GCHeap) {
        for c in 0..<SizeClasses.count {
            guard let b = m.allocationBlocks[c] else { continue }
            let a = m.allocators[c]
            var count = 0
            var cursor = a.freeList
            while let cell = cursor {
                count += 1
                cursor = cell.load(as: UnsafeMutableRawPointer?.self)
            }
            b.header.pointee.freeList = a.freeList
            if a.bumpCursor < a.bumpEnd {
                b.header.pointee.bumpFrom = UnsafeMutableRawPointer(bitPattern: a.bumpCursor)
                count += Int(a.bumpEnd - a.bumpCursor) / b.header.pointee.cellBytes
            } else {
                b.header.pointee.bumpFrom = nil
            }
            b.header.pointee.freeCount = count
            m.allocators[c] = ClassAllocator()
            m.allocationBlocks[c] = nil
        }
    }

    /// Step 5's bookkeeping: what the mark found live is now the heap in use, and sets the next goal.
    func finishCycle(liveBytes: Int, liveObjects: Int) {
        inUseBytes = liveBytes
        liveBytesAfterLastCycle = liveBytes
        liveObjectsAfterLastCycle = liveObjects
        allocationsAtLastCycle = allocations
        pacer.update(liveBytes: liveBytes)
    }

    /// Gives pool blocks back to the system beyond the headroom the pacer's goal leaves, plus a margin: the
    /// mutators will allocate about `goal - inUse` bytes before the next cycle, and with several threads a
    /// little more (each allocates until it reaches a safepoint). The margin, a quarter of the headroom and at
    /// least 1 MiB (as Go's scavenger keeps 10% over its goal), stops a steady program from giving back
    /// blocks at one cycle and faulting them in again at the next: with more than one thread each `madvise`
    /// is also a TLB shootdown, an interrupt to every other core the process runs on.
    func releaseUnneededMemory() {
        guard pacer.goalBytes != Int.max else { return }
        _ = blockSpace.releaseResidentBlocks(keepingBytes: residentBytesToKeep)
    }

    /// Resident pool bytes kept after a cycle: the pacer's headroom and a quarter more (at least 1 MiB).
    var residentBytesToKeep: Int {
        let headroom = max(0, pacer.goalBytes - inUseBytes)
        return headroom + max(headroom / 4, 1 << 20)
    }

    /// How every collector pause opens: the clocks read, every other mutator stopped (Safepoints.swift), every
    /// mutator's counts folded. The caller restarts the world (`defer { startTheWorld() }`).
    func openPause() -> PauseOpening {
        // The CPU clock first: reading it is a system call, where the kernel switches to another process if
        // this one's time slice ran out. Read inside the pause, that switch showed up as milliseconds of time
        // to safepoint with one thread.
        let cpuStart = pauseCPUStart()
        let start = MonotonicClock.now()
        let wait = stopTheWorld()
        let stopped = MonotonicClock.now()
        foldAll()
        return PauseOpening(cpuStart: cpuStart, start: start, stopped: stopped, safepointWait: wait)
    }

    /// The thread's CPU clock at the start of a pause when pauses record their CPU time
    /// (`GCConfiguration.measurePauseCPUTime`), else 0 (and no system call).
    @inline(__always)
    func pauseCPUStart() -> UInt64 { configuration.measurePauseCPUTime ? ThreadCPUClock.now() : 0 }

    /// The CPU time since `start` (from `pauseCPUStart`) for `PauseEvent.cpuNanoseconds`, or nil when not
    /// measured.
    @inline(__always)
    func pauseCPUTime(since start: UInt64) -> UInt64? {
        configuration.measurePauseCPUTime ? ThreadCPUClock.now() &- start : nil
    }

    /// Step 6: statistics, the pause log, the trace line, the verifier.
    func recordCycle(_ event: PauseEvent, largeObjectsFreed: Int, reason: CollectionReason) {
        stats.cycles += 1
        stats.totalPauseNanoseconds &+= event.durationNanoseconds
        stats.maxPauseNanoseconds = max(stats.maxPauseNanoseconds, event.durationNanoseconds)
        for phase in event.phases {
            switch phase.name {
            case "roots": stats.totalRootsNanoseconds &+= phase.nanoseconds
            case "mark": stats.totalMarkNanoseconds &+= phase.nanoseconds
            default: stats.totalSweepNanoseconds &+= phase.nanoseconds
            }
        }
        stats.objectsMarkedTotal += event.objectsMarked
        stats.bytesMarkedTotal += event.bytesMarked
        stats.objectsFreedTotal += event.cellsFreed
        pauseLog.record(event)
        if configuration.trace {
            GCTrace.write(GCTrace.line(for: event, heapCreated: createdNanoseconds,
                                       totalPauseNanoseconds: stats.totalPauseNanoseconds,
                                       footprintBytes: footprintBytes, goalBytes: pacer.goalBytes,
                                       sweepMode: configuration.sweepMode, reason: reason.rawValue,
                                       concurrentMarkNanoseconds: reason == .concurrent
                                           ? (concurrent.cycleAssistNanoseconds, concurrent.cycleBackgroundCPUNanoseconds) : nil))
        }
        if configuration.verifyAfterEveryCycle {
            let problems = verify()
            if !problems.isEmpty { reportCheckFailure(HeapCheckFailure(check: .verifier, cycle: event.cycle, problems: problems)) }
        }
    }
}
