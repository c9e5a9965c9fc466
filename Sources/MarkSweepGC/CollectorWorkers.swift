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
/// A job is `run(_:)`: the caller runs the body with index 0, and every helper that wakes while the job is
/// still open runs it with its own index (1...helperCount). When the caller's share returns, the job closes:
/// a helper the scheduler had not run yet skips it, and `run` returns once the helpers that did take it have
/// returned. So a helper that can not get a processor (on a busy machine) never holds the pause up: the
/// caller does the work alone. Bodies must therefore be correct with any subset of helpers taking part
/// (`MarkWorkPool.join`). The helpers are not mutators: they never attach, and they run only inside a pause,
/// while every mutator is stopped.
///
/// Synchronization: one mutex guards the job, its generation and the count of helpers running it. Taking the
/// job under the mutex orders everything the caller wrote before `run` (the heap's state, the world stopped)
/// before the helper's reads; a helper's last unlock orders everything it wrote before `run` returns.
final class CollectorWorkers: @unchecked Sendable {
    // @unchecked Sendable: shared with the helper threads; every mutable property is guarded by `mutex`.

    /// Threads besides the one that collects (set once, by `init`).
    private(set) var helperCount = 0
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Broadcast when a job is posted or the workers shut down; helpers wait on it.
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    /// Signalled by the last helper to leave a job; `run` waits on it.
    private let finished: UnsafeMutablePointer<pthread_cond_t>
    /// Guarded by `mutex`: the open job (nil once closed), its number (a helper looks at each number once),
    /// helpers running it, and whether the helpers should exit.
    private var job: ((Int) -> Void)?
    private var generation = 0
    private var running = 0
    private var shuttingDown = false
    private var threads: [pthread_t] = []

    /// Starts up to `helpers` threads, named `heaplab-gc-1`, ..., each with a `stackBytes` stack (the mark
    /// loop never recurses). When the system refuses a thread (no memory, a process limit, an address-space
    /// limit), the pool keeps the ones it has: `helperCount` says how many; nil when it could start none. The
    /// threads keep this object alive until `shutDown()`.
    init?(helpers: Int) {
        precondition(helpers >= 1, "gc: a worker pool needs at least one helper thread")
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        finished = .allocate(capacity: 1)
        precondition(pthread_mutex_init(mutex, nil) == 0 && pthread_cond_init(wake, nil) == 0
                     && pthread_cond_init(finished, nil) == 0, "gc: could not initialize the collector workers' lock")
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        _ = pthread_attr_setstacksize(&attributes, CollectorWorkers.stackBytes)
        var started: [pthread_t] = []
        for index in 1...helpers {
            let start = Unmanaged.passRetained(HelperStart(workers: self, index: index))
            var thread = pthread_t()
            let status = pthread_create(&thread, &attributes, { raw in
                // Invariant: `raw` is the retained HelperStart passed below; taken back exactly once, here.
                let start = Unmanaged<HelperStart>.fromOpaque(raw!).takeRetainedValue()
                start.workers.helperLoop(index: start.index)
                return nil
            }, start.toOpaque())
            guard status == 0 else {
                start.release()  // the thread never ran: its start record is released here instead
                break
            }
            started.append(thread)
        }
        threads = started
        helperCount = started.count
        if started.isEmpty { return nil }
    }

    /// Each helper's stack: the mark and sweep loops never recurse and keep a few hundred bytes of locals,
    /// so 512 KiB is ample, and it is address space a process under a memory limit can spare.
    static let stackBytes = 512 << 10

    deinit {
        pthread_cond_destroy(finished)
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        finished.deallocate()
        wake.deallocate()
        mutex.deallocate()
    }

    /// Runs `body(0)` on the calling thread and `body(i)` on each helper `i` that wakes before `body(0)` has
    /// returned; returns when every helper that started it has returned. Not reentrant: one job at a time (the
    /// heap's lock, held by the collector, ensures it).
    func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            lock()
            precondition(job == nil && running == 0 && !shuttingDown, "gc: collector workers given a second job at once")
            job = body
            generation &+= 1
            pthread_cond_broadcast(wake)
            unlock()
            body(0)
            lock()
            // Closed: a helper that wakes from now on skips this job. Invariant: no helper reads `job` after
            // this; the ones running it copied it under the lock, and `run` waits for them below, so `body`
            // does not outlive this call.
            job = nil
            while running > 0 { pthread_cond_wait(finished, mutex) }
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
            // Closed already (the caller finished its share before this helper got a processor): skip it.
            guard let body = job else { continue }
            running += 1
            unlock()
            body(index)
            lock()
            running -= 1
            if running == 0 { pthread_cond_signal(finished) }
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
