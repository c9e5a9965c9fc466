#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// A reference to an object allocated by `MallocManager`: the address of its header.
@frozen
public struct MallocRef: Hashable {
    public let address: UnsafeMutableRawPointer
    @inlinable init(_ address: UnsafeMutableRawPointer) { self.address = address }
}

/// glibc malloc and free, driven as a C programmer would: every object is one `malloc`, every dead structure
/// is walked and `free`d object by object.
///
/// Layout of an object (one malloc block):
///
///     +0  UInt32 reference slot count
///     +4  UInt32 payload byte count
///     +8  slots: referenceSlots x 8 bytes (an address or 0)
///     +8+8*slots  payload bytes
///
/// The 8-byte header is what a C program would need anyway to free a structure generically; it is the
/// same header the arena keeps, so neither is favoured.
public final class MallocManager: MemoryManager {
    public typealias Ref = MallocRef

    /// Bytes of header before the slots.
    @usableFromInline static let headerBytes = 8

    public let name = "malloc"
    public var dropsStall: Bool { true }

    @exclusivity(unchecked) @usableFromInline var allocations = 0
    @exclusivity(unchecked) @usableFromInline var bytesRequested = 0
    /// Bytes (header + slots + payload) allocated and not yet freed.
    @exclusivity(unchecked) @usableFromInline var liveBytes = 0
    /// Reused work list for `dropTree`, so freeing a structure never recurses and never allocates in steady state.
    @exclusivity(unchecked) @usableFromInline var dropStack: [UnsafeMutableRawPointer] = []

    public init() {}

    @inlinable
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> MallocRef {
        // ObjectShape guarantees shape.bytes <= 1 GiB, so the sum can not overflow.
        let bytes = MallocManager.headerBytes &+ shape.bytes
        // calloc gives the zeroed slots (nil) and payload the contract promises.
        guard let p = calloc(1, bytes) else { throw .systemOutOfMemory(requestedBytes: bytes) }
        p.storeBytes(of: UInt32(truncatingIfNeeded: shape.referenceSlots), as: UInt32.self)
        p.storeBytes(of: UInt32(truncatingIfNeeded: shape.payloadBytes), toByteOffset: 4, as: UInt32.self)
        allocations &+= 1
        bytesRequested &+= shape.bytes
        liveBytes &+= bytes
        return MallocRef(p)
    }

    @inlinable @inline(__always)
    func slotCount(_ p: UnsafeMutableRawPointer) -> Int { Int(p.load(as: UInt32.self)) }

    @inlinable
    public func shape(of object: MallocRef) -> ObjectShape {
        ObjectShape(referenceSlots: slotCount(object.address),
                    payloadBytes: Int(object.address.load(fromByteOffset: 4, as: UInt32.self)))
    }

    @inlinable
    public func load(_ object: MallocRef, slot: Int) -> MallocRef? {
        checkSlot(slot, count: slotCount(object.address), manager: "malloc")
        // Invariant: slot < count, so the 8 bytes at 8 + 8*slot lie inside the block.
        return object.address.load(fromByteOffset: 8 &+ slot &* 8, as: UnsafeMutableRawPointer?.self).map(MallocRef.init)
    }

    @inlinable
    public func store(_ object: MallocRef, slot: Int, _ value: MallocRef?) {
        checkSlot(slot, count: slotCount(object.address), manager: "malloc")
        object.address.storeBytes(of: value?.address, toByteOffset: 8 &+ slot &* 8, as: UnsafeMutableRawPointer?.self)
    }

    @inlinable
    public func loadPayload<T: BitwiseCopyable>(_ object: MallocRef, byteOffset: Int, as type: T.Type) -> T {
        let p = object.address
        let slots = slotCount(p)
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: Int(p.load(fromByteOffset: 4, as: UInt32.self)), manager: "malloc")
        return p.loadUnaligned(fromByteOffset: 8 &+ slots &* 8 &+ byteOffset, as: T.self)
    }

    @inlinable
    public func storePayload<T: BitwiseCopyable>(_ object: MallocRef, byteOffset: Int, _ value: T) {
        let p = object.address
        let slots = slotCount(p)
        checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: Int(p.load(fromByteOffset: 4, as: UInt32.self)), manager: "malloc")
        p.storeBytes(of: value, toByteOffset: 8 &+ slots &* 8 &+ byteOffset, as: T.self)
    }

    // Rooting: malloc'd memory lives until freed; nothing to record.
    @inlinable public var rootDepth: Int { 0 }
    @inlinable @discardableResult public func pushRoot(_ ref: MallocRef?) -> Int { 0 }
    @inlinable public func setRoot(_ index: Int, _ ref: MallocRef?) {}
    @inlinable public func popRoots(to depth: Int) {}

    @inlinable
    func freeOne(_ p: UnsafeMutableRawPointer) {
        liveBytes &-= MallocManager.headerBytes &+ slotCount(p) &* 8 &+ Int(p.load(fromByteOffset: 4, as: UInt32.self))
        Glibc.free(p)
    }

    @inlinable
    public func dropTree(_ root: consuming MallocRef) {
        // Depth-first with an explicit stack: a 10-million-node list needs one stack entry at a time.
        dropStack.append(root.address)
        while let p = dropStack.popLast() {
            let count = slotCount(p)
            for i in 0..<count {
                if let child = p.load(fromByteOffset: 8 &+ i &* 8, as: UnsafeMutableRawPointer?.self) {
                    dropStack.append(child)
                }
            }
            freeOne(p)
        }
    }

    @inlinable
    public func free(_ object: consuming MallocRef) {
        freeOne(object.address)
    }

    @inlinable
    public func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try body()
    }

    public func statistics() -> ManagerStatistics {
        ManagerStatistics(allocations: allocations, bytesRequested: bytesRequested, heapBytes: nil,
                          liveBytes: liveBytes, extra: [:])
    }
}
