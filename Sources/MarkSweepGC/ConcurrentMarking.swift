#if canImport(Glibc)
import Glibc
#endif
internal import CMarkSweepGC
import HeapLabCore

// MARK: - Concurrent marking
//
// `CollectionMode.concurrent` runs the incremental cycle (IncrementalMarking.swift: trigger, sweep pass, start
// pause, marking with the snapshot barrier and black allocation, final pause) with the marking taken off the
// mutators' critical path. Docs/Internals.md, "Concurrent marking", explains each choice:
//
//   - A background marker thread (`BackgroundMarker`, one per heap, made at the first cycle) marks in chunks of
//     at most `BackgroundMarker.chunkNanoseconds` while the mutators run. Between chunks it sleeps so that it
//     uses `backgroundMarkFraction` of the machine's processors (Go's 25% goal): on 2 processors it marks a
//     chunk and sleeps as long.
//   - Mutator assists: each allocation slow path adds the mark work its allocation owes (the incremental
//     assist ratio); the background marker's work pays that debt off (Go's background credit). When the debt
//     passes `assistThresholdBytes`, the allocating mutator marks the debt itself, capped by the slice budgets.
//     So with one processor busy (the background thread starved), allocation still pays for marking and the
//     cycle ends near the goal; neither stops the world.
//   - Mark termination: when the shared mark stack is empty (every grey object traced; the barrier pushes onto
//     it under the lock, so no grey object is anywhere else), the next allocation slow path runs the final
//     pause, which drains what the barrier shaded while it stopped the world, and ends the cycle.
//
// Who marks, and what makes it safe: the background marker and an assist mark holding the heap's lock, so one
// thread marks at a time; the barrier's shade takes the lock too. Mutators' fast paths (bump allocation, loads,
// stores) take no lock and run during a chunk. The words both sides touch without a common lock:
//   - reference slots: mutators store with release (`GCHeap.store`), the marker loads with acquire
//     (`heaplab_load_slot_acquire`). A reference the marker reads to an object allocated since the start pause
//     is then ordered after that object's mark (black allocation: set when its block was installed, under the
//     lock) and after its header: the marker finds it marked and never scans a half-written object.
//   - nothing else: mark bytes, block headers, the large-object set, the region map and the mark stack are
//     written only under the lock (the allocation fast path writes free cells' memory, never read by the marker:
//     a free cell is unreachable, and a new object is black).

/// The concurrent collector's counters (all 0 in the other modes). Guarded by the heap's lock.
struct ConcurrentState {
    /// True while the background marker waits for work on its condition (so the barrier knows to wake it).
    var markerIdle = false
    /// Whether the background marker thread could not be started (the system refused a thread): assists then
    /// do all the marking.
    var markerUnavailable = false
    /// Memory the background thread still has to give back after the last final pause: resident pool blocks
    /// beyond `releaseKeepBytes` (`scheduleBackgroundRelease`).
    var releasePending = false
    var releaseKeepBytes = 0
    var backgroundReleasedBytes = 0

    // This cycle's (reset by the start pause), for the final pause's label, the trace line and its
    // `PauseEvent.concurrentWork`.
    var cycleSpans = CycleWorkSpans()
    var cycleAssists = 0
    var cycleAssistNanoseconds: UInt64 = 0
    var cycleBackgroundNanoseconds: UInt64 = 0
    var cycleBackgroundCPUNanoseconds: UInt64 = 0

    // Totals since the heap was made.
    var backgroundChunks = 0
    var backgroundNanoseconds: UInt64 = 0
    var backgroundCPUNanoseconds: UInt64 = 0
    var backgroundBytes = 0
    var assists = 0
    var assistNanoseconds: UInt64 = 0
    var maxAssistNanoseconds: UInt64 = 0
    var assistBytes = 0
}

