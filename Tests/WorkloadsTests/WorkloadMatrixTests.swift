import HeapLabCore
import SystemHeaps
import HeapLabTestSupport
import XCTest
@testable import Workloads

/// Every workload's own check, at its test size, on every manager this module can reach; and equal checksums
/// across managers (every workload is deterministic: seeded, and independent of the manager's choices).
final class WorkloadMatrixTests: XCTestCase {
    /// Runs every workload of the catalog (test sizes) on the manager `make` returns, each on a fresh manager;
    /// returns the checksums by workload name.
    static func runCatalog<M: MemoryManager>(_ make: (PauseLog) throws -> M) throws -> [String: UInt64] {
        var checksums: [String: UInt64] = [:]
        for type in WorkloadCatalog.all {
            checksums[type.name] = try runOne(type, make)
        }
        return checksums
    }

    static func runOne<W: Workload, M: MemoryManager>(_ type: W.Type, _ make: (PauseLog) throws -> M) throws -> UInt64 {
        let workload = try W.make(testSize: true)
        let log = PauseLog()
        let manager = try make(log)
        let context = RunContext(pauseLog: log, memorySampleIntervalNanoseconds: 1_000_000)
        do {
            let outcome = try workload.run(on: manager, context: context)
            XCTAssertGreaterThan(context.latency.count, 0, "\(W.name) on \(manager.name) recorded no operation")
            XCTAssertFalse(context.memorySamples.isEmpty, "\(W.name) on \(manager.name) took no memory sample")
            return outcome.checksum
        } catch {
            XCTFail("\(W.name) on \(manager.name): \(error)")
            throw error
        }
    }

    /// malloc's checksums: the reference for every other manager.
    static let reference: Result<[String: UInt64], any Error> = Result { try runCatalog { _ in MallocManager() } }

    func assertMatchesReference(_ checksums: [String: UInt64], _ manager: String) throws {
        let reference = try Self.reference.get()
        XCTAssertEqual(Set(checksums.keys), Set(WorkloadCatalog.all.map { $0.name }))
        for (name, checksum) in checksums {
            XCTAssertEqual(checksum, reference[name], "\(name): checksum on \(manager) differs from malloc's")
        }
    }

    /// Every workload's checksum at its test size, pinned. Recorded from the runs themselves (`heaplab run
    /// --workload W --manager M --test-size` printed the same values on malloc, gc and arena), not computed
    /// here; where a value can also be derived from the workload's definition the derivation is beside it.
    /// Every other manager is compared with malloc's run (`assertMatchesReference`), so these are what every
    /// manager must compute. A workload whose checksum changes on purpose updates its line here.
    static let pinnedChecksums: [String: UInt64] = [
        "gcbench": 27_046,
        "binary-trees": 25_774,
        "server": 13_803_115_530_592_528_739,
        // Each of the 40,000 objects (one per operation) is verified when it dies: the sum of ids 1...40,000.
        "fragmentation": 800_020_000,
        "cycles": 106_000,
        // The indices 0..<2,000 of the list, plus its length.
        "deep": 1_999 * 2_000 / 2 + 2_000,
        "deep-bigstack": 199_999 * 200_000 / 2 + 200_000,
        // 200 operations of one buffer and 8 small objects, every one verified: the sum of ids 1...1,800.
        "large-objects": 1_800 * 1_801 / 2,
    ]

    func testEveryWorkloadOnMallocComputesItsPinnedChecksum() throws {
        let checksums = try Self.reference.get()
        XCTAssertEqual(Set(Self.pinnedChecksums.keys), Set(WorkloadCatalog.all.map { $0.name }), "a workload without a pinned checksum")
        for type in WorkloadCatalog.all {
            XCTAssertEqual(checksums[type.name], Self.pinnedChecksums[type.name], "\(type.name) at test size on malloc")
        }
    }

    func testEveryWorkloadOnMallocFreesEverything() throws {
        for type in WorkloadCatalog.all {
            let manager = MallocManager()
            _ = try Self.runOne(type) { _ in manager }
            XCTAssertEqual(manager.statistics().liveBytes, 0, "\(type.name) left objects allocated on malloc")
        }
    }

