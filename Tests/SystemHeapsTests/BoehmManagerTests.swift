import HeapLabCore
import SystemHeaps
import XCTest

final class BoehmManagerTests: XCTestCase {
    func makeManager(_ log: PauseLog) throws -> BoehmManager {
        guard BoehmManager.availability().isAvailable else { throw XCTSkip(BoehmManager.availability().description) }
        return try BoehmManager(pauseLog: log)
    }

    func testRootedDataSurvivesCollectionsAndCollectionsAreLogged() throws {
        let log = PauseLog()
        let gc = try makeManager(log)
        let base = gc.rootDepth
        // A rooted list of 1,000 nodes, each with its index...
        var head = try gc.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8))
        let root = gc.pushRoot(head)
        for i in 1..<1_000 {
            let node = try gc.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8))
            gc.storePayload(node, byteOffset: 0, UInt64(i))
            gc.store(node, slot: 0, head)
            gc.setRoot(root, node)
            head = node
        }
        // ...then 200 MB of garbage, which must cause collections.
        let before = gc.statistics().extra["collections"] ?? 0
        for _ in 0..<50_000 {
            let garbage = try gc.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 4_000))
            gc.storePayload(garbage, byteOffset: 0, UInt64.max)
        }
        gc.collect()
        let after = gc.statistics().extra["collections"] ?? 0
        XCTAssertGreaterThan(after, before)
        let collections = log.events.filter { $0.kind == .collection }
        XCTAssertFalse(collections.isEmpty, "Boehm's collections must reach the pause log")
        XCTAssertTrue(collections.allSatisfy { $0.durationNanoseconds > 0 && $0.phases.contains { $0.name == "mark" } })
        // Boehm's heap stays far below the 200 MB allocated: the garbage was reclaimed.
        XCTAssertLessThan(gc.statistics().heapBytes ?? .max, 100 << 20)

        var count = 0, expected: UInt64 = 999
        var cursor: BoehmRef? = head
        while let node = cursor {
            XCTAssertEqual(gc.loadPayload(node, byteOffset: 0, as: UInt64.self), expected)
            expected &-= 1
            count += 1
            cursor = gc.load(node, slot: 0)
        }
        XCTAssertEqual(count, 1_000)
        gc.popRoots(to: base)
        XCTAssertEqual(gc.rootDepth, base)
    }

    func testRootStackGrowsAndScopesPopRoots() throws {
        let gc = try makeManager(PauseLog())
        let base = gc.rootDepth
        try gc.withScope {
            for i in 0..<5_000 {
                let object = try gc.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 16))
                gc.storePayload(object, byteOffset: 0, i)
                XCTAssertEqual(gc.pushRoot(object), base + i)
            }
            XCTAssertEqual(gc.rootDepth, base + 5_000)
        }
        XCTAssertEqual(gc.rootDepth, base)
        XCTAssertEqual(gc.reclamation, .tracing)
    }

    func testSlotlessObjectsAreZeroed() throws {
        let gc = try makeManager(PauseLog())
        for _ in 0..<100 {
            let object = try gc.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 256))
            for offset in stride(from: 0, to: 256, by: 8) { XCTAssertEqual(gc.loadPayload(object, byteOffset: offset, as: UInt64.self), 0) }
            for offset in stride(from: 0, to: 256, by: 8) { gc.storePayload(object, byteOffset: offset, UInt64.max) }
        }
    }

    /// The first 15 shapes travel in the reference's low bits (no header), the rest have a header; objects of
    /// both kinds, linked only through each other's slots, survive forced collections with their slots and
    /// payloads intact.
    func testTaggedAndHeadedObjectsSurviveCollections() throws {
        let gc = try makeManager(PauseLog())
        let base = gc.rootDepth
        let shapes = (0..<24).map { ObjectShape(referenceSlots: 1 + $0 % 3, payloadBytes: 8 * (1 + $0)) }
        var head: BoehmRef? = nil
        gc.pushRoot(nil)
        for round in 0..<200 {
            for (i, shape) in shapes.enumerated() {
                let object = try gc.allocate(shape)
                XCTAssertEqual(gc.shape(of: object), shape)
                XCTAssertEqual(object.bits & 15 != 0, i < 15, "shape \(i): tagged exactly when it is among the first 15")
                gc.store(object, slot: 0, head)
                gc.storePayload(object, byteOffset: shape.payloadBytes - 8, UInt64(round * 100 + i))
                head = object
                gc.setRoot(base, head)
            }
            if round % 50 == 49 { gc.collect() }
        }
        gc.collect()
        var count = 0
        var cursor = head
        while let object = cursor {
            let shape = gc.shape(of: object)
            let i = shapes.firstIndex(of: shape)!
            let round = 199 - count / shapes.count
            XCTAssertEqual(gc.loadPayload(object, byteOffset: shape.payloadBytes - 8, as: UInt64.self), UInt64(round * 100 + i))
            cursor = gc.load(object, slot: 0)
            count += 1
        }
        XCTAssertEqual(count, 200 * shapes.count)
        gc.popRoots(to: base)
    }
}
