import XCTest
import HeapLabCore

final class SplitMix64Tests: XCTestCase {
    func testKnownSequence() {
        // Reference values of SplitMix64 from seed 0 (as published with the algorithm).
        var r = SplitMix64(seed: 0)
        XCTAssertEqual(r.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(r.next(), 0x6E78_9E6A_A1B9_65F4)
    }

    func testBoundedValuesStayInRangeAndCoverIt() {
        var r = SplitMix64(seed: 7)
        var seen = Set<Int>()
        for _ in 0..<10_000 {
            let x = r.next(below: 10)
            XCTAssertTrue((0..<10).contains(x))
            seen.insert(x)
            let u = r.nextUnit(), v = r.nextOpenUnit()
            XCTAssertTrue(u >= 0 && u < 1)
            XCTAssertTrue(v > 0 && v <= 1)
        }
        XCTAssertEqual(seen.count, 10)
    }
}
