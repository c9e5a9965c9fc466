/// An allocator in a shared library loaded with dlopen (jemalloc, mimalloc), called through the function pointers
/// of its `malloc` and `free`, the two a C program calls (and the ones the native references `c-jemalloc` and
/// `c-mimalloc` call, so `×C` compares like with like). A conforming type names the library and its two
/// functions and keeps the loaded result in a `static let loaded = loadLibrary()`; the rest is here.
public protocol LoadedAllocator: RawAllocator {
    /// The library's file name (`libjemalloc.so.2`).
    static var soname: String { get }
    /// The Debian package that installs it.
    static var package: String { get }
    /// The symbols of its malloc and free (`malloc`/`free`, `mi_malloc`/`mi_free`).
    static var mallocSymbol: String { get }
    static var freeSymbol: String { get }
    /// The library, loaded once per process: `loadLibrary()`'s result.
    static var loaded: Result<Self, ComparatorUnavailable> { get }
    /// The functions, looked up in the library's own handle (so jemalloc's `malloc`, not glibc's).
    var functions: CAllocatorFunctions { get }
    init(functions: CAllocatorFunctions)
}

extension LoadedAllocator {
    /// Opens the library and looks up its two functions.
    static func loadLibrary() -> Result<Self, ComparatorUnavailable> {
        Result { () throws(ComparatorUnavailable) in
            let library = try DynamicLibrary.open(soname)
            return Self(functions: CAllocatorFunctions(
                malloc: try library.function(mallocSymbol, as: CAllocatorFunctions.Allocate.self),
                free: try library.function(freeSymbol, as: CAllocatorFunctions.Free.self),
                mallocAtomic: nil))
        }
    }

    /// The loaded allocator.
    /// - Throws: `ComparatorUnavailable` when the library is missing or can not be loaded in this process.
    public static func load() throws(ComparatorUnavailable) -> Self { try loaded.get() }

    /// Whether the allocator can be used in this process, and if not, what to do.
    public static func availability() -> ComparatorAvailability {
        switch loaded {
        case .success: return .available
        case let .failure(error): return error.availability(package: package)
        }
    }

    /// The allocator's `malloc` and `free`, for C code that calls them (the native reference programs).
    /// - Throws: `ComparatorUnavailable` when the library can not be loaded (see `availability()`).
    public static func cFunctions() throws(ComparatorUnavailable) -> CAllocatorFunctions { try load().functions }

    @inlinable @inline(__always)
    public func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? { functions.malloc(bytes) }

    @inlinable @inline(__always)
    public func deallocate(_ block: UnsafeMutableRawPointer, bytes: Int) {
        // Invariant: `free` is non-nil for an allocator (only a collector's functions lack it).
        functions.free.unsafelyUnwrapped(block)
    }
}
