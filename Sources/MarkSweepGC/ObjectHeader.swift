import HeapLabCore

/// The 8-byte word in front of every object: what tracing needs (the number of reference slots), the rest of
/// the shape, and a tag that tells an object from a free cell.
///
/// Bit layout of the word (little-endian, read and written as one `UInt64`):
///
///     bits  0..27  referenceSlots   (at most 2^27: 1 GiB of slots)
///     bits 28..58  payloadBytes     (31 bits: at most 2^30, `ObjectShape.maximumBytes`)
///     bits 59..63  tag 0b10110      (`ObjectHeader.tag`)
///
/// A free cell keeps its free-list link (an address or 0) in the same word. User-space addresses on x86-64
/// and AArch64 Linux are below 2^48, so a link never has the tag bits set: the tag alone tells an object from
/// a free cell, which the sweeper, the verifier and the debug checks for reclaimed objects rely on.
///
/// The object itself follows the header: `referenceSlots` 8-byte slots (an object address or 0), then the
/// payload bytes. `GCRef` points at the header.
@frozen @usableFromInline
struct ObjectHeader {
    @usableFromInline let bits: UInt64

    @usableFromInline static let bytes = 8
    @usableFromInline static let slotMask: UInt64 = (1 << 28) - 1
    @usableFromInline static let payloadShift: UInt64 = 28
    @usableFromInline static let payloadMask: UInt64 = (1 << 31) - 1
    @usableFromInline static let tagShift: UInt64 = 59
    /// The five tag bits every object header carries.
    @usableFromInline static let tag: UInt64 = 0b10110

    @inlinable @inline(__always)
    init(bits: UInt64) { self.bits = bits }

    /// The header of an object of `shape`. `ObjectShape` guarantees slots <= 2^27 and payload <= 2^30, so both
    /// fit their fields.
    @inlinable @inline(__always)
    init(_ shape: ObjectShape) {
        bits = (ObjectHeader.tag &<< ObjectHeader.tagShift)
            | (UInt64(truncatingIfNeeded: shape.payloadBytes) &<< ObjectHeader.payloadShift)
            | UInt64(truncatingIfNeeded: shape.referenceSlots)
    }

    @inlinable @inline(__always)
    var referenceSlots: Int { Int(truncatingIfNeeded: bits & ObjectHeader.slotMask) }

    @inlinable @inline(__always)
    var payloadBytes: Int { Int(truncatingIfNeeded: (bits &>> ObjectHeader.payloadShift) & ObjectHeader.payloadMask) }

    /// Whether the word is an object header (and not a free cell's link or poison).
    @inlinable @inline(__always)
    var isObject: Bool { bits &>> ObjectHeader.tagShift == ObjectHeader.tag }

    /// Header, slots and payload: the bytes of the object inside its cell.
    @inlinable @inline(__always)
    var objectBytes: Int { ObjectHeader.bytes &+ referenceSlots &* 8 &+ payloadBytes }

    @inlinable @inline(__always)
    var shape: ObjectShape { ObjectShape(referenceSlots: referenceSlots, payloadBytes: payloadBytes) }
}
