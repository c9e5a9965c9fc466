import Foundation
import XCTest
import HeapLabCore

final class LatencyHistogramTests: XCTestCase {
    /// Each value is kept within 1/1024 of itself (one sub-bucket): a percentile may lie above the exact one by
    /// that much, never below it.
    func assertWithinPrecision(_ histogram: UInt64, _ exact: UInt64, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThanOrEqual(histogram, exact, "\(what): the histogram reports a bucket's highest value", file: file, line: line)
        XCTAssertLessThanOrEqual(histogram - exact, exact / 1024, "\(what): histogram \(histogram) vs exact \(exact)", file: file, line: line)
    }

    /// The nearest-rank percentile of sorted values (the oracle).
    func nearestRank(_ sorted: [UInt64], _ percentile: Double) -> UInt64 {
        let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    func testPercentilesMatchASortedArrayOracle() {
        var rng = SplitMix64(seed: 42)
        // Log-uniform from 1 ns to 100 s, so every magnitude (and every sub-bucket width) is exercised.
        let values: [UInt64] = (0..<200_000).map { _ in UInt64(pow(10, Double.random(in: 0..<11, using: &rng))) }
        let histogram = LatencyHistogram()
        for v in values { histogram.record(nanoseconds: v) }
        let sorted = values.sorted()
        XCTAssertEqual(histogram.count, values.count)
        XCTAssertEqual(histogram.max, sorted.last!)
        XCTAssertEqual(histogram.min, max(sorted.first!, 1))
        for p in [0.0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999] {
            assertWithinPrecision(histogram.value(atPercentile: p), nearestRank(sorted, p), "p\(p)")
        }
        XCTAssertEqual(histogram.value(atPercentile: 100), sorted.last!, "p100 is the exact maximum")
        let mean = Double(values.map { max($0, 1) }.reduce(0, +)) / Double(values.count)
        XCTAssertEqual(histogram.mean, mean, accuracy: mean * 1e-12)
    }

    /// Every counter boundary: each power of two and its neighbours lands in a counter whose range holds it.
    func testBucketBoundaries() {
        for shift in 0..<40 {
            for delta in [-1, 0, 1] {
                let v = Int64(1) << Int64(shift) + Int64(delta)
                guard v >= 1, UInt64(v) <= LatencyHistogram.highestTrackableValue else { continue }
                let histogram = LatencyHistogram()
                histogram.record(nanoseconds: UInt64(v))
                histogram.record(nanoseconds: UInt64(v))
                assertWithinPrecision(histogram.value(atPercentile: 50), UInt64(v), "value \(v)")
                XCTAssertEqual(histogram.value(atPercentile: 100), UInt64(v))
            }
        }
    }

    func testSmallValuesAreExact() {
        let histogram = LatencyHistogram()
        for v: UInt64 in [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000] { histogram.record(nanoseconds: v) }
        XCTAssertEqual(histogram.value(atPercentile: 50), 500)
        XCTAssertEqual(histogram.value(atPercentile: 90), 900)
        XCTAssertEqual(histogram.value(atPercentile: 99), 1000)
        XCTAssertEqual(histogram.max, 1000)
        XCTAssertEqual(histogram.mean, 550)
    }

    func testEmptyClampedMergedAndCleared() {
        let empty = LatencyHistogram()
        XCTAssertEqual(empty.count, 0)
        XCTAssertEqual(empty.value(atPercentile: 99), 0)
        XCTAssertEqual(empty.mean, 0)

        let a = LatencyHistogram()
        a.record(nanoseconds: 0)  // recorded as 1 ns, the lowest value
        a.record(nanoseconds: 1 << 50)  // clamped to the highest trackable value
        XCTAssertEqual(a.value(atPercentile: 0), 1)
        XCTAssertEqual(a.max, LatencyHistogram.highestTrackableValue)

        let b = LatencyHistogram()
        for v: UInt64 in 1...1000 { b.record(nanoseconds: v) }
        b.merge(a)
        XCTAssertEqual(b.count, 1002)
        XCTAssertEqual(b.min, 1)
        XCTAssertEqual(b.max, LatencyHistogram.highestTrackableValue)
        XCTAssertEqual(b.value(atPercentile: 50), 500, "rank 501 of 1,002: 1, 1, 2, ... 500")

        b.removeAll()
        XCTAssertEqual(b.count, 0)
        XCTAssertEqual(b.value(atPercentile: 50), 0)
        b.record(nanoseconds: 7)
        XCTAssertEqual(b.min, 7)
        XCTAssertEqual(b.value(atPercentile: 50), 7)
    }
}
