import XCTest
import HeapLabCore

final class ByteCountTests: XCTestCase {
    func testSpellings() throws {
        XCTAssertEqual(try ByteCount.parse("4096", key: "k", owner: "t"), 4096)
        XCTAssertEqual(try ByteCount.parse(" 123B ", key: "k", owner: "t"), 123)
        XCTAssertEqual(try ByteCount.parse("4KiB", key: "k", owner: "t"), 4096)
        XCTAssertEqual(try ByteCount.parse("3mb", key: "k", owner: "t"), 3 << 20)
        XCTAssertEqual(try ByteCount.parse("2G", key: "k", owner: "t"), 2 << 30)
        XCTAssertEqual(try ByteCount.parse("1048576GiB", key: "k", owner: "t"), ByteCount.maximum)
    }

    func testRejects() {
        for bad in ["", "KiB", "1.5MiB", "-1", "12XB", "0x10"] {
            XCTAssertThrowsError(try ByteCount.parse(bad, key: "heap-limit", owner: "gc"), bad) { error in
                XCTAssertEqual("\(error)", "gc: heap-limit must be a byte count such as 67108864, 512KiB, 64MiB or 2GiB (got '\(bad)')")
            }
        }
        for huge in ["1048577GiB", "99999999999GiB", "99999999999999999999999"] {
            XCTAssertThrowsError(try ByteCount.parse(huge, key: "k", owner: "arena"), huge) { error in
                XCTAssertTrue("\(error)".contains("arena: k is too large"), "\(error)")
            }
        }
    }
}
