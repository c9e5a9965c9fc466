#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore
import Synchronization

/// Parallel marking and sweeping in a stop-the-world pause (`GCConfiguration.markThreads` > 1).
///
/// Marking: the collecting thread marks the roots onto its own stack, then it and `markThreads - 1` collector
/// threads (CollectorWorkers) each run the ordinary mark loop (`drainRing`) over a stack of their own, setting
/// mark bytes with relaxed atomic loads and stores (`Block.testAndSetMarkShared`): no locked instruction, at
/// the price of a cell now and then scanned by two markers, which is why the live count is taken from the mark
/// bytes once marking is complete (`countMarked`, a parallel pass too). Load balancing is by
/// work sharing through a pool: a marker that runs out of work says so (`hungry`), and a busy marker that sees
/// it, every 32 objects it scans, moves half of its stack (the oldest entries, nearest the roots) into the pool
/// as a packet. This is the scheme of whippet's parallel tracer (a local work list per worker, part of it
/// published when others are idle) and of Boehm GC's parallel marker (markers take entries from a shared mark
/// stack); a Chase-Lev deque (Chase and Lev, "Dynamic Circular Work-Stealing Deque", SPAA 2005) would let idle
/// markers take work without the owner's help, at the price of a fence on every pop of the owner's hot loop.
/// Here the owner's pop stays a plain array access, and sharing costs one relaxed load per 32 objects.
///
/// Termination: markers join the pool as they start (the collecting thread first; a helper that starts after
/// marking is done does nothing, so a helper the scheduler keeps waiting never holds the pause up). A marker
/// with an empty stack takes the pool's lock and counts itself idle; it takes a packet if there is one, and
/// otherwise waits. When every marker that joined is idle and the pool is empty, no grey object is left
/// anywhere (a marker only goes idle with an empty stack, only a busy marker can publish, and a marker that
/// joins later starts with an empty stack), so marking is done: the last one to go idle says so and wakes the
/// others.
///
/// Mark-stack overflow: a marker whose stack can not grow drops the push and sets its `overflowed`, as the
/// single marker does; after the parallel phase the collecting thread recovers alone, by the same rescan of
/// marked objects (`markHeap`).
///
/// Sweeping (eager mode): the markers take the heap's blocks 16 at a time from a shared cursor and sweep each
/// (`sweep`, which touches only that block); the collecting thread then sorts the swept blocks into the pool
/// and the allocation queues alone, in the same pass as the single-threaded sweep.
///
/// Memory orderings: mark bytes relaxed (CMarkSweepGC.h says why); `hungry` and the sweep cursor relaxed (a hint,
/// and disjoint work items whose results are published by the workers' lock); the packets themselves under the
/// pool's mutex. What the markers read of the heap was written before the pause and is not written during it.
final class MarkWorkPool: @unchecked Sendable {
    // @unchecked Sendable: shared by the markers of one pause; `packets`, `idle`, `joined`, `done` and
    // `packetsShared` are guarded by `mutex`; each helper's stack and result slot is touched only by that helper during a job
    // and by the collecting thread between jobs.

    /// Markers, the collecting thread included.
    let markers: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled when a packet is published, broadcast when marking is done.
    private let available: UnsafeMutablePointer<pthread_cond_t>
    private var packets: [MarkPacket] = []
    private var idle = 0
    /// Markers taking part in this mark: the collecting thread, and each helper that joined before `done`.
    private var joined = 1
    private var done = false
    /// Packets published since the pool was made.
    private(set) var packetsShared = 0
    /// Idle markers not yet served by a packet in the pool: `idle - packets.count`, stored under the lock,
    /// read without it by busy markers (relaxed: it only decides whether to publish; a stale value delays a
    /// publish by 32 objects or publishes a packet nobody needed yet, which the next marker to run dry takes).
    let hungry = Atomic<Int>(0)
    /// The next block index to sweep in a parallel sweep (relaxed: each `wrappingAdd` hands out a disjoint
    /// range; what the sweeps wrote is published to the collecting thread by CollectorWorkers' lock).
    let sweepCursor = Atomic<Int>(0)
    /// The mark stacks of the helpers, `markers - 1` of them, kept from one collection to the next (their
    /// capacity is what earlier marks needed). Helper `i` uses entry `i - 1`.
    let helperStacks: UnsafeMutablePointer<MarkStack>
    /// What each marker found in the last job (index 0: the collecting thread).
    let results: UnsafeMutablePointer<MarkerResult>

