#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HeapLabCore
import HeapLabReport

/// Runs each `RunSpec` in a fresh process, so peak memory, allocator state and caches never carry over from one
/// run into the next.
///
/// Protocol: the parent starts `EXECUTABLE child --workload W --manager M --param k=v ... --output FILE`; the
/// child runs exactly that pair (`Harness`), writes a one-element `RunReport.encode` array to FILE and exits 0.
/// Anything else (no file, a non-zero exit, a signal, the timeout) becomes a `failed` report whose `failure`
/// names the cause and ends with the tail of the child's output; the caller moves on to the next run.
struct ChildLauncher {
    /// The program to start. `heaplab` re-executes itself (`/proc/self/exe`); tests pass other programs.
    var executable: String
    /// Arguments placed before the spec's `child ...` arguments (tests use `/bin/sh -c SCRIPT` with them).
    var argumentPrefix: [String] = []
    /// Seconds a child may run before it is killed; nil for no limit.
    var timeoutSeconds: Double?
    /// A directory for the children's report and log files.
    var workDirectory: String
    /// Copy each child's output (its stdout and stderr, e.g. gctrace lines) to this process's stderr when the
    /// child ends. Off by default: the output then only shows in a failed run's report.
    var forwardsOutput = false

    /// The environment every child gets on top of the parent's.
    ///
    /// `GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096` lets a child `dlopen` jemalloc (whose static TLS
    /// does not fit glibc's default reserve); it must be set before the process starts, hence in the parent.
    /// Swift's crash backtracer is turned off (unless the user set SWIFT_BACKTRACE) so a crash's own message is
    /// what the output tail shows, and a crash does not spend seconds symbolicating.
    static func childEnvironment(_ parent: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        let tunable = "glibc.rtld.optional_static_tls=4096"
        var environment: [String: String] = [:]
        if let existing = parent["GLIBC_TUNABLES"], !existing.isEmpty {
            environment["GLIBC_TUNABLES"] = existing.contains("optional_static_tls") ? existing : existing + ":" + tunable
        } else {
            environment["GLIBC_TUNABLES"] = tunable
        }
        if parent["SWIFT_BACKTRACE"] == nil {
            environment["SWIFT_BACKTRACE"] = "enable=no"
        }
        return environment
    }

    /// The running executable's path (`/proc/self/exe` resolved), for re-executing it.
    static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "/proc/self/exe" }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes a fresh private directory under the system's temporary directory ($TMPDIR, else /tmp), removed
    /// on SIGINT or SIGTERM (`Interruption`) and by `removeWorkDirectory`.
    /// - Throws: `RunnerError` when it cannot be created.
    static func makeWorkDirectory() throws(RunnerError) -> String {
        var temporary = NSTemporaryDirectory()
        while temporary.count > 1 && temporary.hasSuffix("/") { temporary.removeLast() }
        var template = Array((temporary + "/heaplab.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw RunnerError("cannot create a temporary directory in \(NSTemporaryDirectory()): \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: made)
        Interruption.register(directory: directory)
        return directory
    }

    /// Removes a directory made by `makeWorkDirectory`, with everything in it.
    static func removeWorkDirectory(_ directory: String) {
        Interruption.unregister(directory: directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `spec` in a child process and returns its report, or a failed report saying why there is none.
    /// `index` names the run's files in `workDirectory`; they are removed afterwards.
    func run(_ spec: RunSpec, index: Int) -> RunReport {
        let date = ISO8601DateFormatter().string(from: Date())
        let reportPath = "\(workDirectory)/run-\(index).json"
        let logPath = "\(workDirectory)/run-\(index).log"
        unlink(reportPath)
        defer {
            unlink(reportPath)
            unlink(logPath)
        }
        let child = ChildProcess(executable: executable, arguments: argumentPrefix + spec.childArguments(output: reportPath),
                                 environment: Self.childEnvironment(), timeoutSeconds: timeoutSeconds, logPath: logPath)
        let result = child.run()
        if forwardsOutput, let output = try? InputFile.bytes(atPath: logPath), !output.isEmpty {
            FileHandle.standardError.write(Data(output))
        }

        let cause: String
        var status = RunReport.Status.failed
        switch result.termination {
        case .exited(0):
            do {
                let reports = try RunReport.decode(Data(InputFile.bytes(atPath: reportPath)))
                guard reports.count == 1, let report = reports.first else {
                    throw RunnerError("expected one report, found \(reports.count)")
                }
                return report
            } catch {
                cause = "the child exited normally but left no readable report (\(error.message))"
            }
        case let .exited(code):
            cause = "the child exited with status \(code)"
        case let .signaled(signal):
            if signal == SIGKILL {
                cause = "the child was killed by SIGKILL (most likely the kernel's out-of-memory killer; its peak RSS was \(result.peakResidentBytes >> 20) MiB)"
            } else if let limit = spec.memoryLimitBytes, Self.swiftRuntimeRanOutOfMemory(signal: signal, output: result.outputTail) {
                // Swift's allocator (class instances, arrays) traps when the system refuses memory; under a
                // memory limit that is the run running out of memory, in code that can not throw.
                status = .outOfMemory
                cause = "ran out of memory in the Swift runtime under the \(limit >> 20) MiB memory limit (Swift's allocator stops the process instead of throwing: \(ChildProcess.describe(signal: signal)))"
            } else {
                cause = "the child crashed: \(ChildProcess.describe(signal: signal))"
            }
        case let .timedOut(seconds):
            cause = "the child ran past the \(Self.format(seconds: seconds)) timeout and was killed"
        case let .spawnFailed(code):
            cause = "could not start \(executable): \(String(cString: strerror(code)))"
        }
        let tail = result.outputTail
        return spec.failedReport(tail.isEmpty ? cause : cause + "\n--- child output ---\n" + tail, date: date, status: status)
    }

    /// Whether a child that died of `signal` with `output` was stopped by the Swift runtime's allocator, which
    /// prints "failed to allocate N bytes" and aborts (or traps) when the system refuses memory.
    static func swiftRuntimeRanOutOfMemory(signal: Int32, output: String) -> Bool {
        [SIGABRT, SIGILL, SIGTRAP, SIGSEGV].contains(signal) && output.contains("failed to allocate")
    }

    static func format(seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
