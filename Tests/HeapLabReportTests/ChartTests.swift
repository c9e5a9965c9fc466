import HeapLabCore
@testable import HeapLabReport
import XCTest

final class ChartTests: XCTestCase {
    /// The fixtures, made once for every test: XCTest keeps each test's instance until the run ends, so a stored
    /// property would hold a copy (about 12 MB) per test.
    static let reports = Fixtures.matrix()
    static let palette = ManagerPalette(reports: reports)
    var reports: [RunReport] { Self.reports }
    var palette: ManagerPalette { Self.palette }
    var managers: [String] { Fixtures.managers.map(\.name) }

    /// The chart's SVG, checked to be well-formed XML with an `svg` root in the SVG namespace.
    func elements(_ kind: ReportCharts.Kind, _ reports: [RunReport]? = nil, workload: String = "gcbench") throws -> [XMLCollector.Element] {
        let svg = ReportCharts.svg(kind, workload: workload, reports: reports ?? self.reports, palette: palette)
        XCTAssertTrue(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"))
        let elements = try XMLCollector.parse(svg)
        XCTAssertEqual(elements.first?.name, "svg")
        XCTAssertEqual(elements.first?.attributes["xmlns"], "http://www.w3.org/2000/svg")
        return elements
    }

    func series(_ elements: [XMLCollector.Element]) -> [XMLCollector.Element] {
        elements.filter { $0.attributes["class"] == "series" }
    }

    func legendLabels(_ elements: [XMLCollector.Element]) -> [String] {
        elements.filter { $0.attributes["class"] == "legend-item" }.compactMap { $0.attributes["data-label"] }
    }

    func axisTitles(_ elements: [XMLCollector.Element]) -> [String] {
        elements.filter { $0.attributes["class"] == "axis-title" }.map(\.text)
    }

    func testMMUChartHasOneLinePerManagerAndALegendEntryEach() throws {
        let e = try elements(.mmu)
        XCTAssertEqual(series(e).compactMap { $0.attributes["data-manager"] }, managers)
        XCTAssertEqual(e.filter { $0.name == "polyline" }.count, managers.count)
        XCTAssertEqual(legendLabels(e), managers)
        XCTAssertEqual(axisTitles(e), ["window length (log scale)", "minimum mutator utilization (%)"])
        // The x axis runs 1 ms to 1 s.
        let labels = e.filter { $0.name == "text" }.map(\.text)
        XCTAssertTrue(labels.contains("1 ms") && labels.contains("1 s") && labels.contains("100%"), "\(labels)")
    }

    func testEachManagerKeepsItsColourInEveryChart() throws {
        for kind in ReportCharts.Kind.allCases {
            let e = try elements(kind)
            for group in series(e) {
                let manager = group.attributes["data-manager"]!
                let index = e.firstIndex { $0.attributes["data-series"] == group.attributes["data-series"] }!
                // The first element drawn after the group's opening tag is its line or its bars.
                let drawn = e[(index + 1)...].first { $0.name == "polyline" || $0.name == "path" }!
                XCTAssertEqual(drawn.attributes["stroke"] ?? drawn.attributes["fill"], palette.colour(of: manager), "\(kind) \(manager)")
            }
        }
        XCTAssertEqual(Set(managers.map(palette.colour(of:))).count, managers.count, "seven managers, seven colours")
    }

    /// The collector-work chart stacks each run's segments in order, each as long as its total, and names what a
    /// run lost and what its collector threads spent.
    func testCollectorWorkChartStacksEachRunsTimes() throws {
        var gc = Fixtures.matrix()[0]
        gc.manager = "gc-concurrent"
        gc.wallNanoseconds = 1_000_000_000
        gc.pauses = [PauseEvent(kind: .markSlice, cycle: 1, startNanoseconds: 1_000, durationNanoseconds: 2_000_000),
                     PauseEvent(kind: .assist, cycle: 1, startNanoseconds: 3_000_000, durationNanoseconds: 3_000_000),
                     PauseEvent(kind: .finalMark, cycle: 1, startNanoseconds: 8_000_000, durationNanoseconds: 1_000_000,
                                collectorThreadsCPUNanoseconds: 500_000),
                     PauseEvent(kind: .sweep, cycle: 1, startNanoseconds: 9_500_000, durationNanoseconds: 400_000)]
        gc.managerStatistics.extra = ["lazySweepNanoseconds": 4_000_000, "backgroundMarkCPUNanoseconds": 10_000_000]
        let malloc = Fixtures.matrix()[2]
        let segments = CollectorWorkChart.segments(of: gc)
        XCTAssertEqual(segments[.stopTheWorld], 3_000_000)
        XCTAssertEqual(segments[.lazySweep], 4_000_000, "all lazy sweeping, not only the logged 0.4 ms")
        XCTAssertEqual(segments[.assists], 3_000_000)
        XCTAssertEqual(segments[.stalls], 0)
        XCTAssertEqual(segments[.pauseHelpers], 500_000)
        XCTAssertEqual(segments[.backgroundMarker], 10_000_000)
        XCTAssertEqual(CollectorWorkChart.segments(of: malloc)[.stalls],
                       malloc.stalls.reduce(0) { $0 + $1.durationNanoseconds } + malloc.unloggedStallNanoseconds)

        let e = try elements(.collectorWork, [gc, malloc])
        let rects = e.filter { $0.attributes["class"] == "segment" }
        XCTAssertEqual(rects.compactMap { $0.attributes["data-segment"] },
                       ["stop-the-world pauses", "lazy sweeping", "assists", "pause helper threads (CPU)",
                        "background marker (CPU)", "stalls"])
        XCTAssertEqual(rects.compactMap { $0.attributes["data-nanoseconds"] }.prefix(5),
                       ["3000000", "4000000", "3000000", "500000", "10000000"])
        // Stacked: each segment of a run starts where the one before it ends.
        for (a, b) in zip(rects.prefix(5), rects.prefix(5).dropFirst()) {
            XCTAssertEqual(Double(a.attributes["x"]!)! + Double(a.attributes["width"]!)!, Double(b.attributes["x"]!)!, accuracy: 0.15)
        }
        XCTAssertEqual(legendLabels(e), ["stop-the-world pauses", "lazy sweeping", "assists", "stalls",
                                         "pause helper threads (CPU)", "background marker (CPU)"])
        XCTAssertTrue(e.contains { $0.text == "program's threads lost 10 ms (1% of their time), collector threads 10.5 ms CPU" },
                      "\(e.map(\.text).filter { $0.hasPrefix("program") })")
        XCTAssertEqual(e.filter { $0.attributes["class"] == "run" }.compactMap { $0.attributes["data-manager"] }, ["gc-concurrent", "malloc"])
    }

    func testPauseHistogramHasAPanelPerManagerWithBarsWhereThereWerePauses() throws {
        let e = try elements(.pauses)
        XCTAssertEqual(e.filter { $0.attributes["class"] == "panel" }.compactMap { $0.attributes["data-manager"] }, managers)
        XCTAssertEqual(series(e).compactMap { $0.attributes["data-manager"] }, managers)
        XCTAssertEqual(legendLabels(e), managers)
        let paths = e.filter { $0.name == "path" }
        XCTAssertEqual(paths.count, managers.count)
        for path in paths { XCTAssertTrue(path.attributes["d"]!.contains("V"), "every manager of the fixture paused") }
        XCTAssertEqual(axisTitles(e).filter { $0 != "count" }, ["pause or stall length (log scale)"])
        XCTAssertTrue(e.contains { $0.text.contains("1,234 more too short to log (457 µs)") })
    }

    /// Collector pauses that had to stop another running thread carry a time to safepoint: the histogram draws
    /// those over the pauses, outlined, and the panel's summary names them; a single-threaded run has none.
    func testPauseHistogramOutlinesTimeToSafepointWithSeveralThreads() throws {
        var threaded = reports.first { $0.manager == "marksweep" }!
        for i in threaded.pauses.indices where threaded.pauses[i].kind == .collection {
            // 40 us of the pause spent stopping the other thread, 10 us of it off the CPU.
            threaded.pauses[i].phases.insert(PhaseTime("safepoint", nanoseconds: 40_000), at: 0)
            threaded.pauses[i].safepointOffCPUNanoseconds = 10_000
        }
        let stops = threaded.pauses.filter { $0.kind == .collection }.count
        XCTAssertGreaterThan(stops, 0)
        XCTAssertEqual(PauseHistogramChart.safepointTimes(threaded), Array(repeating: 40_000, count: stops))
        let e = try elements(.pauses, [threaded])
        let outlined = e.filter { $0.attributes["class"] == "series safepoint" }
        XCTAssertEqual(outlined.compactMap { $0.attributes["data-manager"] }, ["marksweep"])
        XCTAssertTrue(e.contains { $0.name == "path" && $0.attributes["fill"] == "none" && $0.attributes["d"]!.contains("V") })
        XCTAssertTrue(PauseHistogramChart.summary(threaded).contains("time to safepoint \(stops)x, longest 40"),
                      PauseHistogramChart.summary(threaded))
        // The fixture's own run stopped no other thread: no outline.
        let single = try elements(.pauses, [reports.first { $0.manager == "marksweep" }!])
        XCTAssertTrue(single.filter { $0.attributes["class"] == "series safepoint" }.isEmpty)
        XCTAssertTrue(PauseHistogramChart.safepointTimes(reports.first { $0.manager == "marksweep" }!).isEmpty)
    }

    func testHistogramBinsCountEveryPause() {
        let scale = LogScale(minimum: 1_000, maximum: 1_000_000)
        XCTAssertEqual(scale.lowerExponent, 3)
        XCTAssertEqual(scale.upperExponent, 6)
        let counts = PauseHistogramChart.binCounts([1_000, 1_100, 1_600, 9_999, 10_000, 999_999, 1_000_000, 5], scale: scale)
        XCTAssertEqual(counts.count, 15)
        XCTAssertEqual(counts.reduce(0, +), 8)
        XCTAssertEqual(counts[0], 3, "1000, 1100 and 5 (clamped) are in the first bin [1 µs, 1.58 µs)")
        XCTAssertEqual(counts[1], 1, "1600 is in [1.58 µs, 2.51 µs)")
        XCTAssertEqual(counts[4], 1, "9999 is in the last bin of its decade")
        XCTAssertEqual(counts[5], 1)
        XCTAssertEqual(counts[14], 2, "the maximum lands in the last bin")
    }

    func testMemoryChartOfManyManagersHasAPanelEachWithResidentLiveAndHeapLines() throws {
        let e = try elements(.memory)
        XCTAssertEqual(e.filter { $0.attributes["class"] == "panel" }.compactMap { $0.attributes["data-manager"] }, managers)
        let lines = series(e)
        for m in managers {
            XCTAssertTrue(lines.contains { $0.attributes["data-series"] == "\(m) resident" && $0.attributes["data-manager"] == m }, m)
            XCTAssertTrue(lines.contains { $0.attributes["data-series"] == "\(m) live" }, m)
        }
        XCTAssertTrue(lines.contains { $0.attributes["data-series"] == "marksweep heap" })
        XCTAssertFalse(lines.contains { $0.attributes["data-series"] == "malloc heap" })
        XCTAssertEqual(legendLabels(e), managers + ["resident memory", "live bytes", "manager heap"])
        XCTAssertEqual(axisTitles(e).filter { $0 != "memory (MiB)" }, ["time since run start (s)"])
    }

    func testMemoryChartOfFewManagersOverlaysThem() throws {
        let few = [reports[0], reports[2]]
        let e = try elements(.memory, few)
        XCTAssertTrue(e.filter { $0.attributes["class"] == "panel" }.isEmpty)
        XCTAssertEqual(series(e).compactMap { $0.attributes["data-series"] },
                       ["marksweep resident", "marksweep live", "marksweep heap", "malloc resident", "malloc live"])
        XCTAssertEqual(e.filter { $0.name == "polyline" }.count, 5)
        XCTAssertEqual(legendLabels(e), ["marksweep", "malloc", "resident memory", "live bytes", "manager heap"])
        XCTAssertEqual(axisTitles(e), ["time since run start (s)", "memory (MiB)"])
    }

    func testLatencyChartShowsPercentilesOnANinesAxis() throws {
        let e = try elements(.latency)
        XCTAssertEqual(series(e).count, managers.count)
        XCTAssertEqual(legendLabels(e), managers)
        let labels = e.filter { $0.name == "text" }.map(\.text)
        for tick in ["50%", "90%", "99%", "99.9%", "99.99%", "max"] { XCTAssertTrue(labels.contains(tick), tick) }
        XCTAssertFalse(labels.contains("99.999%"), "67,650 operations resolve four nines, not five")
        // 14 ladder points minus 99.999%, which the sample count does not resolve.
        XCTAssertEqual(e.filter { $0.name == "circle" }.count, managers.count * 13)
    }

    func testRunsThatDidNotCompleteAreLeftOutAndNamed() throws {
        var reports = self.reports
        reports[1].status = .notApplicable
        reports[2].status = .outOfMemory
        let e = try elements(.mmu, reports)
        XCTAssertEqual(series(e).count, managers.count - 2)
        let subtitle = e.first { $0.attributes["class"] == "chart-subtitle" }?.text ?? ""
        XCTAssertTrue(subtitle.contains("not shown: arena (not applicable), malloc (out of memory)"), subtitle)
    }

    func testARepeatedManagerGetsNumberedSeriesInItsColour() throws {
        let reports = [self.reports[2], self.reports[2], self.reports[5]]
        let e = try elements(.latency, reports)
        XCTAssertEqual(legendLabels(e), ["malloc", "malloc (run 2)", "arc"])
        // On the line charts the second run is dashed, line and legend sample, so the two stay apart.
        for kind in [ReportCharts.Kind.mmu, .latency] {
            let e = try elements(kind, reports)
            let lines = e.filter { $0.name == "polyline" }
            XCTAssertEqual(lines.count, 3, "\(kind)")
            XCTAssertEqual(lines.map { $0.attributes["stroke-dasharray"] != nil }, [false, true, false], "\(kind)")
            XCTAssertEqual(e.filter { $0.name == "line" && $0.attributes["stroke-dasharray"] != nil }.count, 1,
                           "one dashed legend sample: \(kind)")
        }
    }

    func testChartsOfAWorkloadWithoutRunsOrDataAreStillWellFormed() throws {
        var bare = RunReport(workload: "gcbench", manager: "malloc", parameters: [:], managerConfiguration: [:],
                             machine: Fixtures.machine, date: "2026-11-29T10:00:00Z", status: .ok)
        bare.wallNanoseconds = 0
        for kind in ReportCharts.Kind.allCases {
            _ = try elements(kind, [bare])
            _ = try elements(kind, [], workload: "nothing")
        }
    }

    func testNamesWithMarkupAreEscaped() throws {
        var reports = [self.reports[0]]
        reports[0].manager = "<gc & \"friends\">"
        reports[0].workload = "w<1>"
        let svg = ReportCharts.svg(.mmu, workload: "w<1>", reports: reports, palette: ManagerPalette(reports: reports))
        let e = try XMLCollector.parse(svg)
        XCTAssertEqual(legendLabels(e), ["<gc & \"friends\">"])
        XCTAssertEqual(ReportCharts.fileName(workload: "w<1>/x", kind: .mmu), "w-1--x-mmu.svg")
    }

    func testLegendWrapsIntoRowsInsteadOfOverflowing() {
        let entries = (0..<12).map { LegendEntry(label: "manager-with-a-long-name-\($0)", colour: "#000", sample: .swatch) }
        let legend = Legend(entries: entries)
        XCTAssertGreaterThan(legend.height(width: 600), Legend.rowHeight * 3)
        var xml = ""
        legend.render(x: 0, y: 0, width: 600).render(into: &xml)
        // No text starts past the right edge.
        let xs = try! XMLCollector.parse(xml).filter { $0.name == "text" }.map { Double($0.attributes["x"]!)! }
        XCTAssertEqual(xs.count, 12)
        XCTAssertTrue(xs.allSatisfy { $0 < 600 })
    }
}
