import HeapLabCore
import MarkSweepGC
import ScopedArena
import SystemHeaps

/// Whether a manager can run on this machine.
enum ManagerAvailability: Equatable, Sendable {
    /// Built in, or its library was found.
    case available
    /// An optional library is missing; `package` is the Debian package that provides it.
    case notInstalled(package: String)
    /// Installed but not loadable here (`reason`: the loader's message).
    case unusable(reason: String)

    /// The runner's view of an optional comparator: one that loads only in a child started with the static-TLS
    /// tunable (jemalloc) counts as available, since every child is started that way.
    init(_ comparator: ComparatorAvailability) {
        switch comparator {
        case .available, .needsStaticTLS: self = .available
        case let .notInstalled(package): self = .notInstalled(package: package)
        case let .unusable(reason): self = .unusable(reason: reason)
        }
    }

    var isAvailable: Bool { self == .available }

    /// What `heaplab list` shows.
    var description: String {
        switch self {
        case .available: return "available"
        case let .notInstalled(package): return "not installed: apt-get install \(package)"
        case let .unusable(reason): return "unusable: \(reason)"
        }
    }
}

/// A configuration key a manager accepts through `--set key=value`.
struct ManagerOption: Sendable {
    var name: String
    /// One line with the unit and the default.
    var help: String
}

/// What the runner knows about a manager before making one: its name, a summary, the options it accepts and
/// whether it is installed. The concrete type is named only in `ManagerRegistry.withManager`.
struct ManagerEntry: Sendable {
    /// The name used on the command line, in tables and in RunReports (`MemoryManager.name`).
    var name: String
    /// One line: what the manager is and how it frees memory.
    var summary: String
    /// The `--set` keys it accepts; any other key is rejected before a run starts.
    var options: [ManagerOption] = []
    /// Checked at run time (for libraries loaded with dlopen), every time it is asked.
    var availability: @Sendable () -> ManagerAvailability = { .available }

    /// Checks user options against `options`.
    /// - Throws: `RunnerError` naming the unknown key and the accepted ones.
    func validate(_ given: [String: String]) throws(RunnerError) {
        let known = Set(options.map(\.name))
        for key in given.keys.sorted() where !known.contains(key) {
            let accepted = options.isEmpty ? "it takes no options" : "it accepts: " + options.map(\.name).joined(separator: ", ")
            throw RunnerError("manager \(name) has no option '\(key)' (\(accepted))")
        }
    }
}

/// Something to do with a concrete memory manager type. The runner's harness is one; `visit` is generic, so a
/// call with a concrete `M` is specialized for it and every memory operation inside is a direct call.
protocol ManagerVisitor {
    associatedtype Result
    /// `make` builds a fresh manager writing its pauses to the given log; it may be called more than once
    /// (a warm-up instance, then the measured one).
    func visit<M: MemoryManager>(_ make: (PauseLog) throws -> M) throws -> Result
}

/// Every memory manager HeapLab can run, and the one place where a manager's name meets its concrete type.
///
/// Adding a manager takes two steps (see Docs/Architecture.md):
/// 1. an entry in `all` (name, summary, options, availability);
/// 2. a `case` in `withManager` that builds it from the options and the pause log.
/// A test (`ManagerRegistryTests`) checks that every available entry has its case.
enum ManagerRegistry {
    /// In the order tables and `heaplab list` show them; malloc first, as the baseline of the ratio column.
    static let all: [ManagerEntry] = [
        ManagerEntry(name: "malloc",
                     summary: "glibc malloc/free; dead structures are walked and freed object by object"),
        ManagerEntry(name: "arc",
                     summary: "Swift ARC: final class instances with strong references; the last release frees"),
        ManagerEntry(name: "gc",
                     summary: "HeapLab's precise stop-the-world mark-sweep collector (MarkSweepGC, Docs/Internals.md)",
                     options: gcOptions),
        ManagerEntry(name: "gc-incremental",
                     summary: "the same collector marking incrementally: short slices paced by allocation, a snapshot-at-the-beginning write barrier, lazy sweeping (Docs/Internals.md)",
                     options: gcOptions.filter { $0.name != "mode" && $0.name != "sweep" }),
        ManagerEntry(name: "arena",
                     summary: "HeapLab's ownership-scoped bump arena: each scope's memory is freed at once at its end (ScopedArena, Docs/Arena.md)",
                     options: ArenaConfiguration.optionHelp.map { ManagerOption(name: $0.key, help: $0.help) }),
        ManagerEntry(name: "jemalloc",
                     summary: "jemalloc (mallocx/sdallocx through dlopen), same object layout and frees as malloc",
                     availability: { ManagerAvailability(JemallocAllocator.availability()) }),
        ManagerEntry(name: "mimalloc",
                     summary: "mimalloc (mi_zalloc/mi_free through dlopen), same object layout and frees as malloc",
                     availability: { ManagerAvailability(MimallocAllocator.availability()) }),
        ManagerEntry(name: "boehm",
                     summary: "Boehm-Demers-Weiser conservative collector (libgc through dlopen); its collections are logged as pauses",
                     availability: { ManagerAvailability(BoehmManager.availability()) }),
    ]

