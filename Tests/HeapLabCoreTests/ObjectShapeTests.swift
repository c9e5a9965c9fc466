import Foundation
import XCTest
import HeapLabCore

final class ObjectShapeTests: XCTestCase {
    func testBytes() {
        XCTAssertEqual(ObjectShape(referenceSlots: 0, payloadBytes: 0).bytes, 0)
        XCTAssertEqual(ObjectShape(referenceSlots: 2, payloadBytes: 8).bytes, 24)
        XCTAssertEqual(ObjectShape(referenceSlots: 3, payloadBytes: 5).bytes, 29)
        XCTAssertEqual(ObjectShape(referenceSlots: 0, payloadBytes: ObjectShape.maximumBytes).bytes, 1 << 30)
    }

    func testValidatedAcceptsTheLimitExactly() throws {
        XCTAssertEqual(try ObjectShape.validated(referenceSlots: 0, payloadBytes: 0), ObjectShape(referenceSlots: 0, payloadBytes: 0))
        XCTAssertEqual(try ObjectShape.validated(referenceSlots: 1 << 27, payloadBytes: 0).bytes, 1 << 30)
        XCTAssertEqual(try ObjectShape.validated(referenceSlots: 1, payloadBytes: (1 << 30) - 8).bytes, 1 << 30)
    }

    func testValidatedRejectsBadShapes() {
        let bad: [(Int, Int)] = [(-1, 0), (0, -1), (Int.min, 0), (0, (1 << 30) + 1), (1 << 27, 1),
                                 (Int.max, 0), (Int.max / 8 + 1, 0), (1, Int.max), (Int.max / 8, Int.max / 2)]
        for (slots, payload) in bad {
            XCTAssertThrowsError(try ObjectShape.validated(referenceSlots: slots, payloadBytes: payload), "\(slots), \(payload)") { error in
                guard case .invalidShape(let s, let p, let reason)? = error as? AllocationError else {
                    return XCTFail("expected invalidShape, got \(error)")
                }
                XCTAssertEqual(s, slots)
                XCTAssertEqual(p, payload)
                XCTAssertFalse(reason.isEmpty)
            }
        }
    }

    func testCodableAndDescription() throws {
        let shape = ObjectShape(referenceSlots: 2, payloadBytes: 8)
        XCTAssertEqual(try JSONDecoder().decode(ObjectShape.self, from: JSONEncoder().encode(shape)), shape)
        XCTAssertEqual(shape.description, "2 slots + 8 B")
    }
}
