import XCTest
import HeapLabCore

/// Checks every manager must pass, written once against the contract (as the workloads are).
enum ManagerContractChecks {
    /// A fresh object has nil slots and zero payload; slots and payload read back what was written, at every
    /// offset including unaligned ones; `shape(of:)` returns the shape allocated.
    static func slotsAndPayload<M: MemoryManager>(_ m: M, file: StaticString = #filePath, line: UInt = #line) throws {
        for shape in [ObjectShape(referenceSlots: 0, payloadBytes: 0), ObjectShape(referenceSlots: 3, payloadBytes: 0),
                      ObjectShape(referenceSlots: 0, payloadBytes: 19), ObjectShape(referenceSlots: 5, payloadBytes: 33)] {
            let object = try m.allocate(shape)
            XCTAssertEqual(m.shape(of: object), shape, file: file, line: line)
            for slot in 0..<shape.referenceSlots {
                XCTAssertNil(m.load(object, slot: slot), "slot \(slot) of a new \(shape) object", file: file, line: line)
            }
            for offset in 0..<shape.payloadBytes {
                XCTAssertEqual(m.loadPayload(object, byteOffset: offset, as: UInt8.self), 0, "payload byte \(offset)", file: file, line: line)
            }
            var children: [M.Ref] = []
            for slot in 0..<shape.referenceSlots {
                let child = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 4))
                m.storePayload(child, byteOffset: 0, UInt32(slot + 100))
                m.store(object, slot: slot, child)
                children.append(child)
            }
            for slot in 0..<shape.referenceSlots {
                XCTAssertEqual(m.load(object, slot: slot), children[slot], file: file, line: line)
                XCTAssertEqual(m.loadPayload(m.load(object, slot: slot)!, byteOffset: 0, as: UInt32.self), UInt32(slot + 100), file: file, line: line)
            }
            if shape.referenceSlots > 0 {
                m.store(object, slot: 0, nil)
                XCTAssertNil(m.load(object, slot: 0), file: file, line: line)
                m.free(children[0])
            }
            if shape.payloadBytes >= 19 {
                // An unaligned 8-byte value at offset 3, a byte at 2, a Double in the last 8 bytes (none overlap).
                m.storePayload(object, byteOffset: 3, UInt64(0x0102_0304_0506_0708))
                m.storePayload(object, byteOffset: shape.payloadBytes - 8, 2.5)
                m.storePayload(object, byteOffset: 2, UInt8(0xAB))
                XCTAssertEqual(m.loadPayload(object, byteOffset: 3, as: UInt64.self), 0x0102_0304_0506_0708, file: file, line: line)
                XCTAssertEqual(m.loadPayload(object, byteOffset: shape.payloadBytes - 8, as: Double.self), 2.5, file: file, line: line)
                XCTAssertEqual(m.loadPayload(object, byteOffset: 2, as: UInt8.self), 0xAB, file: file, line: line)
                XCTAssertEqual(m.loadPayload(object, byteOffset: 0, as: UInt16.self), 0, "bytes before the writes untouched", file: file, line: line)
            }
            m.dropTree(object)
        }
    }

    /// Builds a complete binary tree of `depth` whose nodes carry their depth, and returns it.
    static func makeTree<M: MemoryManager>(_ m: M, depth: Int) throws -> M.Ref {
        let node = try m.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 8))
        m.storePayload(node, byteOffset: 0, Int64(depth))
        if depth > 0 {
            m.store(node, slot: 0, try makeTree(m, depth: depth - 1))
            m.store(node, slot: 1, try makeTree(m, depth: depth - 1))
        }
        return node
    }

    /// Builds a singly linked list of `count` nodes, iteratively, and returns its head.
    static func makeList<M: MemoryManager>(_ m: M, count: Int) throws -> M.Ref {
        var head = try m.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0))
        for _ in 1..<count {
            let node = try m.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0))
            m.store(node, slot: 0, head)
            head = node
        }
        return head
    }

    /// A scope of a manager that frees explicitly (malloc, jemalloc, mimalloc): `withScope` runs its body once,
    /// returns the body's value or rethrows its error, and frees nothing at its end: what was allocated inside
    /// stays counted as live (and readable) until it is freed.
    static func scopeFreesNothing<M: MemoryManager>(_ m: M, file: StaticString = #filePath, line: UInt = #line) throws {
        let baseline = m.statistics().liveBytes
        var runs = 0
        let shape = ObjectShape(referenceSlots: 0, payloadBytes: 16)
        let (object, liveInside) = try m.withScope {
            runs += 1
            let object = try m.allocate(shape)
            m.storePayload(object, byteOffset: 8, UInt64(0xFEED_FACE))
            return (object, m.statistics().liveBytes)
        }
        XCTAssertEqual(runs, 1, "the body runs once", file: file, line: line)
        XCTAssertNotEqual(liveInside, baseline, "the allocation inside the scope is counted", file: file, line: line)
        XCTAssertEqual(m.statistics().liveBytes, liveInside, "the scope's end freed something", file: file, line: line)
        XCTAssertEqual(m.loadPayload(object, byteOffset: 8, as: UInt64.self), 0xFEED_FACE, file: file, line: line)
        m.free(object)
        XCTAssertEqual(m.statistics().liveBytes, baseline, file: file, line: line)
        XCTAssertThrowsError(try m.withScope { () throws(ScopeBodyError) -> Int in runs += 1; throw ScopeBodyError(value: 7) },
                             file: file, line: line) { error in
            XCTAssertEqual(error as? ScopeBodyError, ScopeBodyError(value: 7), "the body's error comes out of the scope", file: file, line: line)
        }
        XCTAssertEqual(runs, 2, file: file, line: line)
    }
}

/// The error `scopeFreesNothing` throws out of a scope's body.
struct ScopeBodyError: Error, Equatable { var value: Int }
