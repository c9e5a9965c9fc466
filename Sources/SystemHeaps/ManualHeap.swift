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
    /// Headed objects allocated (each takes `ObjectLayout.headerBytes` more than its shape's bytes); tagged
    /// shapes, every node shape, never touch it, so a constant shape's allocation updates two counters, as
    /// the C programs' do.
    @exclusivity(unchecked) @usableFromInline var headedAllocations = 0
    /// Bytes of blocks freed so far.
    @exclusivity(unchecked) @usableFromInline var bytesFreed = 0
    /// Bytes (header + slots + payload) allocated and not yet freed, derived from the counters above.
    @inlinable var liveBytes: Int {
        bytesRequested &+ headedAllocations &* ObjectLayout.headerBytes &- bytesFreed
    }
    /// Reused work list for the deep part of a `dropTree` (below `recursionLimit` levels): never allocates in
    /// steady state.
    @exclusivity(unchecked) @usableFromInline var dropStack: [ObjectRef] = []
    /// The thread this heap is a context of (`ThreadedManualHeap.attach`), or nil for a heap made on its own.
    /// Read only by debug-build checks on rare paths (`checkContextThread`), never on the fast path.
    @usableFromInline let owner: ThreadIdentity?

    /// Makes a heap over `allocator`, for one thread at a time (it may be handed to another thread before use).
    public init(allocator: Allocator) {
        self.allocator = allocator
        owner = nil
    }

    /// Makes the context of thread `owner` over `allocator` (`ThreadedManualHeap.attach`).
    init(allocator: Allocator, owner: ThreadIdentity) {
        self.allocator = allocator
        self.owner = owner
    }

    @inlinable @inline(__always)
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> ObjectRef {
        // Tagged (no header) when the shape fits a tag, as every node shape does: the block is what a C struct of
        // the same fields takes. The test folds away for a constant shape.
        let tagged = ObjectLayout.tag(shape) != 0
        let bytes = ObjectLayout.blockBytes(shape, tagged: tagged)
        guard let p = allocator.allocate(bytes) else { throw .systemOutOfMemory(requestedBytes: bytes) }
        // Nil slots and zero payload, as the contract promises, written as a C program initializes a struct:
        // straight-line stores, which the optimizer drops where the workload's own stores overwrite them.
        // (GlibcAllocator's malloc is opaque to LLVM, which would otherwise fuse malloc and the zero stores into
        // a calloc that skips glibc's thread cache: CSystemHeaps.h.)
        ObjectLayout.initialize(p, shape: shape, blockBytes: bytes, tagged: tagged)
        allocations &+= 1
        bytesRequested &+= shape.bytes
        if !tagged { headedAllocations &+= 1 }
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
        bytesFreed &+= bytes
        assert(owner != nil || liveBytes >= 0, "\(Allocator.managerName): more bytes freed than allocated (double free?)")
        allocator.deallocate(object.address, bytes: bytes)
    }

    /// Frees the tree under `root` children first, recursively, as a C program's `free_tree` does, which also
    /// gives malloc its blocks back in the same order. Below `recursionLimit` levels the rest of a branch is freed
    /// with an explicit stack instead, so a 10-million-node list can not overflow the thread's stack.
    @inlinable
    public func dropTree(_ root: consuming ObjectRef) {
        // The bytes are summed through the recursion and counted once: a C free_tree keeps no count, and a
        // read-modify-write of a counter per node stays in memory across the recursion (Docs/Internals.md,
        // "What the contract costs", has the instruction counts).
        bytesFreed &+= freeTree(root, depth: 0)
        // A context frees what other threads allocated too (a cross-thread free), so only a heap of its own can
        // check its balance; a threaded manager's balance is the sum over its contexts.
        assert(owner != nil || liveBytes >= 0, "\(Allocator.managerName): more bytes freed than allocated (double free?)")
    }

    /// Levels freed by recursion before a branch is handed to the explicit stack: at most a few hundred KiB of
    /// stack frames, within any thread's stack.
    @usableFromInline static var recursionLimit: Int { 4096 }

    /// Frees `object` and everything under it; returns the bytes of the blocks freed.
    @inlinable
    func freeTree(_ object: ObjectRef, depth: Int) -> Int {
        let slots = object.slots, count = object.slotCount, bytes = object.blockBytes
        // Invariant: every load below is at 8*i for i < the slot count, inside the block.
        if count == 2 {
            // Two children, the shape of every tree node, handled without a loop as a C free_tree is (a generic
            // loop keeps its index and count in callee-saved registers through each recursion); a leaf, half of
            // every tree, is freed before the depth check and before anything is kept across a call.
            let left = slots.load(as: UInt64.self), right = slots.load(fromByteOffset: 8, as: UInt64.self)
            if left | right == 0 {
                allocator.deallocate(object.address, bytes: bytes)
                return bytes
            }
            guard depth < Self.recursionLimit else { return freeDeepTree(object) }
            var freed = bytes
            if left != 0 { freed &+= freeTree(ObjectRef(bits: left), depth: depth &+ 1) }
            if right != 0 { freed &+= freeTree(ObjectRef(bits: right), depth: depth &+ 1) }
            allocator.deallocate(object.address, bytes: bytes)
            return freed
        }
        guard depth < Self.recursionLimit else { return freeDeepTree(object) }
        var freed = bytes
        var i = 0
        while i < count {
            let bits = slots.load(fromByteOffset: i &* 8, as: UInt64.self)
            if bits != 0 { freed &+= freeTree(ObjectRef(bits: bits), depth: depth &+ 1) }
            i &+= 1
        }
        allocator.deallocate(object.address, bytes: bytes)
        return freed
    }

    /// The part of a tree below `recursionLimit` levels: depth-first with a reused explicit stack, one entry per
    /// object waiting, never recursing. Returns the bytes of the blocks freed. Not checked for its thread: the
    /// owner may hand a `dropTree` to a thread with a larger stack while it waits (the `deep` workload).
    @usableFromInline @inline(never)
    func freeDeepTree(_ root: ObjectRef) -> Int {
        var freed = 0
        dropStack.append(root)
        while let object = dropStack.popLast() {
            for i in 0..<object.slotCount {
                if let child = ObjectLayout.rawSlot(object, i) { dropStack.append(child) }
            }
            let bytes = object.blockBytes
            freed &+= bytes
            allocator.deallocate(object.address, bytes: bytes)
        }
        return freed
    }

    @inlinable @inline(__always)
    public func free(_ object: consuming ObjectRef) {
        freeOne(object)
    }

    @inlinable
    public func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        checkContextThread(owner, manager: name, operation: "withScope")
        return try body()
    }

    /// Nothing to do (no collector stops this thread); debug builds check that a context runs on its thread.
    @inlinable public func safepoint() { checkContextThread(owner, manager: name, operation: "safepoint()") }

    /// This heap's counters. For a context (`ThreadedManualHeap`), they are its thread's: `liveBytes` is what
    /// this thread allocated minus what it freed, negative once it has freed more of other threads' objects
    /// than others freed of its own; the threaded manager's `statistics()` sums every context.
    public func statistics() -> ManagerStatistics {
        checkContextThread(owner, manager: name, operation: "statistics()")
        return ManagerStatistics(allocations: allocations, bytesRequested: bytesRequested, heapBytes: nil,
                          liveBytes: liveBytes, extra: [:])
    }
}
