#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// When the sweeper runs.
public enum SweepMode: String, Codable, Sendable, CaseIterable {
    /// Every block is swept inside the collection pause: longer pauses, no sweeping work afterwards.
    case eager
    /// The pause only marks; each block is swept when the allocator next needs a block of its size class,
    /// and whatever is left unswept is finished at the start of the next cycle. Shorter pauses; the sweeping
    /// cost moves into allocation (measured as `lazySweepNanoseconds`, and logged as `sweep` events when one
    /// slow path sweeps for longer than `GCConfiguration.lazySweepLogThresholdNanoseconds`).
    case lazy
}

/// Settings of a `GCHeap`. Every field has the default a user of Go's runtime would expect.
///
/// Three ways to set them, later ones winning: the defaults; the environment (`HEAPLAB_GOGC`,
/// `HEAPLAB_MEMLIMIT`, `HEAPLAB_GCTRACE`, as GOGC, GOMEMLIMIT and GODEBUG=gctrace=1 are for Go); the runner's
/// options (`--option gogc=50` and so on, see `init(options:environment:)`).
public struct GCConfiguration: Equatable, Sendable {
    /// Collect when the heap in use grows by this percentage over the live bytes found by the last collection
    /// (Go's GOGC). nil means off: collect only when the heap limit forces it. 0 collects at every block refill.
    public var gogc: Int?
    /// The heap goal is never below this many bytes (Go uses 4 MiB): a small heap is not collected over and over.
    public var minimumHeapBytes: Int
    /// Hard limit in bytes on the heap's memory: blocks owned by size classes plus large-object mappings. An
    /// allocation that would pass it runs a full collection first, then throws `AllocationError.outOfMemory`
    /// if it still would. nil: no limit (the system's memory is the limit).
    public var heapLimitBytes: Int?
    /// Eager or lazy sweeping.
    public var sweepMode: SweepMode
    /// Run the heap verifier after every collection and stop with its report if it finds a problem. Slow
    /// (a full heap walk and a second reachability traversal per cycle): for tests and debugging.
    public var verifyAfterEveryCycle: Bool
    /// Fill freed cells with `0xDEADBEEF...` and check the pattern when a cell is allocated again. Default: on
    /// in debug builds, off in release builds.
    public var poisonFreedCells: Bool
    /// Check on every heap operation that a reference points at a live heap object (not a stray pointer, not
    /// a reclaimed object). Default: on in debug builds, off in release builds. Costs a hash lookup per check.
    public var checkReferences: Bool
    /// Print one line per collection to stderr (format in Docs/Internals.md).
    public var trace: Bool
    /// The most entries the mark stack may grow to before it overflows and marking falls back to rescanning
    /// the heap. The default (2^32) is never reached in practice; tests set it tiny to exercise the recovery.
    public var markStackMaximumEntries: Int
    /// Lazy sweeping done inside one allocation slow path is logged as a `sweep` pause event when it takes at
    /// least this long (shorter ones are only summed in the statistics).
    public var lazySweepLogThresholdNanoseconds: UInt64
    /// Stop-the-world, incremental or concurrent marking (`CollectionMode`). Incremental and concurrent marking
    /// need `sweepMode == .lazy`.
    public var collectionMode: CollectionMode
    /// Incremental mode: the longest one mark slice may run, in nanoseconds (the slice stops at the first check
    /// after it; checks come every few dozen objects). nil: no time cap (bytes only).
    public var sliceBudgetNanoseconds: UInt64?
    /// Incremental mode: the most mark work one slice does, in bytes of objects marked. nil: no byte cap (time
    /// only). A slice does the work allocation has paid for since the last one (the assist debt), up to both caps.
    public var sliceBudgetBytes: Int?
    /// After every incremental cycle's mark, and every stop-the-world mark made by more than one thread
    /// (`markThreads`), a re-mark from the roots on one thread checks that nothing reachable was left unmarked
    /// and stops with a precondition message naming the object if something was (Go's gccheckmark). Slow: for
    /// tests and debugging; not counted in pauses.
    public var checkmark: Bool
    /// Incremental mode: where between the last cycle's live bytes (0) and the pacer's goal (1) the heap in use
    /// starts the next cycle. Earlier spreads the marking over more allocation (shorter mark work per
    /// allocated byte, so a lower mutator slowdown while marking) and costs heap. In (0, 1); default 0.5.
    public var markTriggerFraction: Double
    /// Whether every collection, mark slice and finishing-sweep slice also records the thread CPU time it took
    /// (`PauseEvent.cpuNanoseconds`), which tells the collector's own work from time the OS ran another
    /// process in the middle of a pause. Two `ThreadCPUClock` readings per event, each a system call (its cost:
    /// Docs/Experiments.md, "pause on-CPU"). Default on.
    public var measurePauseCPUTime: Bool
    /// What a failed verifier or checkmark run by the heap itself does: stop the process (`.trap`, the default)
    /// or keep the report for `GCHeap.takeCheckFailures()` (`.record`, for tests). Programmatic only: the
    /// runner has no option for it.
    public var checkFailureMode: CheckFailureMode
    /// Threads that mark (and, in eager mode, sweep) in a stop-the-world pause: the collecting thread and
    /// `markThreads - 1` collector threads made for the purpose (Docs/Internals.md, "Parallel marking"). 1 marks
    /// on the collecting thread alone. A pause uses them only when the last collection found at least
    /// `parallelMinimumLiveBytes` live. Incremental mode's slices and final pause mark on one thread (its
    /// stop-the-world collections use them). Default: the processors online, at most 8. In 1...64.
    public var markThreads: Int
    /// With `markThreads` > 1, a pause marks and sweeps on the collecting thread alone unless the last
    /// collection found at least this many bytes live: waking the collector threads costs tens of
    /// microseconds, more than a small heap's whole mark. Default 1 MiB; tests set 0 (every mark parallel).
    /// Programmatic only.
    public var parallelMinimumLiveBytes: Int
    /// Concurrent mode: the share of the machine's processors the background marker aims to use while a cycle
    /// marks (Go's pacer aims at 25%). With `p` processors online the marker runs `fraction * p` of the time,
    /// at most all of it: on 2 processors, 0.25 is half of one (it marks a chunk, then sleeps as long). What
    /// allocation outruns it, the mutators pay in assists. In (0, 1]; default 0.25.
    public var backgroundMarkFraction: Double

