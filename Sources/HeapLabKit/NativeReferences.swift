import HeapLabCore
import HeapLabReport
import NativeReference
import SystemHeaps
import Workloads

/// The native reference programs: GCBench and binary-trees written in plain C (Sources/NativeReference), once
/// per allocator family, run through the same harness as the managers (a child process, warm-up, wall and CPU
/// time, peak RSS, per-operation latency, stalls, Boehm's collections) and shown as rows of every table.
///
/// They answer one question: how much of a manager's figure is the allocator, and how much is HeapLab's generic
/// contract and Swift. The table's `×C` column divides each manager's time by the program of its family
/// (`ManagerEntry.nativeReference`). A C program knows its node struct statically: it has no object header, does
/// not clear memory it writes at once, and checks no bounds; a `MemoryManager` must do all three for objects of
/// any shape. Docs/Internals.md, "What the contract costs", measures what that is.
public enum NativeReferences {
    /// The workloads with a native program.
    public static let workloads = [GCBench.name, BinaryTrees.name]

    /// One program family as the table names it.
    struct Program: Sendable {
        var name: String
        var summary: String
        var family: hl_native_family
        var availability: @Sendable () -> ManagerAvailability
        /// The allocator's C functions (nil for glibc malloc, called directly, and the arena, which maps its own
        /// chunks).
        var functions: @Sendable () throws(ComparatorUnavailable) -> CAllocatorFunctions?
    }

    static let programs: [Program] = [
        Program(name: "c-malloc", summary: "native reference: the workload in plain C over glibc malloc/free, each dead tree freed recursively",
                family: HL_NATIVE_MALLOC, availability: { .available }, functions: { nil }),
        Program(name: "c-arena", summary: "native reference: the workload in plain C over a C bump arena (mmap'd chunks, a mark released at each scope end)",
                family: HL_NATIVE_ARENA, availability: { .available }, functions: { nil }),
        Program(name: "c-jemalloc", summary: "native reference: the workload in plain C over jemalloc's malloc/free (dlopen)",
                family: HL_NATIVE_FUNCTIONS, availability: { ManagerAvailability(JemallocAllocator.availability()) },
                functions: { () throws(ComparatorUnavailable) in try JemallocAllocator.cFunctions() }),
        Program(name: "c-mimalloc", summary: "native reference: the workload in plain C over mimalloc's mi_malloc/mi_free (dlopen)",
                family: HL_NATIVE_FUNCTIONS, availability: { ManagerAvailability(MimallocAllocator.availability()) },
                functions: { () throws(ComparatorUnavailable) in try MimallocAllocator.cFunctions() }),
        Program(name: "c-boehm", summary: "native reference: the workload in plain C over Boehm GC (GC_malloc, GC_malloc_atomic for the array; roots on the C stack)",
                family: HL_NATIVE_COLLECTOR, availability: { ManagerAvailability(BoehmManager.availability()) },
                functions: { () throws(ComparatorUnavailable) in try BoehmManager.cFunctions() }),
    ]

    /// The registry entries, after the managers in table order.
    public static var entries: [ManagerEntry] {
        programs.map { ManagerEntry(name: $0.name, summary: $0.summary, availability: $0.availability, nativeWorkloads: workloads) }
    }

    /// Whether `name` is a native reference program.
    public static func contains(_ name: String) -> Bool { programs.contains { $0.name == name } }

