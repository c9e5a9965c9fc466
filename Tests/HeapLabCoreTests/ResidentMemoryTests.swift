import XCTest
#if canImport(Glibc)
import Glibc
#endif
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
        // A fresh anonymous mapping, so none of its pages is resident before it is touched (memory from malloc
        // may be: glibc reuses freed blocks, and after a large free it serves large requests from its heap).
        let bytes = 64 << 20
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let block = mapped, block != MAP_FAILED else { return XCTFail("mmap of 64 MiB failed: errno \(errno)") }
        defer { munmap(block, bytes) }
        let before = ResidentMemory.currentBytes()
        // Invariant: every access stays inside the mapping; one write per page makes every page resident.
        for offset in stride(from: 0, to: bytes, by: 4096) { block.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self) }
        let after = ResidentMemory.currentBytes()
        var touched = 0
        for offset in stride(from: 0, to: bytes, by: 4096) { touched += Int(block.load(fromByteOffset: offset, as: UInt8.self)) }
        XCTAssertEqual(touched, bytes / 4096, "every page written")
        XCTAssertGreaterThan(after - before, 48 << 20, "64 MiB touched: \(before) B before, \(after) B after")
    }
}
