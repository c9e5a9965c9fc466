#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HeapLabCore

/// What the command line does on SIGINT (Ctrl-C) or SIGTERM: kill the running child (its whole process group),
/// remove the work directories, say so in one line on stderr, and exit with 128 + the signal's number (130 for
/// SIGINT, 143 for SIGTERM), as a shell reports a command killed by that signal.
///
/// How: `install` blocks both signals in the calling thread before any other thread exists (threads started
/// later inherit the mask), and starts one thread that waits for them with `sigwait`. So no signal handler runs
/// at an arbitrary point: the waiting thread does the cleanup as ordinary code. Children are started with an
/// empty signal mask and default dispositions (`ChildProcess`), each in a process group of its own, so a
/// Ctrl-C at the terminal reaches only heaplab, which then stops the child itself.
///
/// Races: a child is started, and reaped, only while holding `state`'s lock (`withChildLock`), and the waiting
/// thread holds the same lock from the moment it takes a signal until the process exits. So the thread either
/// sees a child that has not been reaped (its process group still exists: killing it is safe) or none, and no
/// child is started after it took a signal.
enum Interruption {
    struct State {
        /// Set once by the waiting thread; from then on no child starts.
        var interrupted = false
        /// The running child, not yet reaped (0 for none). Also its process group's id.
        var child: pid_t = 0
        /// Work directories to remove on a signal.
        var directories: Set<String> = []
    }

    /// A pthread mutex (`LockedValue`), which ThreadSanitizer sees: with `Synchronization.Mutex`, whose contended
    /// path locks inside the uninstrumented runtime, TSan reported the waiting thread's write under the lock as a
    /// race with the main thread's, and a TSan-built heaplab then exited with TSan's status instead of stopping
    /// its child.
    static let state = LockedValue(State())

    /// The signals handled: SIGINT and SIGTERM.
    static let signals: [Int32] = [SIGINT, SIGTERM]

    /// Blocks SIGINT and SIGTERM in this thread and starts the thread that handles them. Call once, from the
    /// main thread, before any other thread is started (the command line does, except in a `heaplab child`).
    static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waiter = Thread {
            var set = sigset_t()
            sigemptyset(&set)
            for signal in signals { sigaddset(&set, signal) }
            var received: Int32 = 0
            while sigwait(&set, &received) != 0 {}
            stop(received)
        }
        waiter.name = "heaplab-signals"
        waiter.start()
    }

    /// Runs `body` (which starts or reaps a child) under the lock; it is not run after a signal was taken,
    /// which `withChildLock` then reports by returning nil.
    static func withChildLock<R>(_ body: (inout State) -> R) -> R? {
        state.withLock { state in
            state.interrupted ? nil : body(&state)
        }
    }

    /// Adds a work directory to remove on a signal.
    static func register(directory: String) {
        state.withLock { _ = $0.directories.insert(directory) }
    }

    /// Forgets a work directory (its owner removes it).
    static func unregister(directory: String) {
        state.withLock { _ = $0.directories.remove(directory) }
    }

    /// The waiting thread's work after `signal`: never returns.
    static func stop(_ signal: Int32) -> Never {
        state.withLock { state -> Never in
            state.interrupted = true
            var stopped = ""
            if state.child > 0 {
                // The child leads its own process group (ChildProcess): kill the group, then reap the child so
                // it is gone, not a zombie, when heaplab exits.
                kill(-state.child, SIGKILL)
                var status: Int32 = 0
                while waitpid(state.child, &status, 0) < 0 && errno == EINTR {}
                stopped = "; stopped the running child (pid \(state.child))"
            }
            var removed = ""
            for directory in state.directories.sorted() {
                try? FileManager.default.removeItem(atPath: directory)
                removed += (removed.isEmpty ? "; removed " : ", ") + directory
            }
            // The progress line (if any) is cleared first, so the message stands on a line of its own.
            let clear = isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[2K" : ""
            let line = clear + "heaplab: interrupted by \(ChildProcess.signalName(signal))\(stopped)\(removed)\n"
            _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            // _exit, not exit: the main thread may still be running; no atexit handler or buffered output
            // should run or be flushed concurrently with it.
            _exit(128 + signal)
        }
    }
}