    init(markers: Int, maximumEntries: Int) {
        precondition(markers >= 2, "gc: parallel marking needs at least two markers")
        self.markers = markers
        mutex = .allocate(capacity: 1)
        available = .allocate(capacity: 1)
        precondition(pthread_mutex_init(mutex, nil) == 0 && pthread_cond_init(available, nil) == 0,
                     "gc: could not initialize the mark work pool's lock")
        helperStacks = .allocate(capacity: markers - 1)
        for i in 0..<(markers - 1) {
            (helperStacks + i).initialize(to: MarkStack(maximumEntries: maximumEntries))
        }
        results = .allocate(capacity: markers)
        results.initialize(repeating: MarkerResult(), count: markers)
    }

    deinit {
        for i in 0..<(markers - 1) { helperStacks[i].deallocate() }
        helperStacks.deinitialize(count: markers - 1)
        helperStacks.deallocate()
        results.deinitialize(count: markers)
        results.deallocate()
        pthread_cond_destroy(available)
        pthread_mutex_destroy(mutex)
        available.deallocate()
        mutex.deallocate()
    }

    /// Whether some marker is out of work and no packet waits for it (a relaxed load: see `hungry`).
    @inline(__always)
    var wantsWork: Bool { hungry.load(ordering: .relaxed) > 0 }

    /// Makes the pool ready for a new job (called by the collecting thread before it starts): no packet, only
    /// the collecting thread joined, every result slot zero (a helper that skips the job leaves its slot so).
    func begin() {
        lock()
        packets.removeAll(keepingCapacity: true)
        idle = 0
        joined = 1
        done = false
        results.update(repeating: MarkerResult(), count: markers)
        hungry.store(0, ordering: .relaxed)
        unlock()
        sweepCursor.store(0, ordering: .relaxed)
    }

    /// Moves part of `stack`'s grey objects into the pool for an idle marker, and wakes one. Does nothing when
    /// the stack has nothing to spare.
    @inline(never)
    func publish(from stack: inout MarkStack) {
        guard let packet = stack.takeShare() else { return }
        lock()
        packets.append(packet)
        packetsShared &+= 1
        hungry.store(idle - packets.count, ordering: .relaxed)
        pthread_cond_signal(available)
        unlock()
    }

    /// Called by a helper as it starts marking: true when it joined, false when marking is done already (the
    /// helper then has nothing to do).
    func join() -> Bool {
        lock()
        defer { unlock() }
        guard !done else { return false }
        joined += 1
        return true
    }

    /// Called by a marker whose stack is empty: takes a packet into `stack` and returns true, waiting for one
    /// while other markers are busy; returns false when marking is done (every marker idle, no packet left).
    func take(into stack: inout MarkStack) -> Bool {
        lock()
        idle += 1
        while true {
            if let packet = packets.popLast() {
                idle -= 1
                hungry.store(idle - packets.count, ordering: .relaxed)
                unlock()
                stack.load(packet)
                return true
            }
            if done { break }
            if idle == joined {
                // Every marker that joined is idle and no packet is left: nothing grey remains (see the type's
                // comment).
                done = true
                hungry.store(0, ordering: .relaxed)
                pthread_cond_broadcast(available)
                break
            }
            hungry.store(idle - packets.count, ordering: .relaxed)
            pthread_cond_wait(available, mutex)
        }
        unlock()
        return false
    }

    private func lock() {
        let status = pthread_mutex_lock(mutex)
        assert(status == 0, "gc: pthread_mutex_lock failed (\(status))")
    }

