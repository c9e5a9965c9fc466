import HeapLabCore
import Workloads
import XCTest

/// The Swift side of a comparison: a workload run on a manager, summarized like a C run.
enum SwiftReference {
    /// Runs `workload` on `manager` (whose pause log is `log`, shared with the run context). With the default
    /// interval every `sampleMemory` call is kept, so the samples are the sample points; with
    /// `longSampleInterval`, only the forced ones are, after one taken before the run (a context always keeps its
    /// first), so that their count says where the workload forces a sample.
    static func run<W: Workload, M: MemoryManager>(_ workload: W, on manager: M, log: PauseLog,
                                                   longSampleInterval: Bool = false) throws -> RunSummary {
        let context = RunContext(pauseLog: log, memorySampleIntervalNanoseconds: longSampleInterval ? 1 << 62 : 0)
        if longSampleInterval { context.sampleMemory() }
        let outcome = try workload.run(on: manager, context: context)
        var stalls: [String: Int] = [:]
        for event in log.events where event.kind == .stall { stalls[event.label, default: 0] += 1 }
        let statistics = manager.statistics()
        return RunSummary(checksum: outcome.checksum, operations: context.latency.count,
                          allocations: statistics.allocations, bytesRequested: statistics.bytesRequested,
                          stalls: stalls, sampleLiveBytes: context.memorySamples.map(\.liveBytes))
    }
}

/// Parameter sets both sides run: the Swift workload's test size and a few other small ones, each given as the
/// Swift workload's parameters (missing ones take their test size).
enum ParameterSets {
    static let gcbench: [[String: Int]] = [
        [:],  // the test size: stretchDepth 10, longLivedDepth 8, arraySize 4000, depths 4...8, walkTrees 1
        ["stretchDepth": 8, "longLivedDepth": 6, "arraySize": 2_002, "minDepth": 2, "maxDepth": 6, "walkTrees": 0],
        // Depths past the stretch tree get no tree at all (NumIters rounds down to 0); depth 0 trees are leaves.
        ["stretchDepth": 3, "longLivedDepth": 0, "arraySize": 2_002, "minDepth": 0, "maxDepth": 7, "walkTrees": 1],
        ["stretchDepth": 6, "longLivedDepth": 4, "arraySize": 10_000, "minDepth": 5, "maxDepth": 5, "walkTrees": 0],
    ]

    static let binaryTrees: [[String: Int]] = [
        [:],  // the test size: depth 8, unitDepth 6 (depth-8 trees timed per depth-6 subtree)
        ["depth": 1, "unitDepth": 1],  // maxDepth = max(4 + 2, 1) = 6; every tree timed per depth-1 subtree
        ["depth": 7, "unitDepth": 26],  // every tree one operation
        ["depth": 9, "unitDepth": 4],
        ["depth": 6, "unitDepth": 6],
    ]
}