    /// The default of `markThreads`: the processors online (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1 and
    /// at most 8 (as Boehm GC caps its markers; beyond that a mark is bound by memory, not processors).
    public static let defaultMarkThreads: Int = min(8, max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Whether this build is a debug build (the defaults of `poisonFreedCells` and `checkReferences`).
    public static var isDebugBuild: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }

    public init(gogc: Int? = 100, minimumHeapBytes: Int = 4 << 20, heapLimitBytes: Int? = nil,
                sweepMode: SweepMode = .eager, verifyAfterEveryCycle: Bool = false,
                poisonFreedCells: Bool = GCConfiguration.isDebugBuild,
                checkReferences: Bool = GCConfiguration.isDebugBuild, trace: Bool = false,
                markStackMaximumEntries: Int = 1 << 32, lazySweepLogThresholdNanoseconds: UInt64 = 100_000,
                collectionMode: CollectionMode = .stopTheWorld, sliceBudgetNanoseconds: UInt64? = 500_000,
                sliceBudgetBytes: Int? = nil, checkmark: Bool = false, markTriggerFraction: Double = 0.5,
                measurePauseCPUTime: Bool = true, checkFailureMode: CheckFailureMode = .trap,
                markThreads: Int = GCConfiguration.defaultMarkThreads, parallelMinimumLiveBytes: Int = 1 << 20,
                backgroundMarkFraction: Double = 0.25) {
        precondition(gogc.map { $0 >= 0 } ?? true, "GCConfiguration: gogc must not be negative (use nil for off)")
        precondition(minimumHeapBytes >= 0, "GCConfiguration: minimumHeapBytes must not be negative")
        precondition(heapLimitBytes.map { $0 > 0 } ?? true, "GCConfiguration: heapLimitBytes must be positive")
        precondition(markStackMaximumEntries >= 1, "GCConfiguration: markStackMaximumEntries must be at least 1")
        precondition(collectionMode == .stopTheWorld || sweepMode == .lazy,
                     "GCConfiguration: incremental and concurrent marking sweep lazily: pass sweepMode: .lazy")
        precondition(sliceBudgetNanoseconds.map { $0 > 0 } ?? true, "GCConfiguration: sliceBudgetNanoseconds must be positive")
        precondition(sliceBudgetBytes.map { $0 > 0 } ?? true, "GCConfiguration: sliceBudgetBytes must be positive")
        precondition(markTriggerFraction > 0 && markTriggerFraction < 1, "GCConfiguration: markTriggerFraction must be in (0, 1)")
        precondition((1...64).contains(markThreads), "GCConfiguration: markThreads must be in 1...64 (got \(markThreads))")
        precondition(parallelMinimumLiveBytes >= 0, "GCConfiguration: parallelMinimumLiveBytes must not be negative")
        precondition(backgroundMarkFraction > 0 && backgroundMarkFraction <= 1,
                     "GCConfiguration: backgroundMarkFraction must be in (0, 1] (got \(backgroundMarkFraction))")
        self.gogc = gogc
        self.minimumHeapBytes = minimumHeapBytes
        self.heapLimitBytes = heapLimitBytes
        self.sweepMode = sweepMode
        self.verifyAfterEveryCycle = verifyAfterEveryCycle
        self.poisonFreedCells = poisonFreedCells
        self.checkReferences = checkReferences
        self.trace = trace
        self.markStackMaximumEntries = markStackMaximumEntries
        self.lazySweepLogThresholdNanoseconds = lazySweepLogThresholdNanoseconds
        self.collectionMode = collectionMode
        self.sliceBudgetNanoseconds = sliceBudgetNanoseconds
        self.sliceBudgetBytes = sliceBudgetBytes
        self.checkmark = checkmark
        self.backgroundMarkFraction = backgroundMarkFraction
        self.markTriggerFraction = markTriggerFraction
        self.measurePauseCPUTime = measurePauseCPUTime
        self.checkFailureMode = checkFailureMode
        self.markThreads = markThreads
        self.parallelMinimumLiveBytes = parallelMinimumLiveBytes
    }

