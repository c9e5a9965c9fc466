import Foundation
import HeapLabCore
import HeapLabReport
import XCTest
@testable import HeapLabKit

/// The real binary on bad input: one "Error:" line naming the value and what is accepted, exit status 64, and
/// no child started (the runner's work directory, made in $TMPDIR before the first child, never appears).
/// Failures after the runs (an output that can not be written) exit with 1 and one clean line too.
final class BadInputTests: XCTestCase {
    /// Runs heaplab with a private $TMPDIR and checks that no work directory was made in it.
    func runWithoutChildren(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> TestSupport.Outcome {
        let temporary = try TestSupport.workDirectory(self)
        let outcome = try TestSupport.runHeaplab(arguments, environment: ["TMPDIR": temporary])
        let left = try FileManager.default.contentsOfDirectory(atPath: temporary)
        XCTAssertEqual(left, [], "\(arguments): a run started (its work directory was made) before the input was refused", file: file, line: line)
        return outcome
    }

    /// Expects exit status 64 and an "Error: " line containing `expected` as the first line on stderr.
    func assertRefused(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try runWithoutChildren(arguments, file: file, line: line)
        XCTAssertEqual(outcome.status, 64, "\(arguments): \(outcome.standardError)", file: file, line: line)
        let first = outcome.errorLines.first ?? ""
        XCTAssertTrue(first.hasPrefix("Error: ") && first.contains(expected),
                      "\(arguments): first stderr line '\(first)' lacks '\(expected)'", file: file, line: line)
        XCTAssertFalse(outcome.standardError.contains("Fatal error"), outcome.standardError, file: file, line: line)
    }

    let run = ["run", "--workload", "gcbench", "--manager", "malloc", "--test-size"]

    func testTimeoutsTheClockCanNotHoldAreRefused() throws {
        try assertRefused(run + ["--timeout", "1e300"], "--timeout must be more than 0 and at most 1000000000 seconds (about 31 years) (got 1e+300)")
        try assertRefused(run + ["--timeout", "2e10"], "(got 20000000000.0)")
    }

    func testDocumentedRangesAreOnesThatWork() throws {
        try assertRefused(["run", "--workload", "fragmentation", "--manager", "malloc", "--param", "liveMiB=60000"],
                          "fragmentation: liveMiB must be in 1...8192 (got 60000)")
        try assertRefused(["run", "--workload", "deep-bigstack", "--manager", "arc", "--param", "stackMiB=32768"],
                          "deep-bigstack: stackMiB must be in 1...16384 (got 32768)")
        try assertRefused(["compare", "--repeats", "9223372036854775807"], "--repeats must be from 1 to 1000 (got 9223372036854775807)")
    }

    func testMemoryLimitsNoChildCanStartUnderAreRefused() throws {
        for mib in [16, 64] {
            try assertRefused(run + ["--memory-limit", "\(mib)"],
                              "--memory-limit must be from \(RunSpec.minimumMemoryLimitMiB) to 1073741824 MiB (got \(mib))")
        }
    }

    func testBadManagerOptionValuesAreRefused() throws {
        try assertRefused(["compare", "--test-size", "--set", "gc.gogc=abc"], "manager gc: gogc must be a percentage from 0 to 1000000, or off (got 'abc')")
        try assertRefused(["compare", "--test-size", "--set", "arena.huge-pages=maybe"], "manager arena: huge-pages must be none, large or all (got 'maybe')")
    }

    func testUnwritableOutputsAreRefusedBeforeAnyRun() throws {
        let directory = try TestSupport.workDirectory(self)
        try assertRefused(run + ["--report-dir", "/proc/x"], "--report-dir: cannot write /proc/x: No such file or directory")
        try assertRefused(run + ["--json", directory], "--json: cannot write \(directory): it is a directory (give a file name)")
    }

    /// A write that fails after the runs is one clean line (the system's reason, no Foundation error domain)
    /// and exit status 1: the runs happened, the command failed.
    func testWriteErrorsAfterTheRunsAreOneLine() throws {
        let outcome = try TestSupport.runHeaplab(run + ["--warmup", "0", "--quiet", "--json", "/dev/full"])
        XCTAssertEqual(outcome.status, 1, outcome.standardError)
        XCTAssertEqual(outcome.errorLines, ["Error: cannot write /dev/full: No space left on device"])
        XCTAssertTrue(outcome.standardOutput.contains("gcbench"), "the table was printed before the write failed")

        // The report directory can be made, but a file of the report is in the way of its charts directory.
        let directory = try TestSupport.workDirectory(self)
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/charts", contents: Data()))
        let report = try TestSupport.runHeaplab(run + ["--warmup", "0", "--quiet", "--report-dir", directory])
        XCTAssertEqual(report.status, 1, report.standardError)
        XCTAssertEqual(report.errorLines, ["Error: cannot write \(directory)/charts: \(directory)/charts exists and is not a directory"])
    }

    func testFailedWritesToStandardOutputFailTheCommand() throws {
        let outcome = try TestSupport.runHeaplab(["list"], standardOutput: "/dev/full")
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(outcome.errorLines, ["Error: cannot write to standard output: No space left on device"])
        let fine = try TestSupport.runHeaplab(["list"])
        XCTAssertEqual(fine.status, 0)
        XCTAssertTrue(fine.standardOutput.contains("Memory managers"))
    }

    // MARK: heaplab report

    /// A RunReports file written by a real run, as JSON text.
    func realResults() throws -> String {
        let report = try TestSupport.registry.run(inProcess: TestSupport.smallSpec("malloc"))
        return String(decoding: try RunReport.encode([report]), as: UTF8.self)
    }

    func write(_ text: String, _ name: String) throws -> String {
        let path = try TestSupport.workDirectory(self) + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func assertReportRefused(_ results: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let out = try TestSupport.workDirectory(self) + "/out"
        let outcome = try TestSupport.runHeaplab(["report", results, "--out", out])
        XCTAssertEqual(outcome.status, 64, outcome.standardError, file: file, line: line)
        let first = outcome.errorLines.first ?? ""
        XCTAssertTrue(first.hasPrefix("Error: ") && first.contains(expected), "first stderr line '\(first)' lacks '\(expected)'", file: file, line: line)
        XCTAssertFalse(outcome.standardError.contains("NSCocoaErrorDomain"), outcome.standardError, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/index.html"), "no report from bad input", file: file, line: line)
    }

    func testReportNamesTheBadFieldOfTheBadReport() throws {
        let valid = try realResults()
        let negative = try XCTUnwrap(valid.range(of: #""wallNanoseconds" : \d+"#, options: .regularExpression))
        let bad = valid.replacingCharacters(in: negative, with: #""wallNanoseconds" : -5"#)
        try assertReportRefused(try write(bad, "bad.json"),
                                "bad.json: report 1 (gcbench on malloc): field wallNanoseconds holds -5, which does not fit: expected a non-negative integer (UInt64)")
        let second = "[" + valid.dropFirst().dropLast(2) + ", " + bad.dropFirst()
        try assertReportRefused(try write(second, "second.json"), "report 2 (gcbench on malloc): field wallNanoseconds")
        let noWorkload = valid.replacingOccurrences(of: #""workload" : "gcbench""#, with: #""workloadName" : "gcbench""#)
        try assertReportRefused(try write(noWorkload, "missing.json"), "report 1: field workload is missing")
        if let duration = valid.range(of: #""durationNanoseconds" : \d+"#, options: .regularExpression) {  // malloc logs stalls
            let pause = valid.replacingCharacters(in: duration, with: #""durationNanoseconds" : 1.5"#)
            try assertReportRefused(try write(pause, "pause.json"),
                                    "report 1 (gcbench on malloc): field pauses[0].durationNanoseconds holds 1.5, which does not fit: expected a non-negative integer (UInt64)")
        }
        let cpu = try XCTUnwrap(valid.range(of: #""cpuNanoseconds" : \d+"#, options: .regularExpression))
        let typed = valid.replacingCharacters(in: cpu, with: #""cpuNanoseconds" : "x""#)
        try assertReportRefused(try write(typed, "typed.json"), "report 1 (gcbench on malloc): field cpuNanoseconds expected a non-negative integer (UInt64): ")
        // -1, not a minus sign before the run's own count: that count is 0 when every stall was long enough to be
        // logged (a slow machine, an ASan build), and -0 is 0.
        let count = try XCTUnwrap(valid.range(of: #""unloggedStallCount" : \d+"#, options: .regularExpression))
        let implausible = valid.replacingCharacters(in: count, with: #""unloggedStallCount" : -1"#)
        try assertReportRefused(try write(implausible, "count.json"), "report 1 (gcbench on malloc): field unloggedStallCount must not be negative")
    }

    func testReportRefusesWhatIsNotRunReports() throws {
        try assertReportRefused(try write("[]", "empty.json"), "empty.json holds no RunReports (an empty list): nothing to report")
        try assertReportRefused(try write("{\"a\": 1}", "object.json"), "object.json: not a list of RunReports")
        try assertReportRefused(try write("garbage", "garbage.json"), "garbage.json: not valid JSON")
        let directory = try TestSupport.workDirectory(self)
        try assertReportRefused(directory, "\(directory) is a directory, not a RunReports JSON file")
        try assertReportRefused(directory + "/missing.json", "cannot read \(directory)/missing.json: No such file or directory")
    }
}
