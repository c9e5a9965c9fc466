#if canImport(Glibc)
import Glibc
#endif
import HeapLabReport
import MarkSweepGC
import XCTest
import HeapLabCore
import Workloads
@testable import HeapLabKit

final class RegistryTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry  // installs it for the commands
    }

    func testNamesAreUniqueAndTheBaselineComesFirst() {
        let names = TestSupport.registry.managers.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(names.first, TestSupport.registry.baseline)
        XCTAssertTrue(TestSupport.registry.availableManagers.contains("malloc"))
        XCTAssertTrue(TestSupport.registry.availableManagers.contains("arc"))
    }

    func testAvailabilityText() {
        XCTAssertEqual(ManagerAvailability.available.description, "available")
        XCTAssertEqual(ManagerAvailability.notInstalled(package: "libjemalloc2").description, "not installed: apt-get install libjemalloc2")
    }

    func testOptionsAreChecked() {
        let entry = ManagerEntry(name: "x", summary: "", options: [ManagerOption(name: "gogc", help: "")])
        XCTAssertNoThrow(try entry.validate(["gogc": "100"]))
        XCTAssertThrowsError(try entry.validate(["limit": "1"])) { error in
            XCTAssertEqual((error as? RunnerError)?.message, "manager x has no option 'limit' (it accepts: gogc)")
        }
    }

    /// Every workload runs on every installed manager in this process, through the same dispatch a child uses:
    /// every registry entry has its `withManager` case, every catalog workload its `BuiltinWorkloads` case, and
    /// every manager computes the same checksum; every native reference program too, on the workloads it
    /// implements (the same checksum again), and is `notApplicable` on the others.
    func testEveryWorkloadRunsOnEveryManager() throws {
        // jemalloc loads only in a process started with the static-TLS tunable: its manager and its C program
        // run in a real child, as `heaplab` runs every pair; the rest run in this process.
        let inProcess = Set(TestSupport.registry.availableManagers.filter { !$0.contains("jemalloc") })
        let heaplab = try TestSupport.heaplabBinary(), work = try TestSupport.workDirectory(self)
        let launcher = ChildLauncher(executable: heaplab, timeoutSeconds: 300, workDirectory: work)
        // cycles leaks its strong pass on ARC, on purpose (the leak is what it measures): that run goes to a child,
        // where the leak dies with the process, with LeakSanitizer off when the suite runs under ASan (memory
        // errors are still reported there).
        let leaksOnPurpose: Set<String> = ["cycles arc"]
        let asanOptions = ProcessInfo.processInfo.environment["ASAN_OPTIONS"].map { $0 + ":" } ?? ""
        let leakingLauncher = ChildLauncher(executable: "/usr/bin/env", argumentPrefix: ["ASAN_OPTIONS=\(asanOptions)detect_leaks=0", heaplab],
                                            timeoutSeconds: 300, workDirectory: work)
        // The threaded workloads have a test of their own (testEveryThreadedWorkloadRunsOnEveryThreadedManager):
        // mt-server's checksum depends on how its threads interleave.
        for workload in TestSupport.registry.workloads where !(workload is any ThreadedWorkload.Type) {
            var checksums: [String: UInt64] = [:]
            for manager in TestSupport.registry.availableManagers {
                var spec = try TestSupport.registry.spec(workload: workload.name, manager: manager, parameters: [:], testSize: true)
                spec.warmupRuns = 1
                let entry = try XCTUnwrap(TestSupport.registry.entry(named: manager))
                guard entry.runs(workload.name) else {
                    let report = try TestSupport.registry.run(inProcess: spec)
                    XCTAssertEqual(report.status, .notApplicable, "\(workload.name) on \(manager)")
                    XCTAssertTrue(report.failure.contains("no native reference program for \(workload.name)"), report.failure)
                    continue
                }
                let report = if leaksOnPurpose.contains("\(workload.name) \(manager)") {
                    leakingLauncher.run(spec, index: 0)
                } else if inProcess.contains(manager) {
                    try TestSupport.registry.run(inProcess: spec)
                } else {
                    launcher.run(spec, index: 0)
                }
                XCTAssertEqual(report.status, .ok, "\(workload.name) on \(manager): \(report.failure)")
                XCTAssertEqual(report.isNativeReference, entry.isNativeReference, manager)
                XCTAssertEqual(report.nativeReference, entry.nativeReference, manager)
                XCTAssertEqual(report.manager, manager, "MemoryManager.name must equal the registry name")
                XCTAssertEqual(report.workload, workload.name)
                checksums[manager] = report.outcome?.checksum
            }
            XCTAssertEqual(Set(checksums.values).count, 1, "\(workload.name): checksums differ: \(checksums)")
        }
    }

    func testHarnessExcludesWarmUpAndRelativizesPauses() throws {
        var spec = try TestSupport.smallSpec("malloc")
        spec.warmupRuns = 3
        spec.stallThresholdNanoseconds = 0  // log every stall
        let report = try TestSupport.registry.run(inProcess: spec)
        XCTAssertEqual(report.managerStatistics.allocations, GCBenchCount.allocations(spec.parameters))
        XCTAssertEqual(report.managerStatistics.liveBytes, 0, "GCBench frees everything on malloc")
        XCTAssertEqual(report.unloggedStallCount, 0)
        // One stall per tree, plus the stretch tree and the long-lived data: the warm-up's stalls are gone.
        var trees = 0
        for d in stride(from: spec.parameters["minDepth"]!, through: spec.parameters["maxDepth"]!, by: 2) {
            trees += 2 * (2 * GCBenchCount.treeSize(spec.parameters["stretchDepth"]!) / GCBenchCount.treeSize(d))
        }
        XCTAssertEqual(report.stalls.count, trees + 2)
        XCTAssertEqual(report.latency.count, trees)
        XCTAssertTrue(report.pauses.allSatisfy { $0.endNanoseconds <= report.wallNanoseconds })
        XCTAssertGreaterThan(report.cpuNanoseconds, 0)
    }

    /// `--no-operation-timing`: the same work and checksum, no latency and no stalls; the arena's scope ends and
    /// malloc's drops are not timed either.
    func testUntimedRunsMeasureNoOperationsAndNoStalls() throws {
        for manager in ["malloc", "arena"] {
            var spec = try TestSupport.smallSpec(manager)
            spec.stallThresholdNanoseconds = 0
            let timed = try TestSupport.registry.run(inProcess: spec)
            spec.timesOperations = false
            XCTAssertTrue(spec.childArguments(output: "x").contains("--untimed"))
            let untimed = try TestSupport.registry.run(inProcess: spec)
            XCTAssertEqual(untimed.status, .ok)
            XCTAssertEqual(untimed.outcome?.checksum, timed.outcome?.checksum, manager)
            XCTAssertGreaterThan(timed.latency.count, 0, manager)
            XCTAssertGreaterThan(timed.stalls.count, 0, manager)
            XCTAssertEqual(untimed.latency.count, 0, manager)
            XCTAssertEqual(untimed.stalls.count + untimed.unloggedStallCount, 0, manager)
            XCTAssertEqual(untimed.timesOperations, false)
            XCTAssertEqual(untimed.managerStatistics.allocations, timed.managerStatistics.allocations)
        }
    }

    /// Every manager is read against a native reference that exists, and every native reference implements the
    /// workloads with a C program: GCBench and binary-trees.
    func testNativeReferencesAreInTheRegistry() throws {
        let registry = TestSupport.registry
        let natives = registry.managers.filter(\.isNativeReference).map(\.name)
        XCTAssertEqual(natives, ["c-malloc", "c-arena", "c-jemalloc", "c-mimalloc", "c-boehm"])
        for entry in registry.managers where !entry.isNativeReference {
            let reference = try XCTUnwrap(entry.nativeReference, "\(entry.name) has no native reference")
            XCTAssertTrue(natives.contains(reference), "\(entry.name): \(reference)")
            XCTAssertTrue(entry.runs("server"), "a manager runs every workload")
        }
        let cMalloc = try XCTUnwrap(registry.entry(named: "c-malloc"))
        XCTAssertEqual(cMalloc.nativeWorkloads, ["gcbench", "binary-trees"])
        XCTAssertFalse(cMalloc.runs("server"))
        XCTAssertEqual(cMalloc.availability(), .available)
    }

    /// The harness runs a C program as it runs a manager: warm-up excluded, one latency sample per tree, one
    /// stall per freed tree, the same allocations and checksum as the Swift workload on malloc.
    func testNativeReferenceRunsThroughTheHarness() throws {
        var spec = try TestSupport.smallSpec("malloc")
        spec.warmupRuns = 2
        spec.stallThresholdNanoseconds = 0
        let swift = try TestSupport.registry.run(inProcess: spec)
        for program in ["c-malloc", "c-arena"] {
            spec.manager = program
            let native = try TestSupport.registry.run(inProcess: spec)
            XCTAssertEqual(native.status, .ok, "\(program): \(native.failure)")
            XCTAssertEqual(native.manager, program)
            XCTAssertEqual(native.isNativeReference, true)
            XCTAssertEqual(native.outcome?.checksum, swift.outcome?.checksum, program)
            XCTAssertEqual(native.managerStatistics.allocations, swift.managerStatistics.allocations, program)
            XCTAssertEqual(native.managerStatistics.bytesRequested, swift.managerStatistics.bytesRequested, program)
            XCTAssertEqual(native.latency.count, swift.latency.count, program)
            XCTAssertGreaterThan(native.stalls.count, 0, program)
            XCTAssertTrue(native.pauses.allSatisfy { $0.endNanoseconds <= native.wallNanoseconds }, program)
        }
        spec.manager = "c-malloc"
        spec.timesOperations = false
        let untimed = try TestSupport.registry.run(inProcess: spec)
        XCTAssertEqual(untimed.latency.count, 0)
        XCTAssertEqual(untimed.stalls.count + untimed.unloggedStallCount, 0)
        XCTAssertEqual(untimed.outcome?.checksum, swift.outcome?.checksum)
    }

    func testUnknownNamesInTheDispatch() {
        XCTAssertThrowsError(try TestSupport.registry.workload(named: "nope"))
        let spec = RunSpec(workload: "gcbench", manager: "nope", parameters: [:])
        XCTAssertThrowsError(try TestSupport.registry.run(inProcess: spec)) { error in
            XCTAssertTrue("\(error)".contains("unknown manager 'nope'"), "\(error)")
        }
    }
}

