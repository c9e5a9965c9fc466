/// mimalloc, loaded with dlopen from libmimalloc.so.2 and called through function pointers beside glibc malloc:
/// `mi_zalloc` and `mi_free`.
@frozen
public struct MimallocAllocator: RawAllocator {
    public static var managerName: StaticString { "mimalloc" }
    /// The Debian package that installs libmimalloc.so.2.
    public static let package = "libmimalloc2.0"

    public typealias Zalloc = @convention(c) (Int) -> UnsafeMutableRawPointer?
    public typealias Free = @convention(c) (UnsafeMutableRawPointer?) -> Void

    @usableFromInline let zalloc: Zalloc
    @usableFromInline let free: Free

    static let loaded: Result<MimallocAllocator, ComparatorUnavailable> = Result { () throws(ComparatorUnavailable) in
        let library = try DynamicLibrary.open("libmimalloc.so.2")
        return MimallocAllocator(zalloc: try library.function("mi_zalloc", as: Zalloc.self),
                                 free: try library.function("mi_free", as: Free.self))
    }

    init(zalloc: Zalloc, free: Free) {
        self.zalloc = zalloc
        self.free = free
    }

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
    public func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? { zalloc(bytes) }

    @inlinable @inline(__always)
    public func deallocate(_ block: UnsafeMutableRawPointer, bytes: Int) { free(block) }
}

/// mimalloc driven as a C programmer would drive malloc (see `ManualHeap`). Name: `mimalloc`.
public typealias MimallocManager = ManualHeap<MimallocAllocator>

extension ManualHeap where Allocator == MimallocAllocator {
    /// A heap over mimalloc.
    /// - Throws: `ComparatorUnavailable` when mimalloc can not be loaded (see `MimallocAllocator.availability()`).
    public convenience init() throws(ComparatorUnavailable) { self.init(allocator: try MimallocAllocator.load()) }
}
