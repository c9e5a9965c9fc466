import Foundation
import XCTest
import HeapLabCore
import HeapLabTestSupport
@testable import HeapLabKit

/// The child-process protocol: every way a child can end becomes a report, and the matrix goes on.
final class ChildProtocolTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry  // installs it for the commands
    }

    /// A launcher that runs `script` with /bin/sh instead of heaplab; the spec's child arguments follow as $1...
    func shell(_ script: String, timeout: Double? = 30) throws -> ChildLauncher {
        ChildLauncher(executable: "/bin/sh", argumentPrefix: ["-c", script, "sh"], timeoutSeconds: timeout,
                      workDirectory: try TestSupport.workDirectory(self))
    }

    func testCrashIsAFailedReportWithSignalAndOutput() throws {
        let spec = try TestSupport.smallSpec("malloc")
        let report = try shell("echo about to crash >&2; kill -SEGV $$").run(spec, index: 0)
        XCTAssertEqual(report.status, .failed)
        XCTAssertTrue(report.failure.contains("crashed: SIGSEGV"), report.failure)
        XCTAssertTrue(report.failure.contains("about to crash"), report.failure)
        XCTAssertEqual(report.workload, "gcbench")
        XCTAssertEqual(report.manager, "malloc")
        XCTAssertEqual(report.parameters, spec.parameters)
    }

    func testNonZeroExitIsAFailedReport() throws {
        let report = try shell("echo boom; echo more boom >&2; exit 3").run(TestSupport.smallSpec("arc"), index: 0)
        XCTAssertEqual(report.status, .failed)
        XCTAssertTrue(report.failure.hasPrefix("the child exited with status 3"), report.failure)
        XCTAssertTrue(report.failure.contains("boom\nmore boom"), "stdout and stderr both land in the output: \(report.failure)")
    }

    func testHangIsKilledAtTheTimeout() throws {
        let started = MonotonicClock.now()
        // Had the child not been killed, the script would go on to exit 0 without a report after the sleep.
        let report = try shell("sleep 600; exit 0", timeout: 0.5).run(TestSupport.smallSpec("malloc"), index: 0)
        let seconds = Double(MonotonicClock.now() - started) / 1e9
        XCTAssertEqual(report.status, .failed)
        XCTAssertTrue(report.failure.contains("ran past the 0.5 s timeout and was killed"), report.failure)
        XCTAssertGreaterThanOrEqual(seconds, 0.5)
    }

    /// The timeout kills the child's whole process group: here the shell and the sleep it started.
    func testTimeoutKillsWhatTheChildStarted() throws {
        let directory = try TestSupport.workDirectory(self)
        let pidFile = directory + "/sleep.pid"
        _ = try shell("sleep 600 & echo $! > \(pidFile); wait", timeout: 0.5).run(TestSupport.smallSpec("malloc"), index: 0)
        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let sleeper = try XCTUnwrap(pid_t(text))
        // The sleep was reparented when its shell died; once killed it is reaped by its new parent (or stays
        // a zombie where nothing reaps): either way it no longer runs.
        // A killed process takes a moment to end: wait for it (the deadline only guards against a hang).
        var stat = ""
        let deadline = Date().addingTimeInterval(120)
        repeat {
            stat = (try? String(contentsOfFile: "/proc/\(sleeper)/stat", encoding: .utf8)) ?? ""
            let state = stat.lastIndex(of: ")").map { stat[stat.index(after: $0)...].trimmingCharacters(in: .whitespaces) } ?? ""
            if stat.isEmpty || state.hasPrefix("Z") || state.hasPrefix("X") { return }
            usleep(10_000)
        } while Date() < deadline
        kill(sleeper, SIGKILL)
        XCTFail("the sleep the child started still runs: \(stat)")
    }

    func testCleanExitWithoutAReportIsAFailure() throws {
        let report = try shell("exit 0").run(TestSupport.smallSpec("malloc"), index: 0)
        XCTAssertEqual(report.status, .failed)
        XCTAssertTrue(report.failure.contains("left no readable report"), report.failure)
    }

    func testGarbageReportIsAFailure() throws {
        // The script finds --output among its arguments and writes something that is not a report there.
        let script = #"while [ "$1" != "--output" ]; do shift; done; echo '{"no": 1}' > "$2""#
        let report = try shell(script).run(TestSupport.smallSpec("malloc"), index: 0)
        XCTAssertEqual(report.status, .failed)
        XCTAssertTrue(report.failure.contains("left no readable report"), report.failure)
    }

    func testMissingExecutableIsAFailure() throws {
        let launcher = ChildLauncher(executable: "/nonexistent/heaplab", timeoutSeconds: 5,
                                     workDirectory: try TestSupport.workDirectory(self))
        let report = launcher.run(try TestSupport.smallSpec("malloc"), index: 0)
        XCTAssertEqual(report.status, .failed)
        XCTAssertTrue(report.failure.hasPrefix("could not start /nonexistent/heaplab"), report.failure)
    }

    func testChildGetsTheStaticTLSTunable() throws {
        let report = try shell(#"echo "tunables=$GLIBC_TUNABLES"; exit 1"#).run(TestSupport.smallSpec("malloc"), index: 0)
        XCTAssertTrue(report.failure.contains("tunables=glibc.rtld.optional_static_tls=4096"), report.failure)
    }

    func testChildEnvironmentKeepsExistingTunables() {
        XCTAssertEqual(ChildLauncher.childEnvironment([:])["GLIBC_TUNABLES"], "glibc.rtld.optional_static_tls=4096")
        XCTAssertEqual(ChildLauncher.childEnvironment(["GLIBC_TUNABLES": "glibc.malloc.arena_max=1"])["GLIBC_TUNABLES"],
                       "glibc.malloc.arena_max=1:glibc.rtld.optional_static_tls=4096")
        XCTAssertEqual(ChildLauncher.childEnvironment(["GLIBC_TUNABLES": "glibc.rtld.optional_static_tls=8192"])["GLIBC_TUNABLES"],
                       "glibc.rtld.optional_static_tls=8192", "a user's own static TLS setting wins")
        XCTAssertEqual(ChildLauncher.childEnvironment([:])["SWIFT_BACKTRACE"], "enable=no")
        XCTAssertNil(ChildLauncher.childEnvironment(["SWIFT_BACKTRACE": "enable=yes"])["SWIFT_BACKTRACE"])
    }

    func testChildArgumentsRoundTripThroughTheChildCommand() throws {
        var spec = try TestSupport.registry.spec(workload: "gcbench", manager: "arc", parameters: ["maxDepth": 6], testSize: true)
        spec.warmupRuns = 2
        spec.stallThresholdNanoseconds = 1234
        spec.memoryLimitBytes = 1 << 30
        let arguments = spec.childArguments(output: "/tmp/x.json")
        guard let child = try HeapLabCommand.parseAsRoot(arguments) as? ChildCommand else {
            return XCTFail("`\(arguments.joined(separator: " "))` did not parse as the child command")
        }
        XCTAssertEqual(child.workload, "gcbench")
        XCTAssertEqual(child.manager, "arc")
        XCTAssertEqual(try KeyValue.integers(child.parameters, option: "--param"), spec.parameters)
        XCTAssertEqual(child.output, "/tmp/x.json")
        XCTAssertEqual(child.warmup, 2)
        XCTAssertEqual(child.stallThresholdNanoseconds, 1234)
        XCTAssertEqual(child.memoryLimitBytes, 1 << 30)
    }

    // MARK: real children (the built heaplab binary)

    func testRealChildRunsGCBenchOnEveryManager() throws {
        let launcher = ChildLauncher(executable: try TestSupport.heaplabBinary(), timeoutSeconds: 120,
                                     workDirectory: try TestSupport.workDirectory(self))
        var checksums: Set<UInt64> = []
        for manager in TestSupport.registry.availableManagers {
            let spec = try TestSupport.smallSpec(manager)
            let report = launcher.run(spec, index: 0)
            XCTAssertEqual(report.status, .ok, "\(manager): \(report.failure)")
            XCTAssertEqual(report.manager, manager)
            XCTAssertEqual(report.workload, "gcbench")
            XCTAssertEqual(report.parameters, spec.parameters)
            XCTAssertGreaterThan(report.wallNanoseconds, 0)
            XCTAssertGreaterThan(report.residentMemory.peakBytes, 0)
            XCTAssertEqual(report.managerStatistics.allocations, GCBenchCount.allocations(spec.parameters),
                           "\(manager): the measured run allocated exactly what GCBench allocates, warm-up excluded")
            XCTAssertGreaterThan(report.latency.count, 0)
            let stallCount = report.stalls.count + report.unloggedStallCount
            // Asked of an instance made here; jemalloc loads only in a child started with the static-TLS tunable,
            // so its answer is not known in this process and its stall count is not checked.
            switch try? BuiltinManagers.withManager(named: manager, options: [:], DropsStallVisitor()) {
            case true?: XCTAssertGreaterThan(stallCount, 0, "\(manager): its drops (or scope ends) are stalls")
            case false?: XCTAssertEqual(stallCount, 0, "\(manager): its drops cost nothing and are not logged")
            case nil: break
            }
            XCTAssertTrue(report.pauses.allSatisfy { $0.startNanoseconds < report.wallNanoseconds },
                          "pause times are relative to the measured run's start")
            if let checksum = report.outcome?.checksum { checksums.insert(checksum) }
        }
        XCTAssertEqual(checksums.count, 1, "every manager computes the same GCBench checksum")
    }

    func testOutOfMemoryIsReportedNotACrashOfTheRunner() throws {
        try AddressSanitizer.skipUnderMemoryLimit()
        let launcher = ChildLauncher(executable: try TestSupport.heaplabBinary(), timeoutSeconds: 120,
                                     workDirectory: try TestSupport.workDirectory(self))
        // An 800 MB array in a 256 MiB address space: malloc's calloc returns NULL, which the manager throws.
        var spec = try TestSupport.registry.spec(workload: "gcbench", manager: "malloc", parameters: ["arraySize": 100_000_000], testSize: true)
        spec.memoryLimitBytes = 256 << 20
        let report = launcher.run(spec, index: 0)
        XCTAssertEqual(report.status, .outOfMemory, report.failure)
        XCTAssertTrue(report.failure.contains("the system refused 800000008 bytes"), report.failure)
        // ARC cannot throw: Swift's allocator stops the process, and the runner tells that from other crashes
        // by the runtime's message under a memory limit.
        spec.manager = "arc"
        let arc = launcher.run(spec, index: 1)
        XCTAssertEqual(arc.status, .outOfMemory, arc.failure)
        XCTAssertTrue(arc.failure.hasPrefix("ran out of memory in the Swift runtime under the 256 MiB memory limit"), arc.failure)
        XCTAssertTrue(arc.failure.contains("failed to allocate"), arc.failure)
    }

    func testMatrixContinuesPastAFailingRun() throws {
        let heaplab = try TestSupport.heaplabBinary()
        // ARC's children crash; malloc's run the real heaplab.
        let script = #"case "$*" in *"--manager arc"*) kill -ABRT $$;; esac; exec "$0" "$@""#
        let launcher = ChildLauncher(executable: "/bin/sh", argumentPrefix: ["-c", script, heaplab], timeoutSeconds: 60,
                                     workDirectory: try TestSupport.workDirectory(self))
        let matrix = Matrix(specs: [try TestSupport.smallSpec("arc"), try TestSupport.smallSpec("malloc")], repeats: 2,
                            launcher: launcher, quiet: true, registry: TestSupport.registry)
        let reports = matrix.run()
        XCTAssertEqual(reports.map(\.manager), ["arc", "malloc", "arc", "malloc"], "repeats are the outer loop")
        XCTAssertEqual(reports.map(\.status), [.failed, .ok, .failed, .ok])
        XCTAssertTrue(reports[0].failure.contains("SIGABRT"), reports[0].failure)
    }
}

/// GCBench's allocation count computed from its definition, independently of any manager.
enum GCBenchCount {
    static func treeSize(_ d: Int) -> Int { (1 << (d + 1)) - 1 }

    static func allocations(_ p: [String: Int]) -> Int {
        let stretch = p["stretchDepth"]!
        var total = treeSize(stretch) + treeSize(p["longLivedDepth"]!) + 1  // stretch tree, long-lived tree, array
        var d = p["minDepth"]!
        while d <= p["maxDepth"]! {
            total += 2 * (2 * treeSize(stretch) / treeSize(d)) * treeSize(d)
            d += 2
        }
        return total
    }
}

/// Whether a manager's drops are logged as stalls, asked of a fresh instance.
private struct DropsStallVisitor: ManagerVisitor {
    func visit<M: MemoryManager>(_ make: @escaping (PauseLog) throws -> M) throws -> Bool {
        let manager = try make(PauseLog())
        return manager.reclamation != .tracing
    }
}