    /// The collector's `--set` keys (GCConfiguration.init(options:) parses them).
    static let gcOptions = [
        ManagerOption(name: "gogc", help: "collect when the heap grows this many percent over the live bytes; off disables the pacer (default 100, or HEAPLAB_GOGC)"),
        ManagerOption(name: "heap-limit", help: "hard heap limit, bytes with optional KiB/MiB/GiB, or off (default off, or HEAPLAB_MEMLIMIT)"),
        ManagerOption(name: "min-heap", help: "heap goal never below this, bytes (default 4MiB)"),
        ManagerOption(name: "sweep", help: "eager (in the pause) or lazy (by the allocator) (default eager)"),
        ManagerOption(name: "verify", help: "run the heap verifier after every cycle: on/off (default off)"),
        ManagerOption(name: "poison", help: "poison freed cells and check them on reuse: on/off (default on in debug builds)"),
        ManagerOption(name: "trace", help: "one gctrace line per cycle on stderr: on/off (default off, or HEAPLAB_GCTRACE=1)"),
        ManagerOption(name: "mode", help: "stop-the-world or incremental (default stop-the-world; the manager gc-incremental sets incremental)"),
        ManagerOption(name: "slice-budget-us", help: "incremental: the longest mark slice, microseconds, or off (default 500)"),
        ManagerOption(name: "slice-budget-bytes", help: "incremental: the most mark work per slice, bytes with optional KiB/MiB/GiB, or off (default off)"),
        ManagerOption(name: "checkmark", help: "after each incremental mark, re-mark stop-the-world and check nothing reachable was missed: on/off (default off)"),
        ManagerOption(name: "mark-trigger", help: "incremental: start marking at this fraction of the way from the last live size to the goal (default 0.5)"),
        ManagerOption(name: "pause-cpu", help: "record each pause's thread CPU time beside its duration (two system calls per pause): on/off (default on)"),
    ]

    /// Loads an optional comparator, turning the loader's failure into the runner's error.
    static func load<T>(_ loader: () throws(ComparatorUnavailable) -> T) throws(RunnerError) -> T {
        do { return try loader() } catch { throw RunnerError(error.description) }
    }

    /// The baseline of the ratio column.
    static let baseline = "malloc"

    /// The entry named `name`, or nil.
    static func entry(named name: String) -> ManagerEntry? {
        all.first { $0.name == name }
    }

    /// Names of the managers installed on this machine, in registry order.
    static var availableNames: [String] {
        all.filter { $0.availability().isAvailable }.map(\.name)
    }

    /// Says which registered managers were left out of a default run because their library is missing.
    static func printNotInstalled() {
        for entry in all {
            let availability = entry.availability()
            if !availability.isAvailable {
                print("Not run: \(entry.name) (\(availability.description))")
            }
        }
    }

    /// Checks that `name` is a known, installed manager and that `options` are its own.
    /// - Throws: `RunnerError` with the list of managers, the package to install, or the bad option.
    static func validate(_ name: String, options: [String: String]) throws(RunnerError) -> ManagerEntry {
        guard let entry = entry(named: name) else {
            throw RunnerError("unknown manager '\(name)' (managers: \(all.map(\.name).joined(separator: ", ")))")
        }
        switch entry.availability() {
        case .available: break
        case let .notInstalled(package): throw RunnerError("manager \(name) is not installed: apt-get install \(package)")
        case let .unusable(reason): throw RunnerError("manager \(name) can not be used here: \(reason)")
        }
        try entry.validate(options)
        return entry
    }

    /// Builds manager `name` with `options` and hands its concrete type to `visitor`.
    ///
    /// Fairness: each case calls `visitor.visit` with a concrete manager type, inside a function the optimizer
    /// specializes for the concrete visitor (which carries the concrete workload type), so the whole
    /// (workload, manager) pair runs as specialized code. Never replace this switch by a dictionary of
    /// existentials: `Workload.run` would then run as unspecialized generic code and every manager would look
    /// slow.
    ///
    /// - Throws: `RunnerError` for an unknown, uninstalled or misconfigured manager; whatever `visitor` throws.
    static func withManager<V: ManagerVisitor>(named name: String, options: [String: String], _ visitor: V) throws -> V.Result {
        _ = try validate(name, options: options)
        switch name {
        case "malloc":
            return try visitor.visit { _ in MallocManager() }
        case "arc":
            return try visitor.visit { _ in ARCManager() }
        case "gc", "gc-incremental":
            // gc-incremental is the same collector with `mode=incremental` (which also makes it sweep lazily).
            let given = name == "gc" ? options : options.merging(["mode": "incremental"]) { _, mode in mode }
            let configuration: GCConfiguration
            do { configuration = try GCConfiguration(options: given) } catch { throw RunnerError(error.message) }
            return try visitor.visit { log in GCHeap(configuration: configuration, pauseLog: log) }
        case "jemalloc":
            return try visitor.visit { _ in JemallocManager(allocator: try Self.load(JemallocAllocator.load)) }
        case "mimalloc":
            return try visitor.visit { _ in MimallocManager(allocator: try Self.load(MimallocAllocator.load)) }
        case "boehm":
            return try visitor.visit { log in try Self.load { () throws(ComparatorUnavailable) in try BoehmManager(pauseLog: log) } }
        case "arena":
            let configuration: ArenaConfiguration
            do { configuration = try ArenaConfiguration(options: options) } catch { throw RunnerError(error.message) }
            return try visitor.visit { log in ArenaManager(configuration: configuration, pauseLog: log) }
        default:
            throw RunnerError("manager \(name) is registered but ManagerRegistry.withManager has no case for it")
        }
    }
}
