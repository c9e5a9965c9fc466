/// jemalloc, loaded with dlopen from libjemalloc.so.2 and called through function pointers beside glibc malloc
/// in the same process: its `malloc` and `free`, looked up in the library's own handle, the two a C program
/// calls (and the ones the native reference `c-jemalloc` calls, so `×C` compares like with like).
///
/// dlopen fails with "cannot allocate memory in static TLS block" unless the process started with
/// `GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096` (`staticTLSTunable`); `availability()` then says so.
@frozen
public struct JemallocAllocator: RawAllocator {
    public static var managerName: StaticString { "jemalloc" }
    /// The Debian package that installs libjemalloc.so.2.
    public static let package = "libjemalloc2"

    @usableFromInline let functions: CAllocatorFunctions

    /// The library, loaded once per process (nil with the reason when it can not be).
    static let loaded: Result<JemallocAllocator, ComparatorUnavailable> = Result { () throws(ComparatorUnavailable) in
        let library = try DynamicLibrary.open("libjemalloc.so.2")
        // A lookup in the library's own handle finds jemalloc's malloc and free, not glibc's.
        return JemallocAllocator(functions: CAllocatorFunctions(
            malloc: try library.function("malloc", as: CAllocatorFunctions.Allocate.self),
            free: try library.function("free", as: CAllocatorFunctions.Free.self),
            mallocAtomic: nil))
    }

    init(functions: CAllocatorFunctions) { self.functions = functions }

    /// The loaded allocator.
    /// - Throws: `ComparatorUnavailable` when libjemalloc.so.2 is missing or can not be loaded in this process.
    public static func load() throws(ComparatorUnavailable) -> JemallocAllocator { try loaded.get() }

    /// Whether jemalloc can be used in this process, and if not, what to do.
    public static func availability() -> ComparatorAvailability {
        switch loaded {
        case .success: return .available
        case let .failure(error): return error.availability(package: package)
        }
    }

    @inlinable @inline(__always)
    public func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? { functions.malloc(bytes) }

    @inlinable @inline(__always)
    public func deallocate(_ block: UnsafeMutableRawPointer, bytes: Int) {
        // Invariant: `free` is non-nil for an allocator (only a collector's functions lack it).
        functions.free.unsafelyUnwrapped(block)
    }
}

/// jemalloc driven as a C programmer would drive malloc (see `ManualHeap`). Name: `jemalloc`.
public typealias JemallocManager = ManualHeap<JemallocAllocator>

extension ManualHeap where Allocator == JemallocAllocator {
    /// A heap over jemalloc.
    /// - Throws: `ComparatorUnavailable` when jemalloc can not be loaded (see `JemallocAllocator.availability()`).
    public convenience init() throws(ComparatorUnavailable) { self.init(allocator: try JemallocAllocator.load()) }
}