    func testEveryWorkloadOnARC() throws {
        // cycles leaks its strong pass on ARC, on purpose: run where the leak dies with the process.
        guard try ChildProcess.isolated("WorkloadsTests.WorkloadMatrixTests/testEveryWorkloadOnARC") else { return }
        try assertMatchesReference(try Self.runCatalog { _ in ARCManager() }, "arc")
    }

    func testEveryWorkloadOnMimalloc() throws {
        guard MimallocAllocator.availability().isAvailable else {
            throw XCTSkip(MimallocAllocator.availability().description)
        }
        try assertMatchesReference(try Self.runCatalog { _ in try MimallocManager() }, "mimalloc")
    }

    func testEveryWorkloadOnJemalloc() throws {
        guard try ChildProcess.jemallocInThisProcess(orRun: "WorkloadsTests.WorkloadMatrixTests/testEveryWorkloadOnJemalloc") else { return }
        try assertMatchesReference(try Self.runCatalog { _ in try JemallocManager() }, "jemalloc")
    }

    func testEveryWorkloadOnBoehm() throws {
        guard BoehmManager.availability().isAvailable else { throw XCTSkip(BoehmManager.availability().description) }
        try assertMatchesReference(try Self.runCatalog { try BoehmManager(pauseLog: $0) }, "boehm")
    }

    func testCatalogNamesAreUniqueAndParametersResolve() throws {
        let names = WorkloadCatalog.all.map { $0.name }
        XCTAssertEqual(Set(names).count, names.count)
        for type in WorkloadCatalog.all {
            XCTAssertNotNil(WorkloadCatalog.named(type.name))
            for p in type.parameters {
                XCTAssertTrue(p.range.contains(p.defaultValue), "\(type.name).\(p.name) default out of range")
                XCTAssertTrue(p.range.contains(p.testValue), "\(type.name).\(p.name) test value out of range")
            }
            XCTAssertThrowsError(try type.resolve(["no-such-parameter": 1]))
        }
        XCTAssertThrowsError(try BinaryTrees.make(["depth": 0]))
        XCTAssertThrowsError(try Server.make(["entries": 0]))
        XCTAssertThrowsError(try Fragmentation.make(["liveMiB": -1]))
    }

    /// The largest values `heaplab list` documents make objects within `ObjectShape.maximumBytes`: the live-set
    /// tables of fragmentation and large-objects, and the server's bucket array.
    func testLargestDocumentedParametersFitTheObjectLimit() throws {
        func largest<W: Workload>(_ type: W.Type, _ name: String) throws -> Int {
            try XCTUnwrap(W.parameters.first { $0.name == name }).range.upperBound
        }
        let fragmentation = try largest(Fragmentation.self, "liveMiB")
        XCTAssertNoThrow(try ObjectShape.validated(referenceSlots: Fragmentation.tableSlots(liveBytes: fragmentation << 20), payloadBytes: 0))
        XCTAssertThrowsError(try ObjectShape.validated(referenceSlots: Fragmentation.tableSlots(liveBytes: 8704 << 20), payloadBytes: 0),
                             "the bound is the table's limit, 8,703 MiB: one more MiB must not fit")
        XCTAssertNoThrow(try Fragmentation.make(["liveMiB": fragmentation]))

        let large = try LargeObjects.make(["liveMiB": try largest(LargeObjects.self, "liveMiB"),
                                           "smallPerOp": try largest(LargeObjects.self, "smallPerOp")])
        XCTAssertNoThrow(try ObjectShape.validated(referenceSlots: large.tableSlots, payloadBytes: 0))

        let server = try Server.make(["entries": try largest(Server.self, "entries")])
        XCTAssertNoThrow(try ObjectShape.validated(referenceSlots: 1 << server.bucketBits, payloadBytes: 0))
        XCTAssertNoThrow(try ObjectShape.validated(referenceSlots: 0, payloadBytes: 3 * (try largest(Server.self, "valueBytes")) / 2))
    }
}
