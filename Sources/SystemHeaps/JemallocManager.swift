/// jemalloc, loaded with dlopen from libjemalloc.so.2 and called through function pointers, beside glibc
/// malloc in the same process: `mallocx(size, MALLOCX_ZERO)` and sized `sdallocx`.
///
/// dlopen fails with "cannot allocate memory in static TLS block" unless the process started with
/// `GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096` (`staticTLSTunable`); `availability()` then says so.
@frozen
public struct JemallocAllocator: RawAllocator {
    public static var managerName: StaticString { "jemalloc" }
    /// The Debian package that installs libjemalloc.so.2.
    public static let package = "libjemalloc2"

    public typealias Mallocx = @convention(c) (Int, Int32) -> UnsafeMutableRawPointer?
    public typealias Sdallocx = @convention(c) (UnsafeMutableRawPointer?, Int, Int32) -> Void

    /// jemalloc's MALLOCX_ZERO flag (a macro in jemalloc.h, which does not import into Swift).
    public static let mallocxZero: Int32 = 0x40

    @usableFromInline let mallocx: Mallocx
    @usableFromInline let sdallocx: Sdallocx

    /// The library, loaded once per process (nil with the reason when it can not be).
    static let loaded: Result<JemallocAllocator, ComparatorUnavailable> = Result { () throws(ComparatorUnavailable) in
        let library = try DynamicLibrary.open("libjemalloc.so.2")
        return JemallocAllocator(mallocx: try library.function("mallocx", as: Mallocx.self),
                                 sdallocx: try library.function("sdallocx", as: Sdallocx.self))
    }

    init(mallocx: Mallocx, sdallocx: Sdallocx) {
        self.mallocx = mallocx
        self.sdallocx = sdallocx
    }

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
    public func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? { mallocx(bytes, 0) }

    @inlinable @inline(__always)
    public func deallocate(_ block: UnsafeMutableRawPointer, bytes: Int) { sdallocx(block, bytes, 0) }
}

/// jemalloc driven as a C programmer would drive malloc (see `ManualHeap`). Name: `jemalloc`.
public typealias JemallocManager = ManualHeap<JemallocAllocator>

extension ManualHeap where Allocator == JemallocAllocator {
    /// A heap over jemalloc.
    /// - Throws: `ComparatorUnavailable` when jemalloc can not be loaded (see `JemallocAllocator.availability()`).
    public convenience init() throws(ComparatorUnavailable) { self.init(allocator: try JemallocAllocator.load()) }
}
