import HeapLabCore
import Synchronization

/// The flag that tells every thread of a threaded workload to stop: raised when one thread fails, polled by the
/// others between operations and checked by every wait (`ThreadBarrier`, the hand-off queue), so a failing thread
/// ends the run with its own message and no thread waits for one that has stopped.
public final class StopSignal: @unchecked Sendable {
    // @unchecked: `raised` is atomic; `monitors` is behind its lock.
    @usableFromInline let raised = Atomic<Bool>(false)
    let monitors = LockedValue<[ThreadMonitor]>([])

    public init() {}

    /// Whether a thread has failed. Relaxed: the flag only tells a thread to stop early; what the failing thread
    /// found travels through `MutatorThreads`' lock, and every wait re-reads the flag under its monitor's lock.
    @inlinable public var isRaised: Bool { raised.load(ordering: .relaxed) }

    /// Throws `ThreadStopped` when a thread has failed: the check between two operations.
    @inlinable
    public func check() throws(ThreadStopped) {
        if isRaised { throw ThreadStopped() }
    }

    /// Registers `monitor`, whose waiters check this signal, so that `raise` wakes them.
    public func wakes(_ monitor: ThreadMonitor) { monitors.withLock { $0.append(monitor) } }

    /// Raises the flag and wakes every waiter of every registered monitor. The flag is stored before each
    /// monitor's lock is taken, and a waiter checks it under that lock before it waits, so no waiter misses it.
    public func raise() {
        raised.store(true, ordering: .relaxed)
        for monitor in monitors.withLock({ $0 }) {
            monitor.lock()
            monitor.broadcast()
            monitor.unlock()
        }
    }
}

/// Thrown by a thread of a threaded workload that stopped because another failed; never the run's error.
public struct ThreadStopped: Error, Sendable {
    public init() {}
}

/// All of a threaded workload's threads meet here before any goes on (after each has built what the others
/// read). A thread waits declared inactive (`withoutCollector`), so a collection started by a thread still
/// building does not wait for it; a raised `StopSignal` ends every wait with `ThreadStopped`.
public final class ThreadBarrier: @unchecked Sendable {
    // @unchecked: `arrived` and `generation` are read and written only under `monitor`'s lock.
    let monitor = ThreadMonitor()
    let parties: Int
    let stop: StopSignal
    var arrived = 0
    var generation = 0

    public init(parties: Int, stop: StopSignal) {
        self.parties = parties
        self.stop = stop
        stop.wakes(monitor)
    }

    /// Waits until `parties` threads have called it (this generation), on the thread of mutator `m`.
    /// - Throws: `ThreadStopped` when another thread failed meanwhile.
    public func wait<M: MemoryManager>(_ m: M) throws(ThreadStopped) {
        try m.withoutCollector { () throws(ThreadStopped) in
            monitor.lock()
            defer { monitor.unlock() }
            let mine = generation
            arrived += 1
            if arrived == parties {
                arrived = 0
                generation += 1
                monitor.broadcast()
                return
            }
            while generation == mine {
                if stop.isRaised { throw ThreadStopped() }
                monitor.wait()
            }
        }
    }
}
