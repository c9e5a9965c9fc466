import XCTest
import HeapLabCore

/// A workload with two parameters and nothing else, to test `Workload.resolve` on its own.
private struct Probe: Workload {
    static let name = "probe"
    static let summary = "test workload"
    static let parameters = [
        WorkloadParameter("n", default: 10, test: 2, range: 1...100, help: "a count"),
        WorkloadParameter("shift", default: 0, test: -1, range: -5...5, help: "may be negative"),
    ]
    let n: Int
    init(parameters: [String: Int]) throws(ParameterError) {
        n = try Self.resolve(parameters)["n"]!
    }
    func run<M: MemoryManager>(on manager: M, context: RunContext) throws -> WorkloadOutcome {
        WorkloadOutcome(checksum: UInt64(n))
    }
}

final class WorkloadResolveTests: XCTestCase {
    func testDefaultsAndTestSizes() throws {
        XCTAssertEqual(try Probe.resolve([:]), ["n": 10, "shift": 0])
        XCTAssertEqual(try Probe.resolve([:], testSize: true), ["n": 2, "shift": -1])
        XCTAssertEqual(try Probe.resolve(["n": 100], testSize: true), ["n": 100, "shift": -1], "given values win over test sizes")
        XCTAssertEqual(try Probe.make(["n": 1]).n, 1)
    }

    func testUnknownParameterNamesTheKnownOnes() {
        XCTAssertThrowsError(try Probe.resolve(["m": 1])) { error in
            XCTAssertEqual((error as? ParameterError)?.message, "workload probe has no parameter 'm' (it has: n, shift)")
        }
    }

    func testOutOfRangeValues() {
        for (name, value) in [("n", 0), ("n", 101), ("n", -1), ("shift", 6), ("shift", -6), ("n", Int.max), ("n", Int.min)] {
            XCTAssertThrowsError(try Probe.resolve([name: value]), "\(name)=\(value)") { error in
                XCTAssertTrue((error as? ParameterError)?.message.contains("\(name) must be in") == true, "\(error)")
            }
        }
        XCTAssertNoThrow(try Probe.resolve(["n": 1, "shift": -5]))
        XCTAssertNoThrow(try Probe.resolve(["n": 100, "shift": 5]))
    }
}
