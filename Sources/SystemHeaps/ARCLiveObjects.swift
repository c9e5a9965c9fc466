import Synchronization

/// Process-wide counters of ARC objects, kept by `ARCManager.allocate` and `ARCObject.deinit`, so that a
/// workload can see what ARC did *not* free (a leaked cycle).
///
/// Two modes, because a deinit runs on whichever thread drops the last reference:
/// - single-threaded (the default): plain counters, an ordinary add per allocation and per deinit, as cheap as
///   they were before threads existed. Exact when one thread at a time creates and releases ARC objects (a
///   structure may be handed to another thread to release while its owner waits, as the `deep` workload does).
/// - threaded, from the moment a `ThreadedARCManager` is made until the process ends: every allocation and
///   deinit adds to atomic counters instead. The switch is one-way, so no update can be lost between modes; a
///   process that made a threaded manager pays the atomic adds on its single-threaded managers too.
///
/// Each figure below is the plain counter plus the atomic one: an object counted in one mode and dying in the
/// other still balances to zero. Read them after the threads that use ARC objects have been joined (or have
/// otherwise synchronized with the reader); while they run, a figure is a snapshot that may be mid-update.
///
/// Rule: make the `ThreadedARCManager` before a second thread touches an ARC object, so every thread that
/// does sees threaded mode on (they are started, or attach, after it was made: that orders the switch before
/// their first update).
public enum ARCLiveObjects {
    /// Workload objects allocated and not yet deinitialized, in this process.
    public static var count: Int { plainCount &+ sharedCount.load(ordering: .relaxed) }
    /// Their bytes as requested (`ObjectShape.bytes`, without Swift's object header).
    public static var bytes: Int { plainBytes &+ sharedBytes.load(ordering: .relaxed) }
    /// Weak boxes alive (the hidden objects behind `storeWeak`).
    public static var weakBoxes: Int { plainWeakBoxes &+ sharedWeakBoxes.load(ordering: .relaxed) }

    /// Whether the counters are threaded (see above). Written once, false to true, by `ThreadedARCManager.init`.
    /// Relaxed: a thread that uses ARC objects from several threads was started or attached after the switch,
    /// which orders the store before its loads; the flag guards no other memory.
    @usableFromInline static let threaded = Atomic<Bool>(false)

    /// Single-threaded mode's counters. Written only while `threaded` is false, by one thread at a time.
    @exclusivity(unchecked) @usableFromInline nonisolated(unsafe) static var plainCount = 0
    @exclusivity(unchecked) @usableFromInline nonisolated(unsafe) static var plainBytes = 0
    @exclusivity(unchecked) @usableFromInline nonisolated(unsafe) static var plainWeakBoxes = 0

    /// Threaded mode's counters. Every update is relaxed: each is a statistic, read after the threads that
    /// update it were joined (the join orders their updates before the read); no other memory depends on it.
    @usableFromInline static let sharedCount = Atomic<Int>(0)
    @usableFromInline static let sharedBytes = Atomic<Int>(0)
    @usableFromInline static let sharedWeakBoxes = Atomic<Int>(0)

    /// Switches to threaded mode for the rest of the process.
    static func enableThreads() { threaded.store(true, ordering: .relaxed) }

    /// An object of `bytes` (its shape's) was allocated.
    @inlinable @inline(__always)
    static func allocated(bytes: Int) {
        if _slowPath(threaded.load(ordering: .relaxed)) {
            sharedCount.wrappingAdd(1, ordering: .relaxed)
            sharedBytes.wrappingAdd(bytes, ordering: .relaxed)
        } else {
            plainCount &+= 1
            plainBytes &+= bytes
        }
    }

    /// An object of `bytes` was deinitialized, on any thread.
    ///
    /// The threaded updates are out of line: inline, they made `ARCObject`'s deinit too large to be inlined into
    /// its deallocating entry point, a call more per object (about 9 instructions each, under callgrind).
    @inline(__always)
    static func died(bytes: Int) {
        if _slowPath(threaded.load(ordering: .relaxed)) {
            diedThreaded(bytes: bytes)
        } else {
            plainCount &-= 1
            plainBytes &-= bytes
        }
    }

    @inline(never)
    static func diedThreaded(bytes: Int) {
        sharedCount.wrappingSubtract(1, ordering: .relaxed)
        sharedBytes.wrappingSubtract(bytes, ordering: .relaxed)
    }

    @inlinable @inline(__always)
    static func weakBoxMade() {
        if _slowPath(threaded.load(ordering: .relaxed)) {
            sharedWeakBoxes.wrappingAdd(1, ordering: .relaxed)
        } else {
            plainWeakBoxes &+= 1
        }
    }

    @inline(__always)
    static func weakBoxDied() {
        if _slowPath(threaded.load(ordering: .relaxed)) {
            weakBoxDiedThreaded()
        } else {
            plainWeakBoxes &-= 1
        }
    }

    @inline(never)
    static func weakBoxDiedThreaded() { sharedWeakBoxes.wrappingSubtract(1, ordering: .relaxed) }
}
