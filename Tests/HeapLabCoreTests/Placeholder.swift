import XCTest
final class HeapLabCoreTestsPlaceholder: XCTestCase { func testNothingYet() { XCTAssertEqual(1 + 1, 2) } }
