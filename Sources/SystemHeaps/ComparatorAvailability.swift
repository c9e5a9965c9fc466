/// Whether an optional comparator (jemalloc, mimalloc, Boehm GC) can be used in this process.
public enum ComparatorAvailability: Equatable, Sendable, CustomStringConvertible {
    /// Loaded; the manager can be made.
    case available
    /// The shared library is not installed; `package` is the Debian package that provides it.
    case notInstalled(package: String)
    /// Installed, but loadable only in a process started with `GLIBC_TUNABLES=` `staticTLSTunable` (jemalloc):
    /// the runner starts every child that way, so the manager is usable there. `reason` is dlopen's message.
    case needsStaticTLS(reason: String)
    /// Installed but not loadable, for another reason (`reason`: dlopen's message).
    case unusable(reason: String)

    /// Whether the manager can be made in this process.
    public var isAvailable: Bool { self == .available }

    /// Whether the library is installed, so that a child process started with `staticTLSTunable` can use it: what
    /// a runner's parent process should check (its own process may lack the tunable).
    public var isInstalled: Bool {
        switch self {
        case .available, .needsStaticTLS: return true
        case .notInstalled, .unusable: return false
        }
    }

    /// What `heaplab list` shows: `available`, `not installed: apt-get install libjemalloc2`, or the reason.
    public var description: String {
        switch self {
        case .available: return "available"
        case let .notInstalled(package): return "not installed: apt-get install \(package)"
        case .needsStaticTLS: return "installed; loads in a process started with GLIBC_TUNABLES=\(staticTLSTunable)"
        case let .unusable(reason): return "unusable: \(reason)"
        }
    }
}

/// Why an optional comparator could not be loaded: the library's soname and dlopen's message.
public struct ComparatorUnavailable: Error, Equatable, Sendable, CustomStringConvertible {
    public var soname: String
    public var dlerror: String

    public init(soname: String, dlerror: String) {
        self.soname = soname
        self.dlerror = dlerror
    }

    /// Classifies the failure: a missing file means the package is not installed; jemalloc's static TLS
    /// failure gets the tunable that fixes it.
    public func availability(package: String) -> ComparatorAvailability {
        if dlerror.contains("cannot open shared object file") || dlerror.contains("No such file") {
            return .notInstalled(package: package)
        }
        if dlerror.contains("static TLS") {
            return .needsStaticTLS(reason: "\(soname): \(dlerror)")
        }
        return .unusable(reason: "\(soname): \(dlerror)")
    }

    public var description: String { "\(soname) could not be loaded: \(dlerror)" }
}

/// The glibc tunable that lets `dlopen` load jemalloc, whose initial-exec TLS does not fit the default
/// surplus of static TLS. It must be in the environment when the process starts (the runner sets it for every
/// child; a test re-executes itself with it).
public let staticTLSTunable = "glibc.rtld.optional_static_tls=4096"

/// The optional comparators, for the runner's `list` and manager lookup.
public enum OptionalComparators {
    /// (manager name, Debian package, availability in this process), in the order `heaplab list` shows them.
    public static func all() -> [(name: String, package: String, availability: ComparatorAvailability)] {
        [("jemalloc", JemallocAllocator.package, JemallocAllocator.availability()),
         ("mimalloc", MimallocAllocator.package, MimallocAllocator.availability()),
         ("boehm", BoehmManager.package, BoehmManager.availability())]
    }
}
