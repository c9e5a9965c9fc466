#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// Runs the threads of a threaded workload: each attaches to the shared manager on its own thread, runs the
/// workload's body on its context, and detaches on every exit path; the first failure of any thread stops the
/// others and becomes the run's error.
///
/// Exit paths: a body that returns, throws its own failure, or throws `ThreadStopped` (another thread failed)
/// all end the same way: the thread's roots are popped to 0 and it detaches, so a collector stopping the world
/// never waits for a thread that has stopped working (a detached thread is no longer counted). A body must not
/// block without declaring itself inactive (`ThreadMonitor.lock(for:)`, `ThreadBarrier.wait`): that is the
/// other way a handshake could wait forever.
public enum MutatorThreads {
    /// Stack of each mutator thread: address space, touched only as deep as the thread goes. A malloc-family
    /// `dropTree` recurses up to 4,096 levels before it switches to an explicit stack (about 200 KiB in a
    /// release build, several MiB in a sanitizer debug build).
    public static let stackBytes = 32 << 20

    /// Runs `body(t, context, threadContext)` on `count` threads at once, t in 0..<count, each with the context it
    /// attached to `manager` and a `RunContext` of its own (merged into `context` when every thread has ended),
    /// and returns the results in thread order.
    ///
    /// - Throws: the first failure (in time) of any thread, once every thread has ended: a `WorkloadFailure` has
    ///   the thread's number put before its message; `AllocationError`, `WorkloadNotApplicable` and an
    ///   `AttachError` are rethrown as they are. `ThreadStopped` is never thrown.
    public static func run<T: ThreadedMemoryManager, R>(
        _ count: Int, on manager: T, context: RunContext, stop: StopSignal,
        _ body: @escaping (_ thread: Int, _ m: T.Context, _ context: RunContext) throws -> R
    ) throws -> [R] {
        precondition(count >= 1, "MutatorThreads: \(count) threads")
        let outcome = Outcome<R>(count: count)
        let contexts = (0..<count).map { _ in RunContext(threadOf: context) }
        var threads: [pthread_t] = []
        for t in 0..<count {
            let job = Job {
                let threadContext = contexts[t]
                do {
                    let m = try manager.attach()
                    defer {
                        // Every exit path: roots popped (a failing body may have left some pushed), then detached.
                        m.popRoots(to: 0)
                        manager.detach(m)
                    }
                    let result = try body(t, m, threadContext)
                    outcome.finish(t, result)
                } catch is ThreadStopped {
                    // Another thread failed first: its error is the run's.
                } catch {
                    outcome.fail(t, error)
                    stop.raise()
                }
            }
            do {
                threads.append(try job.start(stackBytes: stackBytes))
            } catch {
                // Threads already started are stopped and joined before the error is reported.
                outcome.fail(t, error)
                stop.raise()
                break
            }
        }
        for thread in threads { pthread_join(thread, nil) }
        for t in 0..<count { context.merge(contexts[t], thread: t) }
        return try outcome.results()
    }

    /// What every thread produced, behind a lock.
    final class Outcome<R>: @unchecked Sendable {
        // @unchecked: `state` is behind its lock; a result is written by its thread and read after every join.
        struct State {
            var results: [R?]
            var failure: (thread: Int, error: any Error)?
        }
        let state: LockedValue<State>

        init(count: Int) { state = LockedValue(State(results: Array(repeating: nil, count: count))) }

        func finish(_ thread: Int, _ result: R) { state.withLock { $0.results[thread] = result } }

        /// Keeps the first failure only: the others are usually consequences of it.
        func fail(_ thread: Int, _ error: any Error) {
            state.withLock { if $0.failure == nil { $0.failure = (thread, error) } }
        }

        func results() throws -> [R] {
            let state = self.state.withLock { $0 }
            if let (thread, error) = state.failure {
                if let failure = error as? WorkloadFailure { throw WorkloadFailure("thread \(thread): \(failure.message)") }
                throw error
            }
            return state.results.map { $0! }
        }
    }

    /// One thread's work, handed to `pthread_create` as an unmanaged reference.
    final class Job: @unchecked Sendable {
        // @unchecked: `body` is written before the thread starts (pthread_create orders it) and run only there.
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }

        /// Starts a thread with a stack of `stackBytes` that runs `body` once.
        func start(stackBytes: Int) throws(ThreadStartError) -> pthread_t {
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            var result = pthread_attr_setstacksize(&attributes, stackBytes)
            guard result == 0 else { throw ThreadStartError(code: result) }
            // The thread holds one reference to this job until its body has run.
            let retained = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            result = pthread_create(&thread, &attributes, { pointer in
                let job = Unmanaged<Job>.fromOpaque(pointer!).takeRetainedValue()
                job.body()
                return nil
            }, retained)
            guard result == 0 else {
                Unmanaged<Job>.fromOpaque(retained).release()
                throw ThreadStartError(code: result)
            }
            return thread
        }
    }
}

/// A mutator thread could not be started (`pthread_create` refused: too many threads, no memory for a stack).
public struct ThreadStartError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var description: String { "could not start a mutator thread: \(String(cString: strerror(code))) (errno \(code))" }
}
