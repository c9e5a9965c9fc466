import HeapLabCore

/// Header of an `ARCObject`: its shape and two flag bits, packed into two 32-bit words.
///
/// `slotsAndFlags` holds the reference slot count in its low 30 bits (ObjectShape allows at most 2^27 slots)
/// and two flags above them: `hasWeakSlots` (some slot holds a weak box, so `load` must look through boxes) and
/// `isWeakBox` (this object is a weak box, not a workload object).
@frozen
public struct ARCObjectHeader {
    public var slotsAndFlags: UInt32
    public var payloadBytes: UInt32

    /// Mask of the slot count in `slotsAndFlags`.
    public static let slotMask: UInt32 = (1 << 30) - 1
    /// Set on an object once a weak reference has been stored in one of its slots.
    public static let hasWeakSlots: UInt32 = 1 << 30
    /// Set on the hidden box objects that hold a weak reference.
    public static let isWeakBox: UInt32 = 1 << 31

    @inlinable public init(referenceSlots: UInt32, payloadBytes: UInt32) {
        precondition(referenceSlots <= ARCObjectHeader.slotMask, "arc: \(referenceSlots) slots exceed the header's 30 bits")
        self.slotsAndFlags = referenceSlots
        self.payloadBytes = payloadBytes
    }

    /// The number of reference slots.
    @inlinable public var referenceSlots: Int { Int(slotsAndFlags & ARCObjectHeader.slotMask) }
}

/// A weak reference as Swift stores one (`weak var`): one word, nil once the target has died.
@usableFromInline
struct ARCWeakCell {
    @usableFromInline weak var target: ARCObject?
    @inlinable init(_ target: ARCObject) { self.target = target }
}

/// One object under Swift's automatic reference counting: a final class instance whose reference slots are
/// strong optional references, stored inline after the object header (ManagedBuffer's tail allocation), with
/// the payload bytes after them. One heap allocation per object, as a hand-written `final class Node` would
/// be; every slot store retains the new value and releases the old one.
///
/// Element storage: the first `referenceSlots` elements are initialized `ARCObject?` values; the memory after
/// them (`payloadBytes` rounded up to whole elements) is raw bytes, bound to UInt8 at creation and only ever
/// accessed with raw loads and stores of bitwise-copyable types.
///
/// Weak references (`ARCManager.storeWeak`): a slot can hold a *weak box* instead, an `ARCObject` flagged
/// `isWeakBox` with no slots whose first element's memory is bound to an `ARCWeakCell` (a Swift `weak var`).
/// The container is flagged `hasWeakSlots`, so `load` looks through boxes only on objects that have one.
/// The box costs one extra small allocation per weak store; Swift's own `weak var` allocates a side table
/// per target instead. What the box keeps is exactly Swift's weak semantics: it never keeps the target alive.
public final class ARCObject: ManagedBuffer<ARCObjectHeader, ARCObject?>, Hashable {
    deinit {
        withUnsafeMutablePointers { header, elements in
            let raw = header.pointee.slotsAndFlags
            if raw & ARCObjectHeader.isWeakBox != 0 {
                // Invariant: a box's first element was bound to ARCWeakCell and initialized by makeWeakBox.
                UnsafeMutableRawPointer(elements).assumingMemoryBound(to: ARCWeakCell.self).deinitialize(count: 1)
                ARCLiveObjects.weakBoxDied()
                return
            }
            let slots = Int(raw & ARCObjectHeader.slotMask)
            ARCLiveObjects.died(bytes: slots &* 8 &+ Int(header.pointee.payloadBytes))
            // Releases the slots; a long chain releases recursively, as Swift's ARC does (deep structures can
            // overflow the native stack: the `deep` workload measures exactly that).
            elements.deinitialize(count: slots)
        }
    }

    /// Whether this object is a weak box (never handed to a workload).
    @inlinable var isWeakBox: Bool { header.slotsAndFlags & ARCObjectHeader.isWeakBox != 0 }

    /// The target of a weak box, nil once it has died.
    /// - Precondition: `isWeakBox`.
    @inlinable var weakTarget: ARCObject? {
        withUnsafeMutablePointerToElements { elements in
            assert(isWeakBox, "arc: weakTarget read from an object that is not a weak box")
            return UnsafeMutableRawPointer(elements).assumingMemoryBound(to: ARCWeakCell.self).pointee.target
        }
    }

    /// Makes a weak box holding a weak reference to `target`.
    @inlinable static func makeWeakBox(_ target: ARCObject) -> ARCObject {
        let box = unsafeDowncast(
            ARCObject.create(minimumCapacity: 1) { _ in
                var h = ARCObjectHeader(referenceSlots: 0, payloadBytes: 0)
                h.slotsAndFlags |= ARCObjectHeader.isWeakBox
                return h
            }, to: ARCObject.self)
        box.withUnsafeMutablePointerToElements { elements in
            // The element memory is uninitialized (0 slots), so it may be rebound to the one-word weak cell.
            UnsafeMutableRawPointer(elements).bindMemory(to: ARCWeakCell.self, capacity: 1).initialize(to: ARCWeakCell(target))
        }
        ARCLiveObjects.weakBoxMade()
        return box
    }

    public static func == (a: ARCObject, b: ARCObject) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// Swift's ARC as a Swift programmer uses it: objects are class instances, references are strong, an object
/// dies when its last reference goes away. No roots, no explicit frees: `dropTree` just consumes the last
/// reference, so the release cascade runs (and is measured) there. A strong reference cycle is never freed;
/// `storeWeak` gives the `weak var` a Swift programmer would write to avoid one.
///
/// `statistics().liveBytes` is the process-wide count of ARC workload bytes not yet deinitialized
/// (`ARCLiveObjects.bytes`): with one manager per process, as the runner runs them, that is this manager's.
public final class ARCManager: MemoryManager {
    public typealias Ref = ARCObject

