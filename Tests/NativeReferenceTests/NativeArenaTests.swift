import HeapLabCore
import NativeReference
import XCTest
@testable import Workloads

/// The C arena at sizes where its chunk policy is at work: chunks doubling to 8 MiB, a large request in a
/// chunk of its own (GCBench's 4 MB array, mapped for huge pages), more released chunks than the 64 MiB kept as
/// spares, and spares reused. Oracle: the malloc family of the same C program, whose every node is its own
/// block; every tree is walked node by node (`walkTrees` 1), so an overlap of two live objects fails the run.
final class NativeArenaTests: XCTestCase {
    /// A 100 MB stretch tree (4,194,303 nodes of 24 bytes), then 270,000 small trees beside the long-lived data.
    static let parameters = ["stretchDepth": 21, "longLivedDepth": 14, "arraySize": 500_000, "minDepth": 4,
                             "maxDepth": 4, "walkTrees": 1]

    func testArenaMatchesMallocAtLargerSizes() throws {
        let program = NativeProgram.gcbench(try GCBench.resolve(Self.parameters))
        let reference = runNative(program, HL_NATIVE_MALLOC)
        XCTAssertEqual(reference.status, Int32(HL_NATIVE_OK), reference.message)

        let mapped = runNative(program, HL_NATIVE_ARENA)
        XCTAssertEqual(mapped.status, Int32(HL_NATIVE_OK), mapped.message)
        var expected = reference.summary
        expected.stalls = ["scope": reference.summary.operations + 1]
        XCTAssertEqual(mapped.summary, expected)

        // Over a chunk source: the same, and every chunk back at the end.
        TestAllocators.reset()
        let sourced = runNative(program, HL_NATIVE_ARENA, allocator: TestAllocators.counting)
        XCTAssertEqual(sourced.status, Int32(HL_NATIVE_OK), sourced.message)
        XCTAssertEqual(sourced.summary, expected)
        XCTAssertGreaterThan(TestAllocators.allocations, 12, "the stretch tree alone needs 13 chunks or more")
        XCTAssertEqual(TestAllocators.outstanding, 0)
        TestAllocators.reset()
    }
}
