import XCTest
import HeapLabCore
import ScopedArena

/// What the arena promises: bump allocation, nested scopes, reset reuse, geometric growth, the limit,
/// statistics, and clear errors for bad input.
final class ArenaTests: XCTestCase {
    func testBumpAllocationIsContiguousAndCounted() throws {
        let arena = Arena()
        let a = try arena.allocate(byteCount: 24, alignment: 8)
        let b = try arena.allocate(byteCount: 24, alignment: 8)
        XCTAssertEqual(b - a, 24, "consecutive requests in one chunk are adjacent")
        let c = try arena.allocate(byteCount: 1, alignment: 1)
        let d = try arena.allocate(byteCount: 8, alignment: 64)
        XCTAssertEqual(c - b, 24)
        XCTAssertEqual(Int(bitPattern: d) % 64, 0)
        let s = arena.statistics()
        XCTAssertEqual(s.bytesAllocated, 24 + 24 + 1 + 8)
        XCTAssertEqual(s.chunkCount, 1)
        XCTAssertEqual(s.chunksMapped, 1)
        XCTAssertEqual(s.liveBytes, d + 8 - a)
        arena.checkInvariants()
    }

    func testBytesAllocatedStaysExactThroughPaddingChunksScopesLargeRequestsAndResets() throws {
        // bytesAllocated is derived from cursor positions; every way the cursor moves must keep it exact.
        var arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 16384))
        var expected = 0
        func take(_ arena: borrowing Arena, _ byteCount: Int, _ alignment: Int) throws {
            _ = try arena.allocate(byteCount: byteCount, alignment: alignment)
            expected += byteCount
            XCTAssertEqual(arena.statistics().bytesAllocated, expected, "after \(byteCount) B aligned \(alignment)")
        }
        try take(arena, 3, 1)
        try take(arena, 8, 64)          // padding on the fast path is not counted
        try take(arena, 0, 4096)        // a zero-byte request counts nothing, even when it moves the cursor
        for _ in 0..<200 { try take(arena, 40, 16) }   // several new chunks
        try take(arena, 100_000, 8)     // a large request in a chunk of its own
        try arena.withScope { scope in
            for _ in 0..<300 { try take(scope, 24, 8) }
            try take(scope, 50_000, 32)
        }
        XCTAssertEqual(arena.statistics().bytesAllocated, expected, "a scope end frees bytes but keeps the count")
        try take(arena, 5, 2)
        arena.reset()
        XCTAssertEqual(arena.statistics().bytesAllocated, expected, "a reset keeps the count")
        try take(arena, 7, 8)
        arena.checkInvariants()
    }

    func testZeroByteRequestsReturnAlignedNonNullPointersAndConsumeNothing() throws {
        let arena = Arena()
        // Before any chunk exists: no chunk is mapped for it.
        let z0 = try arena.allocate(byteCount: 0, alignment: 16)
        XCTAssertEqual(Int(bitPattern: z0) % 16, 0)
        XCTAssertEqual(arena.statistics().chunksMapped, 0)
        let a = try arena.allocate(byteCount: 8, alignment: 8)
        let z1 = try arena.allocate(byteCount: 0, alignment: 8)
        let b = try arena.allocate(byteCount: 8, alignment: 8)
        XCTAssertEqual(b - a, 8, "a zero-byte request consumed no memory")
        XCTAssertEqual(z1, b, "documented: it may equal the next allocation's address")
    }

    func testBadRequestsThrowClearErrorsAndChangeNothing() throws {
        let arena = Arena()
        _ = try arena.allocate(byteCount: 16)
        let before = arena.statistics()
        func expectInvalid(_ byteCount: Int, _ alignment: Int, _ text: String, line: UInt = #line) {
            XCTAssertThrowsError(try arena.allocate(byteCount: byteCount, alignment: alignment), line: line) { error in
                guard case let AllocationError.invalidRequest(message) = error else {
                    return XCTFail("expected invalidRequest, got \(error)", line: line)
                }
                XCTAssertTrue(message.contains(text), "message '\(message)' lacks '\(text)'", line: line)
            }
        }
        withEvery("alignment", in: [0, -8, 3, 12, 8192, Int.min]) { alignment in
            expectInvalid(8, alignment, "not a power of two")
        }
        expectInvalid(-1, 8, "negative")
        expectInvalid(Int.min, 8, "negative")
        expectInvalid(Int.max, 8, "request limit")
        expectInvalid(Int.max - 2, 16, "request limit")
        expectInvalid(1 << 41, 8, "request limit")
        XCTAssertThrowsError(try arena.makeArray(repeating: 0 as UInt64, count: -1)) { error in
            XCTAssertEqual(error as? AllocationError, .invalidRequest("element count -1 is negative"))
        }
        XCTAssertThrowsError(try arena.makeArray(repeating: 0 as UInt64, count: Int.max / 4)) { error in
            guard case AllocationError.invalidRequest = error else { return XCTFail("got \(error)") }
        }
        XCTAssertEqual(arena.statistics(), before, "a refused request changes nothing")
        arena.checkInvariants()
    }

    func testChunksGrowGeometricallyUpToTheCap() throws {
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 32768))
        var heap: [Int] = []
        for _ in 0..<6 {
            // Fill the current chunk exactly, then one more byte forces the next chunk.
            let s = arena.statistics()
            var room = s.heapBytes - s.liveBytes - 64 * s.chunkCount
            while room > 0 {
                let n = min(room, 512)
                _ = try arena.allocate(byteCount: n, alignment: 1)
                room -= n
            }
            _ = try arena.allocate(byteCount: 1, alignment: 1)
            heap.append(arena.statistics().heapBytes)
        }
        let sizes = zip(heap, [0] + heap).map { $0 - $1 }
        XCTAssertEqual(sizes, [4096, 8192, 16384, 32768, 32768, 32768])
        arena.checkInvariants()
    }

    /// Chunk sizes that are not whole pages (any size from 4 KiB is accepted) map whole pages: the arena's
    /// invariants (checked here) require it, and a debug build asserted on the mapping before.
    func testChunkSizesThatAreNotWholePagesMapWholePages() throws {
        let arena = try Arena(configuration: ArenaConfiguration(options: ["chunk-size": "5000", "max-chunk-size": "30001"]))
        for _ in 0..<20 { _ = try arena.allocate(byteCount: 3000, alignment: 8) }
        let s = arena.statistics()
        XCTAssertGreaterThan(s.chunkCount, 1)
        XCTAssertEqual(s.heapBytes % 4096, 0, "\(s.heapBytes) bytes of chunks")
        arena.checkInvariants()
    }

    func testLargeRequestGetsItsOwnChunkAndLeavesTheCurrentChunkInUse() throws {
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 65536))
        let a = try arena.allocate(byteCount: 32, alignment: 8)
        let big = try arena.allocate(byteCount: 1 << 20, alignment: 64)
        let b = try arena.allocate(byteCount: 32, alignment: 8)
        XCTAssertEqual(b - a, 32, "the bump chunk stays current after a large request")
        XCTAssertTrue(arena.contains(big, byteCount: 1 << 20))
        XCTAssertEqual(arena.statistics().chunkCount, 2)
        XCTAssertGreaterThanOrEqual(arena.statistics().heapBytes, (1 << 20) + 65536)
    }

    func testLargeRequestChunksOfTwoMiBOrMoreStartOnAHugePageBoundary() throws {
        let arena = Arena()
        let p = try arena.allocate(byteCount: 3 << 20, alignment: 64)
        // A large request's chunk: the header takes the first 64 bytes of the 2 MiB-aligned mapping.
        XCTAssertEqual((Int(bitPattern: p) - 64) % (2 << 20), 0)
        p.initializeMemory(as: UInt8.self, repeating: 1, count: 3 << 20)   // every byte is mapped and writable
        XCTAssertTrue(arena.contains(p, byteCount: 3 << 20))
        arena.checkInvariants()
    }

    func testNestedScopesFreeOnlyTheirOwnAllocations() throws {
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096))
        let parent = try arena.allocate(byteCount: 100, alignment: 8)
        parent.initializeMemory(as: UInt8.self, repeating: 7, count: 100)
        let liveBefore = arena.statistics().liveBytes
        try arena.withScope { child in
            XCTAssertEqual(child.statistics().scopeDepth, 1)
            for _ in 0..<100 {
                let p = try child.allocate(byteCount: 500, alignment: 16)
                p.initializeMemory(as: UInt8.self, repeating: 9, count: 500)
            }
            _ = try child.allocate(byteCount: 100_000)   // a large chunk too
            try child.withScope { grandchild in
                _ = try grandchild.allocate(byteCount: 3000)
                XCTAssertEqual(grandchild.statistics().scopeDepth, 2)
            }
            XCTAssertGreaterThan(child.statistics().chunkCount, 2)
        }
        let s = arena.statistics()
        XCTAssertEqual(s.liveBytes, liveBefore, "the scope freed exactly what it allocated")
        XCTAssertEqual(s.chunkCount, 1)
        XCTAssertEqual(s.scopeDepth, 0)
        XCTAssertEqual(s.scopesEnded, 2)
        XCTAssertTrue(UnsafeRawBufferPointer(start: parent, count: 100).allSatisfy { $0 == 7 }, "the parent's bytes are intact")
        // The parent allocates again right after its own bytes.
        let next = try arena.allocate(byteCount: 8, alignment: 8)
        XCTAssertEqual(next - parent, 104)
        arena.checkInvariants()
    }

    func testScopeEndsWhenItsBodyThrows() {
        struct Boom: Error {}
        let arena = Arena()
        XCTAssertThrowsError(try arena.withScope { scope throws(Boom) in
            _ = try? scope.allocate(byteCount: 1000)
            throw Boom()
        })
        XCTAssertEqual(arena.statistics().scopeDepth, 0)
        XCTAssertEqual(arena.statistics().liveBytes, 0)
    }

    func testLoopOfScopesReachesASteadyStateWithNoNewChunks() throws {
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 65536))
        _ = try arena.allocate(byteCount: 100)
        func oneScope() throws {
            try arena.withScope { scope in
                for i in 0..<2000 { _ = try scope.allocate(byteCount: 16 + i % 200, alignment: 8) }
                _ = try scope.allocate(byteCount: 300_000)
            }
        }
        try oneScope()
        try oneScope()
        let warm = arena.statistics()
        for _ in 0..<50 { try oneScope() }
        let after = arena.statistics()
        XCTAssertEqual(after.chunksMapped, warm.chunksMapped, "steady state: every chunk comes from the spares")
        XCTAssertEqual(after.chunksUnmapped, warm.chunksUnmapped)
        XCTAssertEqual(after.heapBytes, warm.heapBytes)
        XCTAssertGreaterThan(after.spareChunkCount, 0)
        arena.checkInvariants()
    }

    func testScopesInAFreshArenaLeaveTheirFirstChunkToTheParent() throws {
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, poisonsFreedMemory: true))
        for _ in 0..<100 {
            try arena.withScope { scope in
                for _ in 0..<10 { _ = try scope.allocate(byteCount: 64) }
            }
        }
        let s = arena.statistics()
        XCTAssertEqual(s.chunksMapped, 1, "one chunk, kept by the root after the first scope")
        XCTAssertEqual(s.chunkCount, 1)
        XCTAssertEqual(s.spareChunkCount, 0)
        XCTAssertEqual(s.liveBytes, 0)
        arena.checkInvariants()
        // A scope that grew past the first chunk leaves only the first one to the parent.
        try arena.withScope { scope in
            for _ in 0..<200 { _ = try scope.allocate(byteCount: 64) }
        }
        XCTAssertEqual(arena.statistics().chunkCount, 1)
        XCTAssertEqual(arena.statistics().liveBytes, 0)
        arena.checkInvariants()
    }

    func testDeepNestingGrowsTheGenerationStack() throws {
        let arena = Arena()
        func nest(_ arena: borrowing Arena, _ depth: Int) throws -> Int {
            let p = try arena.make(depth)
            guard depth < 40 else { return arena.statistics().scopeDepth }
            let reached = try arena.withScope { scope in try nest(scope, depth + 1) }
            XCTAssertTrue(arena.isLive(p))
            XCTAssertEqual(arena[p], depth)
            return reached
        }
        XCTAssertEqual(try nest(arena, 0), 40)
        arena.checkInvariants()
    }

    func testResetKeepsTheLargestChunkAndReusesIt() throws {
        var arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 1 << 20))
        for _ in 0..<3000 { _ = try arena.allocate(byteCount: 64) }
        let full = arena.statistics()
        XCTAssertGreaterThan(full.chunkCount, 3)
        arena.reset()
        let afterReset = arena.statistics()
        XCTAssertEqual(afterReset.chunkCount, 1)
        XCTAssertEqual(afterReset.liveBytes, 0)
        XCTAssertEqual(afterReset.resets, 1)
        XCTAssertEqual(afterReset.peakLiveBytes, full.liveBytes)
        XCTAssertEqual(afterReset.chunksUnmapped, full.chunkCount - 1)
        // A loop that fits in the kept chunk maps nothing more.
        for _ in 0..<20 {
            for _ in 0..<1000 { _ = try arena.allocate(byteCount: 64) }
            arena.reset()
        }
        let steady = arena.statistics()
        XCTAssertEqual(steady.chunksMapped, full.chunksMapped, "no new chunks after the first reset")
        XCTAssertEqual(steady.resets, 21)
        arena.checkInvariants()
    }

    func testLoopOfResetsSettlesOnOneChunkThatHoldsAWholeIteration() throws {
        var arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 4 << 20))
        var mapped: [Int] = []
        for _ in 0..<12 {
            for _ in 0..<(1 << 15) { _ = try arena.allocate(byteCount: 32, alignment: 8) }   // 1 MiB
            arena.reset()
            mapped.append(arena.statistics().chunksMapped)
        }
        XCTAssertEqual(mapped.last, mapped[mapped.count - 4], "no chunk mapped in the last iterations: \(mapped)")
        XCTAssertEqual(arena.statistics().chunkCount, 1)
        XCTAssertGreaterThanOrEqual(arena.statistics().heapBytes, 1 << 20)
        arena.checkInvariants()
    }

    func testLimitThrowsOnTheSlowPathAndTheArenaStaysUsable() throws {
        let limit = 64 << 10
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 16 << 10, maximumChunkBytes: 16 << 10, limitBytes: limit))
        var served = 0
        var caught: AllocationError?
        do {
            while true {
                _ = try arena.allocate(byteCount: 1000, alignment: 8)
                served += 1
            }
        } catch {
            caught = error
        }
        guard case let .outOfMemory(requested, live, limitBytes)? = caught else {
            return XCTFail("expected outOfMemory, got \(String(describing: caught))")
        }
        XCTAssertEqual(limitBytes, limit)
        XCTAssertGreaterThan(requested, 0)
        XCTAssertEqual(live, arena.statistics().liveBytes)
        XCTAssertLessThanOrEqual(arena.statistics().heapBytes, limit)
        XCTAssertGreaterThan(served, 50)
        // Usable afterwards: a request that fits the current chunk still succeeds...
        _ = try arena.allocate(byteCount: 0)
        // ...and a large request that would pass the limit throws too, leaving everything as it was.
        let before = arena.statistics()
        XCTAssertThrowsError(try arena.allocate(byteCount: 1 << 20))
        XCTAssertEqual(arena.statistics(), before)
        arena.checkInvariants()
    }

    func testLimitReturnsSparesBeforeRefusing() throws {
        let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, limitBytes: 1 << 20))
        try arena.withScope { scope in _ = try scope.allocate(byteCount: 600 << 10) }
        XCTAssertEqual(arena.statistics().spareChunkCount, 1)
        // 600 KiB spare + 700 KiB new would pass 1 MiB; the spare is too small, so it is returned first.
        _ = try arena.allocate(byteCount: 700 << 10)
        XCTAssertEqual(arena.statistics().spareChunkCount, 0)
        XCTAssertLessThanOrEqual(arena.statistics().heapBytes, 1 << 20)
    }

    func testTypedValuesAndArrays() throws {
        let arena = Arena()
        let p = try arena.make(SIMD4<Float>(1, 2, 3, 4))
        XCTAssertEqual(arena[p], SIMD4<Float>(1, 2, 3, 4))
        arena[p].x = 9
        XCTAssertEqual(arena[p].x, 9)
        XCTAssertEqual(Int(bitPattern: p.unsafeAddress) % MemoryLayout<SIMD4<Float>>.alignment, 0)
        let squares = try arena.makeArray(count: 100) { i in i * i }
        XCTAssertEqual(Array(arena.elements(squares)), (0..<100).map { $0 * $0 })
        let empty = try arena.makeArray(repeating: 1.5, count: 0)
        XCTAssertEqual(empty.count, 0)
        let strings = try arena.makeArray(repeating: "arena", count: 3)
        XCTAssertEqual(Array(arena.elements(strings)), ["arena", "arena", "arena"])
    }

    func testWithArenaGivesAnArenaThatCanReset() throws {
        let total = try withArena(configuration: ArenaConfiguration(initialChunkBytes: 8192)) { arena throws(AllocationError) in
            let a = try arena.makeArray(repeating: 2, count: 10)
            let sum = arena.elements(a).reduce(0, +)
            arena.reset()
            XCTAssertEqual(arena.statistics().liveBytes, 0)
            return sum
        }
        XCTAssertEqual(total, 20)
    }

    func testOptionsParsing() throws {
        let c = try ArenaConfiguration(options: ["arena-limit": "512MiB", "chunk-size": "128KiB", "poison": "false"])
        XCTAssertEqual(c.limitBytes, 512 << 20)
        XCTAssertEqual(c.initialChunkBytes, 128 << 10)
        XCTAssertFalse(c.poisonsFreedMemory)
        XCTAssertEqual(try ArenaConfiguration(options: ["chunk-size": "16M"]).maximumChunkBytes, 16 << 20)
        XCTAssertEqual(try ArenaConfiguration.parseBytes("2GiB", key: "k"), 2 << 30)
        XCTAssertEqual(try ArenaConfiguration.parseBytes("4096", key: "k"), 4096)
        XCTAssertEqual(ArenaConfiguration().hugePages, .largeRequests)
        XCTAssertEqual(try ArenaConfiguration(options: ["huge-pages": "all"]).hugePages, .all)
        XCTAssertEqual(try ArenaConfiguration(options: ["huge-pages": "none"]).dictionary["huge-pages"], "none")
        for bad in [["huge-pages": "yes"], ["nope": "1"], ["arena-limit": "-5"], ["arena-limit": "12XB"], ["arena-limit": ""],
                    ["chunk-size": "100"], ["chunk-size": "1MiB", "max-chunk-size": "64KiB"],
                    ["arena-limit": "99999999999999999999GiB"], ["poison": "maybe"]] {
            XCTAssertThrowsError(try ArenaConfiguration(options: bad), "\(bad)") { error in
                XCTAssertTrue(error is ParameterError, "\(bad): \(error)")
                XCTAssertTrue("\(error)".hasPrefix("arena: "), "\(error)")
            }
        }
    }
}