/// A concurrent cycle's marking outside the pauses, as stretches of activity (`ConcurrentWorkSpan`): each chunk
/// (background) or assist joins the last span of its kind when it starts less than `mergeGapNanoseconds` after
/// that span's end, so a cycle keeps a handful of spans, not one per chunk.
struct CycleWorkSpans {
    struct Span {
        var start: UInt64
        var end: UInt64
        var busy: UInt64
        var bytes: Int
    }
    var background: [Span] = []
    var assist: [Span] = []
    static let mergeGapNanoseconds: UInt64 = 1_000_000
    /// At most this many spans of each kind per cycle; later work joins the last one.
    static let maximumSpans = 256

    static func add(_ spans: inout [Span], start: UInt64, end: UInt64, bytes: Int) {
        if let last = spans.last, start &- last.end < mergeGapNanoseconds || spans.count >= maximumSpans {
            spans[spans.count - 1].end = max(last.end, end)
            spans[spans.count - 1].busy &+= end &- start
            spans[spans.count - 1].bytes &+= bytes
        } else {
            spans.append(Span(start: start, end: end, busy: end &- start, bytes: bytes))
        }
    }

    /// The spans as `ConcurrentWorkSpan`s with offsets from `pauseStart`.
    func workSpans(relativeTo pauseStart: UInt64) -> [ConcurrentWorkSpan] {
        func convert(_ spans: [Span], _ kind: String) -> [ConcurrentWorkSpan] {
            spans.map { ConcurrentWorkSpan(kind: kind, offsetNanoseconds: Int64(bitPattern: $0.start &- pauseStart),
                                           nanoseconds: $0.end &- $0.start, busyNanoseconds: $0.busy, bytesMarked: $0.bytes) }
        }
        return convert(background, "background") + convert(assist, "assist")
    }
}

/// The background marker thread of a concurrent heap. It holds the heap unretained (the heap's `deinit` stops
/// and joins it before anything is freed), sleeps on `wake` while there is nothing to mark, and takes the
/// heap's lock for each chunk of marking.
final class BackgroundMarker: @unchecked Sendable {
    // @unchecked Sendable: `shuttingDown` is guarded by the heap's lock; the rest is set once by `init`.

    /// Signalled (under the heap's lock) when marking work appears: a cycle's start pause, a shade while the
    /// marker is idle, shutdown.
    let wake: UnsafeMutablePointer<pthread_cond_t>
    private var thread = pthread_t()
    /// Guarded by the heap's lock: the heap is being freed; the thread returns.
    var shuttingDown = false

    /// The longest chunk of marking between two looks at the lock's waiters and the duty cycle, in
    /// nanoseconds. A mutator's allocation slow path may wait this long for the lock.
    static let chunkNanoseconds: UInt64 = 100_000
    /// The shortest sleep of the duty cycle: below it the marker yields and carries the sleep over.
    static let minimumSleepNanoseconds: UInt64 = 200_000
    /// The marker's stack (the mark loop never recurses).
    static let stackBytes = 512 << 10

    /// Starts the thread for `heap`; nil when the system refuses a thread.
    init?(heap: SharedHeap) {
        wake = .allocate(capacity: 1)
        precondition(pthread_cond_init(wake, nil) == 0, "gc: could not initialize the background marker's condition")
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        _ = pthread_attr_setstacksize(&attributes, BackgroundMarker.stackBytes)
        let start = Unmanaged.passRetained(MarkerStart(heap: heap, marker: self))
        let status = pthread_create(&thread, &attributes, { raw in
            // Invariant: `raw` is the retained MarkerStart passed below; taken back exactly once, here.
            let start = Unmanaged<MarkerStart>.fromOpaque(raw!).takeRetainedValue()
            start.heap.backgroundMarkLoop(start.marker)
            return nil
        }, start.toOpaque())
        guard status == 0 else {
            start.release()  // the thread never ran
            pthread_cond_destroy(wake)
            wake.deallocate()
            return nil
        }
        _ = heaplab_set_thread_name(thread, "heaplab-gc-bg")
    }

    /// Stops the thread and waits for it (the heap's `deinit`, lock not held).
    func shutDown(_ heap: SharedHeap) {
        heap.lock()
        shuttingDown = true
        pthread_cond_signal(wake)
        heap.unlock()
        pthread_join(thread, nil)
        pthread_cond_destroy(wake)
        wake.deallocate()
    }
}

