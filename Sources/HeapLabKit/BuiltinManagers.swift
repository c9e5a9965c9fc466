import HeapLabCore
import MarkSweepGC
import ScopedArena
import SystemHeaps

/// The memory managers HeapLab ships with, and the one place where a built-in manager's name meets its concrete
/// type. Adding one takes a descriptor below and a line in `descriptors` and `withManager`; `RegistryTests`
/// checks that every entry can be built.
public enum BuiltinManagers: ManagerList {
    /// In the order tables and `heaplab list` show them; malloc first, as the baseline of the `×malloc` column.
    public static var entries: [ManagerEntry] {
        [MallocDescriptor.entry, ARCDescriptor.entry, GCDescriptor.entry, IncrementalGCDescriptor.entry,
         ConcurrentGCDescriptor.entry,
         ArenaDescriptor.entry, JemallocDescriptor.entry, MimallocDescriptor.entry, BoehmDescriptor.entry]
    }

    /// The baseline of the ratio column.
    public static let baseline = "malloc"

    /// Fairness: each case calls `visitor.visit` with a concrete manager type, so the whole (workload, manager)
    /// pair runs as specialized code. Never replace this switch by a dictionary of existentials: `Workload.run`
    /// would then run as unspecialized generic code and every manager would look slow.
    @inlinable
    public static func withManager<V: ManagerVisitor>(named name: String, options: [String: String], _ visitor: V) throws -> V.Result? {
        switch name {
        case MallocDescriptor.name: return try visit(MallocDescriptor.self, options, visitor)
        case ARCDescriptor.name: return try visit(ARCDescriptor.self, options, visitor)
        case GCDescriptor.name: return try visit(GCDescriptor.self, options, visitor)
        case IncrementalGCDescriptor.name: return try visit(IncrementalGCDescriptor.self, options, visitor)
        case ConcurrentGCDescriptor.name: return try visit(ConcurrentGCDescriptor.self, options, visitor)
        case ArenaDescriptor.name: return try visit(ArenaDescriptor.self, options, visitor)
        case JemallocDescriptor.name: return try visit(JemallocDescriptor.self, options, visitor)
        case MimallocDescriptor.name: return try visit(MimallocDescriptor.self, options, visitor)
        case BoehmDescriptor.name: return try visit(BoehmDescriptor.self, options, visitor)
        default: return nil
        }
    }

    @inlinable
    static func visit<D: ManagerDescriptor, V: ManagerVisitor>(_ descriptor: D.Type, _ options: [String: String], _ visitor: V) throws -> V.Result {
        try visitor.visit(descriptor: D.self, options: options)
    }
}

/// Turns a comparator's loader failure into an error the run reports.
@usableFromInline
func loadComparator<T>(_ loader: () throws(ComparatorUnavailable) -> T) throws(RunnerError) -> T {
    do { return try loader() } catch { throw RunnerError(error.description) }
}

extension ManagerAvailability {
    /// The runner's view of an optional comparator: one that loads only in a child started with the static-TLS
    /// tunable (jemalloc) counts as available, since every child is started that way.
    init(_ comparator: ComparatorAvailability) {
        switch comparator {
        case .available, .needsStaticTLS: self = .available
        case let .notInstalled(package): self = .notInstalled(package: package)
        case let .unusable(reason): self = .unusable(reason: reason)
        }
    }
}

/// glibc malloc and free.
public enum MallocDescriptor: ManagerDescriptor {
    public static let name = "malloc"
    public static var entry: ManagerEntry {
        ManagerEntry(name: name, summary: "glibc malloc/free; dead structures are walked and freed object by object",
                     nativeReference: "c-malloc")
    }
    @inlinable public static func make(options: [String: String], pauseLog: PauseLog) -> MallocManager { MallocManager() }
    @inlinable public static func makeThreaded(options: [String: String], pauseLog: PauseLog) -> ThreadedMallocManager {
        ThreadedMallocManager()
    }
    public static func report(_ manager: ThreadedMallocManager) -> ThreadedManagerReport { .init(statistics: manager.statistics()) }
}

