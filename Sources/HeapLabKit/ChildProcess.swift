#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HeapLabCore

/// One child process: started with `posix_spawn`, its stdout and stderr sent to a log file, waited for with a
/// timeout after which it is killed.
struct ChildProcess {
    /// How a child ended.
    enum Termination: Equatable, Sendable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it (a crash: SIGSEGV, SIGILL from a Swift trap, SIGABRT; SIGKILL from the kernel's
        /// out-of-memory killer).
        case signaled(Int32)
        /// It ran past the timeout and the runner killed it.
        case timedOut(seconds: Double)
        /// It could not be started (`posix_spawn` failed with this errno).
        case spawnFailed(Int32)
    }

    /// What a finished child left behind.
    struct Result: Sendable {
        var termination: Termination
        /// What the child wrote to stdout and stderr: all of it, or its start and its end (`tail(of:bytes:)`).
        var outputTail: String
        /// Wall time from start to reaping, seconds.
        var elapsedSeconds: Double
        /// The child's peak resident memory as `wait4` reports it, bytes.
        var peakResidentBytes: Int
    }

    /// The program to run (an absolute path) and its arguments (without argv[0]).
    var executable: String
    var arguments: [String]
    /// Variables to set in the child's environment, on top of this process's environment.
    var environment: [String: String] = [:]
    /// Kill the child after this many seconds; nil (or more than `maximumTimeoutSeconds`) waits forever.
    var timeoutSeconds: Double?
    /// Where the child's stdout and stderr go (created or truncated).
    var logPath: String
    /// How much of the log to keep in `Result.outputTail`.
    var outputTailBytes = 4096

    /// The longest timeout, seconds (about 31.7 years): its nanoseconds, added to a monotonic clock reading
    /// (nanoseconds since boot), stay far below `UInt64.max`. The command line refuses longer ones.
    static let maximumTimeoutSeconds: Double = 1_000_000_000

    /// Starts the child and waits for it. Never throws: a child that cannot be started is a `spawnFailed` result.
    ///
    /// The child leads a process group of its own, with an empty signal mask and SIGINT and SIGTERM at their
    /// default dispositions (whatever this process blocks). The timeout kills that group, and so does the
    /// command line's `Interruption` on Ctrl-C or SIGTERM. A timeout above `maximumTimeoutSeconds` waits forever.
    func run() -> Result {
        let started = MonotonicClock.now()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 2, 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), defaultSignals = sigset_t()
        sigemptyset(&noSignals)
        sigemptyset(&defaultSignals)
        for signal in Interruption.signals { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setpgroup(&attributes, 0)  // a new group, whose id is the child's pid
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }

        var pid: pid_t = 0
        // Started under the interruption lock, so a SIGINT either comes before (nothing starts) or finds the
        // child registered (and kills it).
        guard let spawnError = Interruption.withChildLock({ state -> Int32 in
            let error = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            if error == 0 { state.child = pid }
            return error
        }) else {
            return Result(termination: .spawnFailed(EINTR), outputTail: "", elapsedSeconds: 0, peakResidentBytes: 0)
        }
        guard spawnError == 0 else {
            return Result(termination: .spawnFailed(spawnError), outputTail: "", elapsedSeconds: 0, peakResidentBytes: 0)
        }

        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        let deadline = timeoutSeconds.flatMap { seconds -> UInt64? in
            let nanoseconds = seconds * 1e9
            guard nanoseconds >= 0, nanoseconds < 1e18 else { return nil }  // beyond maximumTimeoutSeconds: none
            return started &+ UInt64(nanoseconds)
        }
        // Reaps the child if it has ended (or, with `block`, waits for it); under the interruption lock, so the
        // signal thread never kills the group of a child already reaped.
        func reap(block: Bool) -> Bool {
            Interruption.withChildLock { state -> Bool in
                while true {
                    let reaped = wait4(pid, &status, block ? 0 : WNOHANG, &usage)
                    if reaped < 0 && errno == EINTR { continue }
                    if reaped == pid || reaped < 0 { state.child = 0 }
                    return reaped == pid || reaped < 0
                }
            } ?? true
        }
        // Poll with a short sleep: the parent costs the child nothing measurable, and no signal handler or
        // second thread is needed for the timeout. The sleep grows from 1 ms to 20 ms.
        var sleepMicroseconds: UInt32 = 1000
        while !reap(block: false) {
            if let deadline, MonotonicClock.now() >= deadline {
                kill(-pid, SIGKILL)
                _ = reap(block: true)
                timedOut = true
                break
            }
            usleep(sleepMicroseconds)
            sleepMicroseconds = min(sleepMicroseconds * 2, 20_000)
        }
        let elapsed = Double(MonotonicClock.now() &- started) / 1e9

        let termination: Termination
        let low = status & 0x7f  // WTERMSIG; 0 means a normal exit (WIFEXITED)
        if timedOut {
            termination = .timedOut(seconds: timeoutSeconds ?? 0)
        } else if low == 0 {
            termination = .exited((status >> 8) & 0xff)  // WEXITSTATUS
        } else {
            termination = .signaled(low)
        }
        return Result(termination: termination, outputTail: Self.tail(of: logPath, bytes: outputTailBytes),
                      elapsedSeconds: elapsed, peakResidentBytes: usage.ru_maxrss * 1024)
    }

    /// The file at `path` if it is at most `bytes` long; otherwise its first quarter and its last three quarters
    /// of `bytes`, cut at line boundaries, with "..." between: a crash's message comes first and its stack
    /// trace last, and both matter. "" when unreadable.
    static func tail(of path: String, bytes: Int) -> String {
        guard let data = try? InputFile.bytes(atPath: path) else { return "" }
        guard data.count > bytes else {
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var head = String(decoding: data.prefix(bytes / 4), as: UTF8.self)
        if let newline = head.lastIndex(of: "\n") { head = String(head[..<newline]) }
        var tail = String(decoding: data.suffix(bytes - bytes / 4), as: UTF8.self)
        if let newline = tail.firstIndex(of: "\n") { tail = String(tail[tail.index(after: newline)...]) }
        return (head + "\n...\n" + tail).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A readable name for a signal: "SIGSEGV (Segmentation fault)".
    static func describe(signal: Int32) -> String {
        let text = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
        return "\(signalName(signal)) (\(text))"
    }

    /// The symbolic name of a signal: "SIGSEGV"; "signal N" for one without a name here.
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGABRT: "SIGABRT",
                                      SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGTRAP: "SIGTRAP", SIGTERM: "SIGTERM",
                                      SIGINT: "SIGINT"]
        return names[signal] ?? "signal \(signal)"
    }
}