    /// Runs `spec` (a native reference on one of its workloads) in this process, as `MeasuredRun` runs a manager:
    /// warm-up at test size, harness begin, the measured run with hooks into a `RunContext`, the report.
    /// A failed check becomes status `failed` and running out of memory `outOfMemory`, with the program's message.
    /// - Throws: `RunnerError` for an unknown program or workload, or an allocator that can not be loaded here.
    public static func run(_ spec: RunSpec) throws -> RunReport {
        guard let program = programs.first(where: { $0.name == spec.manager }) else {
            throw RunnerError("unknown native reference '\(spec.manager)'")
        }
        guard workloads.contains(spec.workload) else {
            throw RunnerError("no native reference program for \(spec.workload)")
        }
        let functions: CAllocatorFunctions?
        do { functions = try program.functions() } catch { throw RunnerError(error.description) }
        var allocator = functions.map { hl_native_allocator(malloc: $0.malloc, free: $0.free, malloc_atomic: $0.mallocAtomic) }
        let date = Harness.now()
        let log = PauseLog(stallThresholdNanoseconds: spec.stallThresholdNanoseconds, recordsStalls: spec.timesOperations)
        // Boehm's collections, logged as the `boehm` manager logs them, for as long as the runs last.
        let collections = program.family == HL_NATIVE_COLLECTOR ? try boehmLog(log) : nil
        defer { withExtendedLifetime(collections) {} }

        let testParameters: [String: Int]
        do { testParameters = try spec.workload == GCBench.name ? GCBench.resolve([:], testSize: true) : BinaryTrees.resolve([:], testSize: true) }
        catch { throw RunnerError(error.message) }
        for _ in 0..<spec.warmupRuns {
            let result = runProgram(spec.workload, program.family, &allocator, testParameters,
                                    context: RunContext(pauseLog: log, timesOperations: spec.timesOperations))
            guard Int(result.status) == HL_NATIVE_OK else { break }  // the measured run says why
        }

        Harness.begin(log)
        let cpuStart = Harness.processCPUNanoseconds()
        let context = RunContext(pauseLog: log, timesOperations: spec.timesOperations)
        let result = runProgram(spec.workload, program.family, &allocator, spec.parameters, context: context)
        var outcome = Harness.Result()
        outcome.end = MonotonicClock.now()
        outcome.cpuNanoseconds = Harness.processCPUNanoseconds() &- cpuStart
        let message = withUnsafeBytes(of: result.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch Int(result.status) {
        case HL_NATIVE_OK: outcome.outcome = WorkloadOutcome(checksum: result.checksum)
        case HL_NATIVE_OUT_OF_MEMORY: (outcome.status, outcome.failure) = (.outOfMemory, message)
        case HL_NATIVE_INVALID_ARGUMENT: throw RunnerError(message)
        default: (outcome.status, outcome.failure) = (.failed, message)
        }
        let statistics = ManagerStatistics(allocations: Int(result.allocations), bytesRequested: Int(result.bytes_requested))
        return Harness.report(spec: spec, date: date, managerName: program.name, settings: [:], statistics: statistics,
                              context: context, result: outcome)
    }

    /// A `BoehmCollectionLog` into `log`, as an error the run reports when Boehm can not be used here.
    static func boehmLog(_ log: PauseLog) throws -> BoehmCollectionLog {
        do { return try BoehmCollectionLog(pauseLog: log) } catch { throw RunnerError(error.description) }
    }

    /// One run of the C program of `workload` with `parameters` (resolved), measuring into `context` (no hooks
    /// when it times nothing).
    static func runProgram(_ workload: String, _ family: hl_native_family, _ allocator: inout hl_native_allocator?,
                           _ parameters: [String: Int], context: RunContext) -> hl_native_result {
        var result = hl_native_result()
        var hooks = Self.hooks(context)
        // Without timing, the hooks still take memory samples, as a manager's untimed run does.
        if !context.timesOperations { hooks.operation = nil; hooks.stall = nil }
        let p = { (name: String) in Int32(clamping: parameters[name] ?? 0) }
        // The allocator is passed only to the families that call through it (nil: glibc direct, the arena's mmap).
        func call(_ a: UnsafePointer<hl_native_allocator>?) {
            if workload == GCBench.name {
                var g = hl_gcbench_parameters(stretch_depth: p("stretchDepth"), long_lived_depth: p("longLivedDepth"),
                                              array_size: p("arraySize"), min_depth: p("minDepth"), max_depth: p("maxDepth"),
                                              walk_trees: p("walkTrees"))
                _ = hl_native_gcbench(family, a, &g, &hooks, &result)
            } else {
                var b = hl_binary_trees_parameters(depth: p("depth"), unit_depth: p("unitDepth"))
                _ = hl_native_binary_trees(family, a, &b, &hooks, &result)
            }
        }
        withExtendedLifetime(context) {
            if var given = allocator {
                withUnsafePointer(to: &given) { call($0) }
            } else {
                call(nil)
            }
        }
        return result
    }

    /// Hooks that record into `context`, passed unretained (the caller keeps it alive for the run). A stall's
    /// label becomes a Swift string only when the stall is long enough to be logged one by one.
    static func hooks(_ context: RunContext) -> hl_native_hooks {
        hl_native_hooks(
            context: Unmanaged.passUnretained(context).toOpaque(),
            operation: { context, nanoseconds in
                Unmanaged<RunContext>.fromOpaque(context!).takeUnretainedValue().latency.record(nanoseconds: nanoseconds)
            },
            stall: { context, start, duration, label in
                let log = Unmanaged<RunContext>.fromOpaque(context!).takeUnretainedValue().pauseLog
                let text = duration < log.stallThresholdNanoseconds ? "" : String(cString: label)
                log.record(PauseEvent(kind: .stall, startNanoseconds: start, durationNanoseconds: duration, label: text))
            },
            sample_memory: { context, liveBytes, force in
                Unmanaged<RunContext>.fromOpaque(context!).takeUnretainedValue().sampleMemory(
                    liveBytes: liveBytes < 0 ? nil : Int(liveBytes), force: force != 0)
            })
    }
}
