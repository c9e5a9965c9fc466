/// A C-style allocator: zeroed blocks in, blocks out, called as a C program calls malloc and free.
///
/// `ManualHeap` is generic over it, so each allocator's calls are specialized directly into the workload:
/// glibc's `calloc`/`free`, or a function pointer loaded with dlopen for jemalloc and mimalloc.
public protocol RawAllocator {
    /// The manager's name in tables and on the command line (`malloc`, `jemalloc`, `mimalloc`).
    static var managerName: StaticString { get }

    /// Allocates `bytes` (> 0) zeroed bytes aligned to at least 8, or returns nil when the allocator refuses.
    func allocateZeroed(_ bytes: Int) -> UnsafeMutableRawPointer?

    /// Frees a block this allocator returned, whose requested size was `bytes`.
    func deallocate(_ block: UnsafeMutableRawPointer, bytes: Int)
}
