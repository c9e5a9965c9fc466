#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore
import Synchronization

/// The part of a collected heap that every mutator thread shares: the spaces, the size classes' block lists,
/// the global roots, the mark stack, the pacer, the statistics and the pause log (Docs/Threads.md, section 3).
/// Each thread works through its own mutator context, a `GCHeap`, which holds what only that thread touches:
/// its allocation caches, its shadow root stack and its counters. This is the split of Go's `mheap`/`mcentral`
/// against a P's `mcache`, MMTk's `Plan` against a `Mutator`.
///
/// Locking: one mutex, `lock`, guards every stored property here. A mutator takes it on its allocation slow
/// path (once per 64 KiB block, or per large object), for global roots, to attach and detach, and in the write
/// barrier's slow path while incremental marking runs. The collector holds it for a whole pause, except while
/// it waits for the other mutators to stop (a condition wait releases it); concurrent mode's background marker
/// and assists hold it while they mark (ConcurrentMarking.swift). Functions of this class and its
/// extensions assume the lock is held unless they say otherwise; the public ones take it themselves.
///
/// Use: `GCHeap(configuration:pauseLog:)` makes a shared heap and attaches the calling thread to it; more
/// threads attach with `heap.shared.attach()` on the thread itself:
/// ```swift
/// let heap = GCHeap(configuration: GCConfiguration(), pauseLog: log)   // this thread's context
/// Thread { let mine = try! heap.shared.attach(); defer { heap.shared.detach(mine) }; ... }
/// ```
public final class SharedHeap: ThreadedMemoryManager, @unchecked Sendable {
    // @unchecked Sendable: made to be used from every attached thread; every stored property is guarded by
    // `lock` (see above), except the immutable ones and `stopRequested`, which is atomic.
    //
    // Stored properties are `@exclusivity(unchecked)`, as the context's are: the lock is what makes accesses
    // exclusive, and dynamic exclusivity checks on class properties cost a runtime call per access (it doubled
    // the instructions of a GCBench run: Docs/Internals.md).
    public typealias Context = GCHeap

    /// The settings the heap was made with.
    public let configuration: GCConfiguration
    /// Where every pause goes, whichever thread's allocation started it.
    public let pauseLog: PauseLog
    /// `gc`, `gc-incremental` or `gc-concurrent`: the names the runner gives the three modes.
    public var name: String { configuration.collectionMode.managerName }
    /// Any reference may be stored anywhere and used on any thread; writers of one slot synchronize
    /// themselves, as in Go.
    public var sharing: ThreadSharing { .anyReference }

    // MARK: the lock and the stop-the-world handshake (Safepoints.swift)

    /// Guards everything below. Heap-allocated: a pthread mutex and condition must not move.
    let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled when the last running mutator stops or goes inactive during a stop; the collector waits on it.
    let allStopped: UnsafeMutablePointer<pthread_cond_t>
    /// Broadcast when the world restarts; stopped mutators (and threads waiting to attach or to become active
    /// again) wait on it.
    let resumed: UnsafeMutablePointer<pthread_cond_t>
    /// True from the moment a collector asks every mutator to stop until it restarts them. Written under the
    /// lock; read without it by `GCHeap.safepoint()` (relaxed: the poll only decides whether to take the
    /// lock, and the lock orders everything the stop depends on).
    @usableFromInline let stopRequested = Atomic<Bool>(false)
    /// Nesting of stops by the thread holding the world stopped (a stop-the-world collection abandoning an
    /// incremental cycle does not stop twice).
    @exclusivity(unchecked) var stopDepth = 0
    /// Every attached mutator context, in attach order. Unowned: a context keeps its shared heap alive, not the
    /// other way round; a context leaves this list in `detach` or its `deinit`, whichever comes first.
    @exclusivity(unchecked) var mutators: [Unmanaged<GCHeap>] = []
    /// How many attached mutators are running (neither stopped at a safepoint nor inactive). Written under
    /// the lock only; read without it by a collector spinning while it waits for the others to stop (relaxed:
    /// the spin only decides when to take the lock and look again).
    let running = Atomic<Int>(0)
    /// Threads waiting in `lock()` now. Relaxed: the background marker reads it as a hint to end its chunk early
    /// (a stale value only makes the chunk a little longer or shorter); the mutex orders everything else.
    let lockWaiters = Atomic<Int>(0)
    var runningCount: Int {
        get { running.load(ordering: .relaxed) }
        set { running.store(newValue, ordering: .relaxed) }
    }
    /// Running mutators asleep in `lockAtSafepoint()`: at a safepoint (their allocation slow path, before it
    /// touches anything), waiting for the lock. A collector holding the lock counts them as stopped: they can not
    /// run until it lets the lock go, and when they get it they park first. Without this, a mutator asleep on
    /// the lock when a pause opens had to be woken and scheduled before the pause could go on, which was most of
    /// the longest times to safepoint with two mutators (Docs/Internals.md, "Concurrent marking"). Incremented
    /// with release before the thread sleeps, so that its writes (to its context and to heap objects) happen
    /// before a collector's acquire load that counts it; decremented once it holds the lock.
    let safepointLockWaiters = Atomic<Int>(0)
    /// Running mutators that a collector holding the lock must still wait for: the running ones not asleep on
    /// the lock at a safepoint (the collector included). Read with the lock held.
    var unstoppedCount: Int { runningCount - safepointLockWaiters.load(ordering: .acquiring) }

