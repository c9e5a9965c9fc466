import HeapLabCore

/// The object layout every manually managed heap in this module uses (glibc malloc, jemalloc, mimalloc) and
/// Boehm GC too: one block per object, addressed by its start.
///
///     +0           UInt32 reference slot count
///     +4           UInt32 payload byte count
///     +8           slots: referenceSlots x 8 bytes (an object's address, or 0 for nil)
///     +8+8*slots   payload bytes
///
/// The 8-byte header is what a C program would need anyway to free a structure generically; it is the same
/// header the arena keeps, so neither is favoured. Every function here takes the address of a block that was
/// allocated with at least `blockBytes(shape)` bytes and had `initializeHeader` called on it; that is the
/// invariant behind each raw load and store below, and the slot and payload bounds are checked against the
/// header with the shared `checkSlot` / `checkPayload` preconditions.
public enum ObjectLayout {
    /// Bytes of header before the slots.
    public static let headerBytes = 8

    /// Bytes of the block for `shape`: header, slots, payload. ObjectShape caps `shape.bytes` at 1 GiB, so this
    /// can not overflow.
    @inlinable @inline(__always)
    public static func blockBytes(_ shape: ObjectShape) -> Int { headerBytes &+ shape.bytes }

    /// Writes the header of a fresh, zeroed block (slots nil, payload zero).
    @inlinable @inline(__always)
    public static func initializeHeader(_ p: UnsafeMutableRawPointer, _ shape: ObjectShape) {
        p.storeBytes(of: UInt32(truncatingIfNeeded: shape.referenceSlots), as: UInt32.self)
        p.storeBytes(of: UInt32(truncatingIfNeeded: shape.payloadBytes), toByteOffset: 4, as: UInt32.self)
    }

    @inlinable @inline(__always)
    public static func slotCount(_ p: UnsafeMutableRawPointer) -> Int { Int(p.load(as: UInt32.self)) }

    @inlinable @inline(__always)
    public static func payloadBytes(_ p: UnsafeMutableRawPointer) -> Int { Int(p.load(fromByteOffset: 4, as: UInt32.self)) }

    @inlinable @inline(__always)
    public static func shape(_ p: UnsafeMutableRawPointer) -> ObjectShape {
        ObjectShape(referenceSlots: slotCount(p), payloadBytes: payloadBytes(p))
    }

    /// Bytes of the block at `p`, from its header.
    @inlinable @inline(__always)
    public static func blockBytes(_ p: UnsafeMutableRawPointer) -> Int {
        headerBytes &+ slotCount(p) &* 8 &+ payloadBytes(p)
    }

    /// Slot `slot` without a bounds check (callers check, or iterate below `slotCount`).
    @inlinable @inline(__always)
    public static func rawSlot(_ p: UnsafeMutableRawPointer, _ slot: Int) -> UnsafeMutableRawPointer? {
        p.load(fromByteOffset: headerBytes &+ slot &* 8, as: UnsafeMutableRawPointer?.self)
    }

    @inlinable @inline(__always)
    public static func load(_ p: UnsafeMutableRawPointer, slot: Int, manager: StaticString) -> UnsafeMutableRawPointer? {
        checkSlot(slot, count: slotCount(p), manager: manager)
        // Invariant: slot < count, so the 8 bytes at 8 + 8*slot lie inside the block.
        return rawSlot(p, slot)
    }

    @inlinable @inline(__always)
    public static func store(_ p: UnsafeMutableRawPointer, slot: Int, _ value: UnsafeMutableRawPointer?, manager: StaticString) {
        checkSlot(slot, count: slotCount(p), manager: manager)
        p.storeBytes(of: value, toByteOffset: headerBytes &+ slot &* 8, as: UnsafeMutableRawPointer?.self)
    }

    @inlinable @inline(__always)
    public static func loadPayload<T: BitwiseCopyable>(_ p: UnsafeMutableRawPointer, byteOffset: Int, as type: T.Type,
                                                       manager: StaticString) -> T {
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: payloadBytes(p), manager: manager)
        // Invariant: byteOffset + size <= payloadBytes, so the read stays inside the block.
        return UnsafeRawPointer(p).loadUnaligned(fromByteOffset: headerBytes &+ slotCount(p) &* 8 &+ byteOffset, as: T.self)
    }

    @inlinable @inline(__always)
    public static func storePayload<T: BitwiseCopyable>(_ p: UnsafeMutableRawPointer, byteOffset: Int, _ value: T,
                                                        manager: StaticString) {
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: payloadBytes(p), manager: manager)
        p.storeBytes(of: value, toByteOffset: headerBytes &+ slotCount(p) &* 8 &+ byteOffset, as: T.self)
    }
}

/// A reference to an object in a heap that uses `ObjectLayout`: the address of its header.
@frozen
public struct MallocRef: Hashable {
    public let address: UnsafeMutableRawPointer
    @inlinable init(_ address: UnsafeMutableRawPointer) { self.address = address }
}
