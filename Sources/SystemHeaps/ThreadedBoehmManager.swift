import HeapLabCore

/// Boehm GC shared by several threads (`ThreadedMemoryManager`): each thread attaches, which registers it
/// with Boehm (`BoehmThreadRegistration`) and makes its `BoehmManager` context (its own root stack in
/// uncollectable memory, shape table and counters); detaching frees that root stack and unregisters the
/// thread, on the same thread.
///
/// Boehm is one process-wide collector that stops registered threads with signals and scans their stacks and
/// registers conservatively, so any object may be reached and written from any attached thread (`sharing` is
/// `.anyReference`; two threads writing one slot at once still need the program's own synchronization).
///
/// The thread that makes this manager must be one Boehm knows (the thread that first loaded it, or one
/// registered by its own code): it calls `GC_allow_register_threads` (`BoehmManager.allowThreadRegistration()`),
/// which Boehm requires of a registered thread, after `GC_init`, before any other thread registers. From then
/// on Boehm takes its allocation lock on every allocation, so a single-threaded run does not make one.
///
/// Contexts log no pauses (they are made with `pauseLog: nil`: Boehm's collection callback has no context and
/// reaches one recorder only; see `BoehmManager`).
///
/// Statistics: `detach` adds a context's counters to totals kept under a lock; `statistics()` sums those and
/// every context still attached, with Boehm's process-wide heap figures.
public final class ThreadedBoehmManager: ThreadedMemoryManager, @unchecked Sendable {
    // @unchecked: `gc` is immutable function pointers into libgc, which is thread-safe once registration is
    // allowed; `attached` and `totals` are behind their locks.
    public typealias Context = BoehmManager

    public var name: String { "boehm" }
    @inlinable public var sharing: ThreadSharing { .anyReference }

    let gc: BoehmLibrary
    let attached = AttachedThreads<BoehmManager, Attachment>(manager: "boehm")
    /// Allocations and bytes requested by the contexts detached so far.
    let totals = LockedValue((allocations: 0, bytesRequested: 0))

    /// What attaching a thread took from Boehm, to give back at its detach.
    final class Attachment {
        /// The registration `attach` made, or nil when the thread was registered already (it is then left
        /// registered, as its owner set it up).
        var registration: BoehmThreadRegistration?
        init(_ registration: consuming BoehmThreadRegistration?) { self.registration = registration }
    }

    /// Makes the manager and allows other threads to register with Boehm (`GC_allow_register_threads`).
    ///
    /// - Throws: `ComparatorUnavailable` when libgc.so.1 is missing (its `availability(package:)` then says
    ///   "not installed"), when the calling thread is not registered with Boehm, or when this libgc lacks thread
    ///   registration.
    public init() throws(ComparatorUnavailable) {
        // A manager of this thread's, only to allow registration: Boehm requires that of a thread it knows,
        // which making the manager checks.
        let first = try BoehmManager(pauseLog: nil)
        do throws(BoehmThreadError) {
            try first.allowThreadRegistration()
        } catch {
            throw ComparatorUnavailable(soname: "libgc.so.1", dlerror: error.description)
        }
        gc = first.gc
    }

    /// Attaches the calling thread: registers it with Boehm (unless Boehm knows it already, as it knows the
    /// thread that first loaded it) and makes its `BoehmManager`.
    ///
    /// - Throws: `AttachError.alreadyAttached` when this thread holds a context of this manager already;
    ///   `AttachError.refused` when Boehm refuses the registration or the context (the reason is Boehm's
    ///   error). Nothing stays registered when it throws.
    public func attach() throws(AttachError) -> BoehmManager {
        try attached.attach { () throws(AttachError) in
            var registration: BoehmThreadRegistration? = nil
            do throws(BoehmThreadError) {
                registration = try BoehmThreadRegistration()
            } catch .alreadyRegistered {
                // Boehm knows this thread already: it stays registered after detach, as before attach.
            } catch {
                throw .refused(manager: "boehm", reason: error.description)
            }
            let context: BoehmManager
            do throws(ComparatorUnavailable) {
                // Shapes in headers: references cross between contexts (see `BoehmManager.init(pauseLog:tagsShapes:)`).
                context = try BoehmManager(pauseLog: nil, tagsShapes: false)
            } catch {
                throw .refused(manager: "boehm", reason: error.description)  // `registration` unregisters here
            }
            return (context, Attachment(registration))
        }
    }

    /// Detaches the calling thread: adds its context's counters to the totals, gives its root stack back to
    /// Boehm, and unregisters the thread if `attach` registered it. Objects the thread made stay alive while
    /// another attached thread (or a root Boehm scans) reaches them; the thread itself must hold no Boehm
    /// reference afterwards, and must not use `context` again.
    ///
    /// - Precondition: called on the thread that attached `context`, with its roots popped to depth 0, and
    ///   `context` attached to this manager (a precondition failure names the manager, the owner and the caller).
    public func detach(_ context: BoehmManager) {
        let attachment = attached.detach(context)
        let allocations = context.allocations, bytes = context.bytesRequested
        totals.withLock {
            $0.allocations &+= allocations
            $0.bytesRequested &+= bytes
        }
        // The root stack goes back through Boehm while the thread is still registered.
        context.retire()
        attachment.registration.take()?.unregister()
    }

    /// The number of threads attached now.
    public var attachedThreads: Int { attached.count }

    /// Allocations and bytes requested over every context, detached and attached; `heapBytes`, `liveBytes`
    /// and `extra` (`collections`, `totalBytesAllocated`) are Boehm's process-wide figures, as
    /// `BoehmManager.statistics()` gives them.
    ///
    /// Exact when no attached thread is running an operation meanwhile (read it after they have stopped or
    /// detached): each context's counters are plain per-thread values (`AttachedThreads.forEachContext`).
    public func statistics() -> ManagerStatistics {
        var (allocations, bytes) = totals.withLock { $0 }
        attached.forEachContext {
            allocations &+= $0.allocations
            bytes &+= $0.bytesRequested
        }
        let heap = gc.getHeapSize()
        return ManagerStatistics(allocations: allocations, bytesRequested: bytes, heapBytes: heap,
                                 liveBytes: heap - gc.getFreeBytes(),
                                 extra: ["collections": Double(gc.getGCNumber()), "totalBytesAllocated": Double(gc.getTotalBytes()),
                                         "attachedThreads": Double(attached.count)])
    }
}
