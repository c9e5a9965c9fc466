import HeapLabCore
@testable import MarkSweepGC
import XCTest

final class LayoutTests: XCTestCase {
    func testSizeClassesAreGranuleMultiplesAndTight() {
        let sizes = SizeClasses.cellSizes
        XCTAssertEqual(sizes.first, 16)
        XCTAssertEqual(sizes.last, SizeClasses.maximumSmallCellBytes)
        XCTAssertEqual(sizes, sizes.sorted())
        for s in sizes { XCTAssertEqual(s % SizeClasses.granuleBytes, 0) }
        // Every request maps to the smallest class that fits it.
        for bytes in 0...SizeClasses.maximumSmallCellBytes {
            let c = SizeClasses.sizeClass(forBytes: bytes)
            XCTAssertGreaterThanOrEqual(sizes[c], bytes)
            if c > 0 { XCTAssertLessThan(sizes[c - 1], max(bytes, 1), "request \(bytes)") }
            if bytes > 128 { XCTAssertLessThanOrEqual(Double(sizes[c]), Double(bytes) * 1.25 + 16, "request \(bytes)") }
        }
        // GCBench's node: 24 bytes of object + 8 of header = one 32-byte cell.
        XCTAssertEqual(sizes[SizeClasses.sizeClass(forBytes: 8 + 24)], 32)
    }

    func testObjectHeaderRoundTripsShapesAndTellsFreeCells() {
        for shape in [ObjectShape(referenceSlots: 0, payloadBytes: 0), ObjectShape(referenceSlots: 2, payloadBytes: 8),
                      ObjectShape(referenceSlots: ObjectShape.maximumBytes / 8, payloadBytes: 0),
                      ObjectShape(referenceSlots: 0, payloadBytes: ObjectShape.maximumBytes),
                      ObjectShape(referenceSlots: 12345, payloadBytes: 777)] {
            let h = ObjectHeader(shape)
            XCTAssertTrue(h.isObject)
            XCTAssertEqual(h.shape, shape)
            XCTAssertEqual(h.objectBytes, 8 + shape.bytes)
        }
        // A free-list link (an address or 0) and the poison pattern are never taken for an object.
        XCTAssertFalse(ObjectHeader(bits: 0).isObject)
        XCTAssertFalse(ObjectHeader(bits: 0x0000_7FFF_FFFF_F000).isObject)
        XCTAssertFalse(ObjectHeader(bits: Poison.pattern).isObject)
    }

    func testBlockLayoutAndMarkBits() throws {
        let region = try XCTUnwrap(VirtualMemory.mapAligned(bytes: HeapLayout.blockBytes, alignment: HeapLayout.blockBytes))
        defer { VirtualMemory.unmap(region, bytes: HeapLayout.blockBytes) }
        XCTAssertEqual(UInt(bitPattern: region) % UInt(HeapLayout.blockBytes), 0, "aligned mapping")
        let block = Block(base: region)
        let c = SizeClasses.sizeClass(forBytes: 48)
        block.format(sizeClass: c, sweepEpoch: 0, poison: true)
        let h = block.header.pointee
        XCTAssertEqual(h.cellBytes, 48)
        XCTAssertEqual(h.cellCount, (HeapLayout.blockBytes - Block.firstCellOffset) / 48)
        XCTAssertEqual(h.freeCount, h.cellCount)
        // A formatted block is empty: no free list, every cell above the bump start, each poisoned.
        XCTAssertNil(h.freeList)
        XCTAssertEqual(h.bumpFrom, block.firstCell)
        XCTAssertEqual(block.cellsEnd, block.firstCell + h.cellCount * 48)
        XCTAssertLessThanOrEqual(block.cellsEnd, block.base + HeapLayout.blockBytes)
        func cell(_ index: Int) -> UnsafeMutableRawPointer { block.firstCell + index * h.cellBytes }
        for i in 0..<h.cellCount {
            XCTAssertFalse(ObjectHeader(bits: cell(i).load(as: UInt64.self)).isObject)
            XCTAssertNil(Poison.firstDamagedWord(cell(i), cellBytes: 48))
        }
        // Mark bits: set once, read back, independent per cell, cleared together.
        XCTAssertFalse(block.hasAnyMark())
        XCTAssertTrue(block.testAndSetMark(cell(5)))
        XCTAssertFalse(block.testAndSetMark(cell(5)), "second mark reports already marked")
        XCTAssertTrue(block.isMarked(cell(5)))
        XCTAssertFalse(block.isMarked(cell(4)))
        XCTAssertFalse(block.isMarked(cell(6)))
        XCTAssertTrue(block.isCellStart(cell(7)))
        XCTAssertFalse(block.isCellStart(cell(7) + 16))
        XCTAssertTrue(block.testAndSetMark(cell(9)))
        XCTAssertEqual(block.markCount(), 2)
        block.clearMarks()
        XCTAssertFalse(block.hasAnyMark())
        XCTAssertEqual(block.markCount(), 0)
    }

