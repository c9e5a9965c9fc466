import HeapLabCore

/// malloc, jemalloc or mimalloc shared by several threads (`ThreadedMemoryManager`): each thread attaches and
/// gets a `ManualHeap` of its own over the same allocator, so its per-thread code is the same specialized code
/// a single-threaded workload runs.
///
/// The allocators are thread-safe and keep per-thread caches of their own (glibc's tcache and arenas,
/// jemalloc's tcache, mimalloc's per-thread heaps); what a context adds is only its own counters and `dropTree`
/// work stack, so nothing shared is touched on the hot path. A structure made through one thread's context may
/// be handed to another thread, which then owns it and frees it through its own context (a cross-thread free:
/// `sharing` is `.withOwnershipDiscipline`, and the workload's discipline says who owns what).
///
/// Statistics: `detach` adds a context's counters to totals kept under a lock; `statistics()` sums those and
/// every context still attached.
public final class ThreadedManualHeap<Allocator: RawAllocator>: ThreadedMemoryManager, @unchecked Sendable {
    // @unchecked: `allocator` is immutable and the allocators are thread-safe (a C allocator's functions, or
    // function pointers into one); `attached` and `totals` are behind their locks.
    public typealias Context = ManualHeap<Allocator>

    public var name: String { Allocator.managerName.description }
    @inlinable public var sharing: ThreadSharing { .withOwnershipDiscipline }

    let allocator: Allocator
    let attached: AttachedThreads<Context, Void>
    /// Counters of the contexts detached so far.
    let totals = LockedValue(Counters())

    /// A context's counters, as `ManualHeap` keeps them.
    struct Counters {
        var allocations = 0
        var bytesRequested = 0
        var headedAllocations = 0
        var bytesFreed = 0

        mutating func add(_ heap: Context) {
            allocations &+= heap.allocations
            bytesRequested &+= heap.bytesRequested
            headedAllocations &+= heap.headedAllocations
            bytesFreed &+= heap.bytesFreed
        }
    }

    /// A threaded manager over `allocator`, with no thread attached.
    public init(allocator: Allocator) {
        self.allocator = allocator
        attached = AttachedThreads(manager: Allocator.managerName.description)
    }

    /// Attaches the calling thread: a new `ManualHeap` over the shared allocator, with counters starting at 0.
    ///
    /// - Throws: `AttachError.alreadyAttached` when this thread holds a context of this manager already.
    public func attach() throws(AttachError) -> Context {
        try attached.attach { () throws(AttachError) in (ManualHeap(allocator: allocator, owner: .current), ()) }
    }

    /// Detaches the calling thread and adds its context's counters to the totals. The context's objects stay
    /// allocated: they belong to whoever holds them, who frees them through a context of their own.
    ///
    /// - Precondition: called on the thread that attached `context`, with its root depth 0 (always 0 here), and
    ///   `context` attached to this manager (a precondition failure names the manager, the owner and the caller).
    public func detach(_ context: Context) {
        attached.detach(context)
        totals.withLock { $0.add(context) }
    }

    /// The number of threads attached now.
    public var attachedThreads: Int { attached.count }

    /// Allocations and bytes over every context, detached and attached: `liveBytes` is every byte allocated
    /// and not freed, whichever thread freed it (header, slots and payload of each block, as `ManualHeap`).
    ///
    /// Exact when no attached thread is running an operation on its context meanwhile (read it after they have
    /// stopped or detached): each context's counters are plain per-thread values (`AttachedThreads.forEachContext`).
    public func statistics() -> ManagerStatistics {
        var sum = totals.withLock { $0 }
        attached.forEachContext { sum.add($0) }
        let live = sum.bytesRequested &+ sum.headedAllocations &* ObjectLayout.headerBytes &- sum.bytesFreed
        return ManagerStatistics(allocations: sum.allocations, bytesRequested: sum.bytesRequested, heapBytes: nil,
                                 liveBytes: live, extra: ["attachedThreads": Double(attached.count)])
    }
}

/// glibc malloc shared by several threads, each with its `MallocManager` context.
public typealias ThreadedMallocManager = ThreadedManualHeap<GlibcAllocator>
/// jemalloc shared by several threads, each with its `JemallocManager` context.
public typealias ThreadedJemallocManager = ThreadedManualHeap<JemallocAllocator>
/// mimalloc shared by several threads, each with its `MimallocManager` context.
public typealias ThreadedMimallocManager = ThreadedManualHeap<MimallocAllocator>

extension ThreadedManualHeap where Allocator == GlibcAllocator {
    /// glibc malloc, always available.
    public convenience init() { self.init(allocator: GlibcAllocator()) }
}

extension ThreadedManualHeap where Allocator == JemallocAllocator {
    /// jemalloc.
    /// - Throws: `ComparatorUnavailable` when jemalloc can not be loaded (not installed, or the process lacks
    ///   the static-TLS tunable: see `JemallocAllocator.availability()`).
    public convenience init() throws(ComparatorUnavailable) { self.init(allocator: try JemallocAllocator.load()) }
}

extension ThreadedManualHeap where Allocator == MimallocAllocator {
    /// mimalloc.
    /// - Throws: `ComparatorUnavailable` when mimalloc can not be loaded (see `MimallocAllocator.availability()`).
    public convenience init() throws(ComparatorUnavailable) { self.init(allocator: try MimallocAllocator.load()) }
}
