import HeapLabCore

/// Header of an `ARCObject`: its shape, as two 32-bit counts.
@frozen
public struct ARCObjectHeader {
    public var referenceSlots: UInt32
    public var payloadBytes: UInt32
    @inlinable public init(referenceSlots: UInt32, payloadBytes: UInt32) {
        self.referenceSlots = referenceSlots
        self.payloadBytes = payloadBytes
    }
}

/// One object under Swift's automatic reference counting: a final class instance whose reference slots are
/// strong optional references, stored inline after the object header (ManagedBuffer's tail allocation), with
/// the payload bytes after them. One heap allocation per object, as a hand-written `final class Node` would
/// be; every slot store retains the new value and releases the old one.
///
/// Element storage: the first `referenceSlots` elements are initialized `ARCObject?` values; the memory after
/// them (`payloadBytes` rounded up to whole elements) is raw bytes, bound to UInt8 at creation and only ever
/// accessed with raw loads and stores of bitwise-copyable types.
public final class ARCObject: ManagedBuffer<ARCObjectHeader, ARCObject?>, Hashable {
    deinit {
        // Releases the slots; a long chain releases recursively, as Swift's ARC does (deep structures can
        // overflow the native stack: the `deep` workload measures exactly that).
        _ = withUnsafeMutablePointers { header, elements in
            elements.deinitialize(count: Int(header.pointee.referenceSlots))
        }
    }

    public static func == (a: ARCObject, b: ARCObject) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// Swift's ARC as a Swift programmer uses it: objects are class instances, references are strong, an object
/// dies when its last reference goes away. No roots, no explicit frees: `dropTree` just consumes the last
/// reference, so the release cascade runs (and is measured) there.
public final class ARCManager: MemoryManager {
    public typealias Ref = ARCObject

    public let name = "arc"
    public var dropsStall: Bool { true }

    @exclusivity(unchecked) @usableFromInline var allocations = 0
    @exclusivity(unchecked) @usableFromInline var bytesRequested = 0

    public init() {}

    @inlinable
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> ARCObject {
        let stride = MemoryLayout<ARCObject?>.stride
        let payloadElements = (shape.payloadBytes &+ stride &- 1) / stride
        let object = unsafeDowncast(
            ARCObject.create(minimumCapacity: shape.referenceSlots &+ payloadElements) { _ in
                ARCObjectHeader(referenceSlots: UInt32(truncatingIfNeeded: shape.referenceSlots),
                                payloadBytes: UInt32(truncatingIfNeeded: shape.payloadBytes))
            }, to: ARCObject.self)
        object.withUnsafeMutablePointerToElements { elements in
            elements.initialize(repeating: nil, count: shape.referenceSlots)
            // The payload region follows the slots; it is uninitialized, so binding it to bytes is allowed.
            UnsafeMutableRawPointer(elements + shape.referenceSlots)
                .initializeMemory(as: UInt8.self, repeating: 0, count: shape.payloadBytes)
        }
        allocations &+= 1
        bytesRequested &+= shape.bytes
        return object
    }

    @inlinable
    public func shape(of object: ARCObject) -> ObjectShape {
        let h = object.header
        return ObjectShape(referenceSlots: Int(h.referenceSlots), payloadBytes: Int(h.payloadBytes))
    }

    @inlinable
    public func load(_ object: ARCObject, slot: Int) -> ARCObject? {
        object.withUnsafeMutablePointers { header, elements in
            checkSlot(slot, count: Int(header.pointee.referenceSlots), manager: "arc")
            return elements[slot]
        }
    }

    @inlinable
    public func store(_ object: ARCObject, slot: Int, _ value: ARCObject?) {
        object.withUnsafeMutablePointers { header, elements in
            checkSlot(slot, count: Int(header.pointee.referenceSlots), manager: "arc")
            elements[slot] = value
        }
    }

    @inlinable
    public func loadPayload<T: BitwiseCopyable>(_ object: ARCObject, byteOffset: Int, as type: T.Type) -> T {
        object.withUnsafeMutablePointers { header, elements in
            checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: Int(header.pointee.payloadBytes), manager: "arc")
            return UnsafeRawPointer(elements + Int(header.pointee.referenceSlots)).loadUnaligned(fromByteOffset: byteOffset, as: T.self)
        }
    }

    @inlinable
    public func storePayload<T: BitwiseCopyable>(_ object: ARCObject, byteOffset: Int, _ value: T) {
        object.withUnsafeMutablePointers { header, elements in
            checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: Int(header.pointee.payloadBytes), manager: "arc")
            UnsafeMutableRawPointer(elements + Int(header.pointee.referenceSlots)).storeBytes(of: value, toByteOffset: byteOffset, as: T.self)
        }
    }

    @inlinable public var rootDepth: Int { 0 }
    @inlinable @discardableResult public func pushRoot(_ ref: ARCObject?) -> Int { 0 }
    @inlinable public func setRoot(_ index: Int, _ ref: ARCObject?) {}
    @inlinable public func popRoots(to depth: Int) {}

    /// Consumes the reference: if it was the last one, the whole structure is released here.
    @inlinable
    public func dropTree(_ root: consuming ARCObject) {
        _ = consume root
    }

    @inlinable
    public func free(_ object: consuming ARCObject) {
        _ = consume object
    }

    @inlinable
    public func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try body()
    }

    public func statistics() -> ManagerStatistics {
        ManagerStatistics(allocations: allocations, bytesRequested: bytesRequested, extra: [:])
    }
}
