#if canImport(Glibc)
import Glibc
#endif
internal import CMarkSweepGC
import HeapLabCore
import Synchronization

// MARK: - Safepoints and the stop-the-world handshake
//
// A safepoint is a place where a mutator's roots are all on its shadow stack and no heap operation is half
// done, so the collector may scan its roots and reclaim memory. Mutators stop cooperatively, never by signal:
// a thread stopped by a signal could be half-way through writing an object's header.
//
// Where a mutator polls: its allocation slow path (every block's worth of cells), `safepoint()`, attach and
// detach, and the operations that look at the whole heap (`collect`, `verify`, `statistics`, ...). A mutator
// inside `withoutCollector` is *inactive*: it counts as stopped, and its roots are scanned where they are.
//
// The handshake (Docs/Threads.md, section 6), by the thread that collects, holding the lock:
//   1. `stopRequested = true`; record the time;
//   2. wait on `allStopped` until it is the only running mutator (every other one stopped, inactive, or asleep
//      on the lock at a safepoint: `SharedHeap.lockAtSafepoint`, which the collector's holding of the lock
//      keeps asleep until the world restarts);
//   3. the time since 1 is the pause's first phase, `safepoint`;
//   4. the cycle, with every mutator's allocators retired and every mutator's roots scanned;
//   5. `stopRequested = false`, broadcast `resumed`.
// Invariant while stopped (`stopDepth > 0`): no mutator but the collector runs heap code, and none can become
// running before `startTheWorld()`.
//
// Memory ordering: `stopRequested` is written under the lock and read without it only by the poll in
// `GCHeap.safepoint()`, relaxed: a stale `false` only delays the stop to the next poll, a `true` sends the
// mutator to take the lock, and the lock (pthread mutex: acquire on lock, release on unlock) orders every root
// and object write of the mutator before the collector's scan, and the collector's writes before the mutator
// runs again. A mutator asleep on the lock at a safepoint is counted by `safepointLockWaiters` instead: its
// increment (release) before it sleeps and the collector's load (acquire, lock held) order its writes before
// the scan, and the mutex its wake-up after the collector's writes.

extension SharedHeap {
    /// Stops every other mutator at a safepoint (or finds it inactive) and returns how long it took, the time
    /// to safepoint, with the scheduler's share of it (`SafepointWait`). Called by the thread that will
    /// collect, with the lock held; the lock is released while it waits. Nested calls (the world stopped
    /// already) return zero at once.
    @discardableResult
    func stopTheWorld() -> SafepointWait {
        if stopDepth > 0 {
            stopDepth += 1
            return SafepointWait()
        }
        let start = MonotonicClock.now()
        stopRequested.store(true, ordering: .relaxed)  // under the lock: the lock publishes it to waiters
        stopDepth = 1
        guard unstoppedCount > 1 else { return recordStop(SafepointWait(nanoseconds: MonotonicClock.now() &- start)) }
        // Every other running mutator's CPU clock now, so its off-CPU time until it stops can be told apart.
        forEachMutator { m in
            m.cpuAtStopRequest = m.state == .running && !m.owner.isCurrent ? ThreadCPUClock.read(m.cpuClock) : nil
        }
        // The calling thread is the one running mutator left when the others have stopped. Spin first (the lock
        // released), then sleep: an allocating mutator reaches its slow path within microseconds, far less
        // than waking a thread from a condition wait takes on a loaded machine.
        var spinning = true
        while unstoppedCount > 1 {
            if spinning {
                spinning = spinUnlocked(upTo: SharedHeap.stopSpinNanoseconds) {
                    running.load(ordering: .relaxed) &- safepointLockWaiters.load(ordering: .relaxed) <= 1
                }
                continue  // look again under the lock
            }
            waitForStopsCheckingThreads()
        }
        var wait = SafepointWait(nanoseconds: MonotonicClock.now() &- start)
        // The last mutator to stop decided the wait: its wall time from the request to its stop, minus the CPU
        // time it ran meanwhile, is time it was not on a CPU. Its CPU clock is read now, while it is stopped
        // (a thread waiting on a condition uses no CPU, so the reading is its CPU time at its stop, within the
        // few microseconds of entering the wait).
        var last: GCHeap?
        forEachMutator { m in
            guard m.cpuAtStopRequest != nil, m.parkedAt >= start else { return }
            if last == nil || m.parkedAt > last!.parkedAt { last = m }
        }
        if let last, let cpuBefore = last.cpuAtStopRequest, let cpuAfter = ThreadCPUClock.read(last.cpuClock) {
            let wall = last.parkedAt &- start
            let cpu = cpuAfter >= cpuBefore ? cpuAfter &- cpuBefore : 0
            wait.offCPUNanoseconds = wall > cpu ? wall &- cpu : 0
        }
        forEachMutator { $0.cpuAtStopRequest = nil }
        return recordStop(wait)
    }

