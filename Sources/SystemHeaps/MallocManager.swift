#if canImport(Glibc)
import Glibc
#endif
import CSystemHeaps

/// glibc's allocator: `malloc` and `free`.
@frozen
public struct GlibcAllocator: RawAllocator {
    public static var managerName: StaticString { "malloc" }
    @inlinable public init() {}

    @inlinable @inline(__always)
    public func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? { heaplab_malloc(bytes) }

    @inlinable @inline(__always)
    public func deallocate(_ block: UnsafeMutableRawPointer, bytes: Int) { Glibc.free(block) }
}

/// glibc malloc and free, driven as a C programmer would: every object is one `malloc`, every dead structure
/// is walked and `free`d object by object (see `ManualHeap`, `ObjectLayout`).
public typealias MallocManager = ManualHeap<GlibcAllocator>

extension ManualHeap where Allocator == GlibcAllocator {
    /// A heap over glibc malloc, always available.
    public convenience init() { self.init(allocator: GlibcAllocator()) }
}
