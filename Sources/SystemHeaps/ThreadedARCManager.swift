import HeapLabCore

/// Swift's ARC shared by several threads (`ThreadedMemoryManager`): each thread attaches and gets an
/// `ARCManager` of its own (its allocation counters), so its per-thread code is the same specialized code a
/// single-threaded workload runs.
///
/// Swift's reference counts are atomic, so objects may be shared between threads freely and released on any
/// of them (`sharing` is `.atomicCounts`); two threads writing one slot at once still need the program's own
/// synchronization, as for any Swift class property. Making one switches `ARCLiveObjects` to atomic counters
/// for the rest of the process (its deinit-side counts are updated on whichever thread releases an object):
/// make it before a second thread touches an ARC object.
///
/// Statistics: `detach` adds a context's counters to totals kept under a lock; `statistics()` sums those and
/// every context still attached, with the process-wide `ARCLiveObjects` figures.
public final class ThreadedARCManager: ThreadedMemoryManager, @unchecked Sendable {
    // @unchecked: `attached` and `totals` are behind their locks; nothing else is stored.
    public typealias Context = ARCManager

    public var name: String { "arc" }
    @inlinable public var sharing: ThreadSharing { .atomicCounts }

    let attached = AttachedThreads<ARCManager, Void>(manager: "arc")
    /// Allocations and bytes requested by the contexts detached so far.
    let totals = LockedValue((allocations: 0, bytesRequested: 0))

    /// A threaded manager with no thread attached. Switches `ARCLiveObjects` to threaded mode (for good).
    public init() {
        ARCLiveObjects.enableThreads()
    }

    /// Attaches the calling thread: a new `ARCManager` whose counters start at 0.
    ///
    /// - Throws: `AttachError.alreadyAttached` when this thread holds a context of this manager already.
    public func attach() throws(AttachError) -> ARCManager {
        try attached.attach { () throws(AttachError) in (ARCManager(owner: .current), ()) }
    }

    /// Detaches the calling thread and adds its context's counters to the totals. Objects it made live on as
    /// long as something references them, on any thread.
    ///
    /// - Precondition: called on the thread that attached `context`, and `context` attached to this manager (a
    ///   precondition failure names the manager, the owner and the caller).
    public func detach(_ context: ARCManager) {
        attached.detach(context)
        let allocations = context.allocations, bytes = context.bytesRequested
        totals.withLock {
            $0.allocations &+= allocations
            $0.bytesRequested &+= bytes
        }
    }

    /// The number of threads attached now.
    public var attachedThreads: Int { attached.count }

    /// Allocations and bytes requested over every context, detached and attached; `liveBytes` and `extra`
    /// (`liveObjects`, `weakBoxes`) are `ARCLiveObjects`' process-wide figures.
    ///
    /// Exact when no attached thread is running an operation meanwhile (read it after they have stopped or
    /// detached): each context's counters are plain per-thread values (`AttachedThreads.forEachContext`).
    public func statistics() -> ManagerStatistics {
        var (allocations, bytes) = totals.withLock { $0 }
        attached.forEachContext {
            allocations &+= $0.allocations
            bytes &+= $0.bytesRequested
        }
        return ManagerStatistics(allocations: allocations, bytesRequested: bytes, liveBytes: ARCLiveObjects.bytes,
                                 extra: ["liveObjects": Double(ARCLiveObjects.count), "weakBoxes": Double(ARCLiveObjects.weakBoxes),
                                         "attachedThreads": Double(attached.count)])
    }
}
