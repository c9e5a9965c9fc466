import HeapLabCore
import SystemHeaps
import XCTest
@testable import Workloads

/// The workloads' lifetime discipline, checked against two unforgiving stand-ins: a precise collector that
/// collects (and poisons what it frees) every few hundred allocations, and a heap that frees (and poisons)
/// everything a scope allocated when the scope ends, as the arena does. Same checksums as malloc's.
final class DisciplineTests: XCTestCase {
    func testEveryWorkloadRootsWhatItHoldsAcrossAllocations() throws {
        let reference = try WorkloadMatrixTests.reference.get()
        for type in WorkloadCatalog.all {
            let collector = CheckingCollector(minimumInterval: 200)
            let checksum = try WorkloadMatrixTests.runOne(type) { _ in collector }
            XCTAssertEqual(checksum, reference[type.name], "\(type.name) on the checking collector")
            XCTAssertGreaterThan(collector.collections, 0, "\(type.name): the checking collector never ran")
            XCTAssertEqual(collector.rootDepth, 0, "\(type.name) left roots pushed")
        }
    }

    func testEveryWorkloadKeepsNoReferencePastItsScope() throws {
        let reference = try WorkloadMatrixTests.reference.get()
        for type in WorkloadCatalog.all {
            let heap = ScopeFreeingHeap()
            let checksum = try WorkloadMatrixTests.runOne(type) { _ in heap }
            XCTAssertEqual(checksum, reference[type.name], "\(type.name) on the scope-freeing heap")
        }
    }

    func testArenaWorkaroundsAreNamedInTheOutcome() throws {
        for workload in [try Server.make(testSize: true) as any Workload, try Fragmentation.make(testSize: true),
                         try LargeObjects.make(testSize: true)] {
            let heap = ScopeFreeingHeap()
            let outcome = try workload.run(on: heap, context: RunContext(pauseLog: PauseLog()))
            XCTAssertTrue(outcome.notes.contains { $0.hasPrefix("arena workaround") }, "\(type(of: workload).name): \(outcome.notes)")
            XCTAssertGreaterThan(heap.statistics().extra["scopesEnded"] ?? 0, 1)
        }
        let heap = ScopeFreeingHeap()
        let outcome = try Server.make(testSize: true).run(on: heap, context: RunContext(pauseLog: PauseLog()))
        XCTAssertGreaterThan(outcome.metrics["rebuilds"] ?? 0, 0)
        XCTAssertGreaterThan(outcome.metrics["bytesCopiedInRebuilds"] ?? 0, 0)
    }
}