/// What the background marker's thread starts with: the heap unretained (it outlives the thread) and the marker.
private final class MarkerStart {
    unowned(unsafe) let heap: SharedHeap
    let marker: BackgroundMarker
    init(heap: SharedHeap, marker: BackgroundMarker) {
        self.heap = heap
        self.marker = marker
    }
}

extension SharedHeap {
    /// Debt (mark work owed by allocation and not yet paid by the background marker) past which an allocating
    /// mutator assists, in bytes of objects marked: below it, the slow path just records the debt, so the
    /// background marker's credit usually covers it and the mutator never marks.
    static let assistThresholdBytes = 64 << 10

    /// The share of one thread's time the background marker marks: `backgroundMarkFraction` of the processors
    /// online, at most 1 (a marker that never sleeps).
    var backgroundUtilization: Double {
        let processors = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return min(1, configuration.backgroundMarkFraction * Double(processors))
    }

    /// Concurrent mode: makes the background marker if there is none yet (lock held). Called by
    /// `startIncrementalMarking` before its pause opens, so that starting a thread (tens to hundreds of
    /// microseconds) is not part of a pause. When the system refuses the thread, assists do all the marking.
    func prepareBackgroundMarker() {
        guard configuration.collectionMode == .concurrent, backgroundMarker == nil, !concurrent.markerUnavailable else { return }
        backgroundMarker = BackgroundMarker(heap: self)
        concurrent.markerUnavailable = backgroundMarker == nil
    }

    /// Concurrent mode, the start pause's last step (lock held, world stopped): this cycle's counters reset.
    /// The marker is woken after the pause (`startIncrementalMarking`).
    func startBackgroundMarking() {
        concurrent.cycleSpans = CycleWorkSpans()
        concurrent.cycleAssists = 0
        concurrent.cycleAssistNanoseconds = 0
        concurrent.cycleBackgroundNanoseconds = 0
        concurrent.cycleBackgroundCPUNanoseconds = 0
    }

    /// Concurrent mode's final pause: memory beyond what the next cycle needs is given back by the background
    /// thread after the pause, `releaseBatchBlocks` at a time with the lock held (Go's background scavenger),
    /// instead of in the pause. Blocks the allocator takes from the pool meanwhile are not released.
    func scheduleBackgroundRelease() {
        guard pacer.goalBytes != Int.max else { return }
        guard backgroundMarker != nil else {
            releaseUnneededMemory()  // no background thread: in the pause, as the other modes do
            return
        }
        concurrent.releaseKeepBytes = residentBytesToKeep
        concurrent.releasePending = true
        wakeBackgroundMarker()
    }

    /// Pool blocks the background thread releases per hold of the lock: 1 MiB, about 0.1-0.3 ms of madvise.
    static let releaseBatchBlocks = 16

    /// Wakes the background marker if it waits for work (lock held).
    @inline(__always)
    func wakeBackgroundMarker() {
        if concurrent.markerIdle, let marker = backgroundMarker { pthread_cond_signal(marker.wake) }
    }

