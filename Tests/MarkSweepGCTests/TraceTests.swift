#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore
@testable import MarkSweepGC
import XCTest

final class TraceTests: XCTestCase {
    /// Runs `body` with file descriptor 2 redirected into a pipe; returns what was written there.
    func capturingStandardError(_ body: () throws -> Void) rethrows -> String {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let saved = dup(2)
        dup2(fds[1], 2)
        defer {
            dup2(saved, 2)
            close(saved)
        }
        try body()
        dup2(saved, 2)
        close(fds[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        close(fds[0])
        return String(decoding: bytes, as: UTF8.self)
    }

    func testTraceWritesOneLinePerCycleToStandardError() throws {
        let configuration = try GCConfiguration(options: ["trace": "on", "min-heap": "256KiB", "sweep": "lazy"], environment: [:])
        let heap = GCHeap(configuration: configuration, pauseLog: PauseLog())
        let output = try capturingStandardError {
            for _ in 0..<50_000 { _ = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8)) }
            heap.collect()
        }
        let lines = output.split(separator: "\n")
        let cycles = Int(heap.statistics().extra["cycles"]!)
        XCTAssertGreaterThan(cycles, 1)
        XCTAssertEqual(lines.count, cycles)
        XCTAssertTrue(lines.first!.hasPrefix("gc 1 @"))
        XCTAssertTrue(lines.last!.hasPrefix("gc \(cycles) @"))
        XCTAssertTrue(lines.last!.contains("ms stw+fin+roots+mark+sweep"))
        XCTAssertTrue(lines.last!.hasSuffix("lazy forced"))
        XCTAssertTrue(lines.dropLast().allSatisfy { $0.hasSuffix("lazy pacer") })
    }

    func testNoTraceByDefault() throws {
        let heap = GCHeap(configuration: try GCConfiguration(options: [:], environment: [:]), pauseLog: PauseLog())
        let output = capturingStandardError { heap.collect() }
        XCTAssertEqual(output, "")
    }
}