    // MARK: totals folded from the mutators

    /// Objects allocated, and bytes of shapes requested, by every mutator, as far as folded (each mutator
    /// folds its own counts on its slow path; a pause folds them all).
    @exclusivity(unchecked) var allocations = 0
    @exclusivity(unchecked) var bytesRequested = 0
    /// Heap in use: cells allocated (full cell bytes) plus large-object bytes, minus what the last collection
    /// proved dead, as far as folded. The pacer compares it with its goal. Behind the truth by at most what each
    /// mutator allocated since its last slow path: one block per size class and mutator.
    @exclusivity(unchecked) var inUseBytes = 0

    // MARK: spaces and collector state

    /// Per size class: every block the class owns (`BlockHeader.indexInClass` is the position here),
    /// including each mutator's allocation block.
    @exclusivity(unchecked) var classBlocks: [[Block]]
    /// Per size class: blocks to allocate from next: swept blocks with free cells, or (lazy sweeping) blocks
    /// still to be swept. A block here is owned by no mutator.
    @exclusivity(unchecked) var allocationQueue: [[Block]]
    @exclusivity(unchecked) var blockSpace = BlockSpace()
    @exclusivity(unchecked) var largeObjects = LargeObjectSpace()
    @exclusivity(unchecked) var globalRoots = GlobalRoots()
    @exclusivity(unchecked) var markStack: MarkStack
    /// The collector threads and their mark work pool (ParallelMarking.swift), made at the first pause that
    /// marks in parallel; nil while `configuration.markThreads` is 1 or no pause has needed them.
    @exclusivity(unchecked) var collectorWorkers: CollectorWorkers?
    @exclusivity(unchecked) var markWorkPool: MarkWorkPool?
    /// What the collector threads did in the pause under way (ParallelMarking.swift), for its `PauseEvent`,
    /// and when that pause began (`MonotonicClock`), which the spans are timed from.
    @exclusivity(unchecked) var helperSpans: [CollectorThreadSpan] = []
    @exclusivity(unchecked) var pauseStart: UInt64 = 0
    @exclusivity(unchecked) var pacer: Pacer
    @exclusivity(unchecked) var stats = GCStatistics()
    /// What the last collection found live, and the allocation count then (for `liveObjectCount`).
    @exclusivity(unchecked) var liveBytesAfterLastCycle = 0
    @exclusivity(unchecked) var liveObjectsAfterLastCycle = 0
    @exclusivity(unchecked) var allocationsAtLastCycle = 0
    /// Advanced (wrapping) each time a mark phase ends: a block whose `BlockHeader.sweptEpoch` differs needs a
    /// sweep (`needsSweep`). One store makes the whole heap unswept, however many blocks it has.
    @exclusivity(unchecked) var sweepEpoch: UInt8 = 0
    /// True while a collection runs (a collection never starts inside another).
    @exclusivity(unchecked) var collecting = false
    /// Incremental marking's state (IncrementalMarking.swift). Each mutator keeps a copy of `marking` for its
    /// write barrier (`GCHeap.barrierOn`), rewritten only while the world is stopped.
    @exclusivity(unchecked) var incremental = IncrementalState()
    /// Concurrent mode's background marker (made at the first cycle) and counters (ConcurrentMarking.swift).
    @exclusivity(unchecked) var backgroundMarker: BackgroundMarker?
    @exclusivity(unchecked) var concurrent = ConcurrentState()
    /// Failed checks kept for `takeCheckFailures()` (`CheckFailureMode.record`).
    @exclusivity(unchecked) var recordedCheckFailures: [HeapCheckFailure] = []
    /// When the heap was made (`MonotonicClock`), for the trace's time stamps.
    let createdNanoseconds: UInt64
    /// Copies of the size-class tables and debug switches (as each context has).
    let cellBytesOfClass: UnsafeMutablePointer<Int>
    let poisonFreedCells: Bool
    let checkReferences: Bool

