import HeapLabCore
import NativeReference
import XCTest

/// Which C program to run, with its parameters.
enum NativeProgram {
    case gcbench(hl_gcbench_parameters)
    case binaryTrees(hl_binary_trees_parameters)

    /// The C parameters for the Swift workload's resolved parameters (`Workload.resolve`).
    static func gcbench(_ p: [String: Int]) -> NativeProgram {
        .gcbench(hl_gcbench_parameters(stretch_depth: Int32(p["stretchDepth"]!), long_lived_depth: Int32(p["longLivedDepth"]!),
                                       array_size: Int32(p["arraySize"]!), min_depth: Int32(p["minDepth"]!),
                                       max_depth: Int32(p["maxDepth"]!), walk_trees: Int32(p["walkTrees"]!)))
    }

    static func binaryTrees(_ p: [String: Int]) -> NativeProgram {
        .binaryTrees(hl_binary_trees_parameters(depth: Int32(p["depth"]!), unit_depth: Int32(p["unitDepth"]!)))
    }
}

/// What one run reported, in the same terms for the C programs and the Swift workloads, so the two compare with
/// one `XCTAssertEqual`.
struct RunSummary: Equatable {
    var checksum: UInt64
    /// Latency units: hook calls for C, `RunContext.latency.count` for Swift.
    var operations: Int
    var allocations: Int
    var bytesRequested: Int
    /// Stall events by label.
    var stalls: [String: Int]
    /// The live bytes passed at each memory sample point, in order (nil: none given).
    var sampleLiveBytes: [Int?]
}

/// Records the hook calls of one C run.
final class HookRecorder {
    var operations = 0
    var operationNanoseconds: UInt64 = 0
    var stalls: [(label: String, start: UInt64, duration: UInt64)] = []
    var samples: [(liveBytes: Int64, force: Bool)] = []

    /// Hooks that call this recorder (which must outlive the run).
    func hooks() -> hl_native_hooks {
        hl_native_hooks(
            context: Unmanaged.passUnretained(self).toOpaque(),
            operation: { context, nanoseconds in
                let recorder = Unmanaged<HookRecorder>.fromOpaque(context!).takeUnretainedValue()
                recorder.operations += 1
                recorder.operationNanoseconds &+= nanoseconds
            },
            stall: { context, start, duration, label in
                let recorder = Unmanaged<HookRecorder>.fromOpaque(context!).takeUnretainedValue()
                recorder.stalls.append((String(cString: label), start, duration))
            },
            sample_memory: { context, liveBytes, force in
                let recorder = Unmanaged<HookRecorder>.fromOpaque(context!).takeUnretainedValue()
                recorder.samples.append((liveBytes, force != 0))
            })
    }

    /// Sample points where the program forced the sample.
    var forcedSamples: Int { samples.filter(\.force).count }
}

/// The result's message as a String.
func resultMessage(_ result: hl_native_result) -> String {
    withUnsafeBytes(of: result.message) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// One C run: its result, its summary and its recorder (nil when run without hooks), and the monotonic clock
/// read just before and just after it.
struct NativeRun {
    var result: hl_native_result
    var summary: RunSummary
    var recorder: HookRecorder?
    var before: UInt64
    var after: UInt64

    var status: Int32 { result.status }
    var message: String { resultMessage(result) }
}

/// Runs `program` with `family` (and `allocator`), with recording hooks or none.
func runNative(_ program: NativeProgram, _ family: hl_native_family, allocator: hl_native_allocator? = nil,
               hooks withHooks: Bool = true) -> NativeRun {
    let recorder = withHooks ? HookRecorder() : nil
    var hooks = recorder?.hooks() ?? hl_native_hooks()
    var result = hl_native_result()
    let allocatorValue = allocator ?? hl_native_allocator()
    func call(_ a: UnsafePointer<hl_native_allocator>?, _ h: UnsafePointer<hl_native_hooks>?) {
        switch program {
        case var .gcbench(p): _ = hl_native_gcbench(family, a, &p, h, &result)
        case var .binaryTrees(p): _ = hl_native_binary_trees(family, a, &p, h, &result)
        }
    }
    let before = MonotonicClock.now()
    withUnsafePointer(to: allocatorValue) { a in
        withUnsafePointer(to: &hooks) { h in call(allocator == nil ? nil : a, withHooks ? h : nil) }
    }
    let after = MonotonicClock.now()
    var stalls: [String: Int] = [:]
    for stall in recorder?.stalls ?? [] { stalls[stall.label, default: 0] += 1 }
    let summary = RunSummary(checksum: result.checksum, operations: recorder?.operations ?? 0,
                             allocations: Int(result.allocations), bytesRequested: Int(result.bytes_requested),
                             stalls: stalls,
                             sampleLiveBytes: (recorder?.samples ?? []).map { $0.liveBytes < 0 ? nil : Int($0.liveBytes) })
    return NativeRun(result: result, summary: summary, recorder: recorder, before: before, after: after)
}
