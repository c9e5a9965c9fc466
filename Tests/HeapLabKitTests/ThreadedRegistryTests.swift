import HeapLabCore
import HeapLabReport
import MarkSweepGC
import Workloads
import XCTest
@testable import HeapLabKit

/// The threaded workloads through the registry, as `heaplab` runs them: every manager with a threaded form runs
/// each of them (status ok, the thread count in the report's parameters, every thread's operations merged);
/// every native reference program is `notApplicable` with its reason; none is missing.
final class ThreadedRegistryTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry
    }

    func testEveryThreadedWorkloadRunsOnEveryThreadedManager() throws {
        let registry = TestSupport.registry
        let heaplab = try TestSupport.heaplabBinary(), work = try TestSupport.workDirectory(self)
        let launcher = ChildLauncher(executable: heaplab, timeoutSeconds: 300, workDirectory: work)
        let threaded = registry.workloads.filter { $0 is any ThreadedWorkload.Type }
        XCTAssertEqual(Set(threaded.map { $0.name }), ["mt-gcbench", "mt-server", "handoff"])
        for workload in threaded {
            for manager in registry.availableManagers {
                var spec = try registry.spec(workload: workload.name, manager: manager, parameters: ["threads": 2], testSize: true)
                spec.warmupRuns = 0
                let entry = try XCTUnwrap(registry.entry(named: manager))
                // jemalloc loads only in a process started with the static-TLS tunable: a real child.
                let report = manager.contains("jemalloc") ? launcher.run(spec, index: 0) : try registry.run(inProcess: spec)
                let label = "\(workload.name) on \(manager)"
                if entry.isNativeReference {
                    XCTAssertEqual(report.status, .notApplicable, label)
                    XCTAssertTrue(report.failure.contains("no native reference program for \(workload.name)"), report.failure)
                    continue
                }
                XCTAssertEqual(report.status, .ok, "\(label): \(report.failure)")
                XCTAssertEqual(report.manager, manager, label)
                XCTAssertEqual(report.parameters["threads"], 2, label)
                XCTAssertEqual(report.outcome?.metrics["threads"], 2, label)
                XCTAssertGreaterThan(report.latency.count, 0, label)
            }
        }
    }

    /// A manager whose descriptor gives no threaded form is `notApplicable` on a threaded workload, with the
    /// reason; never absent from the table.
    func testManagerWithoutThreadedFormIsNotApplicable() throws {
        let registry = HeapLab.standard.adding(manager: NoThreadsDescriptor.self).registry
        let spec = try registry.spec(workload: "mt-gcbench", manager: "no-threads", testSize: true)
        let report = try registry.run(inProcess: spec)
        XCTAssertEqual(report.status, .notApplicable)
        XCTAssertEqual(report.manager, "no-threads")
        XCTAssertEqual(report.failure, "no-threads has no threaded form (no ThreadedMemoryManager that several threads attach to)")
    }

    /// A threaded spec with a warm-up runs the warm-up with the same thread count, then the measured run.
    func testWarmUpOfAThreadedRun() throws {
        var spec = try TestSupport.registry.spec(workload: "handoff", manager: "gc", parameters: ["threads": 3], testSize: true)
        spec.warmupRuns = 1
        let report = try TestSupport.registry.run(inProcess: spec)
        XCTAssertEqual(report.status, .ok, report.failure)
        XCTAssertEqual(report.outcome?.metrics["consumers"], 2)
    }
}

/// A manager described without a threaded form (the descriptor's default), for the test above. Its single-thread
/// manager is never made there.
private enum NoThreadsDescriptor: ManagerDescriptor {
    static var entry: ManagerEntry { ManagerEntry(name: "no-threads", summary: "a descriptor without a threaded form") }
    static func make(options: [String: String], pauseLog: PauseLog) -> GCHeap { GCHeap(pauseLog: pauseLog) }
}

/// A threaded workload added to a lab (`Lab.adding(workload:)`) runs on the managers' threaded forms.
final class AddedThreadedWorkloadTests: XCTestCase {
    func testAddedThreadedWorkloadRunsThreaded() throws {
        let registry = HeapLab.standard.adding(workload: CountingThreads.self).registry
        let spec = try registry.spec(workload: "counting-threads", manager: "malloc", parameters: ["threads": 3])
        let report = try registry.run(inProcess: spec)
        XCTAssertEqual(report.status, .ok, report.failure)
        XCTAssertEqual(report.outcome?.checksum, 3, "one per thread that attached")
    }
}

/// Every thread allocates and frees one object; the checksum counts the threads.
private struct CountingThreads: ThreadedWorkload {
    static let name = "counting-threads"
    static let summary = "each thread allocates one object (a test of Lab.adding(workload:))"
    static let parameters = [threadsParameter]
    let threads: Int
    init(parameters: [String: Int]) throws(ParameterError) { threads = try Self.resolve(parameters)["threads"]! }
    func run<T: ThreadedMemoryManager>(threaded manager: T, context: RunContext) throws -> WorkloadOutcome {
        let ones = try MutatorThreads.run(threads, on: manager, context: context, stop: StopSignal()) { _, m, threadContext in
            try threadContext.operation { m.free(try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 8))) }
            return UInt64(1)
        }
        return WorkloadOutcome(checksum: ones.reduce(0, +))
    }
}