    /// The option keys `init(options:environment:)` accepts.
    public static let optionKeys = ["gogc", "heap-limit", "min-heap", "sweep", "verify", "poison", "trace",
                                    "mode", "slice-budget-us", "slice-budget-bytes", "checkmark", "mark-trigger", "pause-cpu",
                                    "mark-threads", "mark-cpu"]

    /// Environment variables read by `init(options:environment:)`.
    public static let environmentKeys = ["HEAPLAB_GOGC", "HEAPLAB_MEMLIMIT", "HEAPLAB_GCTRACE"]

    /// Makes a configuration from the runner's options, over the environment, over the defaults.
    ///
    /// Options (values are strings, as typed on the command line):
    /// - `gogc`: a percentage >= 0, or `off`.
    /// - `heap-limit`: bytes, with an optional suffix `KiB`, `MiB` or `GiB` (`512MiB`), or `off`.
    /// - `min-heap`: bytes, same syntax, >= 0.
    /// - `sweep`: `eager` or `lazy`.
    /// - `verify`, `poison`, `trace`: `on`/`off` (also `1`/`0`, `true`/`false`).
    /// - `mode`: `stop-the-world` or `incremental`. Incremental sweeps lazily: it sets `sweep` to `lazy`, and
    ///   `sweep=eager` with it is an error.
    /// - `slice-budget-us`: incremental mode, the longest mark slice in microseconds (> 0, default 500), or `off`.
    /// - `slice-budget-bytes`: incremental mode, the most mark work per slice, bytes (same syntax as
    ///   `heap-limit`, > 0), or `off` (default).
    /// - `checkmark`: `on`/`off`, verify every incremental or parallel mark with a stop-the-world re-mark.
    /// - `mark-trigger`: incremental mode, a fraction strictly between 0 and 1 (default 0.5), see
    ///   `markTriggerFraction`.
    /// - `pause-cpu`: `on` (default)/`off`, record each pause's thread CPU time (`measurePauseCPUTime`).
    /// - `mark-threads`: threads that mark in a pause, 1 to 64 (default: the processors online, at most 8),
    ///   see `markThreads`.
    ///
    /// Environment: `HEAPLAB_GOGC` (as `gogc`), `HEAPLAB_MEMLIMIT` (as `heap-limit`), `HEAPLAB_GCTRACE=1`
    /// (as `trace=on`). The default `environment` is the process's.
    ///
    /// - Throws: `ParameterError` naming the key and the accepted values, for an unknown key or a bad value
    ///   (in an option or in the environment).
    public init(options: [String: String],
                environment: [String: String] = GCConfiguration.processEnvironment()) throws(ParameterError) {
        self.init()
        if let v = environment["HEAPLAB_GOGC"] { gogc = try Self.parseGOGC(v, key: "HEAPLAB_GOGC") }
        if let v = environment["HEAPLAB_MEMLIMIT"] { heapLimitBytes = try Self.parseLimit(v, key: "HEAPLAB_MEMLIMIT") }
        if let v = environment["HEAPLAB_GCTRACE"] { trace = try Self.parseSwitch(v, key: "HEAPLAB_GCTRACE") }
        for key in options.keys.sorted() {
            let value = options[key]!
            switch key {
            case "gogc": gogc = try Self.parseGOGC(value, key: key)
            case "heap-limit": heapLimitBytes = try Self.parseLimit(value, key: key)
            case "min-heap": minimumHeapBytes = try Self.parseBytes(value, key: key)
            case "sweep":
                guard let mode = SweepMode(rawValue: value) else {
                    throw ParameterError("gc: sweep must be eager or lazy (got '\(value)')")
                }
                sweepMode = mode
            case "verify": verifyAfterEveryCycle = try Self.parseSwitch(value, key: key)
            case "poison": poisonFreedCells = try Self.parseSwitch(value, key: key)
            case "trace": trace = try Self.parseSwitch(value, key: key)
            case "mode":
                guard let mode = CollectionMode(rawValue: value) else {
                    throw ParameterError("gc: mode must be stop-the-world, incremental or concurrent (got '\(value)')")
                }
                collectionMode = mode
            case "slice-budget-us": sliceBudgetNanoseconds = try Self.parseSliceMicroseconds(value, key: key)
            case "slice-budget-bytes":
                sliceBudgetBytes = value.lowercased() == "off" ? nil : try Self.parseLimit(value, key: key)
            case "checkmark": checkmark = try Self.parseSwitch(value, key: key)
            case "mark-trigger":
                guard let f = Double(value), f > 0, f < 1 else {
                    throw ParameterError("gc: mark-trigger must be a fraction strictly between 0 and 1 (got '\(value)')")
                }
                markTriggerFraction = f
            case "pause-cpu": measurePauseCPUTime = try Self.parseSwitch(value, key: key)
            case "mark-threads":
                guard let n = Int(value), (1...64).contains(n) else {
                    throw ParameterError("gc: mark-threads must be a whole number from 1 to 64 (got '\(value)')")
                }
                markThreads = n
            case "mark-cpu":
                guard let f = Double(value), f > 0, f <= 1 else {
                    throw ParameterError("gc: mark-cpu must be a fraction greater than 0 and at most 1 (got '\(value)')")
                }
                backgroundMarkFraction = f
            default:
                throw ParameterError("gc: unknown option '\(key)' (known: \(Self.optionKeys.joined(separator: ", ")))")
            }
        }
        if collectionMode.marksBetweenPauses {
            guard options["sweep"] != SweepMode.eager.rawValue else {
                throw ParameterError("gc: mode=\(collectionMode.rawValue) sweeps lazily; sweep=eager cannot go with it")
            }
            sweepMode = .lazy
        }
    }

