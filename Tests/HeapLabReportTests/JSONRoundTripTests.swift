import Foundation
import HeapLabCore
import HeapLabReport
import XCTest

final class JSONRoundTripTests: XCTestCase {
    func testEncodeThenDecodeGivesEqualReports() throws {
        var reports = Fixtures.matrix(workloads: ["gcbench", "lru-cache"])
        reports[0].failure = "multi\nline \"failure\" with \u{1} control"
        reports[3].status = .notApplicable
        reports[3].outcome = nil
        reports[4].latency = LatencySummary()
        let data = try RunReport.encode(reports)
        XCTAssertEqual(try RunReport.decode(data), reports)
    }

    func testRealRunsRoundTrip() throws {
        let reports = try RealRuns.gcbench()
        XCTAssertEqual(try RunReport.decode(RunReport.encode(reports)), reports)
    }

    func testDecodingSomethingElseThrows() {
        XCTAssertThrowsError(try RunReport.decode(Data("{\"not\": \"a list\"}".utf8)))
        XCTAssertThrowsError(try RunReport.decode(Data("[{\"workload\": \"x\"}]".utf8)))
    }
}