/// Swift ARC.
public enum ARCDescriptor: ManagerDescriptor {
    public static let name = "arc"
    public static var entry: ManagerEntry {
        ManagerEntry(name: name, summary: "Swift ARC: final class instances with strong references; the last release frees",
                     nativeReference: "c-malloc")
    }
    @inlinable public static func make(options: [String: String], pauseLog: PauseLog) -> ARCManager { ARCManager() }
    @inlinable public static func makeThreaded(options: [String: String], pauseLog: PauseLog) -> ThreadedARCManager {
        ThreadedARCManager()
    }
    public static func report(_ manager: ThreadedARCManager) -> ThreadedManagerReport { .init(statistics: manager.statistics()) }
}

/// HeapLab's collector, stop-the-world.
public enum GCDescriptor: ManagerDescriptor {
    public static let name = "gc"
    public static var entry: ManagerEntry {
        ManagerEntry(name: name, summary: "HeapLab's precise stop-the-world mark-sweep collector (MarkSweepGC, Docs/Internals.md)",
                     options: gcOptions, nativeReference: "c-malloc",
                     checkValues: { options throws(ParameterError) in _ = try GCConfiguration(options: options) })
    }
    @inlinable public static func make(options: [String: String], pauseLog: PauseLog) throws -> GCHeap {
        GCHeap(configuration: try GCConfiguration(options: options), pauseLog: pauseLog)
    }
    @inlinable public static func makeThreaded(options: [String: String], pauseLog: PauseLog) throws -> SharedHeap {
        try sharedHeap(make(options: options, pauseLog: pauseLog))
    }
    public static func report(_ manager: SharedHeap) -> ThreadedManagerReport { heapReport(manager) }

    /// The shared heap of `context`, with the calling thread (the runner's, which runs no mutator work and waits
    /// for the mutator threads without declaring itself inactive) detached, so no collection waits for it.
    @inlinable static func sharedHeap(_ context: GCHeap) -> SharedHeap {
        let shared = context.shared
        shared.detach(context)
        return shared
    }

    /// The whole heap's statistics and settings, read through a context attached for that (the heap's
    /// statistics stop the world, so they are exact).
    static func heapReport(_ heap: SharedHeap) -> ThreadedManagerReport {
        do {
            let context = try heap.attach()
            defer { heap.detach(context) }
            return ThreadedManagerReport(statistics: context.statistics(), settings: context.settings)
        } catch {
            // Only after the run, on the runner's thread, which is never attached then.
            preconditionFailure("gc: the runner's thread could not attach to read statistics: \(error)")
        }
    }

    /// The collector's `--set` keys (GCConfiguration.init(options:) parses them).
    public static let gcOptions = [
        ManagerOption(name: "gogc", help: "collect when the heap grows this many percent over the live bytes; off disables the pacer (default 100, or HEAPLAB_GOGC)"),
        ManagerOption(name: "heap-limit", help: "hard heap limit, bytes with optional KiB/MiB/GiB, or off (default off, or HEAPLAB_MEMLIMIT)"),
        ManagerOption(name: "min-heap", help: "heap goal never below this, bytes (default 4MiB)"),
        ManagerOption(name: "sweep", help: "eager (in the pause) or lazy (by the allocator) (default eager)"),
        ManagerOption(name: "verify", help: "run the heap verifier after every cycle: on/off (default off)"),
        ManagerOption(name: "poison", help: "poison freed cells and check them on reuse: on/off (default on in debug builds)"),
        ManagerOption(name: "trace", help: "one gctrace line per cycle on stderr: on/off (default off, or HEAPLAB_GCTRACE=1)"),
        ManagerOption(name: "mode", help: "stop-the-world, incremental or concurrent (default stop-the-world; the managers gc-incremental and gc-concurrent set the other two)"),
        ManagerOption(name: "slice-budget-us", help: "incremental: the longest mark slice, microseconds, or off (default 500)"),
        ManagerOption(name: "slice-budget-bytes", help: "incremental: the most mark work per slice, bytes with optional KiB/MiB/GiB, or off (default off)"),
        ManagerOption(name: "checkmark", help: "after each incremental or parallel mark, re-mark on one thread and check nothing reachable was missed: on/off (default off)"),
        ManagerOption(name: "mark-trigger", help: "incremental: start marking at this fraction of the way from the last live size to the goal (default 0.5)"),
        ManagerOption(name: "pause-cpu", help: "record each pause's thread CPU time beside its duration (two system calls per pause): on/off (default on)"),
        ManagerOption(name: "mark-threads", help: "threads that mark and sweep a stop-the-world pause, 1 to 64 (default: the processors online, at most 8)"),
        ManagerOption(name: "mark-cpu", help: "concurrent: the share of the processors the background marker aims to use while marking, in (0, 1] (default 0.25)"),
    ]
}

