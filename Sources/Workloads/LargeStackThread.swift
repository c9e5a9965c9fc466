#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// Runs a closure on a new POSIX thread with a stack of a chosen size and waits for it: the workaround a Swift
/// programmer has when a recursive release (ARC freeing a long list) needs more stack than the main thread's.
///
/// The stack is reserved, not committed: Linux backs only the pages the thread touches.
public enum LargeStackThread {
    final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a thread with a `stackBytes` stack and returns when it has finished.
    /// - Throws: `WorkloadFailure` when the thread can not be created (the errno is in the message).
    public static func run(stackBytes: Int, _ body: @escaping () -> Void) throws {
        precondition(stackBytes >= 1 << 16, "LargeStackThread: stack of \(stackBytes) bytes is below 64 KiB")
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        var result = pthread_attr_setstacksize(&attributes, stackBytes)
        guard result == 0 else { throw WorkloadFailure("pthread_attr_setstacksize(\(stackBytes)) failed: errno \(result)") }
        let job = Unmanaged.passRetained(Job(body)).toOpaque()
        var thread = pthread_t()
        result = pthread_create(&thread, &attributes, { context in
            let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
            job.body()
            return nil
        }, job)
        guard result == 0 else {
            Unmanaged<Job>.fromOpaque(job).release()
            throw WorkloadFailure("pthread_create with a \(stackBytes)-byte stack failed: errno \(result)")
        }
        pthread_join(thread, nil)
    }
}
