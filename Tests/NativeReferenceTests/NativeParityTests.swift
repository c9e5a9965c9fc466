import HeapLabCore
import HeapLabTestSupport
import NativeReference
import ScopedArena
import SystemHeaps
import XCTest
@testable import Workloads

/// The C programs against the Swift workloads, family by family, on every parameter set of `ParameterSets`:
/// the same checksum, operations, allocations and requested bytes as the Swift workload on `MallocManager`; the
/// same memory sample points (live bytes and where a sample is forced); the same stalls, label by label, as the
/// Swift manager of the same family (malloc's drops, the arena's scope ends, none for a collector).
final class NativeParityTests: XCTestCase {
    /// Compares every parameter set of both programs on `family` with `allocator`; `stallReference` makes the
    /// Swift manager whose stalls the family must match. `afterEach` runs after each C run (leak checks).
    func assertParity<M: MemoryManager>(_ family: hl_native_family, allocator: hl_native_allocator? = nil,
                                        stallReference: (PauseLog) throws -> M, afterEach: () -> Void = {},
                                        file: StaticString = #filePath, line: UInt = #line) throws {
        for given in ParameterSets.gcbench {
            try compare(GCBench.self, given, .gcbench(try GCBench.resolve(given, testSize: true)), family, allocator,
                        stallReference, afterEach, file: file, line: line)
        }
        for given in ParameterSets.binaryTrees {
            try compare(BinaryTrees.self, given, .binaryTrees(try BinaryTrees.resolve(given, testSize: true)), family,
                        allocator, stallReference, afterEach, file: file, line: line)
        }
    }

    func compare<W: Workload, M: MemoryManager>(_ type: W.Type, _ given: [String: Int], _ program: NativeProgram,
                                                 _ family: hl_native_family, _ allocator: hl_native_allocator?,
                                                 _ stallReference: (PauseLog) throws -> M, _ afterEach: () -> Void,
                                                 file: StaticString, line: UInt) throws {
        let label = "\(W.name) \(given.isEmpty ? "test size" : given.description) family \(family.rawValue)"
        let workload = try W.make(given, testSize: true)
        var expected = try SwiftReference.run(workload, on: MallocManager(), log: PauseLog())
        let log = PauseLog()
        expected.stalls = try SwiftReference.run(workload, on: try stallReference(log), log: log).stalls
        let forcedSamples = try SwiftReference.run(workload, on: MallocManager(), log: PauseLog(), longSampleInterval: true)

        let run = runNative(program, family, allocator: allocator)
        afterEach()
        XCTAssertEqual(run.status, Int32(HL_NATIVE_OK), "\(label): \(run.message)", file: file, line: line)
        XCTAssertEqual(run.message, "", label, file: file, line: line)
        XCTAssertEqual(run.summary, expected, label, file: file, line: line)
        let recorder = try XCTUnwrap(run.recorder)
        XCTAssertEqual(recorder.forcedSamples + 1, forcedSamples.sampleLiveBytes.count,
                       "\(label): forced memory samples (the Swift run's first sample is taken before it)", file: file, line: line)
        // The C clock is MonotonicClock's: every stall lies inside the run, and operations add up to less than it.
        for stall in recorder.stalls {
            XCTAssertTrue(stall.start >= run.before && stall.start &+ stall.duration <= run.after,
                          "\(label): stall \(stall) outside the run [\(run.before), \(run.after)]", file: file, line: line)
        }
        XCTAssertLessThanOrEqual(recorder.operationNanoseconds, run.after - run.before, label, file: file, line: line)

        // Without hooks: the same work, nothing reported.
        let quiet = runNative(program, family, allocator: allocator, hooks: false)
        afterEach()
        XCTAssertEqual(quiet.status, Int32(HL_NATIVE_OK), "\(label) without hooks: \(quiet.message)", file: file, line: line)
        XCTAssertEqual([quiet.summary.checksum, UInt64(quiet.summary.allocations), UInt64(quiet.summary.bytesRequested)],
                       [expected.checksum, UInt64(expected.allocations), UInt64(expected.bytesRequested)],
                       "\(label) without hooks", file: file, line: line)
    }

