import Foundation
import HeapLabCore
import HeapLabReport
import XCTest
@testable import HeapLabKit

final class ReportCommandTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry  // installs it for the commands
    }

    func testParsesResultsAndOut() throws {
        let command = try XCTUnwrap(HeapLabCommand.parseAsRoot(["report", "/dev/null", "--out", "/tmp/x"]) as? ReportCommand)
        XCTAssertEqual(command.results, "/dev/null")
        XCTAssertEqual(command.out, "/tmp/x")
        XCTAssertThrowsError(try HeapLabCommand.parseAsRoot(["report", "/nonexistent/results.json", "--out", "/tmp/x"])) { error in
            XCTAssertTrue(HeapLabCommand.message(for: error).contains("cannot read /nonexistent/results.json"))
        }
        XCTAssertThrowsError(try HeapLabCommand.parseAsRoot(["report", "/dev/null"])) { error in
            XCTAssertTrue(HeapLabCommand.message(for: error).contains("--out"))
        }
    }

    /// The real binary end to end: a small compare writes JSON and a report directory; `report` rebuilds the
    /// same files from the JSON alone.
    func testCompareThenReport() throws {
        let directory = try TestSupport.workDirectory(self)
        let binary = try TestSupport.heaplabBinary()
        let compare = ChildProcess(executable: binary,
                                   arguments: ["compare", "--workloads", "gcbench", "--managers", "malloc", "--test-size", "--repeats", "1", "--warmup", "0",
                                               "--quiet", "--json", directory + "/r.json", "--report-dir", directory + "/a"],
                                   timeoutSeconds: 300, logPath: directory + "/compare.log").run()
        XCTAssertEqual(compare.termination, .exited(0), compare.outputTail)
        let report = ChildProcess(executable: binary, arguments: ["report", directory + "/r.json", "--out", directory + "/b"],
                                  timeoutSeconds: 120, logPath: directory + "/report.log").run()
        XCTAssertEqual(report.termination, .exited(0), report.outputTail)
        for dir in ["a", "b"] {
            for file in ["results.json", "results.csv", "trace.json", "index.html"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(directory)/\(dir)/\(file)"), "\(dir)/\(file) missing")
            }
        }
        let reports = try RunReport.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/b/results.json")))
        XCTAssertEqual(reports.map(\.manager), ["malloc"])
        XCTAssertEqual(reports.first?.status, .ok)
    }
}
