import Foundation
import HeapLabCore
import HeapLabTestSupport
@testable import MarkSweepGC
import XCTest

/// Misuse that must stop the program with the documented message (Docs/Internals.md, "Bad input"), never
/// corrupt the heap quietly. Each trap runs in a child process (this test binary, `testTrapChild`), and the
/// parent checks that the child died and what it said.
///
/// Two families: the heap's own preconditions (a stale reference used with `checkReferences`, a slot index out
/// of range, `popRoots(to:)` above the depth, a reference the heap does not own), and the marker's check that
/// every reference it follows is in this heap, which every build runs (`SharedHeap.markObject`), so those children
/// turn `checkReferences` off to reach it. Swift prints a precondition's message only in debug builds
/// (release builds stop at the same place without it); the marker's check is a `fatalError` and prints it in
/// every build. So under `swift test -c release` the precondition cases check only that the child died.
final class MisuseTrapTests: XCTestCase {
    /// Which misuse the child performs (set by the parent through the environment).
    static let trapVariable = "MARKSWEEPGC_TRAP"
    let node = ObjectShape(referenceSlots: 2, payloadBytes: 8)

    func heap(checkReferences: Bool) -> GCHeap {
        GCHeap(configuration: GCConfiguration(poisonFreedCells: true, checkReferences: checkReferences), pauseLog: PauseLog())
    }

    /// In the child process: performs the misuse named by the environment and must never return.
    func testTrapChild() throws {
        guard let which = ProcessInfo.processInfo.environment[Self.trapVariable] else { return }  // parent run: nothing
        switch which {
        case "stale":
            // Use after reclaim: the second object's cell is free after the collection (its block stays, held
            // by the first).
            let h = heap(checkReferences: true)
            h.pushRoot(try h.allocate(node))
            let stale = try h.allocate(node)
            h.collect()
            print(h.load(stale, slot: 0) as Any)
        case "slot":
            let h = heap(checkReferences: true)
            let o = try h.allocate(node)
            print(h.load(o, slot: 2) as Any)
        case "pop":
            let h = heap(checkReferences: true)
            h.pushRoot(nil)
            h.popRoots(to: 2)
        case "foreign":
            let h = heap(checkReferences: true), other = heap(checkReferences: true)
            h.pushRoot(try other.allocate(node))
        case "non-heap":
            let h = heap(checkReferences: true)
            let outside = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
            h.pushRoot(GCRef(outside))
        // The marker's own check (checks on heap operations off, as in a release build):
        case "marker-stale":
            // The only object of its size class: the collection empties its block, which goes to the pool.
            let h = heap(checkReferences: false)
            let stale = try h.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 3000))
            h.collect()
            h.pushRoot(stale)
            h.collect()
        case "marker-foreign-slot":
            let h = heap(checkReferences: false), other = heap(checkReferences: false)
            let o = try h.allocate(node)
            h.pushRoot(o)
            h.store(o, slot: 1, try other.allocate(node))
            h.collect()
        case "marker-non-heap-root":
            let h = heap(checkReferences: false)
            let outside = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
            h.pushRoot(GCRef(outside))
            h.collect()
        case "marker-large-interior":
            // An address inside a large object's mapping, past its start: no region, no large object starts
            // there.
            let h = heap(checkReferences: false)
            let large = try h.allocate(ObjectShape(referenceSlots: 2, payloadBytes: 100_000))
            h.pushRoot(large)
            h.store(large, slot: 0, GCRef(large.address + 4096))
            h.collect()
        default:
            XCTFail("unknown trap \(which)")
        }
        exit(0)  // reaching here means the trap did not fire
    }

    /// Runs the child for `which`; asserts that it died and, when Swift prints the message in this build
    /// (`alwaysPrinted`, or a debug build), that its standard error holds every piece of `expected`.
    func expectTrap(_ which: String, _ expected: [String], alwaysPrinted: Bool = false,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        let (status, stderr) = try ChildProcess.runTrap("MarkSweepGCTests.MisuseTrapTests/testTrapChild",
                                                         environment: [Self.trapVariable: which])
        XCTAssertNotEqual(status, 0, "the child must trap (\(which)):\n\(stderr.suffix(2000))", file: file, line: line)
        guard alwaysPrinted || Self.isDebugBuild else { return }
        for piece in expected {
            XCTAssertTrue(stderr.contains(piece), "\(which): expected \"\(piece)\" in:\n\(stderr.suffix(2000))", file: file, line: line)
        }
    }

    /// Whether this test binary is a debug build, where Swift prints every precondition's message.
    static var isDebugBuild: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }

    func testUseOfAReclaimedObjectTraps() throws {
        try expectTrap("stale", ["gc: load: GCRef(0x", "is a free cell (its object was reclaimed)"])
    }

    func testSlotIndexOutOfRangeTraps() throws {
        try expectTrap("slot", ["gc: reference slot index out of range (slot 2, object has 2 slots)"])
    }

    func testPoppingAboveTheRootDepthTraps() throws {
        try expectTrap("pop", ["gc: popRoots(to: 2) with root depth 1"])
    }

    func testAReferenceFromAnotherHeapTraps() throws {
        try expectTrap("foreign", ["gc: pushRoot: GCRef(0x", "is not a heap object of this heap"])
    }

    func testANonHeapAddressTraps() throws {
        try expectTrap("non-heap", ["gc: pushRoot: GCRef(0x", "is not a heap object of this heap"])
    }

    // MARK: the marker's check, in every build

    func testMarkerStopsAtAStaleReferenceIntoAPoolBlock() throws {
        try expectTrap("marker-stale", ["gc: marking found a reference outside the heap: GCRef(0x",
                                        "points into a free block (its object was reclaimed)"], alwaysPrinted: true)
    }

    func testMarkerStopsAtAnotherHeapsObjectInASlot() throws {
        try expectTrap("marker-foreign-slot", ["gc: marking found a reference outside the heap: GCRef(0x",
                                               "is not a heap object of this heap"], alwaysPrinted: true)
    }

    func testMarkerStopsAtANonHeapRoot() throws {
        try expectTrap("marker-non-heap-root", ["gc: marking found a reference outside the heap: GCRef(0x",
                                                "is not a heap object of this heap"], alwaysPrinted: true)
    }

    func testMarkerStopsAtAnAddressInsideALargeObject() throws {
        try expectTrap("marker-large-interior", ["gc: marking found a reference outside the heap: GCRef(0x",
                                                 "is not a heap object of this heap"], alwaysPrinted: true)
    }
}