    /// The values of `environmentKeys` in this process's environment.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        for key in environmentKeys {
            if let v = getenv(key) { result[key] = String(cString: v) }
        }
        return result
    }

    /// The settings as strings, for `RunReport.managerConfiguration` (keys as in `init(options:)`).
    public var dictionary: [String: String] {
        ["gogc": gogc.map(String.init) ?? "off",
         "heap-limit": heapLimitBytes.map(String.init) ?? "off",
         "min-heap": String(minimumHeapBytes),
         "sweep": sweepMode.rawValue,
         "verify": verifyAfterEveryCycle ? "on" : "off",
         "poison": poisonFreedCells ? "on" : "off",
         "trace": trace ? "on" : "off",
         "mode": collectionMode.rawValue,
         "slice-budget-us": sliceBudgetNanoseconds.map { String(Double($0) / 1000) } ?? "off",
         "slice-budget-bytes": sliceBudgetBytes.map(String.init) ?? "off",
         "checkmark": checkmark ? "on" : "off",
         "mark-trigger": String(markTriggerFraction),
         "pause-cpu": measurePauseCPUTime ? "on" : "off",
         "mark-threads": String(markThreads),
         "mark-cpu": String(backgroundMarkFraction)]
    }

    // MARK: parsing

    static func parseGOGC(_ text: String, key: String) throws(ParameterError) -> Int? {
        if text.lowercased() == "off" { return nil }
        guard let v = Int(text), v >= 0, v <= 1_000_000 else {
            throw ParameterError("gc: \(key) must be a percentage from 0 to 1000000, or off (got '\(text)')")
        }
        return v
    }

    static func parseLimit(_ text: String, key: String) throws(ParameterError) -> Int? {
        if text.lowercased() == "off" { return nil }
        let v = try parseBytes(text, key: key)
        guard v > 0 else { throw ParameterError("gc: \(key) must be positive, or off (got '\(text)')") }
        return v
    }

    /// A slice budget in microseconds: a positive decimal number (fractions allowed, at most 10 s), or `off`.
    static func parseSliceMicroseconds(_ text: String, key: String) throws(ParameterError) -> UInt64? {
        if text.lowercased() == "off" { return nil }
        guard let us = Double(text), us.isFinite, us > 0, us <= 10_000_000, (us * 1000).rounded() >= 1 else {
            throw ParameterError("gc: \(key) must be a positive number of microseconds up to 10000000, or off (got '\(text)')")
        }
        return UInt64((us * 1000).rounded())
    }

    static func parseSwitch(_ text: String, key: String) throws(ParameterError) -> Bool {
        switch text.lowercased() {
        case "1", "on", "true", "yes": return true
        case "0", "off", "false", "no": return false
        default: throw ParameterError("gc: \(key) must be on or off (got '\(text)')")
        }
    }

    /// Parses a byte count (`ByteCount.parse`: digits with an optional `KiB`, `MiB` or `GiB` suffix, at most 1 PiB).
    ///
    /// - Throws: `ParameterError` naming `key`.
    public static func parseBytes(_ text: String, key: String) throws(ParameterError) -> Int {
        try ByteCount.parse(text, key: key, owner: "gc")
    }
}

extension GCHeap {
    /// The effective configuration (`GCConfiguration.dictionary`), for RunReports.
    public var settings: [String: String] { configuration.dictionary }
}
