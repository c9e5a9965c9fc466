import Foundation
import XCTest
import HeapLabCore

final class LatencyRecorderTests: XCTestCase {
    /// HdrHistogram with three significant digits keeps each value within 1/1024 of itself (one bucket unit):
    /// a percentile may differ from the exact one by that much, plus 1 ns of rounding.
    func assertWithinPrecision(_ histogram: UInt64, _ exact: UInt64, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let difference = histogram > exact ? histogram - exact : exact - histogram
        XCTAssertLessThanOrEqual(difference, exact / 1000 + 1, "\(what): histogram \(histogram) vs exact \(exact)", file: file, line: line)
    }

    func testPercentilesMatchASortedArrayOracle() {
        var rng = SplitMix64(seed: 42)
        // Log-uniform from 1 ns to 10 s, so every magnitude (and every histogram bucket size) is exercised.
        let values: [UInt64] = (0..<100_000).map { _ in UInt64(pow(10, Double.random(in: 0..<10, using: &rng))) }
        var recorder = LatencyRecorder()
        for v in values { recorder.record(nanoseconds: v) }
        let sorted = values.sorted()
        let summary = recorder.summary()
        XCTAssertEqual(summary.count, values.count)
        XCTAssertEqual(recorder.count, values.count)
        assertWithinPrecision(summary.p50Nanoseconds, nearestRank(sorted, 50), "p50")
        assertWithinPrecision(summary.p90Nanoseconds, nearestRank(sorted, 90), "p90")
        assertWithinPrecision(summary.p99Nanoseconds, nearestRank(sorted, 99), "p99")
        assertWithinPrecision(summary.p999Nanoseconds, nearestRank(sorted, 99.9), "p99.9")
        assertWithinPrecision(summary.maxNanoseconds, sorted.last!, "max")
        let mean = Double(values.reduce(0, +)) / Double(values.count)
        XCTAssertEqual(summary.meanNanoseconds, mean, accuracy: mean / 1000)
        for point in summary.percentiles where point.percentile > 0 {
            assertWithinPrecision(point.nanoseconds, nearestRank(sorted, point.percentile), "p\(point.percentile)")
        }
    }

    func testSmallSetsAreExact() {
        var recorder = LatencyRecorder()
        for v: UInt64 in [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000] { recorder.record(nanoseconds: v) }
        let s = recorder.summary()
        // Values below 2048 are stored exactly with three significant digits.
        XCTAssertEqual(s.p50Nanoseconds, 500)
        XCTAssertEqual(s.p90Nanoseconds, 900)
        XCTAssertEqual(s.p99Nanoseconds, 1000)
        XCTAssertEqual(s.maxNanoseconds, 1000)
    }

    func testEmptyAndClampedValues() {
        XCTAssertEqual(LatencyRecorder().summary(), LatencySummary(), "no operations: an all-zero summary")
        var recorder = LatencyRecorder()
        recorder.record(nanoseconds: 0)  // recorded as 1 ns, the lowest value
        recorder.record(nanoseconds: 500_000_000_000)  // clamped to 100 s
        let s = recorder.summary()
        XCTAssertEqual(s.count, 2)
        XCTAssertEqual(s.percentiles.first?.nanoseconds, 1)
        assertWithinPrecision(s.maxNanoseconds, 100_000_000_000, "clamped max")
    }
}
