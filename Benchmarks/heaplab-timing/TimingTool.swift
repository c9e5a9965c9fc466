import Glibc
import HeapLabCore
import SystemHeaps

/// Small helpers shared by the timing commands.
enum TimingTool {
    /// Milliseconds with two decimals, for printing.
    static func milliseconds(_ ns: UInt64) -> Double { (Double(ns) / 1e4).rounded() / 100 }

    /// The median (upper median for an even count) of `values`; `values` must not be empty.
    static func median<T: Comparable>(_ values: [T]) -> T { values.sorted()[values.count / 2] }

    /// jemalloc can only be dlopen'ed in a process started with the static-TLS tunable. If it is installed and
    /// this process lacks the tunable, re-executes the same command line with it (once: the environment
    /// variable then holds the tunable, so the new process does not loop).
    static func reexecuteForJemallocIfNeeded() {
        guard case .needsStaticTLS = JemallocAllocator.availability() else { return }
        let existing = getenv("GLIBC_TUNABLES").map { String(cString: $0) } ?? ""
        guard !existing.contains("optional_static_tls") else { return }
        setenv("GLIBC_TUNABLES", existing.isEmpty ? staticTLSTunable : existing + ":" + staticTLSTunable, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", argv)
        // execv returned: keep going without jemalloc (it will be reported as unavailable).
    }
}
