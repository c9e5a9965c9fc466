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
            stalls for Perfetto UI or chrome://tracing). Docs/Reports.md describes every file.
            """)

    @Argument(help: ArgumentHelp("A RunReports JSON file written by --json.", valueName: "RESULTS.json"))
    var results: String

    @Option(help: ArgumentHelp("Directory to write the report to (created if missing).", valueName: "DIR"))
    var out: String

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: results) else {
            throw ValidationError("cannot read \(results)")
        }
    }

    func run() throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: results)) } catch {
            throw RunnerError("cannot read \(results): \(error.localizedDescription)")
        }
        let reports: [RunReport]
        do { reports = try RunReport.decode(data) } catch {
            throw RunnerError("\(results) is not a RunReports JSON file: \(error)")
        }
        print(TextTable.runSummary(reports, baseline: CommandContext.registry.baseline))
        try Self.write(reports, to: out)
    }

    /// Writes the report files for `reports` into `directory` and says where the page is.
    /// - Throws: `RunnerError` when there is nothing to report or the files cannot be written.
    static func write(_ reports: [RunReport], to directory: String) throws(RunnerError) {
        do {
            try ReportWriter.write(reports: reports, to: URL(fileURLWithPath: directory, isDirectory: true))
        } catch {
            throw RunnerError("cannot write the report to \(directory): \(error)")
        }
        print("\nReport written to \(directory)/\(ReportWriter.htmlFile)")
    }
}
