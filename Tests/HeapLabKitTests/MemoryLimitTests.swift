import Foundation
import HeapLabCore
import HeapLabTestSupport
import XCTest
@testable import HeapLabKit

/// Runs under `--memory-limit` (RLIMIT_AS in the child): every accepted limit lets a child start, and a run
/// that needs more ends as `outOfMemory`, whether the manager throws, its warm-up runs out, or Swift's
/// allocator stops the process.
final class MemoryLimitTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry  // installs it for the commands
    }

    func launcher() throws -> ChildLauncher {
        ChildLauncher(executable: try TestSupport.heaplabBinary(), timeoutSeconds: 300,
                      workDirectory: try TestSupport.workDirectory(self))
    }

    /// The smallest limit the command line accepts is one under which every manager runs a small GCBench.
    func testEveryManagerRunsUnderTheSmallestAcceptedLimit() throws {
        try AddressSanitizer.skipUnderMemoryLimit()
        let launcher = try launcher()
        for manager in TestSupport.memoryManagers {
            var spec = try TestSupport.registry.spec(
                workload: "gcbench", manager: manager,
                parameters: ["stretchDepth": 6, "longLivedDepth": 4, "arraySize": 2_002, "minDepth": 4, "maxDepth": 4])
            spec.memoryLimitBytes = RunSpec.minimumMemoryLimitMiB << 20
            let report = launcher.run(spec, index: 0)
            XCTAssertEqual(report.status, .ok, "\(manager) under \(RunSpec.minimumMemoryLimitMiB) MiB: \(report.failure)")
        }
    }

    /// 256 MiB of live buffers can not fit in a 160 MiB address space: every manager's run ends as
    /// `outOfMemory`, never as a crash or a `failed` run.
    func testRunsPastTheLimitEndAsOutOfMemoryOnEveryManager() throws {
        try AddressSanitizer.skipUnderMemoryLimit()
        let launcher = try launcher()
        for manager in TestSupport.memoryManagers {
            var spec = try TestSupport.registry.spec(workload: "large-objects", manager: manager, parameters: ["liveMiB": 256],
                                                     testSize: true)
            spec.memoryLimitBytes = 160 << 20
            let report = launcher.run(spec, index: 0)
            XCTAssertEqual(report.status, .outOfMemory, "\(manager): \(report.failure)")
            XCTAssertFalse(report.failure.contains("crashed"), "\(manager): \(report.failure)")
            if manager == "arc" {
                XCTAssertTrue(report.failure.hasPrefix("ran out of memory in the Swift runtime under the 160 MiB memory limit"), report.failure)
            }
        }
    }

    /// A warm-up that runs out of memory makes the run `outOfMemory`, with the warm-up named, not `failed`.
    func testOutOfMemoryInTheWarmUpIsOutOfMemory() throws {
        // The collector's heap limit makes the same AllocationError a memory limit would, in this process.
        // The warm-up runs large-objects at its test size (16 MiB live), past a 4 MiB heap limit.
        var spec = try TestSupport.registry.spec(workload: "large-objects", manager: "gc", parameters: ["operations": 0],
                                                 options: ["heap-limit": "4MiB"], testSize: true)
        spec.warmupRuns = 1
        let report = try TestSupport.registry.run(inProcess: spec)
        XCTAssertEqual(report.status, .outOfMemory, report.failure)
        XCTAssertTrue(report.failure.hasPrefix("out of memory in the warm-up, before the measured run: out of memory: "), report.failure)
        // Without the warm-up, the measured run (no operations) fits.
        spec.warmupRuns = 0
        XCTAssertEqual(try TestSupport.registry.run(inProcess: spec).status, .ok)
    }

    /// A limit below what the child already maps is reported by the child, not a crash before it can write.
    func testALimitBelowWhatTheChildMapsIsReported() throws {
        var spec = try TestSupport.smallSpec("malloc")
        spec.memoryLimitBytes = 32 << 20
        let report = try launcher().run(spec, index: 0)
        XCTAssertEqual(report.status, .outOfMemory, report.failure)
        XCTAssertTrue(report.failure.hasPrefix("the memory limit of 32 MiB leaves no room to run: this process already maps"), report.failure)
    }

    /// A refused thread stack is a thrown error with the system's reason, before the list is built: no crash
    /// releasing the list on the main thread's stack.
    func testARefusedDropThreadIsAFailedRunWithTheReason() throws {
        try AddressSanitizer.skipUnderMemoryLimit()
        let launcher = try launcher()
        for manager in ["malloc", "arc"] {
            var spec = try TestSupport.registry.spec(workload: "deep-bigstack", manager: manager, parameters: ["stackMiB": 2048], testSize: true)
            spec.memoryLimitBytes = 1024 << 20
            let report = launcher.run(spec, index: 0)
            XCTAssertEqual(report.status, .failed, "\(manager): \(report.failure)")
            XCTAssertTrue(report.failure.contains("could not start a thread with a 2048 MiB stack: pthread_create failed: "),
                          "\(manager): \(report.failure)")
            XCTAssertFalse(report.failure.contains("crashed"), "\(manager): \(report.failure)")
        }
    }
}
