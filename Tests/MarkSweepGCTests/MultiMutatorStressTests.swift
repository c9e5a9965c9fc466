import Foundation
import HeapLabCore
import HeapLabTestSupport
@testable import MarkSweepGC
import XCTest

/// Several mutator threads over one heap, checked against an independent model (`MultiMutatorRun`): each
/// thread mutates a private graph rooted on its own shadow stack and, under a lock of the test's own, a shared
/// graph held by global roots, with private objects pointing into the shared graph; allocates garbage; forces
/// collections; safepoints; blocks inside `withoutCollector`. Collections start in any thread: the pacer's
/// (GOGC 50 and a 32 KiB minimum heap, so they are frequent), explicit ones, and at every rendezvous, where the leader
/// checks that exactly the objects the model reaches are live and intact and that the live-object count is the
/// model's. The heap verifies itself after every cycle (and checkmarks every incremental mark), in record mode,
/// so a broken cycle is a test failure naming the object.
///
/// Size: 16,000 operations per test in a debug build, 125,000 in a release build (`scripts/stress.sh`: the
/// four tests make 5 x 10^5; `HEAPLAB_STRESS_SCALE=2`, 10^6), either times `HEAPLAB_STRESS_SCALE`; seeds as
/// `StressEnvironment`.
final class MultiMutatorStressTests: XCTestCase {
    /// Operations per thread between two rendezvous checks.
    static let interval = 500