    private func unlock() {
        let status = pthread_mutex_unlock(mutex)
        assert(status == 0, "gc: pthread_mutex_unlock failed (\(status))")
    }
}

/// One marker's share of a parallel job: what it counted, its thread CPU time in the job (helpers only, and
/// only when pauses record CPU time; 0 otherwise), and when it started and ended the job (`MonotonicClock`;
/// both 0 for a helper that did not take part).
struct MarkerResult {
    var counts = MarkCounts()
    var cpuNanoseconds: UInt64 = 0
    var start: UInt64 = 0
    var end: UInt64 = 0
}

extension SharedHeap {
    /// Whether this pause marks and sweeps with the collector threads: there are some, and the last collection
    /// found at least `parallelMinimumLiveBytes` live (below that, waking them costs more than the mark;
    /// figures: Docs/Internals.md, "Parallel marking").
    var marksInParallel: Bool {
        configuration.markThreads > 1 && liveBytesAfterLastCycle >= configuration.parallelMinimumLiveBytes
    }

    /// Whether this pause marks and sweeps with collector threads: `marksInParallel`, and the threads exist or
    /// can be started now. When the system refuses every thread (under a memory or process limit), the pause
    /// marks alone, and the next parallel pause tries again.
    func startsParallelPause() -> Bool {
        marksInParallel && (collectorWorkers != nil || makeCollectorWorkers())
    }

    /// Starts the collector threads and their work pool; false when not one thread could be started.
    func makeCollectorWorkers() -> Bool {
        guard let workers = CollectorWorkers(helpers: configuration.markThreads - 1) else { return false }
        collectorWorkers = workers
        markWorkPool = MarkWorkPool(markers: workers.helperCount + 1, maximumEntries: configuration.markStackMaximumEntries)
        return true
    }

    /// The collector threads and their work pool.
    /// - Precondition: `startsParallelPause()` returned true in this pause.
    func parallelWorkers() -> (CollectorWorkers, MarkWorkPool) {
        guard let workers = collectorWorkers, let pool = markWorkPool else {
            preconditionFailure("gc: a parallel pass without collector threads")
        }
        return (workers, pool)
    }

    /// Step 4 with every marker: drains the collecting thread's stack (the roots, marked by step 3) and
    /// whatever the markers share, until all are idle. Leaves `markStack.overflowed` set when any marker
    /// dropped a push, for `markHeap`'s recovery. What the markers counted is not kept: a cell two markers
    /// reached at once is counted by both (`countMarked` counts exactly, once the mark is complete).
    func markHeapInParallel() {
        let (workers, pool) = parallelWorkers()
        pool.begin()
        let measureCPU = configuration.measurePauseCPUTime
        workers.run { i in
            guard i == 0 || pool.join() else { return }
            let start = MonotonicClock.now()
            let cpuStart = i > 0 && measureCPU ? ThreadCPUClock.now() : 0
            // Invariant: marker i alone uses its stack during the job (0: the heap's, else helperStacks[i - 1]).
            var stack = i == 0 ? markStack : pool.helperStacks[i - 1]
            var local = MarkCounts()
            repeat {
                drainRing(&stack, &local, budget: nil, share: Unmanaged.passUnretained(pool))
            } while pool.take(into: &stack)
            if i == 0 { markStack = stack } else { pool.helperStacks[i - 1] = stack }
            pool.results[i] = MarkerResult(counts: local, cpuNanoseconds: i > 0 && measureCPU ? ThreadCPUClock.now() &- cpuStart : 0,
                                           start: start, end: MonotonicClock.now())
        }
        for i in 1..<pool.markers { stats.collectorThreadsCPUNanoseconds &+= pool.results[i].cpuNanoseconds }
        recordHelperSpans(pool, name: "mark")
        for i in 0..<(pool.markers - 1) where pool.helperStacks[i].overflowed {
            pool.helperStacks[i].overflowed = false
            markStack.overflowed = true
        }
        stats.parallelMarks += 1
    }

