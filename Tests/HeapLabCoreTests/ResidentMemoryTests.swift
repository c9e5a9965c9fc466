import XCTest
import HeapLabCore

/// The resident-memory readers against the kernel: both files parsed, and the two readers agreeing.
final class ResidentMemoryTests: XCTestCase {
    func testStatusGivesCurrentAndPeak() throws {
        let memory = ResidentMemory.read()
        XCTAssertGreaterThan(memory.currentBytes, 0, "VmRSS parsed from /proc/self/status")
        XCTAssertGreaterThanOrEqual(memory.peakBytes, memory.currentBytes, "VmHWM is at least VmRSS")
        XCTAssertEqual(memory.currentBytes % 1024, 0, "the status file counts kB")
    }

    func testStatmAgreesWithStatus() throws {
        // 64 MiB touched between the readings would move both; nothing here allocates that much, so the two
        // files' views of the same process must be within a few MiB of each other.
        let fromStatus = ResidentMemory.read().currentBytes
        let fromStatm = ResidentMemory.currentBytes()
        XCTAssertGreaterThan(fromStatm, 0)
        XCTAssertLessThan(abs(fromStatm - fromStatus), 8 << 20, "statm \(fromStatm) B against status \(fromStatus) B")
    }

    func testCurrentBytesFollowsTouchedMemory() throws {
        let before = ResidentMemory.currentBytes()
        let bytes = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        defer { block.deallocate() }
        // Invariant: the writes stay inside the block just allocated; one per page makes every page resident.
        for offset in stride(from: 0, to: bytes, by: 4096) { block.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self) }
        let after = ResidentMemory.currentBytes()
        XCTAssertGreaterThan(after - before, 48 << 20, "64 MiB touched: \(before) B before, \(after) B after")
    }
}
