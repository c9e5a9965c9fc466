#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// One status line on stderr while a matrix runs: which run, n of m, elapsed, estimated time left.
/// Silent when stderr is not a terminal (logs and pipes stay clean) or with `--quiet`.
final class Progress {
    let enabled: Bool
    private let total: Int
    private let start = MonotonicClock.now()
    private var lineShown = false

    init(total: Int, quiet: Bool) {
        self.total = total
        enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    /// Announces that run `index` (0-based) of `total`, described by `label`, starts now.
    func starting(_ index: Int, _ label: String) {
        guard enabled else { return }
        let elapsed = Double(MonotonicClock.now() &- start) / 1e9
        var line = "[\(index + 1)/\(total)] \(label), \(Self.seconds(elapsed)) elapsed"
        if index > 0 {
            line += ", ~\(Self.seconds(elapsed / Double(index) * Double(total - index))) left"
        }
        // \r returns to the line start, ESC[K clears the rest of the previous line.
        write(line: "\r" + line + "\u{1B}[K")
        lineShown = true
    }

    /// Clears the status line.
    func finish() {
        guard enabled, lineShown else { return }
        write(line: "\r\u{1B}[K")
        lineShown = false
    }

    private func write(line: String) {
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    private static func seconds(_ s: Double) -> String {
        s < 60 ? "\(Int(s.rounded())) s" : "\(Int(s) / 60) min \(Int(s) % 60) s"
    }
}
