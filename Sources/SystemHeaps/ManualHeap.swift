import HeapLabCore

/// A heap managed by hand, as a C programmer manages one: every object is one block from a `RawAllocator`,
/// laid out as `ObjectLayout` says, and every dead structure is walked and freed block by block.
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
    @exclusivity(unchecked) @usableFromInline var dropStack: [UnsafeMutableRawPointer] = []

    /// Makes a heap over `allocator`.
    public init(allocator: Allocator) {
        self.allocator = allocator
    }

    @inlinable
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> ObjectRef {
        let bytes = ObjectLayout.blockBytes(shape)
        guard let p = allocator.allocate(bytes) else { throw .systemOutOfMemory(requestedBytes: bytes) }
        // The header, nil slots and zero payload the contract promises, written as a C program initializes a
        // struct: straight-line stores for small objects. (calloc would clear it, but glibc's calloc skips
        // the per-thread cache that malloc uses and costs far more than the stores: Docs/Internals.md.)
        ObjectLayout.initialize(p, shape: shape, blockBytes: bytes)
        allocations &+= 1
        bytesRequested &+= shape.bytes
        liveBytes &+= bytes
        return ObjectRef(p)
    }

    @inlinable
    public func shape(of object: ObjectRef) -> ObjectShape { ObjectLayout.shape(object.address) }

    @inlinable
    public func load(_ object: ObjectRef, slot: Int) -> ObjectRef? {
        ObjectLayout.load(object.address, slot: slot, manager: Allocator.managerName).map(ObjectRef.init)
    }

    @inlinable
    public func store(_ object: ObjectRef, slot: Int, _ value: ObjectRef?) {
        ObjectLayout.store(object.address, slot: slot, value?.address, manager: Allocator.managerName)
    }

    @inlinable
    public func loadPayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, as type: T.Type) -> T {
        ObjectLayout.loadPayload(object.address, byteOffset: byteOffset, as: T.self, manager: Allocator.managerName)
    }

    @inlinable
    public func storePayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, _ value: T) {
        ObjectLayout.storePayload(object.address, byteOffset: byteOffset, value, manager: Allocator.managerName)
    }

    // Rooting: manually managed memory lives until freed; nothing to record.
    @inlinable public var rootDepth: Int { 0 }
    @inlinable @discardableResult public func pushRoot(_ ref: ObjectRef?) -> Int { 0 }
    @inlinable public func setRoot(_ index: Int, _ ref: ObjectRef?) {}
    @inlinable public func popRoots(to depth: Int) {}

    @inlinable
    func freeOne(_ p: UnsafeMutableRawPointer) {
        let bytes = ObjectLayout.blockBytes(p)
        liveBytes &-= bytes
        assert(liveBytes >= 0, "\(Allocator.managerName): more bytes freed than allocated (double free?)")
        allocator.deallocate(p, bytes: bytes)
    }

    /// Frees the tree under `root` children first, recursively, as a C program's `free_tree` does, which also
    /// gives malloc its blocks back in the same order. Below `recursionLimit` levels the rest of a branch is freed
    /// with an explicit stack instead, so a 10-million-node list can not overflow the thread's stack.
    @inlinable
    public func dropTree(_ root: consuming ObjectRef) {
        freeTree(root.address, depth: 0)
    }

    /// Levels freed by recursion before a branch is handed to the explicit stack: at most a few hundred KiB of
    /// stack frames, within any thread's stack.
    @usableFromInline static var recursionLimit: Int { 4096 }

    @inlinable
    func freeTree(_ p: UnsafeMutableRawPointer, depth: Int) {
        guard depth < Self.recursionLimit else { return freeDeepTree(p) }
        for i in 0..<ObjectLayout.slotCount(p) {
            // Invariant: i < the slot count in p's header, so the slot lies inside the block.
            if let child = ObjectLayout.rawSlot(p, i) { freeTree(child, depth: depth &+ 1) }
        }
        freeOne(p)
    }

    /// The part of a tree below `recursionLimit` levels: depth-first with a reused explicit stack, one entry per
    /// object waiting, never recursing.
    @usableFromInline @inline(never)
    func freeDeepTree(_ root: UnsafeMutableRawPointer) {
        dropStack.append(root)
        while let p = dropStack.popLast() {
            for i in 0..<ObjectLayout.slotCount(p) {
                if let child = ObjectLayout.rawSlot(p, i) { dropStack.append(child) }
            }
            freeOne(p)
        }
    }

    @inlinable
    public func free(_ object: consuming ObjectRef) {
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