    init(configuration: GCConfiguration, pauseLog: PauseLog) {
        self.configuration = configuration
        self.pauseLog = pauseLog
        let classes = SizeClasses.count
        classBlocks = Array(repeating: [], count: classes)
        allocationQueue = Array(repeating: [], count: classes)
        markStack = MarkStack(maximumEntries: configuration.markStackMaximumEntries)
        pacer = Pacer(gogc: configuration.gogc, minimumHeapBytes: configuration.minimumHeapBytes,
                      limitBytes: configuration.heapLimitBytes)
        createdNanoseconds = MonotonicClock.now()
        cellBytesOfClass = SizeClasses.cellBytesOfClass
        poisonFreedCells = configuration.poisonFreedCells
        checkReferences = configuration.checkReferences
        mutex = .allocate(capacity: 1)
        allStopped = .allocate(capacity: 1)
        resumed = .allocate(capacity: 1)
        // An adaptive mutex (glibc's PTHREAD_MUTEX_ADAPTIVE_NP: a waiter spins a little before it sleeps in the
        // kernel), because the lock is held briefly (a slow path, a shade, a background mark chunk that ends within
        // 32 objects of a waiter showing up). On its own it did not change the kernel wake-ups perf found in
        // concurrent mode (those were the background marker asleep in the mutex: `lockFromBackground`). Not
        // recursive. Conditions on the realtime clock, never timed but in `waitForStopsCheckingThreads`.
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        defer { pthread_mutexattr_destroy(&attributes) }
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        precondition(pthread_mutex_init(mutex, &attributes) == 0 && pthread_cond_init(allStopped, nil) == 0
                     && pthread_cond_init(resumed, nil) == 0, "gc: could not initialize the heap's lock")
    }

    deinit {
        // Every context holds this heap strongly, so none is left when this runs.
        collectorWorkers?.shutDown()
        backgroundMarker?.shutDown(self)
        blockSpace.unmapAll()
        largeObjects.unmapAll()
        markStack.deallocate()
        pthread_cond_destroy(resumed)
        pthread_cond_destroy(allStopped)
        pthread_mutex_destroy(mutex)
        resumed.deallocate()
        allStopped.deallocate()
        mutex.deallocate()
    }

    /// The configuration as strings (keys as `GCConfiguration.init(options:)` takes), for reports.
    public func configurationDescription() -> [String: String] { configuration.dictionary }

    // MARK: the lock

    @inline(__always)
    func lock() {
        // Uncontended: one trylock. Contended: counted in `lockWaiters` while waiting, so that the background
        // marker, which holds the lock for chunks of marking, ends its chunk within 32 objects and lets the
        // waiter (a mutator's slow path, a barrier shade, a pause) in.
        guard pthread_mutex_trylock(mutex) != 0 else { return }
        waitForLock()
    }

    /// The contended path of the locks: waits in the mutex, counted in `lockWaiters` meanwhile.
    @inline(never)
    func waitForLock() {
        lockWaiters.add(1, ordering: .relaxed)
        let status = pthread_mutex_lock(mutex)
        lockWaiters.subtract(1, ordering: .relaxed)
        assert(status == 0, "gc: pthread_mutex_lock failed (\(status))")
    }

    /// `lock()` for a mutator at a safepoint (its allocation slow path, with every reference it holds rooted):
    /// while it waits for the lock, a stop of the world counts it as stopped (`safepointLockWaiters`). The
    /// caller parks (`parkIfStopRequested`) before anything else once it has the lock.
    @inline(__always)
    func lockAtSafepoint() {
        guard pthread_mutex_trylock(mutex) != 0 else { return }
        lockContendedAtSafepoint()
    }

    @inline(never)
    func lockContendedAtSafepoint() {
        // Release: everything this thread wrote before (its allocator, its counts, its objects' slots) happens
        // before the collector's acquire load of the count, which is what lets it scan them without this thread.
        safepointLockWaiters.add(1, ordering: .releasing)
        waitForLock()
        // Under the lock: a collector reads the count only holding it, so it never counts this thread once it
        // runs again.
        safepointLockWaiters.subtract(1, ordering: .relaxed)
    }

    @inline(__always)
    func unlock() {
        let status = pthread_mutex_unlock(mutex)
        assert(status == 0, "gc: pthread_mutex_unlock failed (\(status))")
    }

    /// Runs `body` with the lock held.
    @inline(__always)
    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Each mutator's context, for loops of the collector (which holds the lock).
    @inline(__always)
    func forEachMutator(_ body: (GCHeap) -> Void) {
        for m in mutators { body(m.takeUnretainedValue()) }
    }

    // MARK: attach and detach

