import HeapLabCore
import HeapLabTestSupport
@testable import MarkSweepGC
import XCTest

/// A heap for tests: verifier after every cycle, poisoning and reference checks on (unless `debugChecks` is
/// false: the release-build defaults), a small minimum heap so
/// that collections happen often.
func makeTestHeap(gogc: Int? = 100, minimumHeapBytes: Int = 256 << 10, heapLimitBytes: Int? = nil,
                  sweepMode: SweepMode = .eager, verify: Bool = true,
                  markStackMaximumEntries: Int = 1 << 32, debugChecks: Bool = true) -> (GCHeap, PauseLog) {
    let log = PauseLog()
    let configuration = GCConfiguration(gogc: gogc, minimumHeapBytes: minimumHeapBytes, heapLimitBytes: heapLimitBytes,
                                        sweepMode: sweepMode, verifyAfterEveryCycle: verify, poisonFreedCells: debugChecks,
                                        checkReferences: debugChecks, markStackMaximumEntries: markStackMaximumEntries)
    return (GCHeap(configuration: configuration, pauseLog: log), log)
}

/// `HEAPLAB_STRESS_SCALE` (an integer >= 1; default 1): multiplies the sizes of the stress tests
/// (`StressEnvironment`, shared by every test target).
var stressScale: Int { StressEnvironment.scale }

/// Runs `body` once per sweep mode, printing the mode first so a failure in the log says which one broke.
func forEachSweepMode(_ body: (SweepMode) throws -> Void) rethrows {
    for mode in SweepMode.allCases {
        print("-- sweep mode: \(mode.rawValue)")
        try body(mode)
    }
}

/// A small deterministic random generator (SplitMix64), so a failing stress run can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