    func testRootStackGrowsAndPops() {
        var s = RootStack(initialCapacity: 2)
        defer { s.deallocate() }
        for i in 0..<100 { XCTAssertEqual(s.push(UnsafeMutableRawPointer(bitPattern: 16 * (i + 1))), i) }
        XCTAssertEqual(s.count, 100)
        XCTAssertEqual(s.entries[57], UnsafeMutableRawPointer(bitPattern: 16 * 58))
        s.set(3, nil)
        XCTAssertNil(s.entries[3])
        s.pop(to: 10)
        XCTAssertEqual(s.count, 10)
    }

    func testMarkStackGrowsAndOverflowsAtItsMaximum() {
        var s = MarkStack(initialCapacity: 2, maximumEntries: 8)
        defer { s.deallocate() }
        for i in 1...8 { s.push(UnsafeMutableRawPointer(bitPattern: 16 * i)!) }
        XCTAssertFalse(s.overflowed)
        s.push(UnsafeMutableRawPointer(bitPattern: 16 * 9)!)
        XCTAssertTrue(s.overflowed, "the ninth push is dropped and recorded")
        XCTAssertEqual(s.count, 8)
        XCTAssertEqual(s.pop(), UnsafeMutableRawPointer(bitPattern: 16 * 8))
    }

    func testPacerGoal() {
        var p = Pacer(gogc: 100, minimumHeapBytes: 4 << 20, limitBytes: nil)
        XCTAssertEqual(p.goalBytes, 4 << 20)
        p.update(liveBytes: 10 << 20)
        XCTAssertEqual(p.goalBytes, 20 << 20)
        XCTAssertTrue(p.shouldCollect(inUseBytes: 20 << 20))
        XCTAssertFalse(p.shouldCollect(inUseBytes: (20 << 20) - 1))
        let q = Pacer(gogc: 50, minimumHeapBytes: 0, limitBytes: 12 << 20)
        XCTAssertEqual(q.goal(forLiveBytes: 10 << 20), 12 << 20, "capped at the limit")
        XCTAssertEqual(q.goal(forLiveBytes: 4 << 20), 6 << 20)
        let off = Pacer(gogc: nil, minimumHeapBytes: 0, limitBytes: nil)
        XCTAssertEqual(off.goal(forLiveBytes: 1 << 30), Int.max)
    }

    func testTraceLineFormat() {
        let event = PauseEvent(kind: .collection, cycle: 7, startNanoseconds: 1_000_000_000, durationNanoseconds: 2_400_000,
                               phases: [PhaseTime("safepoint", nanoseconds: 12_000), PhaseTime("roots", nanoseconds: 4_000), PhaseTime("mark", nanoseconds: 1_500_000),
                                        PhaseTime("sweep", nanoseconds: 996_000)],
                               heapBytesBefore: 17 << 20, heapBytesAfter: 8 << 20, objectsMarked: 1234,
                               bytesMarked: 8 << 20, cellsFreed: 99)
        let line = GCTrace.line(for: event, heapCreated: 500_000_000, totalPauseNanoseconds: 20_000_000,
                                footprintBytes: 9 << 20, goalBytes: 16 << 20, sweepMode: .eager, reason: "pacer")
        XCTAssertEqual(line, "gc 7 @0.502s 4%: 0.012+0.000+0.004+1.500+0.996 ms stw+fin+roots+mark+sweep, 17.0->9.0->8.0 MiB, 16.0 MiB goal, 1234 objects, 99 freed, eager pacer")
        // A pause marked by several threads also shows the CPU time of the collecting thread and its helpers.
        var parallel = event
        parallel.cpuNanoseconds = 2_300_000
        parallel.collectorThreadsCPUNanoseconds = 1_250_000
        let parallelLine = GCTrace.line(for: parallel, heapCreated: 500_000_000, totalPauseNanoseconds: 20_000_000,
                                        footprintBytes: 9 << 20, goalBytes: 16 << 20, sweepMode: .eager, reason: "pacer")
        XCTAssertEqual(parallelLine, "gc 7 @0.502s 4%: 0.012+0.000+0.004+1.500+0.996 ms stw+fin+roots+mark+sweep, 2.300+1.250 ms cpu collector+helpers, 17.0->9.0->8.0 MiB, 16.0 MiB goal, 1234 objects, 99 freed, eager pacer")
    }
}

extension Error {
    var message: String { (self as? ParameterError)?.message ?? "\(self)" }
}
