/// A reference to an object in a `GCHeap`: the address of its 8-byte header.
///
/// A `GCRef` is a plain pointer: holding one does not keep the object alive. Root it (`pushRoot`, a global
/// root, or a slot of a rooted object) before the next allocation, which may collect. Using a `GCRef` after
/// its object was reclaimed is a programming error: debug builds stop with a precondition message, release
/// builds read whatever the cell holds now.
@frozen
public struct GCRef: Hashable, CustomStringConvertible {
    /// The object's header address (16-byte aligned inside a block, or just after a large object's descriptor).
    public let address: UnsafeMutableRawPointer

    @inlinable @inline(__always)
    init(_ address: UnsafeMutableRawPointer) { self.address = address }

    public var description: String { "GCRef(0x\(String(UInt(bitPattern: address), radix: 16)))" }
}
