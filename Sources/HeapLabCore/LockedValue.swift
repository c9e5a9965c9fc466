#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a `pthread_mutex_t`, for the shared state of threaded managers (which threads are attached,
/// the counters of detached contexts). Never on a fast path.
///
/// A pthread mutex rather than `Synchronization.Mutex`: ThreadSanitizer intercepts `pthread_mutex_lock`, so it
/// sees every acquire. `Mutex`'s contended path on Linux takes the lock inside the Swift runtime (a futex
/// syscall, in code TSan does not instrument), and TSan then reported races between two accesses that were
/// both made with the lock held.
public final class LockedValue<Value>: @unchecked Sendable {
    // @unchecked: `value` is read and written only between pthread_mutex_lock and pthread_mutex_unlock of
    // `mutex`.
    /// Heap-allocated: a pthread mutex must not move while in use, and a stored property of a class may be
    /// moved by inout accesses.
    let mutex: UnsafeMutablePointer<pthread_mutex_t>
    var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        // Invariant: `mutex` points to memory this object owns until deinit; initialized once here.
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the lock held and the value to read or change.
    public func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
