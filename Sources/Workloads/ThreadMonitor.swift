#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// A pthread mutex and one condition variable, for the threaded workloads' barriers, queues and cache shards.
///
/// pthread primitives rather than `Synchronization.Mutex`, because ThreadSanitizer sees their acquires and
/// releases (Mutex's contended path locks inside the uninstrumented runtime: see `LockedValue`). Both live in
/// memory this object allocated and never moves, as pthread requires.
public final class ThreadMonitor: @unchecked Sendable {
    // @unchecked: only the two pthread objects are stored, and they are made to be used from every thread.
    let mutex: UnsafeMutablePointer<pthread_mutex_t>
    let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        // Invariant: both point to memory this object owns until deinit, initialized once here.
        precondition(pthread_mutex_init(mutex, nil) == 0 && pthread_cond_init(condition, nil) == 0,
                     "ThreadMonitor: could not initialize a mutex and a condition variable")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    @inline(__always) public func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) public func unlock() { pthread_mutex_unlock(mutex) }
    /// Takes the lock if it is free; true when it did.
    @inline(__always) public func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }
    /// Waits for a `broadcast` (the lock held; held again on return). Wakes spuriously too: wait in a loop.
    public func wait() { pthread_cond_wait(condition, mutex) }
    /// Wakes every waiter. Call with the lock held, after changing what they wait for.
    public func broadcast() { pthread_cond_broadcast(condition) }

    /// Takes the lock on the thread of mutator `m`: at once if it is free, otherwise declared inactive while it
    /// blocks (`withoutCollector`), so that a thread holding the lock can collect meanwhile. A thread that
    /// blocked here without declaring itself inactive would deadlock with a holder that allocates: the holder's
    /// collection would wait for it to reach a safepoint, and it would wait for the holder's unlock.
    @inlinable
    public func lock<M: MemoryManager>(for m: M) {
        if tryLock() { return }
        m.withoutCollector { lock() }
    }
}
