import Glibc
import HeapLabCore
import NativeReference
import SystemHeaps
import XCTest
@testable import Workloads

/// The C programs when things go wrong: an allocator that refuses (status 2, everything freed, no crash), an
/// allocator that corrupts (status 1 with the Swift workload's message), and calls made against the header.
final class NativeFailureTests: XCTestCase {
    /// Both programs at the Swift workloads' test size.
    static func programs() throws -> [(name: String, program: NativeProgram)] {
        [("gcbench", .gcbench(try GCBench.resolve([:], testSize: true))),
         ("binary-trees", .binaryTrees(try BinaryTrees.resolve([:], testSize: true)))]
    }

    override func tearDown() {
        TestAllocators.reset()
        super.tearDown()
    }

    /// "the system refused N bytes", N > 0.
    func assertOutOfMemory(_ run: NativeRun, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.status, Int32(HL_NATIVE_OUT_OF_MEMORY), "\(label): \(run.message)", file: file, line: line)
        let prefix = "the system refused ", suffix = " bytes"
        let bytes = run.message.hasPrefix(prefix) && run.message.hasSuffix(suffix)
            ? Int(run.message.dropFirst(prefix.count).dropLast(suffix.count)) : nil
        XCTAssertGreaterThan(bytes ?? 0, 0, "\(label): message '\(run.message)'", file: file, line: line)
    }

    /// malloc and free through function pointers, malloc refusing from call k on, for k across a whole run: the
    /// program stops cleanly, reports the k allocations that succeeded, and has freed every one of them.
    func testOutOfMemoryEverywhereFreesEverything() throws {
        for (name, program) in try Self.programs() {
            TestAllocators.reset()
            let total = runNative(program, HL_NATIVE_FUNCTIONS, allocator: TestAllocators.counting).summary.allocations
            XCTAssertGreaterThan(total, 1_000)
            XCTAssertEqual(TestAllocators.outstanding, 0)
            var points = Array(stride(from: 0, to: total, by: max(1, total / 200)))
            points += [1, 2, 3, total - 2, total - 1]
            for k in points {
                TestAllocators.reset(refuseAfter: k)
                let run = runNative(program, HL_NATIVE_FUNCTIONS, allocator: TestAllocators.counting)
                assertOutOfMemory(run, "\(name), refused from call \(k)")
                XCTAssertEqual(run.summary.allocations, k, "\(name), refused from call \(k): allocations reported")
                XCTAssertEqual(TestAllocators.outstanding, 0, "\(name), refused from call \(k): blocks not freed")
            }
        }
    }

    /// GCBench's array is the allocation after the stretch tree and the long-lived tree; refused, its size is
    /// the one named.
    func testOutOfMemoryNamesTheRequest() throws {
        let p = try GCBench.resolve([:], testSize: true)
        TestAllocators.reset(refuseAfter: GCBench.treeSize(p["stretchDepth"]!) + GCBench.treeSize(p["longLivedDepth"]!))
        let run = runNative(.gcbench(p), HL_NATIVE_FUNCTIONS, allocator: TestAllocators.counting)
        XCTAssertEqual(run.status, Int32(HL_NATIVE_OUT_OF_MEMORY))
        XCTAssertEqual(run.message, "the system refused \(p["arraySize"]! * 8) bytes")
        XCTAssertEqual(TestAllocators.outstanding, 0)

        TestAllocators.reset(refuseAfter: 5)
        let node = runNative(.binaryTrees(try BinaryTrees.resolve([:], testSize: true)), HL_NATIVE_FUNCTIONS,
                             allocator: TestAllocators.counting)
        XCTAssertEqual(node.message, "the system refused 16 bytes")
    }

    /// The arena over a chunk source that refuses from chunk k on: every chunk it got goes back. (At sizes where
    /// the arena grows past its first chunk, takes large chunks and reuses spares.)
    func testArenaOutOfMemoryReturnsEveryChunk() throws {
        let programs: [(name: String, program: NativeProgram)] = [
            ("gcbench", .gcbench(try GCBench.resolve(["stretchDepth": 14, "longLivedDepth": 12, "arraySize": 200_000,
                                                      "minDepth": 10, "maxDepth": 14, "walkTrees": 0]))),
            ("binary-trees", .binaryTrees(try BinaryTrees.resolve(["depth": 12, "unitDepth": 8]))),
        ]
        for (name, program) in programs {
            TestAllocators.reset()
            let full = runNative(program, HL_NATIVE_ARENA, allocator: TestAllocators.counting)
            XCTAssertEqual(full.status, Int32(HL_NATIVE_OK), full.message)
            XCTAssertEqual(TestAllocators.outstanding, 0)
            let chunks = TestAllocators.allocations
            XCTAssertGreaterThan(chunks, 2, name)
            for k in 0..<chunks {
                TestAllocators.reset(refuseAfter: k)
                let run = runNative(program, HL_NATIVE_ARENA, allocator: TestAllocators.counting)
                assertOutOfMemory(run, "\(name), arena refused from chunk \(k)")
                XCTAssertEqual(TestAllocators.outstanding, 0, "\(name), arena refused from chunk \(k): chunks not returned")
                if k == 0 { XCTAssertEqual(run.message, "the system refused 65536 bytes", "the first chunk is 64 KiB") }
            }
        }
    }

    /// A collector that refuses: the program stops cleanly (nothing to free).
    func testCollectorOutOfMemory() throws {
        for (name, program) in try Self.programs() {
            for k in [0, 1, 100, 3_000] {
                TestAllocators.reset(refuseAfter: k)
                let run = runNative(program, HL_NATIVE_COLLECTOR, allocator: TestAllocators.collecting)
                assertOutOfMemory(run, "\(name), collector refused from call \(k)")
                XCTAssertEqual(run.summary.allocations, k)
            }
        }
    }

    /// A collector that hands out live nodes again: GCBench's stretch tree is overwritten by its own later nodes
    /// (with 16 blocks, the depth-10 root lands on its left child's block), and the check says so in the Swift
    /// workload's words, walked or not.
    func testCorruptTreeFailsTheCheck() throws {
        TestAllocators.makeRing()
        for (walk, expected) in [(1, "gcbench: a tree of depth 10 has a corrupt node, expected 2047"),
                                 (0, "gcbench: the root of a tree of depth 10 or one of its children records a wrong depth")] {
            TestAllocators.reset()
            let run = runNative(.gcbench(try GCBench.resolve(["walkTrees": walk], testSize: true)), HL_NATIVE_COLLECTOR,
                                allocator: TestAllocators.reusing)
            XCTAssertEqual(run.status, Int32(HL_NATIVE_CHECK_FAILED), run.message)
            XCTAssertEqual(run.message, expected)
            XCTAssertEqual(run.summary.allocations, 2_047, "the check runs after the stretch tree's 2,047 nodes")
        }
    }

    /// A collector that puts nodes inside the live array (as if it had freed it): the trees check out, the
    /// array's probe does not, and the message prints the value found as Swift prints a Double.
    func testCorruptArrayFailsTheProbe() throws {
        TestAllocators.reset()
        let allocator = hl_native_allocator(
            malloc: { bytes in
                // After the array exists, nodes are bumped through it.
                if let array = ArrayReuse.array, ArrayReuse.used + bytes <= ArrayReuse.bytes {
                    defer { ArrayReuse.used += bytes }
                    return array + ArrayReuse.used
                }
                let p = malloc(bytes)!
                TestAllocators.kept.append(p)
                return p
            },
            free: nil,
            malloc_atomic: { bytes in
                let p = malloc(bytes)!
                TestAllocators.kept.append(p)
                ArrayReuse.array = p
                ArrayReuse.bytes = bytes
                ArrayReuse.used = 0
                return p
            })
        defer { ArrayReuse.array = nil }
        let run = runNative(.gcbench(try GCBench.resolve([:], testSize: true)), HL_NATIVE_COLLECTOR, allocator: allocator)
        XCTAssertEqual(run.status, Int32(HL_NATIVE_CHECK_FAILED), run.message)
        let prefix = "gcbench: long-lived array[1000] is ", suffix = ", expected 0.001"
        XCTAssertTrue(run.message.hasPrefix(prefix) && run.message.hasSuffix(suffix), run.message)
        let printed = String(run.message.dropFirst(prefix.count).dropLast(suffix.count))
        let found = try XCTUnwrap(ArrayReuse.array).load(fromByteOffset: 1000 * 8, as: Double.self)
        XCTAssertEqual(printed, "\(found)", "the value is printed as Swift prints it")
        XCTAssertNotEqual(found, 0.001)
    }

    /// Calls against the header: nothing runs, status 3, and for parameters the Swift workload's own message.
    func testInvalidArguments() throws {
        func parameterError(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        let badGCBench: [[String: Int]] = [["stretchDepth": 0], ["stretchDepth": 25], ["longLivedDepth": -1],
                                           ["arraySize": 2_001], ["minDepth": 25], ["maxDepth": -1], ["walkTrees": 2],
                                           ["minDepth": 8, "maxDepth": 6]]
        for given in badGCBench {
            var p = try GCBench.resolve([:], testSize: true)
            for (key, value) in given { p[key] = value }
            let run = runNative(.gcbench(p), HL_NATIVE_MALLOC)
            XCTAssertEqual(run.status, Int32(HL_NATIVE_INVALID_ARGUMENT), "\(given)")
            XCTAssertEqual(run.message, parameterError { _ = try GCBench.make(given, testSize: true) }, "\(given)")
            XCTAssertEqual(run.summary.allocations, 0)
        }
        for given in [["depth": 0], ["depth": 27], ["unitDepth": 0], ["unitDepth": 27]] {
            var p = try BinaryTrees.resolve([:], testSize: true)
            for (key, value) in given { p[key] = value }
            let run = runNative(.binaryTrees(p), HL_NATIVE_ARENA)
            XCTAssertEqual(run.status, Int32(HL_NATIVE_INVALID_ARGUMENT), "\(given)")
            XCTAssertEqual(run.message, parameterError { _ = try BinaryTrees.make(given, testSize: true) }, "\(given)")
        }

        let program = try Self.programs()[1].program
        XCTAssertEqual(runNative(program, HL_NATIVE_FUNCTIONS).message,
                       "binary-trees: HL_NATIVE_FUNCTIONS needs an allocator with malloc and free")
        XCTAssertEqual(runNative(program, HL_NATIVE_FUNCTIONS, allocator: hl_native_allocator(malloc: { malloc($0) }, free: nil, malloc_atomic: nil)).message,
                       "binary-trees: HL_NATIVE_FUNCTIONS needs an allocator with malloc and free")
        XCTAssertEqual(runNative(program, HL_NATIVE_COLLECTOR).message, "binary-trees: HL_NATIVE_COLLECTOR needs an allocator with malloc")
        XCTAssertEqual(runNative(program, HL_NATIVE_ARENA, allocator: hl_native_allocator(malloc: { malloc($0) }, free: nil, malloc_atomic: nil)).message,
                       "binary-trees: the arena's chunk source needs both malloc and free")
        let unknown = runNative(program, hl_native_family(rawValue: 7))
        XCTAssertEqual(unknown.status, Int32(HL_NATIVE_INVALID_ARGUMENT))
        XCTAssertEqual(unknown.message, "binary-trees: unknown allocator family 7")
    }
}

/// State of the array-reusing allocator in `testCorruptArrayFailsTheProbe` (C function pointers capture nothing).
enum ArrayReuse {
    nonisolated(unsafe) static var array: UnsafeMutableRawPointer?
    nonisolated(unsafe) static var bytes = 0
    nonisolated(unsafe) static var used = 0
}