final class GCRegistryTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry  // installs it for the commands
    }

    /// The keys `heaplab list` documents for gc are exactly those its configuration parses.
    func testGCOptionsMatchTheConfiguration() {
        XCTAssertEqual(Set(GCDescriptor.gcOptions.map(\.name)), Set(GCConfiguration.optionKeys))
        let incremental = try? XCTUnwrap(TestSupport.registry.entry(named: "gc-incremental"))
        XCTAssertEqual(Set(incremental?.options.map(\.name) ?? []), Set(GCConfiguration.optionKeys).subtracting(["mode", "sweep"]),
                       "gc-incremental fixes the mode and the sweep")
    }

    func testGCIncrementalIsTheIncrementalMode() throws {
        XCTAssertEqual(try BuiltinManagers.withManager(named: "gc-incremental", options: [:], NameVisitor()), "gc-incremental")
        XCTAssertEqual(try BuiltinManagers.withManager(named: "gc", options: [:], NameVisitor()), "gc")
    }

    func testBadGCOptionIsAClearError() {
        XCTAssertThrowsError(try BuiltinManagers.withManager(named: "gc", options: ["gogc": "lots"], NameVisitor())) { error in
            XCTAssertTrue("\(error)".contains("gogc"), "\(error)")
        }
    }
}

