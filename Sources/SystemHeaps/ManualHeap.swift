import HeapLabCore

/// A heap managed by hand, as a C programmer manages one: every object is one block from a `RawAllocator`,
/// laid out as `ObjectLayout` says (tagged, so a node's block is what the C struct takes), and every dead
/// structure is walked and freed block by block.
///
/// `MallocManager` (glibc), `JemallocManager` and `MimallocManager` are this class over their allocators, so
/// the three differ only in the allocator: what they are compared on.
public final class ManualHeap<Allocator: RawAllocator>: MemoryManager {
    public typealias Ref = ObjectRef

    public var name: String { Allocator.managerName.description }
    @inlinable public var reclamation: Reclamation { .explicitFree }

    @usableFromInline let allocator: Allocator
    @exclusivity(unchecked) @usableFromInline var allocations = 0
    @exclusivity(unchecked) @usableFromInline var bytesRequested = 0
    /// Bytes (header + slots + payload) allocated and not yet freed.
    @exclusivity(unchecked) @usableFromInline var liveBytes = 0
    /// Reused work list for the deep part of a `dropTree` (below `recursionLimit` levels): never allocates in
    /// steady state.
    @exclusivity(unchecked) @usableFromInline var dropStack: [ObjectRef] = []

    /// Makes a heap over `allocator`.
    public init(allocator: Allocator) {
        self.allocator = allocator
    }

    @inlinable @inline(__always)
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> ObjectRef {
        // Tagged (no header) when the shape fits a tag, as every node shape does: the block is what a C struct of
        // the same fields takes. The test folds away for a constant shape.
        let tagged = ObjectLayout.tag(shape) != 0
        let bytes = ObjectLayout.blockBytes(shape, tagged: tagged)
        guard let p = allocator.allocate(bytes) else { throw .systemOutOfMemory(requestedBytes: bytes) }
        // Nil slots and zero payload, as the contract promises, written as a C program initializes a struct:
        // straight-line stores. (For glibc, LLVM turns a malloc followed by zeroing stores into one calloc, as
        // clang does for the native reference programs: both then pay glibc's calloc, which skips the thread
        // cache that malloc uses.)
        ObjectLayout.initialize(p, shape: shape, blockBytes: bytes, tagged: tagged)
        allocations &+= 1
        bytesRequested &+= shape.bytes
        liveBytes &+= bytes
        return ObjectRef(address: p, shape: shape, tagged: tagged)
    }

    @inlinable @inline(__always)
    public func shape(of object: ObjectRef) -> ObjectShape { object.shape }

    @inlinable @inline(__always)
    public func load(_ object: ObjectRef, slot: Int) -> ObjectRef? {
        ObjectLayout.load(object, slot: slot, manager: Allocator.managerName)
    }

    @inlinable @inline(__always)
    public func store(_ object: ObjectRef, slot: Int, _ value: ObjectRef?) {
        ObjectLayout.store(object, slot: slot, value, manager: Allocator.managerName)
    }

    @inlinable @inline(__always)
    public func loadPayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, as type: T.Type) -> T {
        ObjectLayout.loadPayload(object, byteOffset: byteOffset, as: T.self, manager: Allocator.managerName)
    }

    @inlinable @inline(__always)
    public func storePayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, _ value: T) {
        ObjectLayout.storePayload(object, byteOffset: byteOffset, value, manager: Allocator.managerName)
    }

    // Rooting: manually managed memory lives until freed; nothing to record.
    @inlinable public var rootDepth: Int { 0 }
    @inlinable @discardableResult public func pushRoot(_ ref: ObjectRef?) -> Int { 0 }
    @inlinable public func setRoot(_ index: Int, _ ref: ObjectRef?) {}
    @inlinable public func popRoots(to depth: Int) {}

    @inlinable @inline(__always)
    func freeOne(_ object: ObjectRef) {
        let bytes = object.blockBytes
        liveBytes &-= bytes
        assert(liveBytes >= 0, "\(Allocator.managerName): more bytes freed than allocated (double free?)")
        allocator.deallocate(object.address, bytes: bytes)
    }

    /// Frees the tree under `root` children first, recursively, as a C program's `free_tree` does, which also
    /// gives malloc its blocks back in the same order. Below `recursionLimit` levels the rest of a branch is freed
    /// with an explicit stack instead, so a 10-million-node list can not overflow the thread's stack.
    @inlinable
    public func dropTree(_ root: consuming ObjectRef) {
        freeTree(root, depth: 0)
    }

    /// Levels freed by recursion before a branch is handed to the explicit stack: at most a few hundred KiB of
    /// stack frames, within any thread's stack.
    @usableFromInline static var recursionLimit: Int { 4096 }

    @inlinable
    func freeTree(_ object: ObjectRef, depth: Int) {
        guard depth < Self.recursionLimit else { return freeDeepTree(object) }
        let slots = object.slots, count = object.slotCount
        var i = 0
        while i < count {
            // Invariant: i < the slot count, so the 8 bytes at slots + 8*i lie inside the block.
            let bits = slots.load(fromByteOffset: i &* 8, as: UInt64.self)
            if bits != 0 { freeTree(ObjectRef(bits: bits), depth: depth &+ 1) }
            i &+= 1
        }
        freeOne(object)
    }

    /// The part of a tree below `recursionLimit` levels: depth-first with a reused explicit stack, one entry per
    /// object waiting, never recursing.
    @usableFromInline @inline(never)
    func freeDeepTree(_ root: ObjectRef) {
        dropStack.append(root)
        while let object = dropStack.popLast() {
            for i in 0..<object.slotCount {
                if let child = ObjectLayout.rawSlot(object, i) { dropStack.append(child) }
            }
            freeOne(object)
        }
    }

    @inlinable @inline(__always)
    public func free(_ object: consuming ObjectRef) {
        freeOne(object)
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
