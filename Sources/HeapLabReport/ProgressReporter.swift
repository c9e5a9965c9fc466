#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import HeapLabCore
import Synchronization

/// A one-line progress display on the terminal for a long matrix of runs:
///
///     [3/12] gcbench on malloc · elapsed 1m02s · about 3m10s left
///
/// redrawn in place every second, and once per finished run a permanent line (`[3/12] gcbench on malloc: ok
/// in 4.2 s`). The estimate is the mean time of the finished runs times the runs left, minus the time the
/// current run has already taken.
///
/// It writes nothing at all when it is `quiet`, or when its file descriptor (stderr by default) is not a
/// terminal: piped or redirected output, CI logs and files stay free of control characters.
///
/// Use: `start` before each run, `finish` after it, `close` at the end (also done by deinit). Calls may come
/// from any thread; a background timer redraws the line.
public final class ProgressReporter: Sendable {
    /// Whether anything is written (false when quiet or not a terminal).
    public let isEnabled: Bool
    let total: Int
    let fileDescriptor: Int32
    let clock: @Sendable () -> UInt64
    let state: Mutex<State>
    /// Redraws the line every second. Dispatch sources are thread-safe, but not marked Sendable.
    nonisolated(unsafe) let timer: DispatchSourceTimer?

    struct State {
        var started: UInt64
        /// Runs finished so far, and their total time (ns).
        var finished = 0
        var finishedNanoseconds: UInt64 = 0
        /// The run in progress: its 1-based index, label and start.
        var current: (index: Int, label: String, start: UInt64)?
        var closed = false
    }

    /// - Parameters:
    ///   - total: how many runs the matrix has (at least 1).
    ///   - quiet: true turns the display off (`--quiet`).
    ///   - fileDescriptor: where to write; stderr by default. Nothing is written unless `isatty` says it is a
    ///     terminal.
    ///   - clock: nanosecond clock (MonotonicClock by default; tests give their own).
    ///   - redrawInterval: how often the timer redraws the line (every second by default; tests make it short).
    public init(total: Int, quiet: Bool = false, fileDescriptor: Int32 = STDERR_FILENO,
                clock: @escaping @Sendable () -> UInt64 = { MonotonicClock.now() },
                redrawInterval: DispatchTimeInterval = .seconds(1)) {
        precondition(total >= 1, "ProgressReporter: total must be at least 1 (got \(total))")
        self.total = total
        self.fileDescriptor = fileDescriptor
        self.clock = clock
        self.isEnabled = !quiet && isatty(fileDescriptor) == 1
        state = Mutex(State(started: clock()))
        if isEnabled {
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
            timer.schedule(deadline: .now() + redrawInterval, repeating: redrawInterval)
            self.timer = timer
            timer.setEventHandler { [weak self] in self?.redraw() }
            timer.resume()
        } else {
            timer = nil
        }
    }

    deinit {
        close()
    }

    /// Announces that run `index` (1-based) of `total` starts; `label` names it (`gcbench on malloc`).
    public func start(_ index: Int, _ label: String) {
        guard isEnabled else { return }
        let now = clock()
        state.withLock { $0.current = (index, label, now) }
        redraw()
    }

    /// Ends the current run: prints a permanent line with its outcome (`ok`, `out of memory`, ...).
    public func finish(_ outcome: String) {
        guard isEnabled else { return }
        let now = clock()
        // Writes happen under the lock, so the timer's redraw can never interleave with this line or follow close.
        state.withLock { s in
            guard let current = s.current, !s.closed else { return }
            s.current = nil
            s.finished += 1
            s.finishedNanoseconds &+= now &- current.start
            emit("\r\u{1B}[2K[\(current.index)/\(total)] \(current.label): \(outcome) in \(ProgressReporter.clock(now &- current.start))\n")
        }
    }

    /// Clears the progress line and stops the timer. Later calls do nothing.
    public func close() {
        state.withLock { s in
            guard !s.closed else { return }
            s.closed = true
            s.current = nil
            timer?.cancel()
            if isEnabled { emit("\r\u{1B}[2K") }
        }
    }

    /// The status line for a run in progress; a pure function of its arguments, so tests can check it.
    ///
    /// - Parameters:
    ///   - index: the running run's 1-based index.
    ///   - total: runs in all.
    ///   - label: what is running (`gcbench on gc`).
    ///   - elapsedNanoseconds: since the matrix started.
    ///   - currentNanoseconds: since this run started.
    ///   - finished: runs done.
    ///   - finishedNanoseconds: their total time.
    public static func line(index: Int, total: Int, label: String, elapsedNanoseconds: UInt64,
                            currentNanoseconds: UInt64, finished: Int, finishedNanoseconds: UInt64) -> String {
        var text = "[\(index)/\(total)] \(label) · elapsed \(clock(elapsedNanoseconds))"
        if finished > 0 {
            let mean = Double(finishedNanoseconds) / Double(finished)
            let left = max(0, mean * Double(total - finished) - Double(currentNanoseconds))
            text += " · about \(clock(UInt64(left))) left"
        } else {
            text += " · estimating time left after the first run"
        }
        return text
    }

    /// `4.2 s` under a minute, `1m02s` under an hour, `2h05m` beyond.
    static func clock(_ nanoseconds: UInt64) -> String {
        let seconds = Double(nanoseconds) / 1e9
        if seconds < 60 { return "\(UnitFormat.significant(seconds < 10 ? (seconds * 10).rounded() / 10 : seconds.rounded())) s" }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60)m\(pad(whole % 60))s" }
        return "\(whole / 3600)h\(pad(whole % 3600 / 60))m"
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// Redraws the status line of the current run (nothing between runs or after close).
    func redraw() {
        guard isEnabled else { return }
        let now = clock()
        state.withLock { s in
            guard let current = s.current, !s.closed else { return }
            emit("\r\u{1B}[2K" + fitted(ProgressReporter.line(
                index: current.index, total: total, label: current.label, elapsedNanoseconds: now &- s.started,
                currentNanoseconds: now &- current.start, finished: s.finished, finishedNanoseconds: s.finishedNanoseconds)))
        }
    }

    /// `text` cut to the terminal's width, so the line never wraps (a wrapped line can not be redrawn in place).
    private func fitted(_ text: String) -> String {
        var size = winsize()
        guard ioctl(fileDescriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 1 else { return text }
        let width = Int(size.ws_col) - 1
        return text.count <= width ? text : String(text.prefix(width))
    }

    /// Writes all of `text`, retrying short writes; errors are ignored (progress is a courtesy, never a failure).
    private func emit(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fileDescriptor, $0.baseAddress, $0.count) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            bytes = bytes.dropFirst(n)
        }
    }
}
