/// mimalloc (`LoadedAllocator`): `mi_malloc` and `mi_free` from libmimalloc.so.2, beside glibc's malloc.
@frozen
public struct MimallocAllocator: LoadedAllocator {
    public static var managerName: StaticString { "mimalloc" }
    public static let soname = "libmimalloc.so.2"
    public static let package = "libmimalloc2.0"
    public static let mallocSymbol = "mi_malloc", freeSymbol = "mi_free"
    public static let loaded = loadLibrary()
    public let functions: CAllocatorFunctions
    public init(functions: CAllocatorFunctions) { self.functions = functions }
}

/// mimalloc driven as a C programmer would drive malloc (see `ManualHeap`). Name: `mimalloc`.
public typealias MimallocManager = ManualHeap<MimallocAllocator>

extension ManualHeap where Allocator == MimallocAllocator {
    /// A heap over mimalloc.
    /// - Throws: `ComparatorUnavailable` when mimalloc can not be loaded (see `MimallocAllocator.availability()`).
    public convenience init() throws(ComparatorUnavailable) { self.init(allocator: try MimallocAllocator.load()) }
}
