/// mimalloc, loaded with dlopen from libmimalloc.so.2 and called through function pointers beside glibc malloc:
/// `mi_malloc` and `mi_free`, the two a C program calls (and the ones the native reference `c-mimalloc` calls).
@frozen
public struct MimallocAllocator: RawAllocator {
    public static var managerName: StaticString { "mimalloc" }
    /// The Debian package that installs libmimalloc.so.2.
    public static let package = "libmimalloc2.0"

    @usableFromInline let functions: CAllocatorFunctions

    static let loaded: Result<MimallocAllocator, ComparatorUnavailable> = Result { () throws(ComparatorUnavailable) in
        let library = try DynamicLibrary.open("libmimalloc.so.2")
        return MimallocAllocator(functions: CAllocatorFunctions(
            malloc: try library.function("mi_malloc", as: CAllocatorFunctions.Allocate.self),
            free: try library.function("mi_free", as: CAllocatorFunctions.Free.self),
            mallocAtomic: nil))
    }

    init(functions: CAllocatorFunctions) { self.functions = functions }

    /// The loaded allocator.
    /// - Throws: `ComparatorUnavailable` when libmimalloc.so.2 is missing or can not be loaded.
    public static func load() throws(ComparatorUnavailable) -> MimallocAllocator { try loaded.get() }

    /// Whether mimalloc can be used in this process, and if not, what to do.
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

/// mimalloc driven as a C programmer would drive malloc (see `ManualHeap`). Name: `mimalloc`.
public typealias MimallocManager = ManualHeap<MimallocAllocator>

extension ManualHeap where Allocator == MimallocAllocator {
    /// A heap over mimalloc.
    /// - Throws: `ComparatorUnavailable` when mimalloc can not be loaded (see `MimallocAllocator.availability()`).
    public convenience init() throws(ComparatorUnavailable) { self.init(allocator: try MimallocAllocator.load()) }
}
