#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// A POSIX thread with a stack of a chosen size, for one job: the workaround a Swift programmer has when a
/// recursive release (ARC freeing a long list) needs more stack than the main thread's.
///
/// The thread is started by `init`, before the job exists, and waits; `run` hands it the job and waits for it
/// to finish. Starting it first matters: when the system refuses the stack (it is larger than the memory the
/// kernel will promise, or than an address-space limit), `init` throws before the workload has built anything
/// that would then be released on the calling thread's smaller stack.
///
/// The stack is reserved, not committed: Linux backs only the pages the thread touches.
public final class LargeStackThread: @unchecked Sendable {
    /// The thread could not be started (`pthread_create` or its attributes failed).
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public var stackBytes: Int
        /// The call that failed and the errno it returned.
        public var call: String
        public var code: Int32
        public var description: String {
            "could not start a thread with a \(stackBytes >> 20) MiB stack: \(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    // Shared with the thread. `job` is written before `start` is posted and read after it is awaited: the
    // semaphore orders the two. The semaphore lives at a stable address for its whole life.
    private var job: (() -> Void)?
    private let start: UnsafeMutablePointer<sem_t>
    private var thread = pthread_t()
    private var joined = false

    /// Starts a thread with a `stackBytes` stack, waiting for its job.
    /// - Precondition: `stackBytes` is at least 64 KiB.
    /// - Throws: `StartError` with the errno text when the thread can not be created.
    public init(stackBytes: Int) throws(StartError) {
        precondition(stackBytes >= 1 << 16, "LargeStackThread: stack of \(stackBytes) bytes is below 64 KiB")
        start = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(start, 0, 0)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        var result = pthread_attr_setstacksize(&attributes, stackBytes)
        guard result == 0 else {
            joined = true
            throw StartError(stackBytes: stackBytes, call: "pthread_attr_setstacksize", code: result)
        }
        // The thread holds one reference to this object until its body ends.
        let context = Unmanaged.passRetained(self).toOpaque()
        result = pthread_create(&thread, &attributes, { context in
            let owner = Unmanaged<LargeStackThread>.fromOpaque(context!).takeRetainedValue()
            while sem_wait(owner.start) != 0 {}  // EINTR
            owner.job?()
            owner.job = nil
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<LargeStackThread>.fromOpaque(context).release()
            joined = true
            throw StartError(stackBytes: stackBytes, call: "pthread_create", code: result)
        }
    }

    deinit {
        if !joined {
            // Never given a job: let the thread end with none.
            sem_post(start)
            pthread_join(thread, nil)
        }
        sem_destroy(start)
        start.deallocate()
    }

    /// Runs `body` on the thread and returns when it has finished.
    /// - Precondition: called at most once.
    public func run(_ body: @escaping () -> Void) {
        precondition(!joined, "LargeStackThread: run called twice")
        job = body
        sem_post(start)
        pthread_join(thread, nil)
        joined = true
    }
}
