/// A C-style allocator: blocks in, blocks out, called as a C program calls malloc and free.
///
/// `ManualHeap` is generic over it, so each allocator's calls are specialized directly into the workload:
/// glibc's `malloc`/`free`, or a function pointer loaded with dlopen for jemalloc and mimalloc.
public protocol RawAllocator {
    /// The manager's name in tables and on the command line (`malloc`, `jemalloc`, `mimalloc`).
    static var managerName: StaticString { get }

    /// Allocates `bytes` (> 0) bytes aligned to at least 8, not cleared, or returns nil when the allocator
    /// refuses.
    func allocate(_ bytes: Int) -> UnsafeMutableRawPointer?

    /// Frees a block this allocator returned, whose requested size was `bytes`.
    func deallocate(_ block: UnsafeMutableRawPointer, bytes: Int)
}