    private func recordStop(_ wait: SafepointWait) -> SafepointWait {
        stats.safepointWaits += 1
        // Lock held: a mutator counted here is asleep on the lock now and stays so until the world restarts.
        if safepointLockWaiters.load(ordering: .relaxed) > 0 { stats.safepointLockWaiterStops += 1 }
        stats.totalSafepointNanoseconds &+= wait.nanoseconds
        stats.maxSafepointNanoseconds = max(stats.maxSafepointNanoseconds, wait.nanoseconds)
        stats.totalSafepointOffCPUNanoseconds &+= wait.offCPUNanoseconds ?? 0
        return wait
    }

    /// Sleeps on `allStopped` for up to 100 ms (lock held, released while asleep); on a timeout, stops with a
    /// precondition failure if a running mutator's thread has exited: a thread that ends without detaching its
    /// context (kept alive elsewhere) would otherwise hold up every collection forever.
    private func waitForStopsCheckingThreads() {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)  // pthread_cond_timedwait's default clock
        deadline.tv_nsec += 100_000_000
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        guard pthread_cond_timedwait(allStopped, mutex, &deadline) == ETIMEDOUT else { return }
        forEachMutator { m in
            precondition(m.state != .running || ThreadCPUClock.read(m.cpuClock) != nil,
                         "gc: a collection is waiting for a mutator context whose thread (\(m.owner.label)) has exited without detaching it (call shared.detach(_:) before a thread ends)")
        }
    }

    /// Ends the stop begun by the matching `stopTheWorld()`: the outermost call restarts every stopped mutator.
    func startTheWorld() {
        precondition(stopDepth > 0, "gc: startTheWorld without stopTheWorld")
        stopDepth -= 1
        guard stopDepth == 0 else { return }
        stopRequested.store(false, ordering: .relaxed)  // under the lock, read by the woken threads under it
        pthread_cond_broadcast(resumed)
    }

    /// Runs `body` with every other mutator stopped (lock held by the caller); returns its result and the
    /// time to safepoint.
    func withWorldStopped<R>(_ body: () throws -> R) rethrows -> R {
        _ = stopTheWorld()
        defer { startTheWorld() }
        return try body()
    }

    /// The mutator side of the handshake, at a safepoint with the lock held: if a stop is requested, counts
    /// `context` as stopped, wakes the collector when it is the last, and waits for the world to restart.
    @inline(__always)
    func parkIfStopRequested(_ context: GCHeap) {
        guard stopRequested.load(ordering: .relaxed) && stopDepth > 0 else { return }
        park(context)
    }

    @inline(never)
    func park(_ context: GCHeap) {
        assert(context.state == .running, "gc: parking a mutator that is not running")
        context.state = .stopped
        if context.cpuAtStopRequest != nil {
            // Read by the collector once every mutator has stopped (under the lock, which orders them). The
            // monotonic clock only: no system call here, where a switch to another process would delay the stop.
            context.parkedAt = MonotonicClock.now()
        }
        runningCount -= 1
        if unstoppedCount <= 1 { pthread_cond_signal(allStopped) }
        // Spin a little before sleeping (the lock released): a mark slice or a short collection ends sooner than
        // a condition wait's wake-up. A new stop may be requested before this thread looks again; it then stays
        // stopped for that one too.
        var spinning = true
        while stopRequested.load(ordering: .relaxed) {
            if spinning {
                spinning = spinUnlocked(upTo: SharedHeap.resumeSpinNanoseconds) { !stopRequested.load(ordering: .relaxed) }
                continue
            }
            pthread_cond_wait(resumed, mutex)
        }
        context.state = .running
        runningCount += 1
    }

    /// How long a collector spins for the other mutators to stop before it sleeps on `allStopped`, and how long
    /// a stopped mutator spins for the restart before it sleeps on `resumed`, in nanoseconds.
    static let stopSpinNanoseconds: UInt64 = 200_000
    static let resumeSpinNanoseconds: UInt64 = 50_000

    /// Releases the lock and spins until `done()` or until `nanoseconds` have passed, yielding the processor
    /// every 256 rounds (with more threads than cores, the thread waited for may be waiting for this core);
    /// then takes the lock again. Returns whether `done()` was seen (the caller checks again under the lock).
    func spinUnlocked(upTo nanoseconds: UInt64, _ done: () -> Bool) -> Bool {
        unlock()
        defer { lock() }
        let deadline = MonotonicClock.now() &+ nanoseconds
        var round = 0
        while !done() {
            round &+= 1
            if round & 255 == 0 {
                if MonotonicClock.now() >= deadline { return false }
                sched_yield()
            }
            heaplab_spin_hint()
        }
        return true
    }

    /// Waits, lock held, until no stop is in progress (a thread that is not running yet: attaching, or
    /// becoming active again after `withoutCollector`).
    func waitWhileStopped() {
        while stopRequested.load(ordering: .relaxed) { pthread_cond_wait(resumed, mutex) }
    }

    /// Declares `context` inactive (lock held): it counts as stopped for any stop, now or later.
    func deactivate(_ context: GCHeap) {
        parkIfStopRequested(context)
        context.state = .inactive
        runningCount -= 1
        if stopRequested.load(ordering: .relaxed) && unstoppedCount <= 1 { pthread_cond_signal(allStopped) }
    }

    /// Makes `context` running again after `deactivate` (lock held), once no stop is in progress.
    func reactivate(_ context: GCHeap) {
        waitWhileStopped()
        context.state = .running
        runningCount += 1
    }
}