    /// Attaches the calling thread and returns its mutator context (Docs/Threads.md, section 4). Waits while
    /// the world is stopped, so a thread never joins a stop in progress.
    ///
    /// - Throws: `AttachError.alreadyAttached` when the calling thread holds a context of this heap already.
    public func attach() throws(AttachError) -> GCHeap {
        lock()
        defer { unlock() }
        for m in mutators where m.takeUnretainedValue().owner.isCurrent {
            throw .alreadyAttached(manager: name)
        }
        let context = GCHeap(shared: self)
        link(context)
        return context
    }

    /// Links a new context in (called by `GCHeap`'s initializers, with the lock held).
    func link(_ context: GCHeap) {
        waitWhileStopped()
        mutators.append(Unmanaged.passUnretained(context))
        runningCount += 1
        context.barrierOn = incremental.marking
    }

    /// Detaches the calling thread's context: its allocation blocks go back to their classes, its counters
    /// into the heap's totals, and it leaves the list of mutators whose roots are scanned. The context must
    /// not be used afterwards (its operations stop with a precondition failure in debug builds).
    ///
    /// - Precondition: called on the thread that attached `context`, with its roots popped to depth 0 (a
    ///   detached root stack is no longer scanned: what it held would be freed under its holder).
    public func detach(_ context: GCHeap) {
        precondition(context.shared === self, "gc: detach of a context of another heap")
        precondition(context.owner.isCurrent,
                     "gc: detach on \(ThreadIdentity.current.label) of a context attached by \(context.owner.label)")
        precondition(context.roots.count == 0,
                     "gc: detach with \(context.roots.count) roots still pushed (pop them first: a detached context's roots are not scanned)")
        lock()
        defer { unlock() }
        parkIfStopRequested(context)
        unlink(context)
    }

    /// Takes `context` out of the list, its allocators retired and counters folded (lock held, not stopped).
    func unlink(_ context: GCHeap) {
        guard context.attached else { return }
        let blocks = context.allocationBlocks.compactMap { $0 }
        retireAllocationBlocks(of: context)
        for b in blocks {
            // Free cells of a block installed during marking were marked (black allocation): unmarked again, as
            // the final pause does. Blocks with free cells go back on their queue for the other mutators.
            if incremental.marking { unmarkFreeCells(b) }
            let h = b.header
            if h.pointee.freeCount > 0 {
                h.pointee.liveCount = h.pointee.cellCount - h.pointee.freeCount
                allocationQueue[Int(h.pointee.sizeClass)].append(b)
            }
        }
        fold(context)  // the totals keep a detached context's counts: nothing else to carry over
        if let i = mutators.firstIndex(where: { $0.takeUnretainedValue() === context }) { mutators.remove(at: i) }
        runningCount -= 1
        context.attached = false
        if stopRequested.load(ordering: .relaxed) && unstoppedCount <= 1 { pthread_cond_signal(allStopped) }
    }

    /// Adds `context`'s allocation counts since its last fold to the heap's totals (lock held, and `context`
    /// is the calling thread's or stopped).
    @inline(__always)
    func fold(_ context: GCHeap) {
        allocations &+= context.pendingAllocations
        bytesRequested &+= context.pendingBytesRequested
        inUseBytes &+= context.pendingInUseBytes
        context.pendingAllocations = 0
        context.pendingBytesRequested = 0
        context.pendingInUseBytes = 0
    }

    /// Folds every mutator's counts (in a pause, or with every other mutator stopped).
    func foldAll() { forEachMutator { fold($0) } }

    /// Objects not known to be dead: those the last collection found live plus those allocated since, as far
    /// as folded (exact after `foldAll`).
    var liveObjectCount: Int { liveObjectsAfterLastCycle + (allocations - allocationsAtLastCycle) }

    // MARK: global roots (any thread)

    /// Adds a global root holding `ref`: a root not tied to any thread's shadow stack, kept until removed.
    public func addGlobalRoot(_ ref: GCRef?) -> GlobalRoot { withLock { globalRoots.add(ref?.address) } }

    /// Replaces what global root `root` holds.
    /// - Precondition: `root` was returned by `addGlobalRoot` and not removed.
    public func setGlobalRoot(_ root: GlobalRoot, _ ref: GCRef?) { withLock { globalRoots.set(root, ref?.address) } }

    /// What global root `root` holds.
    /// - Precondition: as `setGlobalRoot`.
    public func globalRoot(_ root: GlobalRoot) -> GCRef? { withLock { globalRoots.get(root).map(GCRef.init) } }

    /// Removes a global root; its handle becomes invalid.
    /// - Precondition: as `setGlobalRoot`.
    public func removeGlobalRoot(_ root: GlobalRoot) { withLock { globalRoots.remove(root) } }

    /// How many threads are attached now.
    public var attachedThreads: Int { withLock { mutators.count } }
}
