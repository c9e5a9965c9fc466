import Foundation
import XCTest
import HeapLabCore
import HeapLabReport

final class TextTableTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        _ = TestSupport.registry  // installs it for the commands
    }

    func testColumnsAlign() {
        var table = TextTable(columns: [TextTable.Column("name", .left), TextTable.Column("time")])
        table.append(["malloc", "850 ms"])
        table.append(["arc", "2.03 s"])
        table.append(["a-long-name", "12.3 µs"])
        XCTAssertEqual(table.render(), """
            name            time
            -----------  -------
            malloc        850 ms
            arc           2.03 s
            a-long-name  12.3 µs
            """)
    }

    func testUnits() {
        XCTAssertEqual(TextTable.duration(0), "0.00 ns")
        XCTAssertEqual(TextTable.duration(850), "850 ns")
        XCTAssertEqual(TextTable.duration(12_345), "12.3 µs")
        XCTAssertEqual(TextTable.duration(4_560_000), "4.56 ms")
        XCTAssertEqual(TextTable.duration(2_030_000_000), "2.03 s")
        XCTAssertEqual(TextTable.duration(125_000_000_000), "125 s")
        XCTAssertEqual(TextTable.bytes(512), "512 B")
        XCTAssertEqual(TextTable.bytes(1536), "1.50 KiB")
        XCTAssertEqual(TextTable.bytes(412 << 20), "412 MiB")
        XCTAssertEqual(TextTable.bytes(3 << 30), "3.00 GiB")
        XCTAssertEqual(TextTable.count(12), "12")
        XCTAssertEqual(TextTable.count(265_400), "265 k")
        XCTAssertEqual(TextTable.count(29_100_000), "29.1 M")
        XCTAssertEqual(TextTable.number(0.999), "1.00")
        XCTAssertEqual(TextTable.number(-1.5), "-1.50")
    }

    func testMedian() {
        XCTAssertNil(TextTable.median([]))
        XCTAssertEqual(TextTable.median([5]), 5)
        XCTAssertEqual(TextTable.median([9, 1, 5]), 5)
        XCTAssertEqual(TextTable.median([1, 2, 3, 10]), 2)  // (2 + 3) / 2 rounded down
        XCTAssertEqual(TextTable.median([3, 5]), 4)
        XCTAssertEqual(TextTable.median([UInt64.max, UInt64.max]), UInt64.max, "no overflow")
    }

    func report(_ manager: String, seconds: Double, status: RunReport.Status = .ok, pauses: [PauseEvent] = [],
                failure: String = "") -> RunReport {
        let latency = LatencyHistogram()
        latency.record(nanoseconds: 1_000)
        return RunReport(workload: "gcbench", manager: manager, parameters: ["maxDepth": 8], managerConfiguration: [:],
                         machine: MachineInfo(cores: 2, memoryBytes: 1 << 30, cpuModel: "cpu", kernel: "k", swiftVersion: "6.3"),
                         date: "2026-11-29T12:00:00Z", status: status, failure: failure,
                         wallNanoseconds: UInt64(seconds * 1e9),
                         residentMemory: ResidentMemory(currentBytes: 1 << 20, peakBytes: 50 << 20),
                         managerStatistics: ManagerStatistics(allocations: 15_300_000), latency: LatencySummary(latency),
                         pauses: pauses, unloggedStallCount: 1000)
    }

    func testRunSummaryFoldsRepeats() {
        let gcPause = PauseEvent(kind: .collection, cycle: 1, startNanoseconds: 0, durationNanoseconds: 3_000_000)
        let stall = PauseEvent(kind: .stall, startNanoseconds: 0, durationNanoseconds: 2_000_000, label: "tree")
        let reports = [
            report("malloc", seconds: 1.0, pauses: [stall]), report("gc", seconds: 1.5, pauses: [gcPause, gcPause]),
            report("malloc", seconds: 0.8, pauses: [stall]), report("gc", seconds: 1.6, pauses: [gcPause, gcPause]),
            report("malloc", seconds: 1.2, pauses: [stall]), report("gc", seconds: 0, status: .failed, failure: "the child crashed: SIGSEGV\nline 2"),
        ]
        let text = TextTable.runSummary(reports)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "gcbench (maxDepth=8), 3 runs each")
        let malloc = lines.first { $0.hasPrefix("malloc") }!, gc = lines.first { $0.hasPrefix("gc ") }!
        XCTAssertTrue(malloc.contains("1.00 s (0.80-1.20)"), malloc)
        XCTAssertTrue(malloc.contains("1.00×"), malloc)
        XCTAssertTrue(malloc.contains("50.0 MiB"), malloc)
        XCTAssertTrue(malloc.contains("15.3 M"), malloc)
        XCTAssertTrue(malloc.contains(" - "), "malloc has no collector pauses: \(malloc)")
        XCTAssertTrue(malloc.contains("1001 / 2.00 ms"), "1 logged + 1000 unlogged stalls: \(malloc)")
        XCTAssertTrue(malloc.hasSuffix("ok"), malloc)
        XCTAssertTrue(gc.contains("1.55 s (1.50-1.60)"), "figures only from ok runs: \(gc)")
        XCTAssertTrue(gc.contains("1.55×"), gc)
        XCTAssertTrue(gc.contains("2 / 6.00 ms / 3.00 ms"), gc)
        XCTAssertTrue(gc.hasSuffix("2 ok, 1 failed"), gc)
        XCTAssertTrue(text.contains("Runs that did not complete:\n- gcbench on gc, run 3 of 3: failed: the child crashed: SIGSEGV\n    line 2"), text)
        // The rule spans the widest row: the columns line up.
        let rule = lines[2], rows = lines[3...4]
        XCTAssertEqual(rows.map(\.count).max(), rule.count)
        XCTAssertEqual(Set(rows.map { row in row.distance(from: row.startIndex, to: row.firstIndex(of: "×")!) }).count, 1, "ratios in one column")
    }

    /// ×C divides each manager's time by its native reference's; a reference's own row says `ref`; pairs a
    /// reference does not run share one line under the table.
    func testNativeReferenceColumn() {
        var malloc = report("malloc", seconds: 1.2), gc = report("gc", seconds: 0.5)
        var cMalloc = report("c-malloc", seconds: 0.8), cArena = report("c-arena", seconds: 0.2)
        var arena = report("arena", seconds: 0.3)
        malloc.nativeReference = "c-malloc"; gc.nativeReference = "c-malloc"; arena.nativeReference = "c-arena"
        cMalloc.isNativeReference = true; cArena.isNativeReference = true
        var server = report("c-malloc", seconds: 0, status: .notApplicable, failure: "no native reference program for server")
        server.workload = "server"
        var serverArena = server
        serverArena.manager = "c-arena"
        let text = TextTable.runSummary([malloc, gc, arena, cMalloc, cArena, server, serverArena])
        let row = { (name: String) in text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.map(String.init) ?? "" }
        XCTAssertTrue(row("malloc").contains("1.00×  1.50×"), row("malloc"))
        XCTAssertTrue(row("gc").contains("0.42×  0.63×"), row("gc"))
        XCTAssertTrue(row("arena").contains("0.25×  1.50×"), row("arena"))
        XCTAssertTrue(row("c-malloc").contains("0.67×    ref"), row("c-malloc"))
        XCTAssertTrue(text.contains("- server: not applicable to c-malloc, c-arena: no native reference program for server"), text)
        XCTAssertTrue(text.contains("c-* rows are native C programs"), text)
    }

    /// When every stall was below the logging threshold, the longest one is known only to be below it.
    func testUnloggedStallsShowTheThreshold() {
        var quiet = report("malloc", seconds: 1.0)
        quiet.stallThresholdNanoseconds = 20_000
        let row = TextTable.runSummary([quiet]).split(separator: "\n").first { $0.hasPrefix("malloc") }!
        XCTAssertTrue(row.contains("1000 / <20.0 µs"), String(row))
    }

    /// Reports without a recorded threshold: no bound is known.
    func testStallsAllUnderTheLogThresholdHaveNoLongest() {
        let text = TextTable.runSummary([report("arena", seconds: 1, pauses: [])])
        let row = text.split(separator: "\n").first { $0.hasPrefix("arena") }!
        XCTAssertTrue(row.contains("1000 / -"), "1000 unlogged stalls, none logged, so no longest: \(row)")
    }

    func testAllFailedRowAndNoBaseline() {
        let text = TextTable.runSummary([report("arc", seconds: 0, status: .outOfMemory, failure: "out of memory")])
        let row = text.split(separator: "\n").first { $0.hasPrefix("arc") }!
        XCTAssertTrue(row.hasSuffix("outOfMemory"), String(row))
        XCTAssertTrue(text.contains("1 run each"))
        let noBaseline = TextTable.runSummary([report("arc", seconds: 2)])
        let cells = noBaseline.split(separator: "\n")[3].split(separator: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        XCTAssertEqual(Array(cells.prefix(3)), ["arc", "2.00 s", "-"], "no malloc run, no ratio: \(noBaseline)")
    }

    /// Assists get a column of their own, and only in a section where a run logged any; they are not pauses.
    func testAssistsHaveTheirOwnColumnOnlyWhereLogged() {
        let final = PauseEvent(kind: .finalMark, cycle: 1, startNanoseconds: 0, durationNanoseconds: 200_000)
        let assist = PauseEvent(kind: .assist, cycle: 1, startNanoseconds: 0, durationNanoseconds: 1_000_000)
        let text = TextTable.runSummary([report("malloc", seconds: 1), report("gc-concurrent", seconds: 1, pauses: [final, assist, assist])])
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[1].contains("pauses n/total/max") && lines[1].contains("assists n/total/max"), text)
        let row = lines.first { $0.hasPrefix("gc-concurrent") }!
        XCTAssertTrue(row.contains("1 / 200 µs / 200 µs"), "the final pause alone is a pause: \(row)")
        XCTAssertTrue(row.contains("2 / 2.00 ms / 1.00 ms"), "the two assists: \(row)")
        let withoutAssists = TextTable.runSummary([report("malloc", seconds: 1), report("gc", seconds: 1, pauses: [final])])
        XCTAssertFalse(withoutAssists.contains("assists"), withoutAssists)
    }
}
