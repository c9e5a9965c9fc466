import Foundation
import HeapLabCore
import HeapLabReport
import XCTest

final class ChromeTraceTests: XCTestCase {
    typealias Event = [String: Any]

    func events(_ reports: [RunReport]) throws -> [Event] {
        let object = try JSONSerialization.jsonObject(with: ChromeTrace.json(for: reports))
        let file = try XCTUnwrap(object as? [String: Any])
        XCTAssertEqual(file["displayTimeUnit"] as? String, "ms")
        return try XCTUnwrap(file["traceEvents"] as? [Event])
    }

    func testOneProcessPerRunNamedAfterIt() throws {
        let reports = Array(Fixtures.matrix().prefix(3))
        let e = try events(reports)
        let names = e.filter { $0["name"] as? String == "process_name" }
        XCTAssertEqual(names.map { $0["pid"] as? Int }, [1, 2, 3])
        XCTAssertEqual(names.map { ($0["args"] as? [String: Any])?["name"] as? String },
                       ["gcbench on marksweep", "gcbench on arena", "gcbench on malloc"])
        // Each run has one span covering its wall time, in microseconds.
        let runs = e.filter { $0["cat"] as? String == "run" }
        XCTAssertEqual(runs.count, 3)
        XCTAssertEqual(runs[0]["dur"] as? Double, Double(reports[0].wallNanoseconds) / 1_000)
    }

    func testCollectorPausesAreCompleteEventsWithTheirPhasesNestedInside() throws {
        let report = Fixtures.matrix()[0]
        let e = try events([report])
        let pauses = e.filter { $0["cat"] as? String == "collection" }
        XCTAssertEqual(pauses.count, report.collectorPauses.count)
        let phases = e.filter { $0["cat"] as? String == "phase" }
        XCTAssertEqual(phases.count, report.collectorPauses.count * 3)
        for (index, pause) in pauses.enumerated() {
            XCTAssertEqual(pause["ph"] as? String, "X")
            XCTAssertEqual(pause["tid"] as? Int, ChromeTrace.pauseThread)
            let source = report.collectorPauses[index]
            let start = try XCTUnwrap(pause["ts"] as? Double), duration = try XCTUnwrap(pause["dur"] as? Double)
            XCTAssertEqual(start, Double(source.startNanoseconds) / 1_000)
            XCTAssertEqual(duration, Double(source.durationNanoseconds) / 1_000)
            XCTAssertEqual(pause["name"] as? String, "collection \(source.cycle)")
            XCTAssertEqual((pause["args"] as? [String: Any])?["heap_bytes_after"] as? Int, source.heapBytesAfter)
            let mine = phases[(index * 3)..<(index * 3 + 3)]
            XCTAssertEqual(mine.map { $0["name"] as? String }, ["roots", "mark", "sweep"])
            for phase in mine {
                let s = try XCTUnwrap(phase["ts"] as? Double), d = try XCTUnwrap(phase["dur"] as? Double)
                XCTAssertEqual(phase["tid"] as? Int, ChromeTrace.pauseThread)
                XCTAssertGreaterThanOrEqual(s, start)
                XCTAssertLessThanOrEqual(s + d, start + duration + 1e-6, "a phase must lie inside its pause")
            }
        }
    }

    /// A pause marked and swept by several threads: each collector thread gets a named track, and its spans lie
    /// where the pause says, inside the pause.
    func testCollectorThreadsGetATrackEachWithTheirSpans() throws {
        var report = Fixtures.matrix()[0]
        let index = try XCTUnwrap(report.pauses.firstIndex { $0.kind == .collection && $0.durationNanoseconds > 100_000 })
        report.pauses[index].collectorThreadSpans = [
            CollectorThreadSpan(thread: 1, name: "mark", offsetNanoseconds: 10_000, nanoseconds: 50_000),
            CollectorThreadSpan(thread: 1, name: "sweep", offsetNanoseconds: 70_000, nanoseconds: 20_000),
        ]
        let e = try events([report])
        let names = e.filter { $0["name"] as? String == "thread_name" && $0["tid"] as? Int == ChromeTrace.collectorThreadBase + 1 }
        XCTAssertEqual(names.compactMap { ($0["args"] as? [String: Any])?["name"] as? String }, ["collector thread 1"])
        let spans = e.filter { $0["cat"] as? String == "collector-thread" }
        let pause = report.pauses[index]
        XCTAssertEqual(spans.compactMap { $0["name"] as? String }, ["mark (collection \(pause.cycle))", "sweep (collection \(pause.cycle))"])
        XCTAssertEqual(spans.compactMap { $0["tid"] as? Int }, [201, 201])
        XCTAssertEqual(spans.first?["ts"] as? Double, Double(pause.startNanoseconds + 10_000) / 1_000)
        XCTAssertEqual(spans.first?["dur"] as? Double, 50)
        // Runs without parallel pauses have no collector-thread track.
        XCTAssertTrue(try events([Fixtures.matrix()[0]]).filter { ($0["tid"] as? Int ?? 0) >= ChromeTrace.collectorThreadBase }.isEmpty)
    }

