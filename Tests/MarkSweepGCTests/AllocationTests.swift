import HeapLabCore
@testable import MarkSweepGC
import XCTest

final class AllocationTests: XCTestCase {
    func testObjectsStartZeroedAndKeepTheirShape() throws {
        let (heap, _) = makeTestHeap()
        for shape in [ObjectShape(referenceSlots: 0, payloadBytes: 0), ObjectShape(referenceSlots: 3, payloadBytes: 0),
                      ObjectShape(referenceSlots: 0, payloadBytes: 13), ObjectShape(referenceSlots: 2, payloadBytes: 8),
                      ObjectShape(referenceSlots: 100, payloadBytes: 1000), ObjectShape(referenceSlots: 5, payloadBytes: 20_000)] {
            let o = try heap.allocate(shape)
            heap.pushRoot(o)
            XCTAssertEqual(heap.shape(of: o), shape)
            for s in 0..<shape.referenceSlots { XCTAssertNil(heap.load(o, slot: s)) }
            for b in 0..<shape.payloadBytes { XCTAssertEqual(heap.loadPayload(o, byteOffset: b, as: UInt8.self), 0) }
        }
        XCTAssertEqual(heap.statistics().allocations, 6)
        XCTAssertEqual(heap.statistics().bytesRequested, 0 + 24 + 13 + 24 + 1800 + 20_040)
    }

    func testReusedCellsAreZeroedAgain() throws {
        let (heap, _) = makeTestHeap()
        let shape = ObjectShape(referenceSlots: 2, payloadBytes: 16)
        var first: Set<GCRef> = []
        for i in 0..<1000 {
            let o = try heap.allocate(shape)
            first.insert(o)
            heap.storePayload(o, byteOffset: 0, UInt64(i) | 0xFF00)
            heap.storePayload(o, byteOffset: 8, UInt64.max)
            heap.store(o, slot: 0, o)
        }
        heap.collect()  // nothing rooted: every cell is free again
        XCTAssertEqual(heap.liveObjectCount, 0)
        var reused = 0
        for _ in 0..<1000 {
            let o = try heap.allocate(shape)
            if first.contains(o) { reused += 1 }
            XCTAssertNil(heap.load(o, slot: 0))
            XCTAssertEqual(heap.loadPayload(o, byteOffset: 0, as: UInt64.self), 0)
            XCTAssertEqual(heap.loadPayload(o, byteOffset: 8, as: UInt64.self), 0)
        }
        XCTAssertEqual(reused, 1000, "the same cells are handed out again")
    }

    func testSlotsAndPayloadRoundTrip() throws {
        let (heap, _) = makeTestHeap()
        let a = try heap.allocate(ObjectShape(referenceSlots: 3, payloadBytes: 11))
        heap.pushRoot(a)
        let b = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 0))
        heap.store(a, slot: 2, b)
        heap.store(a, slot: 0, a)
        heap.storePayload(a, byteOffset: 2, 0x1122_3344_5566_7788 as UInt64)  // unaligned
        heap.storePayload(a, byteOffset: 10, 0xAB as UInt8)
        XCTAssertEqual(heap.load(a, slot: 2), b)
        XCTAssertEqual(heap.load(a, slot: 0), a)
        XCTAssertNil(heap.load(a, slot: 1))
        XCTAssertEqual(heap.loadPayload(a, byteOffset: 2, as: UInt64.self), 0x1122_3344_5566_7788)
        XCTAssertEqual(heap.loadPayload(a, byteOffset: 10, as: UInt8.self), 0xAB)
    }

    func testLargeObjectsLiveInTheirOwnMappings() throws {
        let (heap, _) = makeTestHeap()
        let big = try heap.allocate(ObjectShape(referenceSlots: 2000, payloadBytes: 100_000))
        heap.pushRoot(big)
        let small = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 8))
        heap.store(big, slot: 1999, small)
        heap.storePayload(big, byteOffset: 99_992, 42 as UInt64)
        XCTAssertEqual(heap.shared.largeObjects.count, 1)
        XCTAssertTrue(heap.shared.largeObjects.contains(object: big.address))
        heap.collect()
        XCTAssertEqual(heap.load(big, slot: 1999), small)
        XCTAssertEqual(heap.loadPayload(big, byteOffset: 99_992, as: UInt64.self), 42)
        XCTAssertEqual(heap.liveObjectCount, 2)
        heap.popRoots(to: 0)
        heap.collect()
        XCTAssertEqual(heap.shared.largeObjects.count, 0, "the unreachable large object is unmapped")
        XCTAssertEqual(heap.shared.largeObjects.mappedBytes, 0)
        XCTAssertEqual(heap.liveObjectCount, 0)
    }

    func testEveryObjectSizeAllocatesAndSurvives() throws {
        try forEachSweepMode { mode in
            let (heap, _) = makeTestHeap(minimumHeapBytes: 64 << 10, sweepMode: mode)
            let holder = try heap.allocate(ObjectShape(referenceSlots: 700, payloadBytes: 0))
            heap.pushRoot(holder)
            for i in 0..<700 {
                let payload = i * 13  // 0 ... 9087: every size class and the first large sizes
                let o = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: payload))
                heap.store(holder, slot: i, o)
                if payload >= 8 { heap.storePayload(o, byteOffset: payload - 8, UInt64(i)) }
            }
            heap.collect()
            for i in 0..<700 {
                let o = try XCTUnwrap(heap.load(holder, slot: i))
                XCTAssertEqual(heap.shape(of: o).payloadBytes, i * 13)
                if i * 13 >= 8 { XCTAssertEqual(heap.loadPayload(o, byteOffset: i * 13 - 8, as: UInt64.self), UInt64(i)) }
            }
            XCTAssertEqual(heap.liveObjectCount, 701)
        }
    }
}
