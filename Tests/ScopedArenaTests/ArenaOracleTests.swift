import HeapLabCore
import XCTest
import ScopedArena

/// The oracle test: random sizes and alignments in random nested scopes, checked against an independent model
/// (a list of live intervals and the byte pattern each was filled with).
final class ArenaOracleTests: XCTestCase {
    /// One allocation the model remembers.
    struct Block {
        let address: UnsafeMutableRawPointer
        let byteCount: Int
        let fill: UInt8
    }

    /// Every live block's bytes still hold its pattern.
    func verify(_ scopes: [[Block]], _ context: String) {
        for blocks in scopes {
            for block in blocks {
                let bytes = UnsafeRawBufferPointer(start: block.address, count: block.byteCount)
                if let bad = bytes.firstIndex(where: { $0 != block.fill }) {
                    XCTFail("\(context): block at \(block.address) (\(block.byteCount) B) byte \(bad) is \(bytes[bad]), expected \(block.fill)")
                    return
                }
            }
        }
    }

    func testRandomAllocationsAreAlignedInBoundsDisjointAndIntact() {
        withEvery("seed", in: [1, 2, 3] as [UInt64]) { seed in
            var rng = SplitMix64(seed: seed)
            let arena = Arena(configuration: ArenaConfiguration(initialChunkBytes: 4096, maximumChunkBytes: 256 << 10))
            var scopes: [[Block]] = [[]]
            var live: [(start: Int, end: Int)] = []
            var nextFill: UInt8 = 1
            // The model's sum of requested bytes: the arena derives its own `bytesAllocated` from cursor
            // positions (minus alignment padding), which must match it exactly through every scope end.
            var requested = 0

            func allocateSome(_ arena: borrowing Arena, count: Int, rng: inout SplitMix64) {
                for _ in 0..<count {
                    let alignment = 1 << Int.random(in: 0...12, using: &rng)
                    let byteCount: Int
                    switch Int.random(in: 0..<100, using: &rng) {
                    case 0..<5: byteCount = 0
                    case 5..<90: byteCount = Int.random(in: 1...256, using: &rng)
                    case 90..<98: byteCount = Int.random(in: 257...8192, using: &rng)
                    default: byteCount = Int.random(in: 8193...200_000, using: &rng)
                    }
                    let p: UnsafeMutableRawPointer
                    do { p = try arena.allocate(byteCount: byteCount, alignment: alignment) } catch {
                        XCTFail("allocation of \(byteCount) B aligned \(alignment) threw \(error)")
                        return
                    }
                    XCTAssertEqual(Int(bitPattern: p) % alignment, 0, "\(byteCount) B not aligned to \(alignment)")
                    requested += byteCount
                    XCTAssertEqual(arena.statistics().bytesAllocated, requested, "bytesAllocated after \(byteCount) B aligned \(alignment)")
                    guard byteCount > 0 else { continue }
                    XCTAssertTrue(arena.contains(p, byteCount: byteCount), "\(byteCount) B at \(p) outside every chunk")
                    let start = Int(bitPattern: p), end = start + byteCount
                    if let clash = live.first(where: { $0.start < end && start < $0.end }) {
                        XCTFail("\(byteCount) B at \(start) overlaps a live block \(clash)")
                    }
                    live.append((start, end))
                    p.initializeMemory(as: UInt8.self, repeating: nextFill, count: byteCount)
                    scopes[scopes.count - 1].append(Block(address: p, byteCount: byteCount, fill: nextFill))
                    nextFill = nextFill == 255 ? 1 : nextFill + 1
                }
            }

            func run(_ arena: borrowing Arena, depth: Int, rng: inout SplitMix64) {
                allocateSome(arena, count: Int.random(in: 20...120, using: &rng) * stressMultiplier, rng: &rng)
                let children = depth < 4 ? Int.random(in: 0...3, using: &rng) : 0
                for _ in 0..<children {
                    let liveBefore = live.count
                    arena.withScope { scope in
                        scopes.append([])
                        run(scope, depth: depth + 1, rng: &rng)
                        verify(scopes, "before the end of a scope at depth \(depth + 1)")
                    }
                    // The child's blocks are gone; the parent's must be intact.
                    scopes.removeLast()
                    live.removeSubrange(liveBefore...)
                    verify(scopes, "after the end of a scope at depth \(depth + 1)")
                    arena.checkInvariants()
                    XCTAssertEqual(arena.statistics().bytesAllocated, requested, "bytesAllocated is cumulative: a scope end keeps it")
                    // The parent keeps allocating after its child ended.
                    allocateSome(arena, count: 10, rng: &rng)
                }
            }
            run(arena, depth: 0, rng: &rng)
            verify(scopes, "at the end")
            arena.checkInvariants()
            XCTAssertEqual(arena.statistics().scopeDepth, 0)
        }
    }
}