    public let name = "arc"
    @inlinable public var reclamation: Reclamation { .referenceCounting }

    @exclusivity(unchecked) @usableFromInline var allocations = 0
    @exclusivity(unchecked) @usableFromInline var bytesRequested = 0
    /// The thread this manager is a context of (`ThreadedARCManager.attach`), or nil for a manager made on its
    /// own. Read only by debug-build checks on rare paths (`checkContextThread`).
    @usableFromInline let owner: ThreadIdentity?

    /// A manager for one thread at a time (it may be handed to another thread before use).
    public init() { owner = nil }

    /// The context of thread `owner` (`ThreadedARCManager.attach`).
    init(owner: ThreadIdentity) { self.owner = owner }

    @inlinable
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> ARCObject {
        let stride = MemoryLayout<ARCObject?>.stride
        let payloadElements = (shape.payloadBytes &+ stride &- 1) / stride
        let object = unsafeDowncast(
            ARCObject.create(minimumCapacity: shape.referenceSlots &+ payloadElements) { _ in
                ARCObjectHeader(referenceSlots: UInt32(truncatingIfNeeded: shape.referenceSlots),
                                payloadBytes: UInt32(truncatingIfNeeded: shape.payloadBytes))
            }, to: ARCObject.self)
        object.withUnsafeMutablePointers { header, elements in
            elements.initialize(repeating: nil, count: shape.referenceSlots)
            // The payload region follows the slots; it is uninitialized, so binding it to bytes is allowed.
            UnsafeMutableRawPointer(elements + shape.referenceSlots)
                .initializeMemory(as: UInt8.self, repeating: 0, count: shape.payloadBytes)
        }
        allocations &+= 1
        bytesRequested &+= shape.bytes
        ARCLiveObjects.allocated(bytes: shape.bytes)
        return object
    }

    @inlinable
    public func shape(of object: ARCObject) -> ObjectShape {
        let h = object.header
        return ObjectShape(referenceSlots: h.referenceSlots, payloadBytes: Int(h.payloadBytes))
    }

    @inlinable
    public func load(_ object: ARCObject, slot: Int) -> ARCObject? {
        object.withUnsafeMutablePointers { header, elements in
            let raw = header.pointee.slotsAndFlags
            checkSlot(slot, count: Int(raw & ARCObjectHeader.slotMask), manager: "arc")
            let value = elements[slot]
            // Only objects that ever received a weak store can hold a box: one flag test for all others.
            if _slowPath(raw & ARCObjectHeader.hasWeakSlots != 0), let value, value.isWeakBox {
                return value.weakTarget
            }
            return value
        }
    }

    @inlinable
    public func store(_ object: ARCObject, slot: Int, _ value: ARCObject?) {
        object.withUnsafeMutablePointers { header, elements in
            checkSlot(slot, count: header.pointee.referenceSlots, manager: "arc")
            elements[slot] = value
        }
    }

    /// Stores a weak reference: the slot does not keep `value` alive, and `load` gives nil after it dies.
    /// Costs one small box allocation per non-nil store (see `ARCObject`).
    @inlinable
    public func storeWeak(_ object: ARCObject, slot: Int, _ value: ARCObject?) {
        let box = value.map(ARCObject.makeWeakBox)
        object.withUnsafeMutablePointers { header, elements in
            checkSlot(slot, count: header.pointee.referenceSlots, manager: "arc")
            if box != nil { header.pointee.slotsAndFlags |= ARCObjectHeader.hasWeakSlots }
            elements[slot] = box
        }
    }

    @inlinable
    public func loadPayload<T: BitwiseCopyable>(_ object: ARCObject, byteOffset: Int, as type: T.Type) -> T {
        object.withUnsafeMutablePointers { header, elements in
            checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: Int(header.pointee.payloadBytes), manager: "arc")
            return UnsafeRawPointer(elements + header.pointee.referenceSlots).loadUnaligned(fromByteOffset: byteOffset, as: T.self)
        }
    }

    @inlinable
    public func storePayload<T: BitwiseCopyable>(_ object: ARCObject, byteOffset: Int, _ value: T) {
        object.withUnsafeMutablePointers { header, elements in
            checkPayload(byteOffset, size: MemoryLayout<T>.size, payloadBytes: Int(header.pointee.payloadBytes), manager: "arc")
            UnsafeMutableRawPointer(elements + header.pointee.referenceSlots).storeBytes(of: value, toByteOffset: byteOffset, as: T.self)
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
        checkContextThread(owner, manager: name, operation: "withScope")
        return try body()
    }

    /// Nothing to do (no collector stops this thread); debug builds check that a context runs on its thread.
    @inlinable public func safepoint() { checkContextThread(owner, manager: name, operation: "safepoint()") }

    /// `liveBytes` is `ARCLiveObjects.bytes` (process-wide); `extra` has `liveObjects` and `weakBoxes`. For a
    /// context, `allocations` and `bytesRequested` are its thread's.
    public func statistics() -> ManagerStatistics {
        checkContextThread(owner, manager: name, operation: "statistics()")
        return ManagerStatistics(allocations: allocations, bytesRequested: bytesRequested, liveBytes: ARCLiveObjects.bytes,
                          extra: ["liveObjects": Double(ARCLiveObjects.count), "weakBoxes": Double(ARCLiveObjects.weakBoxes)])
    }
}
