import HeapLabCore

/// The arena with several threads (`ThreadedMemoryManager`): each thread attaches and gets an `ArenaManager`
/// over an arena of its own, never shared, so its per-thread code is the same specialized code a
/// single-threaded workload runs and its bump pointer is touched by no other thread.
///
/// Nothing is shared (`sharing` is `.byMoveOrCopy`): an object lives in its thread's arena until that arena's
/// scope ends, and no other thread may hold a reference into it. A structure goes to another thread by copy:
/// the receiver rebuilds it in its own arena (from values the sender handed over, or by reading the sender's
/// objects while the sender keeps its scope open and does not touch them), and no reference into the sender's
/// arena is kept past the hand-off. Moving a whole scope's chunks to another thread's arena is not offered.
///
/// Statistics: `detach` adds a context's allocations and bytes requested, chunks mapped, bytes wasted, resets
/// and scopes ended to totals kept under a lock; `statistics()` sums those and every context still attached.
/// Heap and live bytes are those of the attached contexts only: a detached context's arena gives its memory
/// back when the context itself is released.
public final class ThreadedArenaManager: ThreadedMemoryManager, @unchecked Sendable {
    // @unchecked: `configuration` is immutable; `attached` and `totals` are behind their locks.
    public typealias Context = ArenaManager

    public var name: String { "arena" }
    @inlinable public var sharing: ThreadSharing { .byMoveOrCopy }

    /// The configuration every thread's arena is made with (chunk sizes, limit per thread, poisoning).
    public let configuration: ArenaConfiguration
    let attached = AttachedThreads<ArenaManager, Void>(manager: "arena")
    /// What the contexts detached so far counted (`ArenaManager.statistics()`'s cumulative figures).
    let totals = LockedValue(ManagerStatistics())

    /// The `extra` counters of `ArenaManager.statistics()` that count events since the arena was made, so a
    /// detached context's are kept in the totals; the others (chunks held, peaks) describe an arena's present
    /// or its own history and are summed over attached contexts only.
    static let cumulativeExtras = ["chunksMapped", "wastedBytes", "resets", "scopesEnded"]

    /// A threaded manager whose threads each get an arena made with `configuration` (its `arena-limit`, if
    /// any, applies to each thread's arena on its own).
    public init(configuration: ArenaConfiguration = ArenaConfiguration()) {
        self.configuration = configuration
    }

    /// Attaches the calling thread: a new `ArenaManager` over a fresh arena of its own.
    ///
    /// - Throws: `AttachError.alreadyAttached` when this thread holds a context of this manager already.
    public func attach() throws(AttachError) -> ArenaManager {
        try attached.attach { () throws(AttachError) in (ArenaManager(configuration: configuration, owner: .current), ()) }
    }

    /// Detaches the calling thread and adds its context's cumulative counters to the totals. The context's
    /// arena (and every object in it) is freed when the context is released; it must not be used again.
    ///
    /// - Precondition: called on the thread that attached `context`, and `context` attached to this manager (a
    ///   precondition failure names the manager, the owner and the caller).
    public func detach(_ context: ArenaManager) {
        attached.detach(context)
        let s = context.uncheckedStatistics()
        totals.withLock { totals in
            totals.allocations &+= s.allocations
            totals.bytesRequested &+= s.bytesRequested
            for key in Self.cumulativeExtras { totals.extra[key, default: 0] += s.extra[key] ?? 0 }
        }
    }

    /// The number of threads attached now.
    public var attachedThreads: Int { attached.count }

    /// Allocations, bytes requested and the cumulative counters over every context, detached and attached;
    /// `heapBytes`, `liveBytes`, `chunks`, `spareChunks`, `peakLiveBytes` and `peakHeapBytes` summed over the
    /// attached contexts (a sum of per-thread peaks, which bounds the process's peak from above).
    ///
    /// Exact when no attached thread is running an operation meanwhile (read it after they have stopped or
    /// detached): each arena's counters are plain per-thread values (`AttachedThreads.forEachContext`).
    public func statistics() -> ManagerStatistics {
        var sum = totals.withLock { $0 }
        sum.heapBytes = 0
        sum.liveBytes = 0
        attached.forEachContext { context in
            let s = context.uncheckedStatistics()
            sum.allocations &+= s.allocations
            sum.bytesRequested &+= s.bytesRequested
            sum.heapBytes! &+= s.heapBytes ?? 0
            sum.liveBytes! &+= s.liveBytes ?? 0
            for (key, value) in s.extra { sum.extra[key, default: 0] += value }
        }
        sum.extra["attachedThreads"] = Double(attached.count)
        return sum
    }
}
