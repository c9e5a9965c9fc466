import XCTest
import HeapLabCore
import SystemHeaps

final class MallocManagerTests: XCTestCase {
    func testSlotsAndPayload() throws {
        let m = MallocManager()
        try ManagerContractChecks.slotsAndPayload(m)
        XCTAssertEqual(m.statistics().liveBytes, 0, "every object the checks made was freed")
    }

    func testStatisticsCountEveryByte() throws {
        let m = MallocManager()
        let a = try m.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 8))
        let b = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 100))
        var s = m.statistics()
        XCTAssertEqual(s.allocations, 2)
        XCTAssertEqual(s.bytesRequested, 24 + 100)
        XCTAssertEqual(s.liveBytes, (8 + 24) + (8 + 100), "each block has an 8-byte header")
        m.free(a)
        s = m.statistics()
        XCTAssertEqual(s.liveBytes, 8 + 100)
        m.free(b)
        s = m.statistics()
        XCTAssertEqual(s.liveBytes, 0)
        XCTAssertEqual(s.allocations, 2, "allocations count up, frees do not undo them")
    }

    func testDropTreeFreesEveryNode() throws {
        let m = MallocManager()
        let tree = try ManagerContractChecks.makeTree(m, depth: 12)
        XCTAssertEqual(m.statistics().allocations, (1 << 13) - 1)
        XCTAssertEqual(m.statistics().liveBytes, ((1 << 13) - 1) * (8 + 24))
        m.dropTree(tree)
        XCTAssertEqual(m.statistics().liveBytes, 0)
    }

    func testDropTreeOfALongListDoesNotRecurse() throws {
        let m = MallocManager()
        // Deep enough that a recursive free would overflow a 512 KiB thread stack.
        let list = try ManagerContractChecks.makeList(m, count: 300_000)
        m.dropTree(list)
        XCTAssertEqual(m.statistics().liveBytes, 0)
    }

    func testRootingIsFree() throws {
        let m = MallocManager()
        let a = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 0))
        XCTAssertEqual(m.rootDepth, 0)
        m.pushRoot(a)
        XCTAssertEqual(m.rootDepth, 0, "malloc keeps no roots")
        m.popRoots(to: 0)
        try ManagerContractChecks.scopeFreesNothing(m)
        XCTAssertEqual(m.reclamation, .explicitFree)
        XCTAssertTrue(m.reclamation.dropsStall)
        XCTAssertTrue(m.reclamation.freesBeforeScopeEnd)
        XCTAssertEqual(m.name, "malloc")
        m.free(a)
    }
}
