/// The object layout of every heap that keeps objects as plain blocks of memory: glibc malloc, jemalloc,
/// mimalloc, Boehm GC and the arena. One block per object, in one of two forms.
///
/// **Tagged** (no header): the block is the slots, then the payload, exactly what a C struct of the same fields
/// occupies (GCBench's node: 24 bytes). The object's shape travels in the reference instead: an `ObjectRef`'s
/// top 16 bits hold the slot count plus one (4 bits) and the payload bytes (12 bits), the low 48 the address.
/// A C program knows its struct statically; a generic contract must learn the shape from somewhere, and a tag in
/// the reference costs a shift where a header costs 8 bytes of every object and a load from memory. Shapes with
/// fewer than 15 slots and less than 4 KiB of payload (every node of the allocation-heavy workloads) are tagged.
///
///     +0           slots: referenceSlots x 8 bytes (an ObjectRef's bits, or 0 for nil)
///     +8*slots     payload bytes (then whatever padding the manager adds)
///
/// **Headed** (tag 0): larger shapes, and every object of a heap that chooses no tags (Boehm GC, which scans
/// blocks for pointers conservatively and would not recognize a tagged one), carry an 8-byte header:
///
///     +0           UInt32 reference slot count
///     +4           UInt32 payload byte count
///     +8           slots
///     +8+8*slots   payload bytes
///
/// A headed reference's bits are its address, so a slot of a headed-only heap holds plain addresses.
///
/// Invariant behind every raw load and store below: the reference (or `p`) is the start of a block of at least
/// `blockBytes(shape, tagged:)` bytes on which `initialize` was called with the same form. Slot and payload
/// indices are checked against the shape with the shared `checkSlot` / `checkPayload` preconditions, in every
/// build. Addresses must fit in 48 bits, as every user-space address does on x86-64 and AArch64 Linux with
/// 4-level page tables; `ObjectRef(address:shape:)` checks it.
public enum ObjectLayout {
    /// Bytes of header before the slots of a headed object.
    public static let headerBytes = 8
    /// Shapes with at most this many slots and payload bytes can be tagged.
    public static let maximumTaggedSlots = 14, maximumTaggedPayloadBytes = 4095

    /// The tag of `shape` in a reference's top 16 bits, or 0 when the shape can not be tagged: too large, or
    /// empty (a tagged empty object would be a block of no bytes, and two of them could share an address).
    @inlinable @inline(__always)
    public static func tag(_ shape: ObjectShape) -> UInt64 {
        guard shape.referenceSlots <= maximumTaggedSlots, shape.payloadBytes <= maximumTaggedPayloadBytes,
              shape.bytes > 0 else { return 0 }
        return UInt64(truncatingIfNeeded: shape.referenceSlots &+ 1) << 60 | UInt64(truncatingIfNeeded: shape.payloadBytes) << 48
    }

    /// Bytes of the block for `shape` in the given form: slots and payload, plus the header when headed.
    /// `ObjectShape` caps `shape.bytes` at 1 GiB, so this can not overflow.
    @inlinable @inline(__always)
    public static func blockBytes(_ shape: ObjectShape, tagged: Bool) -> Int {
        tagged ? shape.bytes : headerBytes &+ shape.bytes
    }

    /// Bytes of the headed block for `shape`.
    @inlinable @inline(__always)
    public static func blockBytes(_ shape: ObjectShape) -> Int { blockBytes(shape, tagged: false) }

