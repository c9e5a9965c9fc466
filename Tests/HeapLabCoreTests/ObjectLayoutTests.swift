#if canImport(Glibc)
import Glibc
#endif
import XCTest
import HeapLabCore

/// The two forms of `ObjectLayout`: tagged (the shape in the reference, no header) and headed.
final class ObjectLayoutTests: XCTestCase {
    /// Every shape at the edges of the tag: the largest tagged ones, the smallest headed ones, the empty shape.
    func testWhichShapesAreTagged() {
        XCTAssertNotEqual(ObjectLayout.tag(ObjectShape(referenceSlots: 14, payloadBytes: 4095)), 0)
        XCTAssertNotEqual(ObjectLayout.tag(ObjectShape(referenceSlots: 0, payloadBytes: 1)), 0)
        XCTAssertNotEqual(ObjectLayout.tag(ObjectShape(referenceSlots: 1, payloadBytes: 0)), 0)
        XCTAssertEqual(ObjectLayout.tag(ObjectShape(referenceSlots: 15, payloadBytes: 0)), 0)
        XCTAssertEqual(ObjectLayout.tag(ObjectShape(referenceSlots: 0, payloadBytes: 4096)), 0)
        XCTAssertEqual(ObjectLayout.tag(ObjectShape(referenceSlots: 0, payloadBytes: 0)), 0, "an empty object needs a byte of its own")
        XCTAssertEqual(ObjectLayout.blockBytes(ObjectShape(referenceSlots: 2, payloadBytes: 8), tagged: true), 24)
        XCTAssertEqual(ObjectLayout.blockBytes(ObjectShape(referenceSlots: 2, payloadBytes: 8), tagged: false), 32)
    }

    /// Both forms round-trip their shape, slots and payload through real blocks, and a reference stored in a
    /// slot comes back with its tag.
    func testBothFormsRoundTrip() throws {
        var rng = SplitMix64(seed: 7)
        var blocks: [UnsafeMutableRawPointer] = []
        defer { blocks.forEach { free($0) } }
        var made: [(ObjectRef, ObjectShape)] = []
        for _ in 0..<500 {
            let slots = rng.next(below: 20), payload = rng.next(below: 3) == 0 ? rng.next(below: 6000) : rng.next(below: 40)
            let shape = ObjectShape(referenceSlots: slots, payloadBytes: payload)
            let tagged = rng.next(below: 2) == 0 && ObjectLayout.tag(shape) != 0
            let bytes = max(8, ObjectLayout.blockBytes(shape, tagged: tagged))
            let p = try XCTUnwrap(malloc(bytes))
            blocks.append(p)
            memset(p, 0xAB, bytes)
            ObjectLayout.initialize(p, shape: shape, blockBytes: bytes, tagged: tagged)
            let ref = ObjectRef(address: p, shape: shape, tagged: tagged)
            XCTAssertEqual(ref.isTagged, tagged)
            XCTAssertEqual(ref.address, p)
            XCTAssertEqual(ref.shape, shape)
            XCTAssertEqual(ref.blockBytes, ObjectLayout.blockBytes(shape, tagged: tagged))
            for slot in 0..<slots { XCTAssertNil(ObjectLayout.load(ref, slot: slot, manager: "test"), "fresh slots are nil") }
            for offset in stride(from: 0, to: payload, by: 97) {
                XCTAssertEqual(ObjectLayout.loadPayload(ref, byteOffset: offset, as: UInt8.self, manager: "test"), 0)
            }
            made.append((ref, shape))
        }
        // Link every object to others and write a payload word; read everything back.
        for (i, (ref, shape)) in made.enumerated() {
            for slot in 0..<shape.referenceSlots {
                ObjectLayout.store(ref, slot: slot, made[(i + slot + 1) % made.count].0, manager: "test")
            }
            if shape.payloadBytes >= 8 {
                ObjectLayout.storePayload(ref, byteOffset: shape.payloadBytes - 8, UInt64(i), manager: "test")
            }
        }
        for (i, (ref, shape)) in made.enumerated() {
            for slot in 0..<shape.referenceSlots {
                let target = made[(i + slot + 1) % made.count].0
                XCTAssertEqual(ObjectLayout.load(ref, slot: slot, manager: "test"), target)
                XCTAssertEqual(ObjectLayout.rawSlot(ref, slot)?.shape, target.shape, "the tag travels with the reference")
            }
            if shape.payloadBytes >= 8 {
                XCTAssertEqual(ObjectLayout.loadPayload(ref, byteOffset: shape.payloadBytes - 8, as: UInt64.self, manager: "test"), UInt64(i))
            }
        }
    }

    /// A headed reference is its address, so a conservative collector scanning slots sees plain pointers.
    func testHeadedReferencesArePlainAddresses() throws {
        let p = try XCTUnwrap(malloc(64))
        defer { free(p) }
        let shape = ObjectShape(referenceSlots: 2, payloadBytes: 8)
        ObjectLayout.initialize(p, shape: shape, blockBytes: 64)
        let ref = ObjectRef(p)
        XCTAssertEqual(ref.bits, UInt64(UInt(bitPattern: p)))
        XCTAssertFalse(ref.isTagged)
        XCTAssertEqual(ref.shape, shape)
        ObjectLayout.store(ref, slot: 1, ref, manager: "test")
        XCTAssertEqual(p.load(fromByteOffset: 16, as: UInt64.self), UInt64(UInt(bitPattern: p)))
    }
}
