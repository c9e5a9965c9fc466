import HeapLabCore
import HeapLabTestSupport
import MarkSweepGC
import ScopedArena
import SystemHeaps
import XCTest
@testable import Workloads

/// Every threaded workload, at its test size, with 1, 2 and 4 threads, on every threaded manager: its own
/// checks pass (each thread's trees walked against their oracle; the server's values against each shard's
/// versions; every handed-off tree node by node), every operation of every thread is in the merged latency,
/// and the malloc family ends with nothing allocated (every cross-thread free happened).
final class ThreadedWorkloadTests: XCTestCase {
    static let threadCounts = [1, 2, 4]

    /// Latency samples one GCBench at its test size records: one per tree.
    static func gcbenchOperations(_ bench: GCBench) -> Int {
        stride(from: bench.minDepth, through: bench.maxDepth, by: 2).reduce(0) { $0 + 2 * bench.iterations(atDepth: $1) }
    }

    /// Runs the three workloads with each thread count, each on a fresh manager from `make`.
    func runEvery<T: ThreadedMemoryManager>(_ make: (PauseLog) throws -> T, freesEverything: Bool = false,
                                            statistics: (T) -> ManagerStatistics? = { _ in nil }) throws {
        for threads in Self.threadCounts {
            let gcbench = try MTGCBench.make(["threads": threads], testSize: true)
            try check(gcbench, make, statistics, freesEverything) { outcome, context in
                XCTAssertEqual(outcome.checksum, UInt64(threads) * 27_046, "every thread's GCBench checksum")
                XCTAssertEqual(context.latency.count, threads * Self.gcbenchOperations(gcbench.bench))
            }
            let server = try MTServer.make(["threads": threads], testSize: true)
            try check(server, make, statistics, freesEverything) { outcome, context in
                XCTAssertEqual(context.latency.count, server.requests)
                let served = ["hits", "misses", "sets"].reduce(0) { $0 + (outcome.metrics[$1] ?? 0) }
                XCTAssertEqual(served, Double(server.requests), "every request a hit, a miss or a set")
            }
            let handoff = try Handoff.make(["threads": threads], testSize: true)
            try check(handoff, make, statistics, freesEverything) { outcome, context in
                XCTAssertEqual(outcome.checksum, Handoff.expectedChecksum(items: handoff.items, depth: handoff.depth))
                XCTAssertEqual(context.latency.count, 2 * handoff.items, "one operation per item on each side")
            }
        }
    }

    func check<W: ThreadedWorkload, T: ThreadedMemoryManager>(
        _ workload: W, _ make: (PauseLog) throws -> T, _ statistics: (T) -> ManagerStatistics?, _ freesEverything: Bool,
        _ assertions: (WorkloadOutcome, RunContext) -> Void
    ) throws {
        let log = PauseLog()
        let manager = try make(log)
        let context = RunContext(pauseLog: log, memorySampleIntervalNanoseconds: 1_000_000)
        let label = "\(W.name) with \(workload.threads) threads on \(manager.name)"
        do {
            let outcome = try workload.run(threaded: manager, context: context)
            assertions(outcome, context)
            XCTAssertFalse(context.memorySamples.isEmpty, label)
            if freesEverything, let s = statistics(manager) {
                XCTAssertEqual(s.liveBytes, 0, "\(label) left memory allocated")
            }
        } catch {
            XCTFail("\(label): \(error)")
        }
    }

    func testOnMalloc() throws {
        try runEvery({ _ in ThreadedMallocManager() }, freesEverything: true) { $0.statistics() }
    }

    func testOnMimalloc() throws {
        guard MimallocAllocator.availability().isAvailable else { throw XCTSkip(MimallocAllocator.availability().description) }
        try runEvery({ _ in try ThreadedMimallocManager() }, freesEverything: true) { $0.statistics() }
    }

    func testOnJemalloc() throws {
        guard try ChildProcess.jemallocInThisProcess(orRun: "WorkloadsTests.ThreadedWorkloadTests/testOnJemalloc") else { return }
        try runEvery({ _ in try ThreadedJemallocManager() }, freesEverything: true) { $0.statistics() }
    }

    func testOnARC() throws {
        try runEvery { _ in ThreadedARCManager() }
    }

    /// The collector made as the runner makes it: a heap whose creating thread detaches, so only the
    /// workload's threads are attached.
    static func sharedHeap(_ configuration: GCConfiguration, _ log: PauseLog) -> SharedHeap {
        let context = GCHeap(configuration: configuration, pauseLog: log)
        let shared = context.shared
        shared.detach(context)
        return shared
    }

    func testOnGC() throws {
        // A small heap goal, so that collections (and their stop-the-world handshakes) happen at the test size.
        try runEvery { log in Self.sharedHeap(try GCConfiguration(options: ["min-heap": "1MiB", "verify": "on"]), log) }
    }

    func testOnIncrementalGC() throws {
        try runEvery { log in
            Self.sharedHeap(try GCConfiguration(options: ["mode": "incremental", "min-heap": "1MiB", "verify": "on"]), log)
        }
    }

    /// Concurrent marking beside the workloads' threads: the background marker, assists, checkmark after every
    /// concurrent mark and the verifier after every cycle.
    func testOnConcurrentGC() throws {
        try runEvery { log in
            Self.sharedHeap(try GCConfiguration(options: ["mode": "concurrent", "min-heap": "1MiB", "verify": "on",
                                                          "checkmark": "on"]), log)
        }
    }

    func testOnArena() throws {
        try runEvery({ _ in ThreadedArenaManager() }, freesEverything: false)
    }

    func testOnBoehm() throws {
        guard BoehmManager.availability().isAvailable else { throw XCTSkip(BoehmManager.availability().description) }
        try runEvery { _ in try ThreadedBoehmManager() }
    }

    func testParameters() throws {
        for type in WorkloadCatalog.threaded {
            XCTAssertNotNil(WorkloadCatalog.named(type.name))
            let threads = try XCTUnwrap(type.parameters.first { $0.name == "threads" })
            XCTAssertEqual(threads.defaultValue, 2)
            XCTAssertEqual(threads.testValue, 2)
            XCTAssertEqual(threads.range, 1...64)
            XCTAssertThrowsError(try type.resolve(["threads": 0]))
            XCTAssertThrowsError(try type.resolve(["threads": 65]))
        }
        XCTAssertThrowsError(try MTServer.make(["entries": 4, "shards": 8]))
    }

    /// On one thread's manager a threaded workload is not applicable, with the reason.
    func testSingleThreadedRunIsNotApplicable() {
        XCTAssertThrowsError(try MTGCBench.make(testSize: true).run(on: MallocManager(), context: RunContext(pauseLog: PauseLog()))) {
            XCTAssertTrue($0 is WorkloadNotApplicable, "\($0)")
        }
    }
}
