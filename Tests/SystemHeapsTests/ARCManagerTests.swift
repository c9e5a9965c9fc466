import XCTest
import HeapLabCore
import SystemHeaps

/// A weak reference: nil once the object it watched is deinitialized, the independent witness that ARC freed it.
private struct Watch {
    weak var object: ARCObject?
}

final class ARCManagerTests: XCTestCase {
    func testSlotsAndPayload() throws {
        try ManagerContractChecks.slotsAndPayload(ARCManager())
    }

    func testStatistics() throws {
        let m = ARCManager()
        let before = try XCTUnwrap(m.statistics().liveBytes, "ARC counts live bytes through its deinit")
        var a: ARCObject? = try m.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 8))
        let b = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 100))
        let s = m.statistics()
        XCTAssertEqual(s.allocations, 2)
        XCTAssertEqual(s.bytesRequested, 124)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(s.liveBytes) - before, 124, "both objects are live")
        a = nil
        XCTAssertLessThan(try XCTUnwrap(m.statistics().liveBytes), try XCTUnwrap(s.liveBytes), "the deinit of a uncounted it")
        withExtendedLifetime((a, b)) {}
    }

    /// Weak references to every node of a tree.
    private func watchAll(_ m: ARCManager, _ root: ARCObject) -> [Watch] {
        var watches: [Watch] = []
        var stack = [root]
        while let node = stack.popLast() {
            watches.append(Watch(object: node))
            for slot in 0..<m.shape(of: node).referenceSlots {
                if let child = m.load(node, slot: slot) { stack.append(child) }
            }
        }
        return watches
    }

    private func makeWatchedTree(_ m: ARCManager, depth: Int) throws -> (ARCObject, [Watch]) {
        let tree = try ManagerContractChecks.makeTree(m, depth: depth)
        return (tree, watchAll(m, tree))
    }

    func testDropTreeDeinitializesEveryNode() throws {
        let m = ARCManager()
        let (tree, watches) = try makeWatchedTree(m, depth: 10)
        XCTAssertEqual(watches.count, (1 << 11) - 1)
        XCTAssertEqual(watches.filter { $0.object != nil }.count, watches.count)
        m.dropTree(consume tree)
        XCTAssertEqual(watches.filter { $0.object != nil }.count, 0, "the last release of the root frees the whole tree")
    }

    func testSubtreeHeldElsewhereSurvives() throws {
        let m = ARCManager()
        let (tree, watches) = try makeWatchedTree(m, depth: 4)
        var kept: ARCObject? = m.load(tree, slot: 0)
        m.dropTree(consume tree)
        // The left subtree (2^4 - 1 = 15 nodes) is still referenced; the root and right subtree (16 nodes) died.
        XCTAssertEqual(watches.filter { $0.object != nil }.count, 15)
        XCTAssertEqual(m.loadPayload(kept!, byteOffset: 0, as: Int64.self), 3)
        kept = nil
        XCTAssertEqual(watches.filter { $0.object != nil }.count, 0)
    }

    /// ARC's known limit, stated as a test: strong cycles are never freed by dropping them.
    func testStrongCyclesLeak() throws {
        let m = ARCManager()
        var a: ARCObject? = try m.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0))
        let b = try m.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0))
        m.store(a!, slot: 0, b)
        m.store(b, slot: 0, a)
        let watchA = Watch(object: a), watchB = Watch(object: b)
        a = nil
        XCTAssertNotNil(watchA.object, "a is kept alive by b")
        m.store(b, slot: 0, nil)  // breaking the cycle by hand frees a
        XCTAssertNil(watchA.object)
        XCTAssertNotNil(watchB.object)
    }

    func testDropTreeOfAModestListFreesIt() throws {
        let m = ARCManager()
        // ARC's release cascade recurses once per node, so keep the list short of stack limits here; the
        // `deep` workload measures where it breaks.
        let list = try ManagerContractChecks.makeList(m, count: 2_000)
        let watch = Watch(object: m.load(list, slot: 0))
        m.dropTree(consume list)
        XCTAssertNil(watch.object)
    }
}
