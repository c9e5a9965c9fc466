#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import HeapLabKit

/// SIGINT and SIGTERM to a real heaplab in the middle of a run: the child is killed (not left to finish on its
/// own), the work directory is removed, one line says so, and the exit status is 128 + the signal.
final class InterruptionTests: XCTestCase {
    /// The running child of `parent` (heaplab has one thread that starts children: read every thread's list).
    func children(of parent: pid_t) -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(parent)/task")) ?? []
        return tasks.flatMap { task -> [pid_t] in
            // Read as the runner reads files (InputFile): the list is empty until the child starts, and Foundation
            // leaks a buffer for every empty file it reads.
            let bytes = (try? InputFile.bytes(atPath: "/proc/\(parent)/task/\(task)/children")) ?? []
            let text = String(decoding: bytes, as: UTF8.self)
            return text.split(separator: " ").compactMap { pid_t($0) }
        }
    }

    /// Whether `pid` still exists as a process that is not a zombie.
    func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    func interrupt(with signal: Int32, expectedStatus: Int32, name: String) throws {
        let temporary = try TestSupport.workDirectory(self)
        // A run that lasts minutes: a small cache serving a billion requests.
        let arguments = ["run", "--workload", "server", "--manager", "malloc", "--test-size", "--param", "requests=1000000000",
                         "--warmup", "0", "--quiet"]
        var child: pid_t = 0
        let outcome = try TestSupport.runHeaplab(arguments, environment: ["TMPDIR": temporary]) { process in
            let parent = process.processIdentifier
            // Wait for the child to run (its log file exists and it is heaplab's child). The deadline only
            // guards against a hang of the test itself; a slow machine just takes longer to get there.
            let deadline = Date().addingTimeInterval(300)
            while Date() < deadline {
                let work = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
                if let directory = work.first,
                   FileManager.default.fileExists(atPath: "\(temporary)/\(directory)/run-0.log"),
                   let running = children(of: parent).first {
                    child = running
                    break
                }
                usleep(10_000)
            }
            XCTAssertNotEqual(child, 0, "no child started")
            XCTAssertTrue(isRunning(child))
            kill(parent, signal)
        }
        XCTAssertEqual(outcome.status, expectedStatus, outcome.standardError)
        XCTAssertEqual(outcome.errorLines.count, 1, outcome.standardError)
        let line = outcome.errorLines.first ?? ""
        XCTAssertTrue(line.hasPrefix("heaplab: interrupted by \(name); stopped the running child (pid \(child)); removed \(temporary)"), line)
        XCTAssertFalse(isRunning(child), "the child \(child) was left running")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary), [], "the work directory was left behind")
    }

    func testSIGINTStopsTheChildAndCleansUp() throws {
        try interrupt(with: SIGINT, expectedStatus: 130, name: "SIGINT")
    }

    func testSIGTERMStopsTheChildAndCleansUp() throws {
        try interrupt(with: SIGTERM, expectedStatus: 143, name: "SIGTERM")
    }

    /// A child leads its own process group, so the runner's kill reaches everything it started.
    func testChildLeadsItsOwnProcessGroup() throws {
        let directory = try TestSupport.workDirectory(self)
        let result = ChildProcess(executable: "/bin/sh", arguments: ["-c", "read -r pid comm state ppid pgrp rest < /proc/$$/stat; echo \"$pid $pgrp\""],
                                  logPath: directory + "/log").run()
        XCTAssertEqual(result.termination, .exited(0))
        let fields = result.outputTail.split(separator: " ").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(fields.count, 2, result.outputTail)
        XCTAssertEqual(fields.first, fields.last, "pid and process group differ: \(result.outputTail)")
        XCTAssertNotEqual(fields.last.flatMap { pid_t($0) }, getpgrp(), "the child is in the test's process group")
    }
}
