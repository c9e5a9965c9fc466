import HeapLabCore
import SystemHeaps
import HeapLabTestSupport
import XCTest

/// ARC's additions for the cycles workload: weak slots (`storeWeak`) and the live-object counters.
final class ARCWeakReferenceTests: XCTestCase {
    func testWeakSlotsDoNotKeepTargetsAlive() throws {
        let arc = ARCManager()
        let shape = ObjectShape(referenceSlots: 2, payloadBytes: 8)
        let beforeObjects = ARCLiveObjects.count, beforeBytes = ARCLiveObjects.bytes
        let holder = try arc.allocate(shape)
        var target: ARCObject? = try arc.allocate(shape)
        arc.storePayload(target!, byteOffset: 0, UInt64(7))
        arc.storeWeak(holder, slot: 1, target)
        arc.store(holder, slot: 0, target)
        XCTAssertEqual(ARCLiveObjects.count, beforeObjects + 2)
        XCTAssertEqual(ARCLiveObjects.bytes, beforeBytes + 2 * shape.bytes)
        XCTAssertEqual(arc.load(holder, slot: 1), target, "a weak slot loads its live target")
        XCTAssertEqual(arc.loadPayload(arc.load(holder, slot: 1)!, byteOffset: 0, as: UInt64.self), 7)

        arc.store(holder, slot: 0, nil)
        target = nil
        XCTAssertNil(arc.load(holder, slot: 1), "a weak slot is nil once its target died")
        XCTAssertEqual(ARCLiveObjects.count, beforeObjects + 1)
        XCTAssertEqual(arc.statistics().liveBytes, ARCLiveObjects.bytes)
        arc.storeWeak(holder, slot: 1, nil)
        XCTAssertNil(arc.load(holder, slot: 1))
    }

    func testStrongCycleLeaksAndWeakBackReferenceDoesNot() throws {
        guard try ChildProcess.isolated("SystemHeapsTests.ARCWeakReferenceTests/testStrongCycleLeaksAndWeakBackReferenceDoesNot") else { return }
        let arc = ARCManager()
        let shape = ObjectShape(referenceSlots: 1, payloadBytes: 0)
        let before = ARCLiveObjects.count
        do {
            let a = try arc.allocate(shape), b = try arc.allocate(shape)
            arc.store(a, slot: 0, b)
            arc.store(b, slot: 0, a)
        }
        XCTAssertEqual(ARCLiveObjects.count, before + 2, "a strong cycle is never freed")
        do {
            let a = try arc.allocate(shape), b = try arc.allocate(shape)
            arc.store(a, slot: 0, b)
            arc.storeWeak(b, slot: 0, a)
        }
        XCTAssertEqual(ARCLiveObjects.count, before + 2, "a weak back reference breaks the cycle")
        XCTAssertEqual(arc.reclamation, .referenceCounting)
    }

    func testDefaultStoreWeakIsAPlainStoreElsewhere() throws {
        let malloc = MallocManager()
        let a = try malloc.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0))
        malloc.storeWeak(a, slot: 0, a)
        XCTAssertEqual(malloc.load(a, slot: 0), a)
        malloc.free(a)
    }
}
