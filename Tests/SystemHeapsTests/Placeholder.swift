import XCTest
final class SystemHeapsTestsPlaceholder: XCTestCase { func testNothingYet() { XCTAssertEqual(1 + 1, 2) } }
