#if canImport(Glibc)
import Glibc
#endif

/// A shared library opened at run time with `dlopen`, so that an optional allocator is used beside glibc
/// malloc instead of replacing it for the whole process (as linking it would).
///
/// Opened with RTLD_LOCAL: the library's own `malloc`/`free` exports do not interpose on the process's. Never
/// closed: the allocators keep process-wide state (thread caches, a collector's heap) that must outlive every
/// block they handed out.
public struct DynamicLibrary: @unchecked Sendable {
    /// The `dlopen` handle (valid for the life of the process).
    public let handle: UnsafeMutableRawPointer
    public let soname: String

    /// Opens `soname`, or throws with dlerror's message.
    public static func open(_ soname: String) throws(ComparatorUnavailable) -> DynamicLibrary {
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            let message = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw ComparatorUnavailable(soname: soname, dlerror: message)
        }
        return DynamicLibrary(handle: handle, soname: soname)
    }

    /// The function `name`, cast to the C function type `T`, or a thrown error when the library lacks it.
    public func function<T>(_ name: String, as type: T.Type) throws(ComparatorUnavailable) -> T {
        guard let symbol = dlsym(handle, name) else {
            throw ComparatorUnavailable(soname: soname, dlerror: "symbol \(name) not found")
        }
        return unsafeBitCast(symbol, to: T.self)
    }
}
