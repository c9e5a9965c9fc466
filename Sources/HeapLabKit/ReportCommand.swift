#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import HeapLabCore
import HeapLabReport

/// `heaplab report RESULTS.json --out DIR`: turns RunReports (from `--json`) into the shareable report.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write tables, CSV, SVG charts, an HTML page and a Chrome trace from a RunReports JSON file.",
        discussion: """
            Reads RESULTS.json (written by --json of any running command) and writes to DIR: results.json, \
            results.csv (one row per run), charts/*.svg (pause histogram, MMU curves, memory over time, latency \
            percentiles, per workload), index.html (the table and the charts) and trace.json (pauses, phases and \
            stalls for Perfetto UI or chrome://tracing). Docs/Reports.md describes every file. Exit status 64 \
            when RESULTS.json is not a readable list of RunReports (the message names the report and the field), \
            1 when DIR can not be written.
            """)

    @Argument(help: ArgumentHelp("A RunReports JSON file written by --json.", valueName: "RESULTS.json"))
    var results: String

    @Option(help: ArgumentHelp("Directory to write the report to (created if missing).", valueName: "DIR"))
    var out: String

    func validate() throws {
        do {
            try Self.checkReadable(results)
            try OutputFile.checkWritable(directory: out)
        } catch let error as OutputFile.Failure {
            throw ValidationError("--out: \(error)")
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let reports = try Self.read(results)
        print(TextTable.runSummary(reports, baseline: CommandContext.registry.baseline))
        try Self.write(reports, to: out)
    }

    /// Checks that `path` is a file this process can read.
    /// - Throws: `RunnerError` (exit status 64) for a missing or unreadable path or a directory.
    static func checkReadable(_ path: String) throws(RunnerError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw RunnerError("cannot read \(path): \(OutputFile.reason(errno))", exitStatus: RunnerError.badInputStatus)
        }
        guard info.st_mode & S_IFMT != S_IFDIR else {
            throw RunnerError("\(path) is a directory, not a RunReports JSON file", exitStatus: RunnerError.badInputStatus)
        }
        guard access(path, R_OK) == 0 else {
            throw RunnerError("cannot read \(path): \(OutputFile.reason(errno))", exitStatus: RunnerError.badInputStatus)
        }
    }

    /// The RunReports in the JSON file at `path`.
    /// - Throws: `RunnerError` with exit status 64: the file can not be read, is not JSON, is not a list of
    ///   RunReports (naming the report and the field), holds a value no run can produce, or holds no report.
    static func read(_ path: String) throws(RunnerError) -> [RunReport] {
        try checkReadable(path)
        let data: Data
        do { data = Data(try InputFile.bytes(atPath: path)) } catch {
            throw RunnerError(error.message, exitStatus: RunnerError.badInputStatus)
        }
        let reports: [RunReport]
        do { reports = try RunReport.decode(data) } catch {
            throw RunnerError("\(path): \(error.message)", exitStatus: RunnerError.badInputStatus)
        }
        guard !reports.isEmpty else {
            throw RunnerError("\(path) holds no RunReports (an empty list): nothing to report", exitStatus: RunnerError.badInputStatus)
        }
        return reports
    }

    /// Writes the report files for `reports` into `directory` and says where the page is.
    /// - Throws: `RunnerError` when there is nothing to report or the files cannot be written.
    static func write(_ reports: [RunReport], to directory: String) throws(RunnerError) {
        do {
            try ReportWriter.write(reports: reports, to: URL(fileURLWithPath: directory, isDirectory: true))
        } catch let error as OutputFile.Failure {
            throw RunnerError(error.description)
        } catch {
            throw RunnerError("cannot write the report to \(directory): \(error)")
        }
        print("\nReport written to \(directory)/\(ReportWriter.htmlFile)")
    }
}