/// The same collector marking incrementally (`mode=incremental`, which also makes it sweep lazily).
public enum IncrementalGCDescriptor: ManagerDescriptor {
    public static let name = "gc-incremental"
    public static var entry: ManagerEntry {
        GCDescriptor.entry(name: name, mode: .incremental,
                           summary: "the same collector marking incrementally: short slices paced by allocation, a snapshot-at-the-beginning write barrier, lazy sweeping (Docs/Internals.md)")
    }
    @inlinable public static func make(options: [String: String], pauseLog: PauseLog) throws -> GCHeap {
        try GCDescriptor.make(options: options, mode: .incremental, pauseLog: pauseLog)
    }
    @inlinable public static func makeThreaded(options: [String: String], pauseLog: PauseLog) throws -> SharedHeap {
        try GCDescriptor.sharedHeap(make(options: options, pauseLog: pauseLog))
    }
    public static func report(_ manager: SharedHeap) -> ThreadedManagerReport { GCDescriptor.heapReport(manager) }
}

/// The same collector marking concurrently (`mode=concurrent`): a background marker thread and mutator assists.
public enum ConcurrentGCDescriptor: ManagerDescriptor {
    public static let name = "gc-concurrent"
    public static var entry: ManagerEntry {
        GCDescriptor.entry(name: name, mode: .concurrent,
                           summary: "the same collector marking concurrently: a background marker thread at 25% of the processors, mutator assists, a snapshot-at-the-beginning barrier, two short pauses, lazy sweeping (Docs/Internals.md)")
    }
    @inlinable public static func make(options: [String: String], pauseLog: PauseLog) throws -> GCHeap {
        try GCDescriptor.make(options: options, mode: .concurrent, pauseLog: pauseLog)
    }
    @inlinable public static func makeThreaded(options: [String: String], pauseLog: PauseLog) throws -> SharedHeap {
        try GCDescriptor.sharedHeap(make(options: options, pauseLog: pauseLog))
    }
    public static func report(_ manager: SharedHeap) -> ThreadedManagerReport { GCDescriptor.heapReport(manager) }
}

extension GCDescriptor {
    /// The registry entry of the collector in `mode` (incremental or concurrent): the collector's options
    /// but `mode` and `sweep`, which the mode fixes.
    static func entry(name: String, mode: CollectionMode, summary: String) -> ManagerEntry {
        ManagerEntry(name: name, summary: summary,
                     options: gcOptions.filter { $0.name != "mode" && $0.name != "sweep" }, nativeReference: "c-malloc",
                     checkValues: { options throws(ParameterError) in
                         _ = try GCConfiguration(options: GCDescriptor.options(options, mode: mode))
                     })
    }

    /// A heap in `mode`, with `options` otherwise.
    @inlinable static func make(options: [String: String], mode: CollectionMode, pauseLog: PauseLog) throws -> GCHeap {
        GCHeap(configuration: try GCConfiguration(options: GCDescriptor.options(options, mode: mode)), pauseLog: pauseLog)
    }

    /// `options` with `mode` set (over any `mode` in `options`: the manager's name decides its mode).
    @inlinable static func options(_ options: [String: String], mode: CollectionMode) -> [String: String] {
        options.merging(["mode": mode.rawValue]) { _, fixed in fixed }
    }
}