    /// The objects and bytes marked, counted from the marks with every marker (each block's mark bytes counted
    /// a word at a time) and, on this thread, the large objects' flags.
    func countMarked() -> MarkCounts {
        var total = forEachBlockInParallel(name: "count") { b, counts in
            let marked = b.markCount()
            counts.objects &+= marked
            counts.bytes &+= marked &* b.header.pointee.cellBytes
        }
        var cursor = largeObjects.head
        while let base = cursor {
            let d = base.assumingMemoryBound(to: LargeObjectHeader.self)
            if d.pointee.marked != 0 {
                total.objects &+= 1
                total.bytes &+= d.pointee.objectBytes
            }
            cursor = d.pointee.next
        }
        return total
    }

    /// Eager sweeping with every marker: sweeps every block of every class, leaving the sorting into pool and
    /// queues to `sweepAfterMark`'s pass on this thread.
    func sweepBlocksInParallel() {
        // Sweeping a block touches only that block.
        _ = forEachBlockInParallel(name: "sweep") { b, _ in if needsSweep(b) { sweep(b) } }
        stats.parallelSweeps += 1
    }

    /// Runs `body` on every block owned by a size class, with every marker: the blocks are handed out 16 at a
    /// time from a shared cursor, so each is visited once, by one marker. Returns what the markers added up in
    /// their `MarkCounts` (each starts from zero); adds the collector threads' CPU time to the statistics and
    /// their spans, named `name`, to the pause's (`helperSpans`).
    ///
    /// - Precondition: `body` touches only the block it is given (and its own counts).
    func forEachBlockInParallel(name: String, _ body: (Block, inout MarkCounts) -> Void) -> MarkCounts {
        let (workers, pool) = parallelWorkers()
        var blocks: [Block] = []
        blocks.reserveCapacity(classBlocks.reduce(0) { $0 + $1.count })
        for c in 0..<SizeClasses.count { blocks.append(contentsOf: classBlocks[c]) }
        pool.begin()
        let measureCPU = configuration.measurePauseCPUTime
        blocks.withUnsafeBufferPointer { blocks in
            workers.run { i in
                let start = MonotonicClock.now()
                let cpuStart = i > 0 && measureCPU ? ThreadCPUClock.now() : 0
                var counts = MarkCounts()
                while true {
                    let first = pool.sweepCursor.wrappingAdd(16, ordering: .relaxed).oldValue
                    guard first < blocks.count else { break }
                    // Invariant: blocks[first..<first + 16] are this marker's alone: the cursor hands each range
                    // out once.
                    for b in blocks[first..<min(first + 16, blocks.count)] { body(b, &counts) }
                }
                pool.results[i] = MarkerResult(counts: counts, cpuNanoseconds: i > 0 && measureCPU ? ThreadCPUClock.now() &- cpuStart : 0,
                                               start: start, end: MonotonicClock.now())
            }
        }
        recordHelperSpans(pool, name: name)
        var total = MarkCounts()
        for i in 0..<pool.markers {
            total.objects &+= pool.results[i].counts.objects
            total.bytes &+= pool.results[i].counts.bytes
            stats.collectorThreadsCPUNanoseconds &+= pool.results[i].cpuNanoseconds
        }
        return total
    }

    /// Adds what each helper did in the job just run to `helperSpans`, timed from `pauseStart` (a helper that
    /// skipped the job has no span).
    func recordHelperSpans(_ pool: MarkWorkPool, name: String) {
        for i in 1..<pool.markers where pool.results[i].end > 0 {
            let r = pool.results[i]
            helperSpans.append(CollectorThreadSpan(thread: i, name: name, offsetNanoseconds: r.start &- pauseStart,
                                                   nanoseconds: r.end &- r.start))
        }
    }

    /// Mark-stack overflows so far, on every marker's stack.
    var markStackOverflowCount: Int {
        var n = markStack.overflowCount
        if let pool = markWorkPool { for i in 0..<(pool.markers - 1) { n += pool.helperStacks[i].overflowCount } }
        return n
    }
}
