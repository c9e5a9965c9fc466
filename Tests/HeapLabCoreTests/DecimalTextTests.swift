import XCTest
import HeapLabCore

final class DecimalTextTests: XCTestCase {
    func testFixedRoundsHalfAwayFromZeroAndPadsTheFraction() {
        XCTAssertEqual(DecimalText.fixed(3.14159, decimals: 2), "3.14")
        XCTAssertEqual(DecimalText.fixed(2.5, decimals: 0), "3")
        XCTAssertEqual(DecimalText.fixed(0.05, decimals: 3), "0.050")
        XCTAssertEqual(DecimalText.fixed(1234.5678, decimals: 1), "1234.6")
        XCTAssertEqual(DecimalText.fixed(-1.005, decimals: 1), "-1.0")
        XCTAssertEqual(DecimalText.fixed(-0.004, decimals: 2), "0.00", "no negative zero")
        XCTAssertEqual(DecimalText.fixed(9.999, decimals: 2), "10.00")
        XCTAssertEqual(DecimalText.fixed(0, decimals: 9), "0.000000000")
    }

    func testValuesTooLargeForAnIntFallBackToSwiftsOwnText() {
        XCTAssertEqual(DecimalText.fixed(1e30, decimals: 2), String(1e30))
        XCTAssertEqual(DecimalText.fixed(.infinity, decimals: 1), "inf")
        XCTAssertEqual(DecimalText.fixed(.nan, decimals: 1), "nan")
    }

    func testTrimmingZeros() {
        XCTAssertEqual(DecimalText.trimmingZeros("12.50"), "12.5")
        XCTAssertEqual(DecimalText.trimmingZeros("3.00"), "3")
        XCTAssertEqual(DecimalText.trimmingZeros("100"), "100", "zeros before any point are digits")
        XCTAssertEqual(DecimalText.trimmingZeros("-0.0"), "0")
    }
}