    /// The header word of `shape`: slot count in the low half, payload bytes in the high half (little-endian
    /// memory order, as the layout says).
    @inlinable @inline(__always)
    public static func header(_ shape: ObjectShape) -> UInt64 {
        (UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: shape.referenceSlots))
            | UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: shape.payloadBytes)) << 32).littleEndian
    }

    /// Zeroes a new object's slots and payload and, when headed, writes its header first: a new object has nil
    /// slots and a zero payload, as the contract promises, whatever the memory held before.
    ///
    /// Blocks of 8 to 32 bytes, the nodes of the allocation-heavy workloads, get straight-line stores; anything
    /// else is one `memset` (and the header). A loop here would become a `memset` call, which costs more than a
    /// bump allocation itself.
    ///
    /// - Precondition: `[p, p + blockBytes)` is writable memory the caller owns, `p` is 8-aligned and
    ///   `blockBytes >= ObjectLayout.blockBytes(shape, tagged:)` (checked in debug builds).
    @inlinable @inline(__always)
    public static func initialize(_ p: UnsafeMutableRawPointer, shape: ObjectShape, blockBytes: Int, tagged: Bool) {
        assert(Int(bitPattern: p) & 7 == 0 && blockBytes >= ObjectLayout.blockBytes(shape, tagged: tagged),
               "ObjectLayout.initialize: block at \(p) of \(blockBytes) bytes can not hold \(shape)")
        let first: UInt64 = tagged ? 0 : header(shape)
        switch blockBytes {
        case 0: break
        case 8: p.storeBytes(of: first, as: UInt64.self)
        case 16: p.storeBytes(of: SIMD2(first, 0), as: SIMD2<UInt64>.self)
        case 24:
            p.storeBytes(of: SIMD2(first, 0), as: SIMD2<UInt64>.self)
            p.storeBytes(of: 0 as UInt64, toByteOffset: 16, as: UInt64.self)
        case 32:
            p.storeBytes(of: SIMD2(first, 0), as: SIMD2<UInt64>.self)
            p.storeBytes(of: SIMD2<UInt64>(), toByteOffset: 16, as: SIMD2<UInt64>.self)
        default:
            if tagged {
                zero(p, byteCount: blockBytes)
            } else {
                p.storeBytes(of: first, as: UInt64.self)
                zero(p + headerBytes, byteCount: blockBytes &- headerBytes)
            }
        }
    }

    /// A headed object's `initialize`.
    @inlinable @inline(__always)
    public static func initialize(_ p: UnsafeMutableRawPointer, shape: ObjectShape, blockBytes: Int) {
        initialize(p, shape: shape, blockBytes: blockBytes, tagged: false)
    }

    /// Zeroes a larger block (out of line: rare in allocation-heavy workloads).
    @usableFromInline @inline(never)
    static func zero(_ p: UnsafeMutableRawPointer, byteCount: Int) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    /// Writes only the header of a headed block that is already zero (from `calloc`, or fresh pages).
    @inlinable @inline(__always)
    public static func initializeHeader(_ p: UnsafeMutableRawPointer, _ shape: ObjectShape) {
        p.storeBytes(of: header(shape), as: UInt64.self)
    }

    // MARK: objects by reference (either form)

    /// Reads slot `slot` of `object`.
    /// - Precondition: `0 <= slot < object.slotCount` (every build; the message names `manager`).
    @inlinable @inline(__always)
    public static func load(_ object: ObjectRef, slot: Int, manager: StaticString) -> ObjectRef? {
        checkSlot(slot, count: object.slotCount, manager: manager)
        // Invariant: slot < count, so the 8 bytes at slots + 8*slot lie inside the block.
        let bits = object.slots.load(fromByteOffset: slot &* 8, as: UInt64.self)
        return bits == 0 ? nil : ObjectRef(bits: bits)
    }

    /// Writes `value` into slot `slot` of `object`.
    /// - Precondition: `0 <= slot < object.slotCount` (every build).
    @inlinable @inline(__always)
    public static func store(_ object: ObjectRef, slot: Int, _ value: ObjectRef?, manager: StaticString) {
        checkSlot(slot, count: object.slotCount, manager: manager)
        // Invariant: slot < count, so the 8 bytes at slots + 8*slot lie inside the block.
        object.slots.storeBytes(of: value?.bits ?? 0, toByteOffset: slot &* 8, as: UInt64.self)
    }

    /// Slot `slot` of `object` without a bounds check (callers iterate below `slotCount`).
    @inlinable @inline(__always)
    public static func rawSlot(_ object: ObjectRef, _ slot: Int) -> ObjectRef? {
        let bits = object.slots.load(fromByteOffset: slot &* 8, as: UInt64.self)
        return bits == 0 ? nil : ObjectRef(bits: bits)
    }

    @inlinable @inline(__always)
    public static func loadPayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, as type: T.Type,
                                                       manager: StaticString) -> T {
        let slots = object.slotCount
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: object.payloadBytes, manager: manager)
        // Invariant: byteOffset + size <= payloadBytes, so the read stays inside the block.
        return UnsafeRawPointer(object.slots).loadUnaligned(fromByteOffset: slots &* 8 &+ byteOffset, as: T.self)
    }

    @inlinable @inline(__always)
    public static func storePayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, _ value: T,
                                                        manager: StaticString) {
        let slots = object.slotCount
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: object.payloadBytes, manager: manager)
        // Invariant: byteOffset + size <= payloadBytes, so the write stays inside the block.
        object.slots.storeBytes(of: value, toByteOffset: slots &* 8 &+ byteOffset, as: T.self)
    }

    // MARK: headed objects by address

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

    /// Bytes of the headed block at `p`, from its header (without any padding its manager added).
    @inlinable @inline(__always)
    public static func blockBytes(_ p: UnsafeMutableRawPointer) -> Int {
        headerBytes &+ slotCount(p) &* 8 &+ payloadBytes(p)
    }
}