    /// Concurrent marking's work between pauses: a background-marker track and an assists track, each span where
    /// the final pause's (negative) offset puts it, with its busy time and bytes.
    func testConcurrentMarkingGetsBackgroundAndAssistTracks() throws {
        var report = Fixtures.matrix()[0]
        let index = try XCTUnwrap(report.pauses.firstIndex { $0.kind == .collection && $0.startNanoseconds > 2_000_000 })
        report.pauses[index].concurrentWork = [
            ConcurrentWorkSpan(kind: "background", offsetNanoseconds: -2_000_000, nanoseconds: 1_500_000,
                               busyNanoseconds: 750_000, bytesMarked: 4096),
            ConcurrentWorkSpan(kind: "assist", offsetNanoseconds: -400_000, nanoseconds: 100_000,
                               busyNanoseconds: 100_000, bytesMarked: 512),
        ]
        let e = try events([report])
        func trackName(_ tid: Int) -> [String] {
            e.filter { $0["name"] as? String == "thread_name" && $0["tid"] as? Int == tid }
                .compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        }
        XCTAssertEqual(trackName(ChromeTrace.backgroundMarkerThread), ["background marker"])
        XCTAssertEqual(trackName(ChromeTrace.assistThread), ["assists"])
        let pause = report.pauses[index]
        let background = try XCTUnwrap(e.first { $0["cat"] as? String == "concurrent-background" })
        XCTAssertEqual(background["name"] as? String, "background mark (cycle \(pause.cycle))")
        XCTAssertEqual(background["tid"] as? Int, ChromeTrace.backgroundMarkerThread)
        XCTAssertEqual(background["ts"] as? Double, Double(pause.startNanoseconds - 2_000_000) / 1_000)
        XCTAssertEqual(background["dur"] as? Double, 1_500)
        XCTAssertEqual((background["args"] as? [String: Any])?["busy_ms"] as? Double, 0.75)
        XCTAssertEqual((background["args"] as? [String: Any])?["bytes_marked"] as? Int, 4096)
        let assist = try XCTUnwrap(e.first { $0["cat"] as? String == "concurrent-assist" })
        XCTAssertEqual(assist["tid"] as? Int, ChromeTrace.assistThread)
        XCTAssertEqual(assist["ts"] as? Double, Double(pause.startNanoseconds - 400_000) / 1_000)
        // Assists logged one by one are drawn exactly, and the merged assist spans are then left out.
        var exact = report
        exact.pauses.append(PauseEvent(kind: .assist, cycle: pause.cycle, startNanoseconds: pause.startNanoseconds - 300_000,
                                       durationNanoseconds: 40_000, bytesMarked: 2048, cpuNanoseconds: 39_000))
        let withAssists = try events([exact])
        XCTAssertTrue(withAssists.filter { $0["cat"] as? String == "concurrent-assist" }.isEmpty)
        let logged = try XCTUnwrap(withAssists.first { $0["cat"] as? String == "assist" })
        XCTAssertEqual(logged["tid"] as? Int, ChromeTrace.assistThread)
        XCTAssertEqual(logged["ts"] as? Double, Double(pause.startNanoseconds - 300_000) / 1_000)
        XCTAssertEqual(logged["dur"] as? Double, 40)
        XCTAssertEqual((logged["args"] as? [String: Any])?["cpu_ns"] as? Int, 39_000)
        XCTAssertEqual(withAssists.filter { $0["tid"] as? Int == ChromeTrace.pauseThread && $0["cat"] as? String == "assist" }.count, 0,
                       "an assist is not drawn among the pauses")
        // Runs without concurrent marking have neither track.
        XCTAssertTrue(try events([Fixtures.matrix()[0]]).filter { ($0["tid"] as? Int ?? 0) >= ChromeTrace.backgroundMarkerThread }.isEmpty)
    }

    func testAPauseCarriesItsCPUTimeWhenMeasured() throws {
        var report = Fixtures.matrix()[0]
        let index = try XCTUnwrap(report.pauses.firstIndex { $0.kind != .stall })
        report.pauses[index].cpuNanoseconds = 123_456
        let pauses = try events([report]).filter { $0["cat"] as? String == "collection" }
        XCTAssertEqual((pauses.first?["args"] as? [String: Any])?["cpu_ns"] as? Int, 123_456)
        XCTAssertNil((pauses.dropFirst().first?["args"] as? [String: Any])?["cpu_ns"], "not measured: no argument")
    }

    func testStallsAndMemoryCountersOfARealRun() throws {
        let report = try RealRuns.gcbench()[0]
        XCTAssertFalse(report.stalls.isEmpty, "malloc logs its bulk frees as stalls")
        let e = try events([report])
        let stalls = e.filter { $0["cat"] as? String == "stall" }
        XCTAssertEqual(stalls.count, report.stalls.count)
        XCTAssertTrue(stalls.allSatisfy { $0["ph"] as? String == "X" && $0["tid"] as? Int == ChromeTrace.stallThread })
        XCTAssertEqual(Set(stalls.compactMap { $0["name"] as? String }).subtracting(["stall: stretch tree", "stall: tree", "stall: long-lived data"]), [])
        let counters = e.filter { $0["ph"] as? String == "C" }
        XCTAssertEqual(counters.count, report.memorySamples.count)
        XCTAssertNotNil((counters.first?["args"] as? [String: Any])?["resident"] as? Double)
    }
}
