import HeapLabCore
@testable import HeapLabReport
import XCTest

final class CSVExportTests: XCTestCase {
    func testRoundTripThroughTheReaderGivesBackEveryCell() throws {
        var reports = Fixtures.matrix()
        reports[1].failure = "line one, with a comma\nline two with \"quotes\"\r\nand CRLF"
        reports[2].status = .outOfMemory
        let text = CSVExport.csv(reports)
        let records = try CSVReader.parse(text)
        XCTAssertEqual(records.count, reports.count + 1)
        XCTAssertEqual(records[0], CSVExport.header)
        for (record, report) in zip(records.dropFirst(), reports) {
            XCTAssertEqual(record, CSVExport.row(report))
        }
    }

    func testCellsHoldTheReportsFiguresInBaseUnits() throws {
        let report = Fixtures.matrix()[0]
        let records = try CSVReader.parse(CSVExport.csv([report]))
        let row = Dictionary(uniqueKeysWithValues: zip(records[0], records[1]))
        XCTAssertEqual(row["workload"], "gcbench")
        XCTAssertEqual(row["manager"], "marksweep")
        XCTAssertEqual(UInt64(row["wall_ns"]!), report.wallNanoseconds)
        XCTAssertEqual(Int(row["resident_peak_bytes"]!), report.residentMemory.peakBytes)
        XCTAssertEqual(Int(row["collector_pauses"]!), report.collectorPauses.count)
        XCTAssertEqual(UInt64(row["collector_pause_max_ns"]!), report.collectorPauses.map(\.durationNanoseconds).max())
        XCTAssertEqual(Double(row["latency_mean_ns"]!), report.latency.meanNanoseconds)
        XCTAssertEqual(UInt64(row["latency_p999_ns"]!), report.latency.p999Nanoseconds)
        XCTAssertEqual(Double(row["mmu_10ms"]!), MinimumMutatorUtilization(events: report.pauses, runStart: 0,
                                                                           runEnd: report.wallNanoseconds)
            .utilization(windowNanoseconds: 10_000_000))
        XCTAssertEqual(row["parameters"], "maxDepth=16;stretchDepth=18")
        XCTAssertEqual(row["manager_configuration"], "GOGC=100;limit=none, or 1,024 MiB")
        XCTAssertEqual(row["cpu_model"], Fixtures.machine.cpuModel)
        XCTAssertEqual(row["heap_bytes"], String(80 << 20))
    }

    func testUnknownFiguresAreEmptyCells() throws {
        let malloc = Fixtures.matrix()[2]
        XCTAssertNil(malloc.managerStatistics.heapBytes)
        let records = try CSVReader.parse(CSVExport.csv([malloc]))
        let row = Dictionary(uniqueKeysWithValues: zip(records[0], records[1]))
        XCTAssertEqual(row["heap_bytes"], "")
        XCTAssertEqual(row["live_bytes"], "")
    }

    func testEveryColumnIsDocumentedWithAUniqueName() {
        XCTAssertEqual(Set(CSVExport.header).count, CSVExport.columns.count)
        for column in CSVExport.columns {
            XCTAssertFalse(column.description.isEmpty, column.name)
            XCTAssertTrue(column.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, column.name)
        }
        XCTAssertEqual(CSVExport.header.filter { $0.hasPrefix("mmu_") }, ["mmu_1ms", "mmu_10ms", "mmu_100ms", "mmu_1s"])
    }

    func testQuotingFollowsRFC4180() {
        XCTAssertEqual(CSVExport.quoted("plain"), "plain")
        XCTAssertEqual(CSVExport.quoted("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVExport.quoted("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVExport.quoted("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSVExport.quoted("crlf\r\nend"), "\"crlf\r\nend\"")
        XCTAssertEqual(CSVExport.line(["a", "", "b c"]), "a,,b c\r\n")
    }

    func testReaderAcceptsLFAndAMissingFinalLineEnd() throws {
        XCTAssertEqual(try CSVReader.parse("a,b\n1,\"x\n,y\"\n2,"), [["a", "b"], ["1", "x\n,y"], ["2", ""]])
        XCTAssertEqual(try CSVReader.parse(""), [])
        XCTAssertEqual(try CSVReader.parse("\"\"\r\n"), [[""]])
    }

    func testReaderRejectsMalformedText() {
        XCTAssertThrowsError(try CSVReader.parse("a,b\"c\n")) { error in
            XCTAssertEqual((error as? CSVReader.FormatError)?.line, 1)
        }
        XCTAssertThrowsError(try CSVReader.parse("a\n\"open"))
        XCTAssertThrowsError(try CSVReader.parse("\"closed\"x,1"))
    }
}
