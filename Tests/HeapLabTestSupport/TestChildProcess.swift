import Foundation
import SystemHeaps
import XCTest

/// Shared by the test targets (a library target of its own, so the helper exists once).
///
/// Re-runs one test of this test binary in a child process with extra environment variables, and returns its
/// exit status and output. jemalloc can only be dlopen'ed by a process that started with
/// GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096, so its tests run that way, as the runner's children do.
public enum ChildProcess {
    /// The environment variable a child sees, so that it does not skip what its parent asked it to test.
    public static let requireJemalloc = "HEAPLAB_REQUIRE_JEMALLOC"

    public static func runTest(_ filter: String, environment extra: [String: String]) throws -> (status: Int32, output: String) {
        try run(filter, environment: extra, standardOutputToo: true)
    }

    /// Runs test `filter` of this test binary in a child process with `extra` added to its environment, for a
    /// test that must stop the child at a trap; returns the child's exit status and standard error (standard
    /// output is discarded). Crash backtraces are off: the backtracer inherits standard error and can outlive
    /// the child (under ASan it hung), which would keep the pipe open; the trap's message is all a test reads.
    public static func runTrap(_ filter: String, environment extra: [String: String]) throws -> (status: Int32, stderr: String) {
        try run(filter, environment: extra.merging(["SWIFT_BACKTRACE": "enable=no"]) { a, _ in a }, standardOutputToo: false)
    }

    /// Runs the child: standard error (and standard output too, or else discarded) through one pipe.
    private static func run(_ filter: String, environment extra: [String: String],
                            standardOutputToo: Bool) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = [filter]
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        // Under `swift test --sanitize=address`, LeakSanitizer would fail every child at exit over XCTest's own
        // small leaks (and the deliberate ARC cycle leaks); memory errors are still reported.
        environment["ASAN_OPTIONS"] = (environment["ASAN_OPTIONS"].map { $0 + ":" } ?? "") + "detect_leaks=0"
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = standardOutputToo ? pipe : FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The variable that marks a child started by `isolated`.
    public static let isolatedChild = "HEAPLAB_ISOLATED_CHILD"

    /// For tests that leak on purpose (ARC reference cycles): returns true in the child, where the caller runs its
    /// body; in the parent, runs the test `filter` in a child process, asserts that it passed, and returns false.
    /// The leaked objects then die with the child instead of failing a leak-checking (ASan) run of the suite.
    public static func isolated(_ filter: String, file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        if ProcessInfo.processInfo.environment[isolatedChild] != nil { return true }
        let (status, output) = try runTest(filter, environment: [isolatedChild: "1"])
        XCTAssertEqual(status, 0, "child test \(filter) failed:\n\(output.suffix(4000))", file: file, line: line)
        XCTAssertTrue(output.contains("Executed 1 test, with 0 failures"), "child ran no passing test for \(filter):\n\(output.suffix(2000))",
                      file: file, line: line)
        return false
    }

    /// Makes sure jemalloc can be used by the test `filter`: returns true when it can be used in this process;
    /// otherwise runs `filter` in a child with the static-TLS tunable, asserts that it passed, and returns false
    /// (the caller then returns). Throws XCTSkip when libjemalloc2 is not installed.
    public static func jemallocInThisProcess(orRun filter: String, file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        switch JemallocAllocator.availability() {
        case .available:
            return true
        case let .notInstalled(package):
            throw XCTSkip("not installed: apt-get install \(package)")
        case let .unusable(reason):
            XCTFail("libjemalloc.so.2 is installed but can not be loaded: \(reason)", file: file, line: line)
            return false
        case let .needsStaticTLS(reason):
            if ProcessInfo.processInfo.environment[requireJemalloc] != nil {
                XCTFail("jemalloc unusable in the child process: \(reason)", file: file, line: line)
                return false
            }
            let (status, output) = try runTest(filter, environment: ["GLIBC_TUNABLES": staticTLSTunable, requireJemalloc: "1"])
            XCTAssertEqual(status, 0, "child test \(filter) with GLIBC_TUNABLES=\(staticTLSTunable) failed:\n\(output.suffix(4000))",
                           file: file, line: line)
            XCTAssertTrue(output.contains("Executed 1 test"), "child ran no test for \(filter):\n\(output.suffix(2000))",
                          file: file, line: line)
            return false
        }
    }
}