    /// The background marker's thread: marks a chunk at a time, with the lock held, while a cycle is marking and
    /// the mark stack has work, then sleeps to keep to its share of the processors; waits on its condition when
    /// there is no work, and on `resumed` while another thread stops the world.
    func backgroundMarkLoop(_ marker: BackgroundMarker) {
        let utilization = backgroundUtilization
        // The lowest scheduling priority (nice 19; on Linux `setpriority` with 0 names the calling thread): when
        // the marker and a mutator share a processor, the mutator runs and pays in assists, instead of losing the
        // processor for a whole time slice (3-12 ms "lazy sweeps" of 4 blocks, measured before this). A marker
        // that holds the lock and is preempted is run again as soon as the mutator blocks on the lock.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        // Sleep owed by the duty cycle and not slept yet: chunks end early when a mutator waits for the lock, and
        // sleeping a few microseconds at a time would oversleep (timer slack), so the marker sleeps once the debt
        // reaches `minimumSleepNanoseconds`.
        var sleepOwed: UInt64 = 0
        lock()
        while !marker.shuttingDown {
            if stopRequested.load(ordering: .relaxed) {
                // A pause is being opened (its thread waits for the mutators with the lock released): the pause
                // owns the heap until the world restarts.
                pthread_cond_wait(resumed, mutex)
                continue
            }
            guard incremental.phase == .marking, !markStack.isEmpty else {
                if concurrent.releasePending {
                    // No marking to do: give memory back, a batch per hold of the lock.
                    let released = blockSpace.releaseResidentBlocks(keepingBytes: concurrent.releaseKeepBytes,
                                                                    maxBlocks: SharedHeap.releaseBatchBlocks)
                    concurrent.backgroundReleasedBytes &+= released
                    if released < SharedHeap.releaseBatchBlocks * HeapLayout.blockBytes { concurrent.releasePending = false }
                    unlock()
                    sched_yield()
                    lockFromBackground()
                    continue
                }
                concurrent.markerIdle = true
                pthread_cond_wait(marker.wake, mutex)
                concurrent.markerIdle = false
                continue
            }
            let cpuStart = ThreadCPUClock.now()
            let start = MonotonicClock.now()
            let before = incremental.counts.bytes
            var stack = markStack
            drainConcurrently(&stack, &incremental.counts, untilBytes: Int.max,
                              deadline: start &+ BackgroundMarker.chunkNanoseconds, yieldsToLockWaiters: true)
            markStack = stack
            let end = MonotonicClock.now()
            let done = incremental.counts.bytes &- before
            // Background credit: the marker's work pays off the mutators' debt, so they assist only for what
            // allocation runs up beyond it.
            incremental.debtBytes = max(0, incremental.debtBytes - Double(done))
            let cpu = ThreadCPUClock.now() &- cpuStart
            concurrent.backgroundChunks += 1
            concurrent.backgroundNanoseconds &+= end &- start
            concurrent.backgroundCPUNanoseconds &+= cpu
            concurrent.backgroundBytes &+= done
            concurrent.cycleBackgroundNanoseconds &+= end &- start
            concurrent.cycleBackgroundCPUNanoseconds &+= cpu
            CycleWorkSpans.add(&concurrent.cycleSpans.background, start: start, end: end, bytes: done)
            stats.totalMarkNanoseconds &+= end &- start
            // The duty cycle: sleep so that chunk / (chunk + sleep) is the utilization. Always let go of the lock
            // between chunks (a pthread mutex is not fair: re-taking it at once could starve a waiting mutator).
            if utilization < 1 { sleepOwed &+= UInt64(Double(end &- start) * (1 - utilization) / utilization) }
            unlock()
            if sleepOwed >= BackgroundMarker.minimumSleepNanoseconds {
                let before = MonotonicClock.now()
                SharedHeap.sleep(nanoseconds: sleepOwed)
                let slept = MonotonicClock.now() &- before
                sleepOwed = slept >= sleepOwed ? 0 : sleepOwed &- slept
            } else {
                sched_yield()
            }
            lockFromBackground()
        }
        unlock()
    }

    /// The background marker's way to take the lock between chunks: try, spin, yield, then nap 20 us at a time,
    /// but never wait in the mutex itself. A thread asleep in the mutex makes every unlock a `futex` wake-up
    /// system call: perf put 6% of binary-trees' mutator time in waking the marker that way.
    func lockFromBackground() {
        var attempts = 0
        while pthread_mutex_trylock(mutex) != 0 {
            attempts += 1
            if attempts < 64 {
                heaplab_spin_hint()
            } else if attempts < 128 {
                sched_yield()
            } else {
                SharedHeap.sleep(nanoseconds: 20_000)
            }
        }
    }

    /// Sleeps the calling thread for `nanoseconds`.
    static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// Concurrent mode, an allocation slow path while marking (lock held), after the debt was updated: ends the
    /// cycle when no grey object is left, else assists when the debt passed `assistThresholdBytes`.
    func concurrentStep() {
        if markStack.isEmpty {
            finishIncrementalMarking(reason: .concurrent)
            return
        }
        guard incremental.debtBytes >= Double(SharedHeap.assistThresholdBytes) || concurrent.markerUnavailable else { return }
        assist(workBytes: Int(min(incremental.debtBytes, Double(Int.max / 2))))
        if markStack.isEmpty { finishIncrementalMarking(reason: .concurrent) }
    }

