import HeapLabCore
import NativeReference
import SystemHeaps
import Workloads

/// The native reference programs (NativeReference) at the workloads' default sizes, per allocator family, with
/// hooks that record into a `RunContext` as a run would (latency histogram, pause log with a 20 µs stall
/// threshold, memory samples at most every 10 ms) and with no hooks: the command `native`.
enum NativeTimings {
    typealias T = TimingTool

    /// A family to time: its name, the family, and its allocator (nil for malloc and the arena's mmap chunks).
    struct Family {
        var name: String
        var family: hl_native_family
        var allocator: hl_native_allocator?
    }

    /// glibc malloc and the arena always; jemalloc, mimalloc and Boehm where they load.
    static func families() -> [Family] {
        var families = [Family(name: "malloc", family: HL_NATIVE_MALLOC, allocator: nil),
                        Family(name: "arena", family: HL_NATIVE_ARENA, allocator: nil)]
        if let f = try? JemallocAllocator.cFunctions() {
            families.append(Family(name: "jemalloc", family: HL_NATIVE_FUNCTIONS,
                                   allocator: hl_native_allocator(malloc: f.malloc, free: f.free, malloc_atomic: nil)))
        }
        if let f = try? MimallocAllocator.cFunctions() {
            families.append(Family(name: "mimalloc", family: HL_NATIVE_FUNCTIONS,
                                   allocator: hl_native_allocator(malloc: f.malloc, free: f.free, malloc_atomic: nil)))
        }
        if let f = try? BoehmManager.cFunctions() {
            families.append(Family(name: "boehm", family: HL_NATIVE_COLLECTOR,
                                   allocator: hl_native_allocator(malloc: f.malloc, free: nil, malloc_atomic: f.mallocAtomic)))
        }
        return families
    }

    /// Hooks that record into `context` (passed unretained: the caller keeps it alive).
    static func hooks(_ context: RunContext) -> hl_native_hooks {
        hl_native_hooks(
            context: Unmanaged.passUnretained(context).toOpaque(),
            operation: { context, nanoseconds in
                Unmanaged<RunContext>.fromOpaque(context!).takeUnretainedValue().latency.record(nanoseconds: nanoseconds)
            },
            stall: { context, start, duration, label in
                Unmanaged<RunContext>.fromOpaque(context!).takeUnretainedValue().pauseLog.record(
                    PauseEvent(kind: .stall, startNanoseconds: start, durationNanoseconds: duration, label: String(cString: label)))
            },
            sample_memory: { context, liveBytes, force in
                Unmanaged<RunContext>.fromOpaque(context!).takeUnretainedValue().sampleMemory(
                    liveBytes: liveBytes < 0 ? nil : Int(liveBytes), force: force != 0)
            })
    }

    /// One run; returns milliseconds and the checksum, or throws with the program's message.
    static func time(_ program: String, _ family: Family, hooked: Bool) throws -> (ms: Double, checksum: UInt64, operations: Int) {
        let context = RunContext(pauseLog: PauseLog(stallThresholdNanoseconds: 20_000))
        var hooks = hooks(context)
        var result = hl_native_result()
        let gcbench = try GCBench.resolve([:])
        let binaryTrees = try BinaryTrees.resolve([:])
        var g = hl_gcbench_parameters(stretch_depth: Int32(gcbench["stretchDepth"]!), long_lived_depth: Int32(gcbench["longLivedDepth"]!),
                                      array_size: Int32(gcbench["arraySize"]!), min_depth: Int32(gcbench["minDepth"]!),
                                      max_depth: Int32(gcbench["maxDepth"]!), walk_trees: Int32(gcbench["walkTrees"]!))
        var b = hl_binary_trees_parameters(depth: Int32(binaryTrees["depth"]!), unit_depth: Int32(binaryTrees["unitDepth"]!))
        let allocator = family.allocator ?? hl_native_allocator()
        let start = MonotonicClock.now()
        withUnsafePointer(to: allocator) { a in
            withUnsafePointer(to: &hooks) { h in
                let a = family.allocator == nil ? nil : a, h = hooked ? h : nil
                _ = program == "gcbench" ? hl_native_gcbench(family.family, a, &g, h, &result)
                    : hl_native_binary_trees(family.family, a, &b, h, &result)
            }
        }
        let ns = MonotonicClock.now() - start
        guard result.status == 0 else {
            let message = withUnsafeBytes(of: result.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw ParameterError("native \(program) on \(family.name): status \(result.status): \(message)")
        }
        return (T.milliseconds(ns), result.checksum, context.latency.count)
    }

    /// Each program at its default size on every family, hooks on and off, interleaved `rounds` times; every
    /// run, then the medians and the cost of the hooks.
    static func run(rounds: Int) throws {
        let families = families()
        for program in ["gcbench", "binary-trees"] {
            var times: [String: [Double]] = [:]
            for round in 1...max(1, rounds) {
                for family in families {
                    for hooked in [true, false] {
                        let (ms, checksum, operations) = try time(program, family, hooked: hooked)
                        let key = "\(family.name) hooks \(hooked ? "on" : "off")"
                        times[key, default: []].append(ms)
                        print("\(program) round \(round) \(key): \(ms) ms, checksum \(checksum), operations \(operations)")
                    }
                }
            }
            let malloc = T.median(times["malloc hooks on"]!)
            for family in families {
                let on = T.median(times["\(family.name) hooks on"]!), off = T.median(times["\(family.name) hooks off"]!)
                print("median \(program) \(family.name): hooks on \(on) ms (\((on / malloc * 100).rounded() / 100)x malloc), "
                      + "hooks off \(off) ms, on/off \((on / off * 1000).rounded() / 1000)")
            }
        }
    }
}
