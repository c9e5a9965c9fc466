import Foundation

/// The two environment variables every random stress test reads, so that one command sizes and replays them all.
///
/// - `HEAPLAB_STRESS_SCALE=N` (an integer >= 1, default 1) multiplies a run's operations.
/// - `HEAPLAB_STRESS_SEED`: unset, each run uses its own fixed seed; a number N, every run's seed is its fixed
///   seed plus N (so one number replays a whole suite); `random`, N is drawn once per process and printed.
///
/// A run names `replay` in its label, so a failure message says how to run it again.
public enum StressEnvironment {
    /// `HEAPLAB_STRESS_SCALE`, or 1 when unset or not an integer >= 1.
    public static let scale: Int = {
        guard let text = ProcessInfo.processInfo.environment["HEAPLAB_STRESS_SCALE"], let n = Int(text), n >= 1 else {
            return 1
        }
        return n
    }()

    /// What `HEAPLAB_STRESS_SEED` adds to every fixed seed (0 when unset).
    public static let seedOffset: UInt64 = {
        guard let text = ProcessInfo.processInfo.environment["HEAPLAB_STRESS_SEED"] else { return 0 }
        if text == "random" {
            let n = UInt64.random(in: 1...UInt64(UInt32.max))
            print("stress: HEAPLAB_STRESS_SEED=random chose \(n); replay with HEAPLAB_STRESS_SEED=\(n)")
            return n
        }
        guard let n = UInt64(text) else {
            print("stress: HEAPLAB_STRESS_SEED must be a number or 'random' (got '\(text)'); using the fixed seeds")
            return 0
        }
        return n
    }()

    /// The seed a run with fixed seed `fixed` uses.
    public static func seed(_ fixed: UInt64) -> UInt64 { seedOffset &+ fixed }

    /// The setting that replays this process's seeds, for labels and failure messages.
    public static var replay: String { "HEAPLAB_STRESS_SEED=\(seedOffset)" }

    /// Operations per run: `debug` in a debug build (sized to run in seconds in `swift test`), `release` in a
    /// release build (`scripts/stress.sh`), either times `scale`.
    public static func operations(debug: Int, release: Int) -> Int {
        #if DEBUG
        return debug * scale
        #else
        return release * scale
        #endif
    }
}