/// Returns the manager's name without running anything.
private struct NameVisitor: ManagerVisitor {
    func visit<M: MemoryManager>(_ make: @escaping (PauseLog) throws -> M) throws -> String { try make(PauseLog()).name }
}

final class RunOutputTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry  // installs it for the commands
    }

    func testProgressIsSilentWhenQuietOrNotATerminal() {
        XCTAssertFalse(ProgressReporter(total: 3, quiet: true).isEnabled)
        XCTAssertEqual(ProgressReporter(total: 3, quiet: false).isEnabled, isatty(STDERR_FILENO) == 1)
    }

    func testRunDetailsDescribeARealRun() throws {
        var spec = try TestSupport.smallSpec("malloc")
        spec.stallThresholdNanoseconds = 0
        let text = RunDetails.describe(try TestSupport.registry.run(inProcess: spec))
        for part in ["gcbench on malloc", "checksum", "latency of", "collector pauses: none", "stalls:", "MMU", "0 B live at end"] {
            XCTAssertTrue(text.contains(part), "details lack '\(part)':\n\(text)")
        }
        let failed = spec.failedReport("the child crashed", date: "d")
        XCTAssertEqual(RunDetails.describe(failed), "gcbench on malloc, d: failed")
        // A concurrent collector's events: stop-the-world pauses named apart from lazy sweeps, assists apart from
        // both, and all of them in the MMU.
        var concurrent = try TestSupport.registry.run(inProcess: spec)
        concurrent.pauses = [PauseEvent(kind: .finalMark, cycle: 1, startNanoseconds: 1_000, durationNanoseconds: 200_000),
                             PauseEvent(kind: .sweep, cycle: 1, startNanoseconds: 300_000, durationNanoseconds: 300_000),
                             PauseEvent(kind: .assist, cycle: 1, startNanoseconds: 700_000, durationNanoseconds: 1_000_000),
                             PauseEvent(kind: .assist, cycle: 1, startNanoseconds: 2_000_000, durationNanoseconds: 1_000_000)]
        let details = RunDetails.describe(concurrent)
        for part in ["collector pauses: 2,", "of which stopped the world: 1, max 200 µs (the rest are lazy sweeps)",
                     "assists (concurrent marking, on the allocating thread): 2, total 2.00 ms", "MMU (logged pauses, assists and stalls)"] {
            XCTAssertTrue(details.contains(part), "details lack '\(part)':\n\(details)")
        }
    }
}
