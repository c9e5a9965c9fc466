/// The object layout of every heap that keeps objects as plain blocks of memory: glibc malloc, jemalloc,
/// mimalloc, Boehm GC and the arena. One block per object, addressed by its start:
///
///     +0           UInt32 reference slot count
///     +4           UInt32 payload byte count
///     +8           slots: referenceSlots x 8 bytes (an object's address, or 0 for nil)
///     +8+8*slots   payload bytes (then whatever padding the manager adds)
///
/// The 8-byte header is what lets a manager walk and free a structure it knows nothing about (a C program
/// would know its structs statically; a generic contract must read the shape from the object). Every manager
/// of this kind pays the same header, so none is favoured. The collector has a header of its own (mark state
/// and shape; Docs/Internals.md), and ARC has Swift's object header.
///
/// Invariant behind every raw load and store below: `p` is the start of a block of at least
/// `blockBytes(shape)` bytes on which `initialize` was called. Slot and payload indices are checked against the
/// header with the shared `checkSlot` / `checkPayload` preconditions, in every build.
public enum ObjectLayout {
    /// Bytes of header before the slots.
    public static let headerBytes = 8

    /// Bytes of the block for `shape`: header, slots, payload. `ObjectShape` caps `shape.bytes` at 1 GiB, so this
    /// can not overflow.
    @inlinable @inline(__always)
    public static func blockBytes(_ shape: ObjectShape) -> Int { headerBytes &+ shape.bytes }

    /// The header word of `shape`: slot count in the low half, payload bytes in the high half (little-endian
    /// memory order, as the layout says).
    @inlinable @inline(__always)
    public static func header(_ shape: ObjectShape) -> UInt64 {
        (UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: shape.referenceSlots))
            | UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: shape.payloadBytes)) << 32).littleEndian
    }

    /// Writes the header of `shape` at `p` and zeroes the rest of a block of `blockBytes` bytes, as the contract
    /// promises a new object (nil slots, zero payload) whatever the memory held before.
    ///
    /// Blocks of 8 to 32 bytes, the nodes of the allocation-heavy workloads, get straight-line stores (the
    /// header and the first zeroes in one 16-byte store); anything else is the header and one `memset`. A loop
    /// here would become a `memset` call, which costs more than a bump allocation itself.
    ///
    /// - Precondition: `[p, p + blockBytes)` is writable memory the caller owns, `p` is 8-aligned and
    ///   `blockBytes >= ObjectLayout.blockBytes(shape)` (checked in debug builds).
    @inlinable @inline(__always)
    public static func initialize(_ p: UnsafeMutableRawPointer, shape: ObjectShape, blockBytes: Int) {
        assert(Int(bitPattern: p) & 7 == 0 && blockBytes >= ObjectLayout.blockBytes(shape),
               "ObjectLayout.initialize: block at \(p) of \(blockBytes) bytes can not hold \(shape)")
        let word = header(shape)
        switch blockBytes {
        case 8: p.storeBytes(of: word, as: UInt64.self)
        case 16: p.storeBytes(of: SIMD2(word, 0), as: SIMD2<UInt64>.self)
        case 24:
            p.storeBytes(of: SIMD2(word, 0), as: SIMD2<UInt64>.self)
            p.storeBytes(of: 0 as UInt64, toByteOffset: 16, as: UInt64.self)
        case 32:
            p.storeBytes(of: SIMD2(word, 0), as: SIMD2<UInt64>.self)
            p.storeBytes(of: SIMD2<UInt64>(), toByteOffset: 16, as: SIMD2<UInt64>.self)
        default:
            p.storeBytes(of: word, as: UInt64.self)
            zero(p + headerBytes, byteCount: blockBytes &- headerBytes)
        }
    }

    /// Zeroes a larger block's slots and payload (out of line: rare in allocation-heavy workloads).
    @usableFromInline @inline(never)
    static func zero(_ p: UnsafeMutableRawPointer, byteCount: Int) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    /// Writes only the header of a block that is already zero (from `calloc`, or fresh pages).
    @inlinable @inline(__always)
    public static func initializeHeader(_ p: UnsafeMutableRawPointer, _ shape: ObjectShape) {
        p.storeBytes(of: header(shape), as: UInt64.self)
    }

    @inlinable @inline(__always)
    public static func slotCount(_ p: UnsafeMutableRawPointer) -> Int { Int(UInt32(littleEndian: p.load(as: UInt32.self))) }

    @inlinable @inline(__always)
    public static func payloadBytes(_ p: UnsafeMutableRawPointer) -> Int {
        Int(UInt32(littleEndian: p.load(fromByteOffset: 4, as: UInt32.self)))
    }

    @inlinable @inline(__always)
    public static func shape(_ p: UnsafeMutableRawPointer) -> ObjectShape {
        ObjectShape(referenceSlots: slotCount(p), payloadBytes: payloadBytes(p))
    }

    /// Bytes of the block at `p`, from its header (without any padding its manager added).
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
        // Invariant: slot < count, so the 8 bytes at 8 + 8*slot lie inside the block.
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
        // Invariant: byteOffset + size <= payloadBytes, so the write stays inside the block.
        p.storeBytes(of: value, toByteOffset: headerBytes &+ slotCount(p) &* 8 &+ byteOffset, as: T.self)
    }
}

/// A reference to an object laid out as `ObjectLayout` says: the address of its header. The `Ref` of every
/// manager that uses that layout (malloc, jemalloc, mimalloc, Boehm GC, the arena).
@frozen
public struct ObjectRef: Hashable {
    public let address: UnsafeMutableRawPointer
    /// Wraps the address of an initialized block (see `ObjectLayout.initialize`).
    @inlinable public init(_ address: UnsafeMutableRawPointer) { self.address = address }
}
