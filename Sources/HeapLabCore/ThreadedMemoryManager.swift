#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A memory manager shared by several threads: each thread attaches and receives its own mutator context, a
/// `MemoryManager` it uses on that thread only (Docs/Threads.md).
///
/// `MemoryManager` stays the operations of *one* mutator; this protocol is beside it, so single-threaded
/// workloads keep their specialized code unchanged. The split is Go's P-local `mcache` against the shared
/// `mheap`, MMTk's `Mutator` against its `Plan`, whippet's `gc_mutator` against its `gc_heap`.
///
/// Rules:
/// - A context is used only on the thread that attached it (checked on the context's slow paths in debug
///   builds, with a precondition message naming the manager, the owner and the caller).
/// - `detach` is called on that thread, with the context's root stack popped to 0 (a precondition in every
///   build: a detached root stack is no longer scanned, so what it held would be freed under its holder).
/// - Objects cross between threads only as `sharing` allows.
public protocol ThreadedMemoryManager: AnyObject {
    /// One thread's view of the manager. Its `Ref` is the manager's reference type, so references cross
    /// threads where `sharing` allows.
    associatedtype Context: MemoryManager

    /// Short stable name, as `MemoryManager.name`.
    var name: String { get }

    /// How objects may be shared between the contexts of different threads. A constant per manager.
    var sharing: ThreadSharing { get }

    /// Attaches the calling thread and returns its context.
    ///
    /// - Throws: `AttachError.alreadyAttached` when the calling thread already holds a context of this
    ///   manager.
    func attach() throws(AttachError) -> Context

    /// Detaches the calling thread: what its context holds per thread (caches, counters) is given back to the
    /// manager, and the context must not be used again.
    ///
    /// - Precondition: called on the thread that attached `context`, with its roots popped to depth 0.
    func detach(_ context: Context)
}

/// How objects made through one thread's context may be used from another thread.
@frozen
public enum ThreadSharing: String, Codable, Sendable, CaseIterable {
    /// Any object may be reached and written from any thread (a tracing collector). Two threads writing
    /// one slot still need the program's own synchronization: a data race is a bug, as in Go.
    case anyReference
    /// Objects may be handed to another thread, which then owns them and frees them (malloc and its kin:
    /// a cross-thread free). The workload's own discipline says who owns what.
    case withOwnershipDiscipline
    /// Objects may be shared freely; reference counts are atomic (Swift ARC).
    case atomicCounts
    /// Nothing is shared: each thread has its own region, and a structure moves to another thread by
    /// copying it or by moving a whole scope (Rust's ownership transfer).
    case byMoveOrCopy
}

/// Why a thread could not attach to a threaded manager.
public enum AttachError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The calling thread already holds a context of this manager; detach it first.
    case alreadyAttached(manager: String)
    /// The manager can not take another thread (a comparator library that refuses to register it).
    case refused(manager: String, reason: String)

    public var description: String {
        switch self {
        case .alreadyAttached(let manager):
            return "\(manager): this thread is attached already (detach its context before attaching again)"
        case .refused(let manager, let reason):
            return "\(manager): can not attach this thread: \(reason)"
        }
    }
}

/// The identity of one thread (`pthread_self()`), for the wrong-thread checks of mutator contexts.
public struct ThreadIdentity: Equatable, @unchecked Sendable {
    // @unchecked: a pthread_t is an opaque thread id, only ever compared with pthread_equal.
    @usableFromInline let thread: pthread_t

    /// The calling thread.
    @inlinable
    public static var current: ThreadIdentity { ThreadIdentity(thread: pthread_self()) }

    @inlinable
    init(thread: pthread_t) { self.thread = thread }

    /// Whether the calling thread is this one.
    @inlinable
    public var isCurrent: Bool { pthread_equal(thread, pthread_self()) != 0 }

    public static func == (a: ThreadIdentity, b: ThreadIdentity) -> Bool { pthread_equal(a.thread, b.thread) != 0 }

    /// A short label for messages (the thread id as a number).
    public var label: String {
        #if canImport(Glibc)
        return "thread 0x\(String(UInt(thread), radix: 16))"
        #else
        return "thread \(thread)"
        #endif
    }
}

extension MemoryManager {
    /// The default: no collector that stops threads, so nothing to do.
    @inlinable public func safepoint() {}

    /// The default: no stop-the-world handshake to stay out of, so `body` just runs.
    @inlinable
    public func withoutCollector<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R { try body() }
}
