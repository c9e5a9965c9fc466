import XCTest
final class heaplabTestsPlaceholder: XCTestCase { func testNothingYet() { XCTAssertEqual(1 + 1, 2) } }
