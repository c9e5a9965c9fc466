import Foundation
import HeapLabCore
import HeapLabReport
import XCTest

final class ReportWriterTests: XCTestCase {
    /// A fresh directory, or HEAPLAB_REPORT_DIR when set (to keep a report of real runs to look at).
    func outputDirectory(_ name: String) throws -> URL {
        if let kept = ProcessInfo.processInfo.environment["HEAPLAB_REPORT_DIR"] {
            return URL(fileURLWithPath: kept).appendingPathComponent(name, isDirectory: true)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("heaplab-report-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testWritesEveryFileOfARealRunsReport() throws {
        let reports = try RealRuns.gcbench()
        let directory = try outputDirectory("gcbench")
        let written = try ReportWriter.write(reports: reports, to: directory)
        let names = written.map { $0.path.replacingOccurrences(of: directory.path + "/", with: "") }
        XCTAssertEqual(names, ["results.json", "results.csv", "trace.json", "charts/gcbench-pauses.svg",
                               "charts/gcbench-mmu.svg", "charts/gcbench-memory.svg", "charts/gcbench-latency.svg",
                               "charts/gcbench-collector-work.svg", "index.html"])
        // The files read back as what was written.
        XCTAssertEqual(try RunReport.decode(Data(contentsOf: directory.appendingPathComponent("results.json"))), reports)
        let csv = try CSVReader.parse(String(contentsOf: directory.appendingPathComponent("results.csv"), encoding: .utf8))
        XCTAssertEqual(csv.count, 3)
        XCTAssertEqual(csv[1][1], "malloc")
        XCTAssertEqual(csv[2][1], "arc")
        for url in written where url.pathExtension == "svg" {
            XCTAssertNoThrow(try XMLCollector.parse(String(contentsOf: url, encoding: .utf8)), url.lastPathComponent)
        }
        let html = try String(contentsOf: directory.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, 5, "five charts inline")
        XCTAssertEqual(html.components(separatedBy: "<tr>").count - 1, 3, "a header row and a row per run")
        XCTAssertTrue(html.contains("href=\"trace.json\""))
    }

    func testReadsAResultsFile() throws {
        let directory = try outputDirectory("matrix")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let results = directory.appendingPathComponent("input.json")
        let reports = Fixtures.matrix(workloads: ["gcbench", "lru-cache"])
        try RunReport.encode(reports).write(to: results)
        let written = try ReportWriter.write(resultsFile: results, to: directory.appendingPathComponent("out"))
        XCTAssertEqual(written.filter { $0.pathExtension == "svg" }.count, 10)
        let html = try String(contentsOf: written.last!, encoding: .utf8)
        XCTAssertTrue(html.contains("<h2 id=\"lru-cache\">lru-cache</h2>"))
        XCTAssertTrue(html.contains("each tree in a scope of its own"), "workload notes are listed")
    }

    /// A matrix with repeats runs every pair once, then again: the page's table groups the runs by workload and
    /// lists each pair's note once, not once per repeat.
    func testGroupsRepeatedRunsByWorkloadAndListsEachNoteOnce() throws {
        let once = Fixtures.matrix(workloads: ["gcbench", "lru-cache"])
        let reports = once + once
        let html = HTMLPage.render(reports: reports, palette: ManagerPalette(managers: reports.map(\.manager)))
        let rows = html.components(separatedBy: "<tr>").dropFirst(2).map { $0.components(separatedBy: "</td>")[0] }
        XCTAssertEqual(rows.count, reports.count)
        let workloads = rows.map { $0.replacingOccurrences(of: "<td>", with: "") }
        XCTAssertEqual(workloads, Array(repeating: "gcbench", count: 14) + Array(repeating: "lru-cache", count: 14))
        XCTAssertEqual(html.components(separatedBy: "each tree in a scope of its own").count - 1, 2,
                       "the arena's note once for each workload")
    }

    func testRefusesAnEmptyReport() throws {
        XCTAssertThrowsError(try ReportWriter.write(reports: [], to: try outputDirectory("empty"))) { error in
            XCTAssertEqual(error as? ReportWriter.Failure, .noRuns)
        }
    }

    func testReportsAnUnwritableDirectory() {
        XCTAssertThrowsError(try ReportWriter.write(reports: Fixtures.matrix(), to: URL(fileURLWithPath: "/proc/heaplab-report")))
    }
}
