import Foundation
import HeapLabCore

/// Writes a whole report directory from a set of runs: what `heaplab report RESULTS.json --out DIR` produces.
///
///     DIR/results.json      the RunReports (RunReport.encode; schema in Docs/Reports.md)
///     DIR/results.csv       one row per run (CSVExport)
///     DIR/trace.json        pauses, phases and stalls for Perfetto UI or chrome://tracing (ChromeTrace)
///     DIR/charts/*.svg      five charts per workload, seven for a threaded one at several counts (ReportCharts)
///     DIR/index.html        the table and the charts inline (HTMLPage)
public enum ReportWriter {
    /// Why a report could not be written.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// There were no runs to report.
        case noRuns
        public var description: String {
            switch self {
            case .noRuns: return "no runs to report (the results file holds an empty list)"
            }
        }
    }

    /// File names inside the report directory.
    public static let jsonFile = "results.json"
    public static let csvFile = "results.csv"
    public static let traceFile = "trace.json"
    public static let htmlFile = "index.html"
    public static let chartsDirectory = "charts"

    /// Writes every file of the report into `directory` (created with its parents when missing; files of the
    /// same names are replaced, nothing else in it is touched).
    ///
    /// - Returns: the files written, index.html last.
    /// - Throws: `Failure.noRuns` for an empty `reports`; `OutputFile.Failure` (the path and the system's
    ///   reason) when a directory or file can not be written; an `EncodingError` if the JSON can not be encoded.
    @discardableResult
    public static func write(reports: [RunReport], to directory: URL) throws -> [URL] {
        guard !reports.isEmpty else { throw Failure.noRuns }
        let charts = directory.appendingPathComponent(chartsDirectory, isDirectory: true)
        try OutputFile.createDirectory(charts.path)
        var written: [URL] = []
        func save(_ data: Data, _ url: URL) throws {
            try OutputFile.writeAtomically(data, to: url.path)
            written.append(url)
        }

        try save(RunReport.encode(reports), directory.appendingPathComponent(jsonFile))
        try save(Data(CSVExport.csv(reports).utf8), directory.appendingPathComponent(csvFile))
        try save(ChromeTrace.json(for: reports), directory.appendingPathComponent(traceFile))
        let palette = ManagerPalette(reports: reports)
        // Each chart is rendered once, for its file and for the page (the files only add the XML declaration).
        var rendered: [String: String] = [:]
        for workload in ReportCharts.workloads(reports) {
            for kind in ReportCharts.kinds(for: workload, reports: reports) {
                let name = ReportCharts.fileName(workload: workload, kind: kind)
                let svg = ReportCharts.svg(kind, workload: workload, reports: reports, palette: palette, standalone: false)
                rendered[name] = svg
                try save(Data((SVGDocument.xmlDeclaration + svg).utf8), charts.appendingPathComponent(name))
            }
        }
        let html = HTMLPage.render(reports: reports, palette: palette, links: [
            (jsonFile, "every run's full measurements (schema in Docs/Reports.md)"),
            (csvFile, "one row per run, for spreadsheets and scripts"),
            (traceFile, "pauses, phases and stalls on a timeline: open it in ui.perfetto.dev or chrome://tracing"),
            (chartsDirectory + "/", "the charts below as SVG files"),
        ], charts: rendered)
        try save(Data(html.utf8), directory.appendingPathComponent(htmlFile))
        return written
    }

    /// Reads a results file (`RunReport.encode`'s JSON) and writes its report into `directory`.
    ///
    /// - Throws: the file system's error when `resultsFile` can not be read, a `DecodingError` when it is not a
    ///   list of RunReports, and whatever `write(reports:to:)` throws.
    @discardableResult
    public static func write(resultsFile: URL, to directory: URL) throws -> [URL] {
        try write(reports: RunReport.decode(Data(contentsOf: resultsFile)), to: directory)
    }
}
