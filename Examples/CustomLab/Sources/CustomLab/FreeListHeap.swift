#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore
import HeapLabKit

/// A size-segregated free-list allocator over mmap, the classic design of a simple `malloc`: small blocks come
/// in 64 size classes 16 bytes apart (16 ... 1,024 bytes), each class with a free list threaded through its free
/// blocks; a block is carved from 1 MiB chunks taken from the system with mmap when its list is empty; larger
/// blocks get an mmap of their own and are unmapped when freed. Nothing is ever returned to the system from
/// the chunks, and there is no coalescing: a freed block serves only its own class (what segregated fits trade
/// for speed).
///
/// Objects are laid out as HeapLab's other explicit-free heaps lay them out (`ObjectLayout`), so the comparison
/// with malloc, jemalloc and mimalloc is on the allocator alone. Single-threaded.
public final class FreeListHeap: MemoryManager {
    public typealias Ref = ObjectRef

    public let name = "freelist"
    @inlinable public var reclamation: Reclamation { .explicitFree }

    /// Bytes between size classes, and the largest small block.
    @usableFromInline static let granule = 16
    @usableFromInline static let largestSmall = 1024
    @usableFromInline static let chunkBytes = 1 << 20

    /// Free-list heads, one per class (class c holds blocks of (c + 1) * 16 bytes). Invariant: every block on
    /// list c is a block of class c that nothing references (the workload freed it), its first word the next.
    @usableFromInline let freeLists: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    /// Unused memory of the current chunk: [cursor, limit).
    @usableFromInline var cursor: UnsafeMutableRawPointer?
    @usableFromInline var limit: UnsafeMutableRawPointer?
    /// Every chunk mapped, for deinit.
    @usableFromInline var chunks: [UnsafeMutableRawPointer] = []
    @usableFromInline var allocations = 0
    @usableFromInline var bytesRequested = 0
    @usableFromInline var liveBytes = 0
    @usableFromInline var mappedBytes = 0
    /// Reused work list for `dropTree`: freeing a structure never recurses.
    @usableFromInline var dropStack: [UnsafeMutableRawPointer] = []

    public init() {
        let classes = Self.largestSmall / Self.granule
        freeLists = .allocate(capacity: classes)
        freeLists.initialize(repeating: nil, count: classes)
    }

    deinit {
        for chunk in chunks { munmap(chunk, Self.chunkBytes) }
        freeLists.deallocate()
    }

    /// The block size for an object of `bytes` (header included): its class's size, or whole pages.
    @inlinable static func blockBytes(_ bytes: Int) -> Int {
        bytes <= largestSmall ? (bytes + granule - 1) & ~(granule - 1) : (bytes + 4095) & ~4095
    }

    @inlinable
    public func allocate(_ shape: ObjectShape) throws(AllocationError) -> ObjectRef {
        let block = Self.blockBytes(ObjectLayout.blockBytes(shape))
        let p: UnsafeMutableRawPointer
        if block <= Self.largestSmall {
            let c = block / Self.granule - 1
            if let head = freeLists[c] {
                // Invariant: head is a free block of class c; its first word links the next one.
                freeLists[c] = head.load(as: UnsafeMutableRawPointer?.self)
                p = head
            } else {
                p = try carve(block)
            }
        } else {
            p = try mapLarge(block)
        }
        // Invariant: [p, p + block) is ours and unreferenced; block >= the object's bytes.
        ObjectLayout.initialize(p, shape: shape, blockBytes: block)
        allocations &+= 1
        bytesRequested &+= shape.bytes
        liveBytes &+= block
        return ObjectRef(p)
    }

    /// A small block from the current chunk, mapping a new chunk when it is used up (the rest of the old one is
    /// wasted: a simple allocator's price).
    @usableFromInline @inline(never)
    func carve(_ block: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        if let cursor, let limit, limit - cursor >= block {
            self.cursor = cursor + block
            return cursor
        }
        guard let chunk = Self.map(Self.chunkBytes) else { throw .systemOutOfMemory(requestedBytes: Self.chunkBytes) }
        chunks.append(chunk)
        mappedBytes += Self.chunkBytes
        cursor = chunk + block
        limit = chunk + Self.chunkBytes
        return chunk
    }

    @usableFromInline @inline(never)
    func mapLarge(_ block: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        guard let p = Self.map(block) else { throw .systemOutOfMemory(requestedBytes: block) }
        mappedBytes += block
        return p
    }

    /// Fresh zeroed pages from the kernel, or nil.
    @usableFromInline static func map(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        return p == MAP_FAILED ? nil : p
    }

    @inlinable
    func release(_ p: UnsafeMutableRawPointer) {
        let block = Self.blockBytes(ObjectLayout.blockBytes(p))
        liveBytes &-= block
        if block <= Self.largestSmall {
            let c = block / Self.granule - 1
            // Invariant: p is a block of class c the workload no longer references; it joins the list.
            p.storeBytes(of: freeLists[c], as: UnsafeMutableRawPointer?.self)
            freeLists[c] = p
        } else {
            munmap(p, block)
            mappedBytes -= block
        }
    }

    @inlinable public func shape(of object: ObjectRef) -> ObjectShape { ObjectLayout.shape(object.address) }

    @inlinable
    public func load(_ object: ObjectRef, slot: Int) -> ObjectRef? {
        ObjectLayout.load(object.address, slot: slot, manager: "freelist").map(ObjectRef.init)
    }

    @inlinable
    public func store(_ object: ObjectRef, slot: Int, _ value: ObjectRef?) {
        ObjectLayout.store(object.address, slot: slot, value?.address, manager: "freelist")
    }

    @inlinable
    public func loadPayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, as type: T.Type) -> T {
        ObjectLayout.loadPayload(object.address, byteOffset: byteOffset, as: T.self, manager: "freelist")
    }

    @inlinable
    public func storePayload<T: BitwiseCopyable>(_ object: ObjectRef, byteOffset: Int, _ value: T) {
        ObjectLayout.storePayload(object.address, byteOffset: byteOffset, value, manager: "freelist")
    }

    // Memory managed by hand lives until it is freed: nothing to root.
    @inlinable public var rootDepth: Int { 0 }
    @inlinable @discardableResult public func pushRoot(_ ref: ObjectRef?) -> Int { 0 }
    @inlinable public func setRoot(_ index: Int, _ ref: ObjectRef?) {}
    @inlinable public func popRoots(to depth: Int) {}

    @inlinable
    public func dropTree(_ root: consuming ObjectRef) {
        dropStack.append(root.address)
        while let p = dropStack.popLast() {
            for i in 0..<ObjectLayout.slotCount(p) {
                if let child = ObjectLayout.rawSlot(p, i) { dropStack.append(child) }
            }
            release(p)
        }
    }

    @inlinable public func free(_ object: consuming ObjectRef) { release(object.address) }

    @inlinable
    public func withScope<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R { try body() }

    public func statistics() -> ManagerStatistics {
        ManagerStatistics(allocations: allocations, bytesRequested: bytesRequested, heapBytes: mappedBytes,
                          liveBytes: liveBytes, extra: ["chunks": Double(chunks.count)])
    }
}

/// How the lab describes and makes a `FreeListHeap`.
public enum FreeListDescriptor: ManagerDescriptor {
    public static var entry: ManagerEntry {
        ManagerEntry(name: "freelist",
                     summary: "a size-segregated free-list allocator over mmap, 16-byte classes to 1 KiB (custom manager example)",
                     nativeReference: "c-malloc")
    }

    public static func make(options: [String: String], pauseLog: PauseLog) -> FreeListHeap { FreeListHeap() }
}