/// A reference to an object laid out as `ObjectLayout` says: the `Ref` of every manager that uses that layout
/// (malloc, jemalloc, mimalloc, Boehm GC, the arena).
///
/// Its bits are the object's address in the low 48 bits and, for a tagged object, its shape in the top 16 (slot
/// count plus one, then payload bytes); a headed object's bits are its address. Equality is identity.
@frozen
public struct ObjectRef: Hashable {
    /// The address and the tag.
    public let bits: UInt64

    /// The mask of the address bits.
    @inlinable public static var addressMask: UInt64 { (1 << 48) - 1 }

    /// Wraps bits read from a slot (nonzero: a reference some `init(address:shape:tagged:)` made).
    @inlinable @inline(__always)
    public init(bits: UInt64) { self.bits = bits }

    /// The reference to a new object at `address` of `shape`, tagged when `tagged` is true and the shape fits a
    /// tag (see `ObjectLayout.tag`); its block must have been initialized in the same form.
    /// - Precondition: the address fits in 48 bits (every build: a reference that dropped address bits would
    ///   point somewhere else).
    @inlinable @inline(__always)
    public init(address: UnsafeMutableRawPointer, shape: ObjectShape, tagged: Bool) {
        let a = UInt64(UInt(bitPattern: address))
        precondition(a & ~ObjectRef.addressMask == 0, "ObjectRef: address \(address) does not fit in 48 bits")
        bits = a | (tagged ? ObjectLayout.tag(shape) : 0)
    }

    /// `init(address:shape:tagged:)` for memory whose addresses are known to fit in 48 bits (the arena checks
    /// each chunk it maps once); debug builds check anyway.
    @inlinable @inline(__always)
    public init(uncheckedAddress address: UnsafeMutableRawPointer, shape: ObjectShape, tagged: Bool) {
        let a = UInt64(UInt(bitPattern: address))
        assert(a & ~ObjectRef.addressMask == 0, "ObjectRef: address \(address) does not fit in 48 bits")
        bits = a | (tagged ? ObjectLayout.tag(shape) : 0)
    }

    /// A headed object's reference: its address.
    @inlinable @inline(__always)
    public init(_ address: UnsafeMutableRawPointer) { bits = UInt64(UInt(bitPattern: address)) }

    /// The start of the object's block.
    @inlinable @inline(__always) public var address: UnsafeMutableRawPointer {
        // Invariant: bits were made from a nonzero address, so the masked value is not null (checked in debug
        // builds by `unsafelyUnwrapped`; release builds trust the invariant instead of testing it per access).
        UnsafeMutableRawPointer(bitPattern: UInt(bits & ObjectRef.addressMask)).unsafelyUnwrapped
    }

    /// Whether the shape is in the reference (no header in the block).
    @inlinable @inline(__always) public var isTagged: Bool { bits >> 60 != 0 }

    /// Where the slots start: the block itself when tagged, after the header when headed.
    @inlinable @inline(__always) public var slots: UnsafeMutableRawPointer { isTagged ? address : address + ObjectLayout.headerBytes }

    /// Reference slots of the object, from the tag or the header.
    @inlinable @inline(__always) public var slotCount: Int {
        isTagged ? Int(truncatingIfNeeded: bits >> 60) &- 1 : ObjectLayout.slotCount(address)
    }

    /// Payload bytes of the object, from the tag or the header.
    @inlinable @inline(__always) public var payloadBytes: Int {
        isTagged ? Int(truncatingIfNeeded: (bits >> 48) & 0xFFF) : ObjectLayout.payloadBytes(address)
    }

    /// The object's shape.
    @inlinable public var shape: ObjectShape { ObjectShape(referenceSlots: slotCount, payloadBytes: payloadBytes) }

    /// Bytes of the object's block in its form (without any padding its manager added).
    @inlinable @inline(__always) public var blockBytes: Int {
        isTagged ? slotCount &* 8 &+ payloadBytes : ObjectLayout.blockBytes(address)
    }
}
