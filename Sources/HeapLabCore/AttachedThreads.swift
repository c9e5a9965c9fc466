/// The threads attached to one `ThreadedMemoryManager`, each with its context and what the manager keeps for
/// it (`Attachment`: a Boehm registration, or nothing), under a lock. It is the bookkeeping every threaded
/// manager shares: one context per thread, detach only on the attaching thread with its roots popped, and the
/// list of contexts that `statistics()` sums.
///
/// Never on a fast path: a thread takes the lock only to attach, to detach, or to read statistics, so the lock
/// is uncontended in steady state and costs nothing per allocation.
///
/// Invariant: at most one entry per thread (`attach` refuses a second), and every entry's context is the one
/// `attach` returned to that thread.
public final class AttachedThreads<Context: MemoryManager & AnyObject, Attachment>: @unchecked Sendable {
    // @unchecked: the entries are behind `entries`' lock; the contexts in them are touched here only by identity
    // (`===`) and, on their owner thread, `rootDepth`, except in `forEachContext`, whose caller states when that
    // is safe.

    /// One attached thread.
    public struct Entry {
        /// The thread that attached (the only one that may use `context` and detach it).
        public let thread: ThreadIdentity
        public let context: Context
        public let attachment: Attachment
    }

    /// The manager's name, for messages.
    public let manager: String
    /// A handful of entries (one per thread): a linear search is the right structure.
    let entries = LockedValue<[Entry]>([])

    /// An empty registry for the manager named `manager`.
    public init(manager: String) { self.manager = manager }

    /// Attaches the calling thread: makes its context with `make` and records it.
    ///
    /// `make` runs without the lock held (it may map memory or register with a library); no other thread can
    /// attach *this* thread meanwhile, so the check before it still holds when the entry is added.
    ///
    /// - Throws: `AttachError.alreadyAttached` when the calling thread has an entry already (nothing is made),
    ///   or what `make` throws (nothing is recorded).
    public func attach(_ make: () throws(AttachError) -> (context: Context, attachment: Attachment)) throws(AttachError) -> Context {
        let thread = ThreadIdentity.current
        let attached = entries.withLock { $0.contains { $0.thread == thread } }
        if attached { throw .alreadyAttached(manager: manager) }
        let made = try make()
        let entry = Entry(thread: thread, context: made.context, attachment: made.attachment)
        entries.withLock { $0.append(entry) }
        return made.context
    }

    /// Removes `context`'s entry and returns what the manager kept for it.
    ///
    /// - Precondition (every build): `context` is attached here (not detached already, not another manager's);
    ///   the calling thread is the one that attached it; its `rootDepth` is 0. A detached root stack is no
    ///   longer scanned, so what it still held would be freed under its holder; and a detach elsewhere would
    ///   give back the wrong thread's per-thread state. The message names the manager, the owner and the caller.
    public func detach(_ context: Context) -> Attachment {
        let caller = ThreadIdentity.current
        let found: Entry? = entries.withLock { entries in
            guard let index = entries.firstIndex(where: { $0.context === context }) else { return nil }
            guard entries[index].thread == caller else { return entries[index] }
            return entries.remove(at: index)
        }
        guard let found else {
            preconditionFailure("\(manager): detach of a context that is not attached (detached already, or attached to another manager), on \(caller.label)")
        }
        precondition(found.thread == caller,
                     "\(manager): detach called on \(caller.label), but the context belongs to \(found.thread.label) (detach on the thread that attached)")
        // The owner is the caller, so reading its root depth here is not a race.
        let depth = context.rootDepth
        precondition(depth == 0,
                     "\(manager): detach on \(caller.label) (the context's owner) with \(depth) roots still pushed (pop them to depth 0 first: a detached root stack is no longer scanned)")
        return found.attachment
    }

    /// The number of threads attached now.
    public var count: Int { entries.withLock { $0.count } }

    /// Calls `body` with every attached context, under the lock (so no thread attaches or detaches meanwhile).
    ///
    /// What `body` reads of a context is that context's own per-thread state, written by its thread without a
    /// lock: it is exact only when those threads are not running an operation on their contexts at the same
    /// time (they have stopped, or synchronized with the caller, for example at a barrier). Reading it while
    /// they run is a data race.
    public func forEachContext(_ body: (Context) -> Void) {
        entries.withLock { entries in for entry in entries { body(entry.context) } }
    }
}

/// Debug builds: stops with a precondition message unless the calling thread is `owner`, the thread a context
/// was attached on. Nothing when `owner` is nil (a manager made on its own, outside a threaded manager, may be
/// made on one thread and handed to the thread that uses it). Release builds compile it out entirely: call it
/// on a context's rare paths (scopes, statistics, slow paths), never on its allocation fast path.
///
/// - Parameters:
///   - owner: the thread the context was attached on, or nil for a manager made on its own.
///   - manager: the manager's name, evaluated only when the check fails.
///   - operation: what was called, for the message (`withScope`, `statistics()`).
@inlinable @inline(__always)
public func checkContextThread(_ owner: ThreadIdentity?, manager: @autoclosure () -> String, operation: StaticString) {
    assert(owner?.isCurrent ?? true,
           "\(manager()): \(operation) called on \(ThreadIdentity.current.label), but this context belongs to \(owner!.label) (a context is used only on the thread that attached it)")
}
