/// jemalloc (`LoadedAllocator`): its `malloc` and `free`, looked up in libjemalloc.so.2's own handle, beside
/// glibc's malloc in the same process.
///
/// dlopen fails with "cannot allocate memory in static TLS block" unless the process started with
/// `GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096` (`staticTLSTunable`); `availability()` then says so.
@frozen
public struct JemallocAllocator: LoadedAllocator {
    public static var managerName: StaticString { "jemalloc" }
    public static let soname = "libjemalloc.so.2"
    public static let package = "libjemalloc2"
    public static let mallocSymbol = "malloc", freeSymbol = "free"
    public static let loaded = loadLibrary()
    public let functions: CAllocatorFunctions
    public init(functions: CAllocatorFunctions) { self.functions = functions }
}

/// jemalloc driven as a C programmer would drive malloc (see `ManualHeap`). Name: `jemalloc`.
public typealias JemallocManager = ManualHeap<JemallocAllocator>

extension ManualHeap where Allocator == JemallocAllocator {
    /// A heap over jemalloc.
    /// - Throws: `ComparatorUnavailable` when jemalloc can not be loaded (see `JemallocAllocator.availability()`).
    public convenience init() throws(ComparatorUnavailable) { self.init(allocator: try JemallocAllocator.load()) }
}