    @discardableResult
    /// `markThreads` > 1 marks every stop-the-world collection (in incremental mode, the explicit ones) with
    /// that many markers, checkmarked; 1 marks on the collecting thread alone.
    func runStress(_ name: String, threads: Int, seed: UInt64, incremental: Bool, sweepMode: SweepMode = .lazy,
                   debugChecks: Bool = true, markThreads: Int = 1, concurrent: Bool = false,
                   file: StaticString = #filePath, line: UInt = #line) -> MultiMutatorRun {
        let configuration = incremental
            ? GCConfiguration(gogc: 50, minimumHeapBytes: 32 << 10, sweepMode: .lazy, verifyAfterEveryCycle: true,
                              poisonFreedCells: debugChecks, checkReferences: debugChecks,
                              collectionMode: concurrent ? .concurrent : .incremental,
                              sliceBudgetNanoseconds: nil, sliceBudgetBytes: 4096, checkmark: true, checkFailureMode: .record,
                              markThreads: markThreads, parallelMinimumLiveBytes: 0)
            : GCConfiguration(gogc: 50, minimumHeapBytes: 32 << 10, sweepMode: sweepMode, verifyAfterEveryCycle: true,
                              poisonFreedCells: debugChecks, checkReferences: debugChecks, checkmark: true,
                              checkFailureMode: .record, markThreads: markThreads, parallelMinimumLiveBytes: 0)
        let log = PauseLog()
        let main = GCHeap(configuration: configuration, pauseLog: log)
        let globals = (0..<4).map { _ in main.addGlobalRoot(nil) }
        let total = StressEnvironment.operations(debug: 16_000, release: 125_000)
        let seed = StressEnvironment.seed(seed)
        let label = "multi-mutator \(name), seed \(seed) (replay: \(StressEnvironment.replay))"
        let run = MultiMutatorRun(label: label, shared: main.shared, globals: globals, threadCount: threads,
                                  operationsPerThread: total / threads, interval: Self.interval, seed: seed,
                                  maxPrivateObjects: 400, maxSharedObjects: 300)

        // The test's thread stays attached (its context is `main`) and waits inside `withoutCollector`, so it
        // counts as stopped for every collection the workers start.
        let started = Rendezvous(count: threads)
        let finished = DispatchSemaphore(value: 0)
        for t in run.threads {
            let thread = Thread {
                t.main(started: started)
                finished.signal()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        main.withoutCollector { for _ in 0..<threads { finished.wait() } }
        let events = log.events
        print(run.summary + ", \(events.filter { $0.kind == .collection }.count) stop-the-world collections, \(events.filter { $0.kind == .finalMark }.count) incremental cycles, \(events.filter { $0.kind == .markSlice }.count) mark slices")
        for failure in run.failures.withLock({ $0 }) { XCTFail(failure, file: file, line: line) }
        guard !run.failed else { return run }

        // Every worker has detached: only the global roots hold anything, and then nothing.
        for failure in main.takeCheckFailures() { XCTFail("\(label): \(failure)", file: file, line: line) }
        for g in globals { main.removeGlobalRoot(g) }
        main.collect()
        XCTAssertEqual(main.liveObjectCount, 0, "\(label): objects left after every root is gone", file: file, line: line)
        XCTAssertEqual(main.heapInUseBytes, 0, "\(label): bytes left after every root is gone", file: file, line: line)
        XCTAssertEqual(main.verify(), [], file: file, line: line)
        for failure in main.takeCheckFailures() { XCTFail("\(label): \(failure)", file: file, line: line) }
        let parallelMarks = main.statistics().extra["parallelMarks"] ?? 0
        if markThreads > 1 {
            XCTAssertGreaterThan(parallelMarks, 0, "\(label): pauses marked with \(markThreads) markers", file: file, line: line)
        } else {
            XCTAssertEqual(parallelMarks, 0, "\(label): one marker", file: file, line: line)
        }

        // What the run must have gone through, beyond the oracle's checks.
        XCTAssertEqual(run.operations, run.rounds * Self.interval * threads, "\(label): every operation ran", file: file, line: line)
        XCTAssertEqual(run.checks, run.rounds, "\(label): one check per rendezvous", file: file, line: line)
        let explicit = run.threads.reduce(0) { $0 + $1.explicitCollections }
        XCTAssertGreaterThan(explicit, 0, "\(label): explicit collections", file: file, line: line)
        XCTAssertGreaterThan(run.threads.reduce(0) { $0 + $1.crossEdges }, 0, "\(label): private-to-shared edges", file: file, line: line)
        XCTAssertGreaterThan(run.threads.reduce(0) { $0 + $1.blockedWaits }, 0, "\(label): blocked waits", file: file, line: line)
        for t in run.threads {
            XCTAssertGreaterThan(t.sharedOperations, 0, "\(label): thread \(t.index) used the shared graph", file: file, line: line)
        }
        let collections = events.filter { $0.kind == .collection }
        for e in collections where e.phases.first?.name != "safepoint" {
            XCTFail("\(label): collection \(e.cycle) has phases \(e.phases.map(\.name)), the first must be safepoint", file: file, line: line)
            break
        }
        if incremental {
            let finals = events.filter { $0.kind == .finalMark }.count
            XCTAssertGreaterThan(finals, 0, "\(label): incremental cycles ran to their end between rendezvous", file: file, line: line)
            if concurrent {
                // No slices: start pauses (one per cycle begun) and the background marker's and assists' work.
                XCTAssertGreaterThanOrEqual(events.filter { $0.kind == .markSlice }.count, finals, "\(label): start pauses", file: file, line: line)
                let extra = main.statistics().extra
                XCTAssertGreaterThan((extra["backgroundMarkChunks"] ?? 0) + (extra["assists"] ?? 0), 0,
                                     "\(label): marking beside the mutators", file: file, line: line)
            } else {
                XCTAssertGreaterThan(events.filter { $0.kind == .markSlice }.count, finals, "\(label): mark slices", file: file, line: line)
            }
        } else {
            // The rendezvous collections, the final one, the explicit ones, and the pacer's.
            XCTAssertGreaterThan(collections.count, run.checks + 1 + explicit, "\(label): the pacer collected too",
                                 file: file, line: line)
        }
        return run
    }

    /// Parallel marking and sweeping: every pause with two markers, checkmarked.
    func testTwoThreadsStopTheWorldParallelMarking() {
        runStress("2 threads, stop-the-world, 2 markers, eager sweep", threads: 2, seed: 31, incremental: false,
                  sweepMode: .eager, markThreads: 2)
    }

    func testFourThreadsStopTheWorld() {
        runStress("4 threads, stop-the-world, lazy sweep", threads: 4, seed: 32, incremental: false, sweepMode: .lazy)
    }

    /// Incremental cycles between explicit stop-the-world collections marked by three markers (more markers
    /// than processors here).
    func testTwoThreadsIncrementalThreeMarkers() {
        runStress("2 threads, incremental, 3 markers", threads: 2, seed: 33, incremental: true, markThreads: 3)
    }

    /// Concurrent cycles: the background marker and assists mark while two mutators mutate private and shared
    /// graphs; start and final pauses stop both; checkmarked.
    func testTwoThreadsConcurrent() {
        runStress("2 threads, concurrent", threads: 2, seed: 35, incremental: true, concurrent: true)
    }

    /// The release-build settings (no poisoning, no reference checks); verifier and checkmark still on.
    func testFourThreadsIncrementalWithoutDebugChecks() {
        runStress("4 threads, incremental, no debug checks", threads: 4, seed: 34, incremental: true, debugChecks: false)
    }
}