/// How long one stop of the world took to reach every mutator (the `safepoint` phase), and how much of it the
/// last mutator to stop spent off the CPU (nil when no other mutator was running at the request).
struct SafepointWait {
    var nanoseconds: UInt64 = 0
    var offCPUNanoseconds: UInt64?
}

/// What a mutator is doing, as the handshake counts it. Read and written under the heap's lock only.
@usableFromInline
enum MutatorState {
    /// Running heap code: a stop must wait for it to reach a safepoint.
    case running
    /// Parked at a safepoint until the world restarts.
    case stopped
    /// Inside `withoutCollector`: not touching the heap; counts as stopped.
    case inactive
}

extension GCHeap {
    /// A cooperative safepoint: if another thread is stopping the world, this thread stops here until the
    /// collection is over. One relaxed load and a predictable branch when no stop is requested. Every reference
    /// the caller holds across it must be rooted, as across an allocation.
    @inlinable
    public func safepoint() {
        if _slowPath(shared.stopRequested.load(ordering: .relaxed)) { stopAtSafepoint() }
    }

    @usableFromInline @inline(never)
    func stopAtSafepoint() {
        checkOwner("safepoint()")
        shared.lock()
        shared.parkIfStopRequested(self)
        shared.unlock()
    }

    /// Runs `body` with this thread inactive: another thread's collection proceeds without waiting for it
    /// and scans its roots where they are. Use it around anything that blocks (a lock, a condition, a join,
    /// I/O). Inside `body`, this thread must not use the heap or any of its objects. On return it waits for a
    /// collection in progress to end, then runs on.
    public func withoutCollector<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        checkOwner("withoutCollector")
        shared.lock()
        shared.deactivate(self)
        shared.unlock()
        defer {
            shared.lock()
            shared.reactivate(self)
            shared.unlock()
        }
        return try body()
    }
}
