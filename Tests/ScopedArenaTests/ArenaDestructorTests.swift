import XCTest
import ScopedArena

/// Typed allocation runs deinits at scope end, reset and the arena's deinit, newest first, exactly once:
/// nothing is leaked silently.
final class ArenaDestructorTests: XCTestCase {
    func testScopeEndRunsDeinitsNewestFirst() throws {
        let tracker = LifetimeTracker()
        let arena = Arena()
        let survivor = try arena.make(Tracked(tracker, id: 100))
        try arena.withScope { scope in
            for i in 0..<5 { _ = try scope.make(Tracked(tracker, id: i)) }
            _ = try scope.makeArray(count: 3) { i in Tracked(tracker, id: 10 + i) }
            XCTAssertEqual(tracker.live, 9)
        }
        XCTAssertEqual(tracker.live, 1, "the scope's 8 values were destroyed, the parent's survives")
        XCTAssertEqual(tracker.destroyedOrder, [10, 11, 12, 4, 3, 2, 1, 0], "newest allocation first (an array's elements in order)")
        XCTAssertEqual(arena[survivor].id, 100)
    }

    func testNoncopyableValuesAreDestroyedOnce() throws {
        let tracker = LifetimeTracker()
        do {
            let arena = Arena()
            let token = try arena.make(TrackedToken(tracker, id: 7))
            XCTAssertEqual(arena[token].id, 7)
            try arena.withScope { scope in
                _ = try scope.makeArray(count: 4) { i in TrackedToken(tracker, id: i) }
            }
            XCTAssertEqual(tracker.live, 1)
        }
        XCTAssertEqual(tracker.live, 0, "the arena's deinit destroyed the last one")
        XCTAssertEqual(tracker.created, 5)
        XCTAssertEqual(tracker.destroyedOrder.count, 5)
    }

    func testResetRunsEveryDeinit() throws {
        let tracker = LifetimeTracker()
        var arena = Arena()
        for i in 0..<50 { _ = try arena.make(Tracked(tracker, id: i)) }
        _ = try arena.makeArray(repeating: "not trivially destructible", count: 10)
        XCTAssertEqual(tracker.live, 50)
        arena.reset()
        XCTAssertEqual(tracker.live, 0)
        XCTAssertEqual(tracker.destroyedOrder, Array((0..<50).reversed()))
    }

    func testTriviallyDestructibleTypesRegisterNoDestructor() throws {
        let arena = Arena()
        _ = try arena.make(0 as UInt64)
        let trivialBytes = arena.statistics().liveBytes
        XCTAssertEqual(trivialBytes, 8, "a UInt64 costs its 8 bytes and no destructor record")
        let tracker = LifetimeTracker()
        _ = try arena.make(Tracked(tracker))
        XCTAssertGreaterThan(arena.statistics().liveBytes - trivialBytes, MemoryLayout<Tracked>.size,
                             "a class reference costs a destructor record too")
    }

    func testValueIsDestroyedWhenAllocationFails() {
        let tracker = LifetimeTracker()
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, limitBytes: 4096))
        XCTAssertThrowsError(try arena.makeArray(count: 1000) { i in Tracked(tracker, id: i) })
        XCTAssertEqual(tracker.created, 0, "no element was made for an array that could not be allocated")
        XCTAssertThrowsError(try arena.allocate(byteCount: 8192))
        // Fill the one chunk, then a typed allocation fails: the value given to it is destroyed, not leaked.
        while (try? arena.allocate(byteCount: 64)) != nil {}
        XCTAssertThrowsError(try arena.make(Tracked(tracker, id: 1)))
        XCTAssertEqual(tracker.live, 0)
    }
}
