import HeapLabCore
import HeapLabTestSupport
import ScopedArena
import XCTest

/// The arena's stress oracles (`ArenaOracle` for `Arena`, `ArenaManagerOracle` for `ArenaManager`), each run
/// in the configurations that reach different paths: small chunks that fill and grow constantly, a limit the
/// runs press against, and the release settings (no poisoning, large chunks, huge pages for every chunk that
/// qualifies).
///
/// Size: `operations` per run, 20,000 in a debug build (seconds), 200,000 in a release build (`scripts/stress.sh`),
/// times `HEAPLAB_STRESS_SCALE`; seeds from `HEAPLAB_STRESS_SEED` (`StressEnvironment`). Every run prints a
/// summary line starting with `stress:`, and every failure names the run's seed, how to replay it and the
/// operation.
final class ArenaOracleTests: XCTestCase {
    let operations = StressEnvironment.operations(debug: 20_000, release: 200_000)

    func runArena(_ name: String, seed: UInt64, _ configuration: ArenaConfiguration) {
        ArenaOracle(.init(name: name, configuration: configuration, fixedSeed: seed, operations: operations)).runAndCheck()
    }

    func runManager(_ name: String, seed: UInt64, _ configuration: ArenaConfiguration) {
        ArenaManagerOracle(.init(name: name, configuration: configuration, fixedSeed: seed, operations: operations)).runAndCheck()
    }

    func testArenaWithSmallChunksAgainstTheModel() {
        runArena("small chunks", seed: 1, ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 64 << 10,
                                                             maximumSpareBytes: 256 << 10, poisonsFreedMemory: true))
    }

    /// Requests sized to the room left under the limit, and every other operation near it: refusals must be
    /// justified and leave the arena usable, requests within the budget must be served.
    func testArenaAtItsLimitAgainstTheModel() {
        runArena("limit 768 KiB", seed: 2, ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 128 << 10, limitBytes: 768 << 10,
                                                              maximumSpareBytes: 128 << 10, poisonsFreedMemory: true))
    }

    /// The release-build settings (no poisoning) with the default chunk sizes, and huge pages for every chunk of
    /// 2 MiB or more.
    func testArenaWithReleaseSettingsAgainstTheModel() {
        runArena("release settings", seed: 3, ArenaConfiguration(poisonsFreedMemory: false, hugePages: .all))
    }

    func testArenaManagerWithSmallChunksAgainstTheModel() {
        runManager("small chunks", seed: 4, ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 64 << 10,
                                                               maximumSpareBytes: 256 << 10, poisonsFreedMemory: true))
    }

    func testArenaManagerAtItsLimitAgainstTheModel() {
        runManager("limit 1 MiB", seed: 5, ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 128 << 10, limitBytes: 1 << 20,
                                                              maximumSpareBytes: 256 << 10, poisonsFreedMemory: true))
    }
}