/// HeapLab's arena.
public enum ArenaDescriptor: ManagerDescriptor {
    public static let name = "arena"
    public static var entry: ManagerEntry {
        ManagerEntry(name: name,
                     summary: "HeapLab's ownership-scoped bump arena: each scope's memory is freed at once at its end (ScopedArena, Docs/Arena.md)",
                     options: ArenaConfiguration.optionHelp.map { ManagerOption(name: $0.key, help: $0.help) },
                     nativeReference: "c-arena",
                     checkValues: { options throws(ParameterError) in _ = try ArenaConfiguration(options: options) })
    }
    @inlinable public static func make(options: [String: String], pauseLog: PauseLog) throws -> ArenaManager {
        ArenaManager(configuration: try ArenaConfiguration(options: options), pauseLog: pauseLog)
    }
    /// One arena per thread; its contexts log no scope ends (a pause log is written by one thread).
    @inlinable public static func makeThreaded(options: [String: String], pauseLog: PauseLog) throws -> ThreadedArenaManager {
        ThreadedArenaManager(configuration: try ArenaConfiguration(options: options))
    }
    public static func report(_ manager: ThreadedArenaManager) -> ThreadedManagerReport {
        .init(statistics: manager.statistics(), settings: manager.configuration.dictionary)
    }
}

/// jemalloc through dlopen.
public enum JemallocDescriptor: ManagerDescriptor {
    public static let name = "jemalloc"
    public static var entry: ManagerEntry {
        ManagerEntry(name: name, summary: "jemalloc (its malloc/free through dlopen), same object layout and frees as malloc",
                     availability: { ManagerAvailability(JemallocAllocator.availability()) }, nativeReference: "c-jemalloc")
    }
    @inlinable public static func make(options: [String: String], pauseLog: PauseLog) throws -> JemallocManager {
        JemallocManager(allocator: try loadComparator(JemallocAllocator.load))
    }
    @inlinable public static func makeThreaded(options: [String: String], pauseLog: PauseLog) throws -> ThreadedJemallocManager {
        ThreadedJemallocManager(allocator: try loadComparator(JemallocAllocator.load))
    }
    public static func report(_ manager: ThreadedJemallocManager) -> ThreadedManagerReport { .init(statistics: manager.statistics()) }
}

/// mimalloc through dlopen.
public enum MimallocDescriptor: ManagerDescriptor {
    public static let name = "mimalloc"
    public static var entry: ManagerEntry {
        ManagerEntry(name: name, summary: "mimalloc (mi_malloc/mi_free through dlopen), same object layout and frees as malloc",
                     availability: { ManagerAvailability(MimallocAllocator.availability()) }, nativeReference: "c-mimalloc")
    }
    @inlinable public static func make(options: [String: String], pauseLog: PauseLog) throws -> MimallocManager {
        MimallocManager(allocator: try loadComparator(MimallocAllocator.load))
    }
    @inlinable public static func makeThreaded(options: [String: String], pauseLog: PauseLog) throws -> ThreadedMimallocManager {
        ThreadedMimallocManager(allocator: try loadComparator(MimallocAllocator.load))
    }
    public static func report(_ manager: ThreadedMimallocManager) -> ThreadedManagerReport { .init(statistics: manager.statistics()) }
}

/// Boehm GC through dlopen.
public enum BoehmDescriptor: ManagerDescriptor {
    public static let name = "boehm"
    public static var entry: ManagerEntry {
        ManagerEntry(name: name, summary: "Boehm-Demers-Weiser conservative collector (libgc through dlopen); its collections are logged as pauses",
                     availability: { ManagerAvailability(BoehmManager.availability()) }, nativeReference: "c-boehm")
    }
    @inlinable public static func make(options: [String: String], pauseLog: PauseLog) throws -> BoehmManager {
        try loadComparator { () throws(ComparatorUnavailable) in try BoehmManager(pauseLog: pauseLog) }
    }
    /// Every thread registered with Boehm; its contexts log no collections (see `ThreadedBoehmManager`).
    @inlinable public static func makeThreaded(options: [String: String], pauseLog: PauseLog) throws -> ThreadedBoehmManager {
        try loadComparator { () throws(ComparatorUnavailable) in try ThreadedBoehmManager() }
    }
    public static func report(_ manager: ThreadedBoehmManager) -> ThreadedManagerReport { .init(statistics: manager.statistics()) }
}
