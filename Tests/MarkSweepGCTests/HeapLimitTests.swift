import HeapLabCore
@testable import MarkSweepGC
import XCTest

final class HeapLimitTests: XCTestCase {
    func testLimitThrowsWithTheRightFiguresAndTheHeapStaysUsable() throws {
        try forEachSweepMode { mode in
            let limit = 2 << 20
            let (heap, _) = makeTestHeap(minimumHeapBytes: 256 << 10, heapLimitBytes: limit, sweepMode: mode)
            let shape = ObjectShape(referenceSlots: 1, payloadBytes: 8)  // a 32-byte cell
            let head = try heap.allocate(shape)
            let rootIndex = heap.pushRoot(head)
            var count = 1
            var caught: AllocationError?
            while caught == nil {
                do {
                    let node = try heap.allocate(shape)
                    heap.store(node, slot: 0, heap.root(at: rootIndex))
                    heap.setRoot(rootIndex, node)
                    count += 1
                    _ = try heap.allocate(shape)  // garbage between the live nodes
                } catch {
                    caught = (error as? AllocationError) ?? .invalidRequest("unexpected \(error)")
                }
                XCTAssertLessThanOrEqual(heap.statistics().heapBytes!, limit, "footprint never passes the limit")
            }
            guard case let .outOfMemory(requested, live, limitBytes) = caught else {
                return XCTFail("expected outOfMemory, got \(String(describing: caught))")
            }
            XCTAssertEqual(requested, 32, "one cell")
            XCTAssertEqual(limitBytes, limit)
            XCTAssertEqual(live, count * 32, "a full collection ran: what is in use is exactly the live chain")
            XCTAssertGreaterThan(count, 50_000, "the heap filled most of its 32 blocks with live cells")
            XCTAssertGreaterThan(heap.statistics().extra["limitCollections"]!, 0)

            // Usable afterwards: drop the chain, allocate again, everything checks.
            heap.popRoots(to: 0)
            let fresh = try heap.allocate(shape)
            heap.pushRoot(fresh)
            for _ in 0..<100_000 { _ = try heap.allocate(shape) }
            XCTAssertTrue(heap.isLive(fresh))
            XCTAssertTrue(heap.verify().isEmpty)
        }
    }

    func testLargeRequestAboveTheLimitThrowsAndChangesNothing() throws {
        let limit = 1 << 20
        let (heap, _) = makeTestHeap(heapLimitBytes: limit)
        let keep = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 100_000))
        heap.pushRoot(keep)
        XCTAssertThrowsError(try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 2 << 20))) { error in
            guard case let .outOfMemory(requested, live, limitBytes)? = error as? AllocationError else {
                return XCTFail("expected outOfMemory, got \(error)")
            }
            XCTAssertEqual(requested, LargeObjectSpace.mappingBytes(forObjectBytes: 8 + (2 << 20)))
            XCTAssertEqual(live, 100_008)
            XCTAssertEqual(limitBytes, limit)
        }
        XCTAssertTrue(heap.isLive(keep))
        _ = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 500_000))
        XCTAssertTrue(heap.verify().isEmpty)
    }
}