    /// The counting allocator has every block back after a run.
    func assertNothingOutstanding(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(TestAllocators.outstanding, 0, "blocks not freed", file: file, line: line)
        TestAllocators.reset()
    }

    func testMallocFamily() throws {
        try assertParity(HL_NATIVE_MALLOC, stallReference: { _ in MallocManager() })
    }

    func testArenaFamily() throws {
        try assertParity(HL_NATIVE_ARENA, stallReference: { ArenaManager(pauseLog: $0) })
    }

    /// The arena over a chunk source: every chunk goes back when the program returns.
    func testArenaFamilyOverAChunkSource() throws {
        TestAllocators.reset()
        try assertParity(HL_NATIVE_ARENA, allocator: TestAllocators.counting, stallReference: { ArenaManager(pauseLog: $0) },
                         afterEach: { assertNothingOutstanding() })
    }

    /// glibc's malloc and free through function pointers: every node freed.
    func testFunctionsFamilyOnGlibc() throws {
        TestAllocators.reset()
        try assertParity(HL_NATIVE_FUNCTIONS, allocator: TestAllocators.counting, stallReference: { _ in MallocManager() },
                         afterEach: { assertNothingOutstanding() })
    }

    func testFunctionsFamilyOnMimalloc() throws {
        guard MimallocAllocator.availability().isAvailable else { throw XCTSkip(MimallocAllocator.availability().description) }
        let f = try MimallocAllocator.cFunctions()
        try assertParity(HL_NATIVE_FUNCTIONS, allocator: hl_native_allocator(malloc: f.malloc, free: f.free, malloc_atomic: nil),
                         stallReference: { _ in try MimallocManager() })
    }

    func testFunctionsFamilyOnJemalloc() throws {
        guard try ChildProcess.jemallocInThisProcess(orRun: "NativeReferenceTests.NativeParityTests/testFunctionsFamilyOnJemalloc")
        else { return }
        let f = try JemallocAllocator.cFunctions()
        try assertParity(HL_NATIVE_FUNCTIONS, allocator: hl_native_allocator(malloc: f.malloc, free: f.free, malloc_atomic: nil),
                         stallReference: { _ in try JemallocManager() })
    }

    func testCollectorFamilyOnBoehm() throws {
        guard BoehmManager.availability().isAvailable else { throw XCTSkip(BoehmManager.availability().description) }
        let f = try BoehmManager.cFunctions()
        XCTAssertNil(f.free, "a collector frees nothing by hand")
        XCTAssertNotNil(f.mallocAtomic)
        try assertParity(HL_NATIVE_COLLECTOR, allocator: hl_native_allocator(malloc: f.malloc, free: nil, malloc_atomic: f.mallocAtomic),
                         stallReference: { try BoehmManager(pauseLog: $0) })
    }

    /// Boehm's roots are the C stack: with a heap far larger than the live data, collections run during the
    /// program, and every tree and the long-lived data still check out (walked node by node).
    func testCollectorFamilyOnBoehmCollectsAndKeepsLiveData() throws {
        guard BoehmManager.availability().isAvailable else { throw XCTSkip(BoehmManager.availability().description) }
        let f = try BoehmManager.cFunctions()
        let manager = try BoehmManager(pauseLog: PauseLog())  // for Boehm's own counters
        let before = manager.statistics().extra["collections"] ?? 0
        let given = ["stretchDepth": 16, "longLivedDepth": 14, "arraySize": 100_000, "minDepth": 4, "maxDepth": 14, "walkTrees": 1]
        let run = runNative(.gcbench(try GCBench.resolve(given)), HL_NATIVE_COLLECTOR,
                            allocator: hl_native_allocator(malloc: f.malloc, free: nil, malloc_atomic: f.mallocAtomic), hooks: false)
        XCTAssertEqual(run.status, Int32(HL_NATIVE_OK), run.message)
        let after = manager.statistics().extra["collections"] ?? 0
        XCTAssertGreaterThan(after, before, "about 100 MB allocated: Boehm must have collected")
        let expected = try SwiftReference.run(try GCBench.make(given), on: MallocManager(), log: PauseLog())
        XCTAssertEqual(run.summary.checksum, expected.checksum)
    }
}
