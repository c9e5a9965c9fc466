#if canImport(Glibc)
import Glibc
#endif
internal import CMarkSweepGC
import HeapLabCore

/// The collector's helper threads for parallel marking and sweeping: `helperCount` threads made once (the
/// first collection that uses them), asleep on a condition between collections, each running its share of a
/// job while the thread that collects runs share 0 (Go's dedicated mark workers, Boehm GC's marker threads:
/// threads that only ever collect, so no mutator is taken away from its work to help).
///
/// A job is `run(_:)`: every thread calls the body once with its index (0 is the caller, 1...helperCount the
/// helpers), and `run` returns when all have returned. The helpers are not mutators: they never attach, and
/// they run only inside a pause, while every mutator is stopped.
///
/// Synchronization: one mutex guards the job, its generation and the count of unfinished helpers. Taking the
/// job under the mutex orders everything the caller wrote before `run` (the heap's state, the world stopped)
/// before the helper's reads; a helper's last unlock orders everything it wrote before `run` returns.
final class CollectorWorkers: @unchecked Sendable {
    // @unchecked Sendable: shared with the helper threads; every mutable property is guarded by `mutex`.

    /// Threads besides the one that collects.
    let helperCount: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Broadcast when a job is posted or the workers shut down; helpers wait on it.
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    /// Signalled by the last helper to finish a job; `run` waits on it.
    private let finished: UnsafeMutablePointer<pthread_cond_t>
    /// Guarded by `mutex`: the job being run, its number (a helper runs each number once), helpers still in
    /// it, and whether the helpers should exit.
    private var job: ((Int) -> Void)?
    private var generation = 0
    private var unfinished = 0
    private var shuttingDown = false
    private var threads: [pthread_t] = []

    /// Starts `helpers` threads, named `heaplab-gc-1`, ... (default stack size: the mark loop never recurses).
    /// They keep this object alive until `shutDown()`.
    init(helpers: Int) {
        precondition(helpers >= 1, "gc: a worker pool needs at least one helper thread")
        helperCount = helpers
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        finished = .allocate(capacity: 1)
        precondition(pthread_mutex_init(mutex, nil) == 0 && pthread_cond_init(wake, nil) == 0
                     && pthread_cond_init(finished, nil) == 0, "gc: could not initialize the collector workers' lock")
        for index in 1...helpers {
            let start = Unmanaged.passRetained(HelperStart(workers: self, index: index)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                // Invariant: `raw` is the retained HelperStart passed below; taken back exactly once, here.
                let start = Unmanaged<HelperStart>.fromOpaque(raw!).takeRetainedValue()
                start.workers.helperLoop(index: start.index)
                return nil
            }, start)
            precondition(status == 0, "gc: could not start collector thread \(index) (pthread_create: \(status))")
            threads.append(thread)
        }
    }

    deinit {
        pthread_cond_destroy(finished)
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        finished.deallocate()
        wake.deallocate()
        mutex.deallocate()
    }

    /// Runs `body(0)` on the calling thread and `body(i)` on helper `i`, at once, and returns when all have
    /// returned. Not reentrant: one job at a time (the heap's lock, held by the collector, ensures it).
    func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            lock()
            precondition(job == nil && !shuttingDown, "gc: collector workers given a second job at once")
            job = body
            generation &+= 1
            unfinished = helperCount
            pthread_cond_broadcast(wake)
            unlock()
            body(0)
            lock()
            while unfinished > 0 { pthread_cond_wait(finished, mutex) }
            // No helper reads `job` once `unfinished` is 0: each copied it before running it.
            job = nil
            unlock()
        }
    }

    /// Asks every helper to exit and waits for them (the heap's deinit).
    func shutDown() {
        lock()
        shuttingDown = true
        pthread_cond_broadcast(wake)
        unlock()
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    private func helperLoop(index: Int) {
        // Named for perf and gdb; a name the system refuses changes nothing else.
        _ = heaplab_set_thread_name(String("heaplab-gc-\(index)".prefix(15)))
        lock()
        var seen = 0
        while true {
            while generation == seen && !shuttingDown { pthread_cond_wait(wake, mutex) }
            if shuttingDown { break }
            seen = generation
            // Invariant: `job` is set from the post of generation `seen` until every helper has finished it.
            let body = job.unsafelyUnwrapped
            unlock()
            body(index)
            lock()
            unfinished -= 1
            if unfinished == 0 { pthread_cond_signal(finished) }
        }
        unlock()
    }

    private func lock() {
        let status = pthread_mutex_lock(mutex)
        assert(status == 0, "gc: pthread_mutex_lock failed (\(status))")
    }

    private func unlock() {
        let status = pthread_mutex_unlock(mutex)
        assert(status == 0, "gc: pthread_mutex_unlock failed (\(status))")
    }

    /// What a new helper thread needs: its pool and its index.
    private final class HelperStart {
        let workers: CollectorWorkers
        let index: Int
        init(workers: CollectorWorkers, index: Int) {
            self.workers = workers
            self.index = index
        }
    }
}