    /// A mutator assist: the allocating mutator marks `workBytes` (at least 1; capped by the slice budgets)
    /// with the lock held and the world running. Not a pause: the other mutators run on (only their slow paths
    /// wait for the lock). Logged as a `PauseKind.assist` event (the time its thread lost, which the MMU counts),
    /// and counted in the statistics and the final pause's label.
    func assist(workBytes: Int) {
        var budget = max(workBytes, 1)
        if let cap = configuration.sliceBudgetBytes { budget = min(budget, cap) }
        let cpuStart = pauseCPUStart()
        let start = MonotonicClock.now()
        let deadline = configuration.sliceBudgetNanoseconds.map { start &+ $0 } ?? UInt64.max
        let before = incremental.counts.bytes, beforeObjects = incremental.counts.objects
        var stack = markStack
        drainConcurrently(&stack, &incremental.counts, untilBytes: before &+ budget, deadline: deadline)
        markStack = stack
        let end = MonotonicClock.now()
        let done = incremental.counts.bytes &- before
        let objects = incremental.counts.objects &- beforeObjects
        incremental.debtBytes = max(0, incremental.debtBytes - Double(done))
        pauseLog.record(PauseEvent(kind: .assist, cycle: stats.cycles + 1, startNanoseconds: start,
                                   durationNanoseconds: end &- start, phases: [PhaseTime("mark", nanoseconds: end &- start)],
                                   heapBytesBefore: inUseBytes, heapBytesAfter: inUseBytes,
                                   objectsMarked: objects, bytesMarked: done, cpuNanoseconds: pauseCPUTime(since: cpuStart)))
        concurrent.assists += 1
        concurrent.assistNanoseconds &+= end &- start
        concurrent.maxAssistNanoseconds = max(concurrent.maxAssistNanoseconds, end &- start)
        concurrent.assistBytes &+= done
        concurrent.cycleAssists += 1
        concurrent.cycleAssistNanoseconds &+= end &- start
        CycleWorkSpans.add(&concurrent.cycleSpans.assist, start: start, end: end, bytes: done)
        stats.totalMarkNanoseconds &+= end &- start
    }

    /// The final pause's label in concurrent mode: what marking cost outside the pauses.
    var concurrentCycleLabel: String {
        let c = concurrent
        return "\(c.cycleAssists) assists \(GCTrace.fixed(Double(c.cycleAssistNanoseconds) / 1e6, 3)) ms, "
            + "background \(GCTrace.fixed(Double(c.cycleBackgroundNanoseconds) / 1e6, 3)) ms "
            + "(\(GCTrace.fixed(Double(c.cycleBackgroundCPUNanoseconds) / 1e6, 3)) ms cpu)"
    }

    /// The concurrent collector's counters, merged into `statistics().extra` (all 0 in the other modes):
    /// `backgroundMarkChunks`, `backgroundMarkNanoseconds` (wall time of the chunks), `backgroundMarkCPUNanoseconds`
    /// (the marker thread's CPU time in them), `backgroundMarkBytes`, `assists`, `assistNanoseconds` (total),
    /// `maxAssistNanoseconds`, `assistBytes` (bytes of objects marked by assists), `backgroundReleasedBytes`
    /// (memory given back to the system by the background thread after final pauses).
    func concurrentStatistics() -> [String: Double] {
        let c = concurrent
        return ["backgroundMarkChunks": Double(c.backgroundChunks),
                "backgroundMarkNanoseconds": Double(c.backgroundNanoseconds),
                "backgroundMarkCPUNanoseconds": Double(c.backgroundCPUNanoseconds),
                "backgroundMarkBytes": Double(c.backgroundBytes),
                "assists": Double(c.assists), "assistNanoseconds": Double(c.assistNanoseconds),
                "maxAssistNanoseconds": Double(c.maxAssistNanoseconds), "assistBytes": Double(c.assistBytes),
                "backgroundReleasedBytes": Double(c.backgroundReleasedBytes)]
    }
}
