#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator: `calloc` and `free`.
@frozen
public struct GlibcAllocator: RawAllocator {
    public static var managerName: StaticString { "malloc" }
    @inlinable public init() {}

    @inlinable @inline(__always)
    public func allocateZeroed(_ bytes: Int) -> UnsafeMutableRawPointer? { calloc(1, bytes) }

    @inlinable @inline(__always)
    public func deallocate(_ block: UnsafeMutableRawPointer, bytes: Int) { Glibc.free(block) }
}

/// glibc malloc and free, driven as a C programmer would: every object is one `calloc`, every dead structure
/// is walked and `free`d object by object (see `ManualHeap`, `ObjectLayout`).
public typealias MallocManager = ManualHeap<GlibcAllocator>

extension ManualHeap where Allocator == GlibcAllocator {
    /// A heap over glibc malloc, always available.
    public convenience init() { self.init(allocator: GlibcAllocator()) }
}
