/// An optional allocator's C entry points as plain function pointers, for C code that calls them the way a C
/// program calls malloc and free (the native reference programs, NativeReference's `hl_native_allocator`).
///
/// The library stays loaded for the life of the process (`DynamicLibrary` never closes), so the pointers stay
/// valid. Blocks from one allocator must go back to the same allocator's `free`.
@frozen
public struct CAllocatorFunctions: @unchecked Sendable {
    /// `void *malloc(size_t bytes)`: `bytes` bytes aligned to at least 16, not cleared; nil when refused.
    public typealias Allocate = @convention(c) (Int) -> UnsafeMutableRawPointer?
    /// `void free(void *p)`.
    public typealias Free = @convention(c) (UnsafeMutableRawPointer?) -> Void

    /// The allocator's malloc.
    public let malloc: Allocate
    /// The allocator's free; nil for a collector (nothing is freed by hand).
    public let free: Free?
    /// Memory that holds no pointers, which a collector never scans (`GC_malloc_atomic`); nil when the
    /// allocator makes no such distinction.
    public let mallocAtomic: Allocate?

    public init(malloc: Allocate, free: Free?, mallocAtomic: Allocate?) {
        self.malloc = malloc
        self.free = free
        self.mallocAtomic = mallocAtomic
    }
}

extension BoehmManager {
    /// Boehm GC's `GC_malloc` (scanned, cleared) and `GC_malloc_atomic` (never scanned, not cleared), with the
    /// collector initialized as for a `BoehmManager`. No `free`: the collector reclaims what is unreachable from
    /// the registered threads' stacks and registers, static data and its own heap.
    ///
    /// Use them on the thread that first loaded Boehm (the one `GC_init` registered), as `BoehmManager` is used;
    /// only registered threads' stacks are roots.
    /// - Throws: `ComparatorUnavailable` when libgc.so.1 is missing, or when this thread is not registered.
    public static func cFunctions() throws(ComparatorUnavailable) -> CAllocatorFunctions {
        let gc = try BoehmLibrary.load()
        guard gc.threadIsRegistered() != 0 else {
            throw ComparatorUnavailable(soname: "libgc.so.1", dlerror: "this thread is not registered with Boehm GC; use it from the thread that first loaded it")
        }
        return CAllocatorFunctions(malloc: gc.malloc, free: nil, mallocAtomic: gc.mallocAtomic)
    }
}
