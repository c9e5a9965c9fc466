import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// The verifier must find what it claims to check: each test breaks one invariant behind the heap's back.
final class VerifierTests: XCTestCase {
    func makeHeapWithGarbage() throws -> (GCHeap, GCRef, GCRef) {
        let (heap, _) = makeTestHeap(verify: false)
        let shape = ObjectShape(referenceSlots: 1, payloadBytes: 16)
        let live = try heap.allocate(shape)
        heap.pushRoot(live)
        let dead = try heap.allocate(shape)
        heap.collect()
        XCTAssertEqual(heap.verify(), [])
        return (heap, live, dead)
    }

    func testFindsAWriteIntoAFreedCell() throws {
        let (heap, _, dead) = try makeHeapWithGarbage()
        dead.address.storeBytes(of: 1 as UInt64, toByteOffset: 16, as: UInt64.self)
        XCTAssertTrue(heap.verify().contains { $0.contains("lost its poison") }, "\(heap.verify())")
    }

    func testFindsAMarkBitLeftBetweenCycles() throws {
        let (heap, live, _) = try makeHeapWithGarbage()
        _ = Block(containing: live.address).testAndSetMark(live.address)
        XCTAssertTrue(heap.verify().contains { $0.contains("set between cycles") }, "\(heap.verify())")
    }

    func testFindsAFreeCellReachableFromTheRoots() throws {
        let (heap, live, dead) = try makeHeapWithGarbage()
        // A store that bypasses the heap (and its checks): the live object now points at a reclaimed cell.
        live.address.storeBytes(of: dead.address, toByteOffset: 8, as: UnsafeMutableRawPointer.self)
        let problems = heap.verify()
        XCTAssertTrue(problems.contains { $0.contains("reachable from the roots") && $0.contains("free cell") }, "\(problems)")
    }

    func testFindsACorruptFreeList() throws {
        let (heap, _, dead) = try makeHeapWithGarbage()
        dead.address.storeBytes(of: dead.address, as: UnsafeMutableRawPointer.self)  // a one-cell cycle
        XCTAssertTrue(heap.verify().contains { $0.contains("twice") }, "\(heap.verify())")
    }

    func testFindsWrongAccounting() throws {
        let (heap, _, _) = try makeHeapWithGarbage()
        heap.shared.inUseBytes += 16
        XCTAssertTrue(heap.verify().contains { $0.contains("heap in use") })
    }

    func testReferenceProblemsAreNamed() throws {
        let (heap, live, dead) = try makeHeapWithGarbage()
        XCTAssertNil(heap.referenceProblem(live))
        XCTAssertTrue(heap.referenceProblem(dead)!.contains("free cell"))
        XCTAssertTrue(heap.referenceProblem(GCRef(live.address + 16))!.contains("not the start of an object"))
        let outside = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { outside.deallocate() }
        XCTAssertTrue(heap.referenceProblem(GCRef(outside))!.contains("not a heap object"))
    }

    func testLazyModeSeesUnsweptGarbageAsReclaimed() throws {
        let (heap, _) = makeTestHeap(sweepMode: .lazy)
        let shape = ObjectShape(referenceSlots: 0, payloadBytes: 8)
        let live = try heap.allocate(shape)
        heap.pushRoot(live)
        let dead = try heap.allocate(shape)
        heap.collect()
        XCTAssertTrue(heap.shared.needsSweep(Block(containing: dead.address)))
        XCTAssertTrue(heap.referenceProblem(dead)!.contains("unreachable"))
        XCTAssertNil(heap.referenceProblem(live))
        XCTAssertEqual(heap.verify(), [])
    }
}
