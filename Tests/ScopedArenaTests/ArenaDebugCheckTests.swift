import Foundation
import XCTest
import HeapLabCore
import HeapLabTestSupport
import ScopedArena

/// Debug checks: poisoned freed memory, and generations that catch a stale pointer.
final class ArenaDebugCheckTests: XCTestCase {
    func testScopeEndPoisonsWhatItFreedInTheParentsChunk() throws {
        let arena = Arena(configuration: ArenaConfiguration(poisonsFreedMemory: true))
        _ = try arena.allocate(byteCount: 64)
        var freed: UnsafeMutableRawPointer?
        try arena.withScope { scope in
            let p = try scope.allocate(byteCount: 256)
            p.initializeMemory(as: UInt8.self, repeating: 0x11, count: 256)
            freed = p
        }
        // The parent's chunk is still mapped, so the freed bytes can be inspected: they hold the poison.
        let bytes = UnsafeRawBufferPointer(start: freed!, count: 256)
        XCTAssertTrue(bytes.allSatisfy { $0 == Arena.poisonByte }, "freed bytes are poisoned")
    }

    func testReleasedChunksArePoisonedAsSpares() throws {
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, poisonsFreedMemory: true))
        var freed: UnsafeMutableRawPointer?
        try arena.withScope { scope in
            let p = try scope.allocate(byteCount: 100_000)
            p.initializeMemory(as: UInt8.self, repeating: 0x22, count: 100_000)
            freed = p
        }
        XCTAssertEqual(arena.statistics().spareChunkCount, 1, "the chunk stays mapped as a spare")
        XCTAssertTrue(UnsafeRawBufferPointer(start: freed!, count: 100_000).allSatisfy { $0 == Arena.poisonByte })
    }

    func testPoisoningOffLeavesMemoryAlone() throws {
        let arena = Arena(configuration: ArenaConfiguration(poisonsFreedMemory: false))
        _ = try arena.allocate(byteCount: 64)
        var freed: UnsafeMutableRawPointer?
        try arena.withScope { scope in
            let p = try scope.allocate(byteCount: 16)
            p.initializeMemory(as: UInt8.self, repeating: 0x33, count: 16)
            freed = p
        }
        XCTAssertEqual(freed!.load(as: UInt8.self), 0x33)
    }

    func testGenerationsTellLiveFromStalePointers() throws {
        var arena = Arena()
        let root = try arena.make(1)
        var stale: ArenaPointer<Int>?
        var staleBuffer: ArenaBuffer<Int>?
        try arena.withScope { scope in
            let inner = try scope.make(2)
            stale = inner
            staleBuffer = try scope.makeArray(repeating: 3, count: 4)
            XCTAssertTrue(scope.isLive(inner))
            XCTAssertTrue(scope.isLive(root), "a parent's pointer is live in its child")
        }
        XCTAssertFalse(arena.isLive(stale!), "the scope ended")
        XCTAssertFalse(arena.isLive(staleBuffer!))
        XCTAssertTrue(arena.isLive(root))
        // A new scope at the same depth has a new generation: the old pointer stays stale.
        try arena.withScope { scope in
            _ = try scope.make(4)
            XCTAssertFalse(scope.isLive(stale!))
        }
        // Another arena never recognizes this arena's pointers.
        let other = Arena()
        XCTAssertFalse(other.isLive(root))
        arena.reset()
        XCTAssertFalse(arena.isLive(root), "reset frees the root scope's memory too")
    }

    // MARK: traps, observed from a child process

    /// Which trap the child process should hit (set by the parent test through the environment).
    static let trapVariable = "SCOPED_ARENA_TRAP"

    /// In the child process: performs the misuse named by the environment and must never return.
    func testTrapChild() throws {
        guard let which = ProcessInfo.processInfo.environment[Self.trapVariable] else { return }  // parent run: nothing
        switch which {
        case "stale":
            let arena = Arena()
            var stale: ArenaPointer<Int>?
            try arena.withScope { scope in stale = try scope.make(42) }
            print(arena[stale!])   // traps in debug builds
        case "parent":
            let arena = Arena()
            try arena.withScope { _ in _ = try arena.allocate(byteCount: 8) }   // always traps
        case "manager":
            let m = ArenaManager()
            _ = try m.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0))
            let stale = try m.withScope { () throws(AllocationError) in try m.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 0)) }
            print(m.load(stale, slot: 0) as Any)   // traps in debug builds
        default:
            XCTFail("unknown trap \(which)")
        }
        exit(0)   // reaching here means the trap did not fire
    }

    /// Runs `testTrapChild` in a child process with `which` and returns (exit status, stderr).
    func runTrapChild(_ which: String) throws -> (status: Int32, stderr: String) {
        try ChildProcess.runTrap("ScopedArenaTests.ArenaDebugCheckTests/testTrapChild", environment: [Self.trapVariable: which])
    }

    func testStalePointerTrapsWithAClearMessageInDebugBuilds() throws {
        #if DEBUG
        let (status, stderr) = try runTrapChild("stale")
        XCTAssertNotEqual(status, 0, "the child must trap")
        XCTAssertTrue(stderr.contains("ScopedArena: stale ArenaPointer<Int> used after its scope ended"), stderr)
        #else
        throw XCTSkip("the stale-pointer check is a debug-build assertion; release builds use isLive(_:)")
        #endif
    }

    func testManagerObjectUsedAfterItsScopeTrapsInDebugBuilds() throws {
        #if DEBUG
        let (status, stderr) = try runTrapChild("manager")
        XCTAssertNotEqual(status, 0, "the child must trap")
        XCTAssertTrue(stderr.contains("(used after its scope ended?)"), stderr)
        #else
        throw XCTSkip("the manager's liveness check is a debug-build assertion")
        #endif
    }

    func testAllocatingFromAnEnclosingScopeTraps() throws {
        let (status, stderr) = try runTrapChild("parent")
        XCTAssertNotEqual(status, 0, "the child must trap")
        XCTAssertTrue(stderr.contains("ScopedArena: allocation from the arena of depth 0 while a scope of depth 1 is open"), stderr)
    }
}
