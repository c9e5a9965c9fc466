import HeapLabCore

/// index.html of a report: the machine, a table of every run, the workloads' notes and failures, and each
/// workload's charts inline, so the page is one self-contained file (the charts are also written beside it
/// as SVG files). Plain HTML and CSS, no script.
public enum HTMLPage {
    /// The page for `reports`, charts coloured by `palette`.
    ///
    /// - Parameters:
    ///   - reports: every run, of one workload or several.
    ///   - palette: the manager colours the charts use.
    ///   - links: files beside the page to link to (`results.json`, ...), with a description each.
    ///   - charts: charts already rendered (without XML declaration), by `ReportCharts.fileName`; those missing
    ///     are rendered here.
    public static func render(reports: [RunReport], palette: ManagerPalette,
                              links: [(file: String, description: String)] = [],
                              charts: [String: String] = [:]) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>HeapLab report</title>
        <style>\(css)</style>
        </head>
        <body>
        <h1>HeapLab report</h1>

        """
        html += "<p class=\"meta\">\(escaped(machineLine(reports)))</p>\n"
        if !links.isEmpty {
            html += "<ul class=\"files\">\n"
            for link in links {
                html += "<li><a href=\"\(escaped(link.file))\">\(escaped(link.file))</a>: \(escaped(link.description))</li>\n"
            }
            html += "</ul>\n"
        }
        html += "<h2>Runs</h2>\n" + RunTable.html(reports: reports, palette: palette)
        html += remarks(reports)
        for workload in ReportCharts.workloads(reports) {
            html += "<h2 id=\"\(escaped(ReportCharts.slug(workload)))\">\(escaped(workload))</h2>\n<div class=\"charts\">\n"
            for kind in ReportCharts.kinds(for: workload, reports: reports) {
                html += "<figure>\n"
                html += charts[ReportCharts.fileName(workload: workload, kind: kind)]
                    ?? ReportCharts.svg(kind, workload: workload, reports: reports, palette: palette, standalone: false)
                html += "<figcaption>\(escaped(caption(kind)))</figcaption>\n</figure>\n"
            }
            html += "</div>\n"
        }
        html += "</body>\n</html>\n"
        return html
    }

    /// What each chart shows and how to read it, under the chart.
    static func caption(_ kind: ReportCharts.Kind) -> String {
        switch kind {
        case .pauses:
            return "How often the program was stopped for how long: collector pauses, assists of concurrent marking and stalls at drop points (bulk frees, release cascades, scope ends). Further right is longer; bars far right are the pauses users notice."
        case .mmu:
            return "For each window length, the worst share of any window of that length that the program had for itself. Pauses, assists and stalls count as time lost; with several threads, an assist or stall takes only its own thread's share. A curve near 100% even at 1 ms means no noticeable pauses; 0% means a pause at least that long."
        case .memory:
            return "Resident memory (solid) as the kernel counts it, beside the live bytes (dashed) and the manager's heap (dotted) where known. The gap is the manager's overhead: headers, free space, garbage not yet collected."
        case .latency:
            return "Latency of one operation of the workload at each percentile, the tail to the right. Flat is good; a steep rise at 99.9% shows pauses hitting a few operations."
        case .collectorWork:
            return "Where each run's memory management time went, summed over the run: first the time the program's own threads lost (stop-the-world pauses, lazy sweeping, assists, stalls), then the CPU time collector threads spent beside them (helpers in parallel pauses, the background marker). Short pauses bought with concurrent marking show up here as collector-thread time."
        case .throughputScaling:
            return "Operations of every thread per second of wall time, at each thread count (median over the runs). On a machine with fewer cores than threads the line flattens at the core count; below that, a flat line means the manager serializes the threads."
        case .latencyScaling:
            return "The p99 latency of one operation at each thread count (median over the runs): what contention, stopped-world pauses and time to safepoint add to a request as threads are added."
        }
    }

    /// `2 cores, 24.0 GiB, <cpu>, Linux <kernel>, Swift 6.3; runs from <date> to <date>`.
    static func machineLine(_ reports: [RunReport]) -> String {
        guard let first = reports.first else { return "No runs." }
        let m = first.machine
        var text = "\(m.cpuModel), \(m.cores) cores, \(UnitFormat.bytes(Double(m.memoryBytes))), Linux \(m.kernel), Swift \(m.swiftVersion)"
        if reports.contains(where: { $0.machine != m }) { text += " (some runs on other machines: see results.json)" }
        let dates = reports.map(\.date).sorted()
        if let from = dates.first, let to = dates.last {
            text += from == to ? "; run on \(from)" : "; runs from \(from) to \(to)"
        }
        return text
    }

    /// The list of failures and workload notes, or nothing when there are none.
    static func remarks(_ reports: [RunReport]) -> String {
        var items: [String] = []
        // Repeats of a pair usually carry the same notes: each distinct note is listed once per pair.
        var listed = Set<String>()
        for r in RunTable.grouped(reports) {
            if !r.failure.isEmpty {
                items.append("<li><b>\(escaped(r.workload)) on \(escaped(r.manager))</b> (\(escaped(ChartRuns.describe(r.status)))): <pre>\(escaped(r.failure))</pre></li>")
            }
            for note in r.outcome?.notes ?? [] where listed.insert("\(r.workload)\u{0}\(r.manager)\u{0}\(note)").inserted {
                items.append("<li><b>\(escaped(r.workload)) on \(escaped(r.manager))</b>: \(escaped(note))</li>")
            }
        }
        return items.isEmpty ? "" : "<h3>Notes and failures</h3>\n<ul class=\"remarks\">\n" + items.joined(separator: "\n") + "\n</ul>\n"
    }

    /// `text` escaped for HTML text and attribute values.
    static func escaped(_ text: String) -> String { xmlEscaped(text) }

    static let css = """

    body { font-family: system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif;
           margin: 24px 32px; color: #222; background: #fff; max-width: 1500px; }
    h1 { font-size: 26px; margin: 0 0 6px; }
    h2 { font-size: 20px; margin: 32px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
    h3 { font-size: 16px; margin: 20px 0 6px; }
    .meta { color: #555; margin: 0 0 10px; }
    .files { color: #555; margin: 0 0 10px; padding-left: 20px; }
    table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
    .table { overflow-x: auto; }
    th, td { padding: 4px 7px; border-bottom: 1px solid #e5e5e5; }
    td { white-space: nowrap; }
    th { text-align: left; background: #f5f5f5; font-weight: 600; vertical-align: bottom; min-width: 3.5em; }
    th .unit { display: block; font-weight: 400; color: #666; font-size: 11px; }
    td.num { text-align: right; }
    td.wrap { white-space: normal; min-width: 5.5em; }
    td.status-ok { color: #11703a; }
    td.status-bad { color: #b00020; font-weight: 600; }
    .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
    .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px; align-items: start; }
    figure { margin: 0; border: 1px solid #e5e5e5; border-radius: 4px; padding: 6px; }
    figure svg { width: 100%; height: auto; display: block; }
    figcaption { color: #555; font-size: 13px; padding: 4px 8px 6px; line-height: 1.4; }
    .remarks pre { white-space: pre-wrap; margin: 4px 0; font-size: 12px; }

    """
}
