import HeapLabCore

/// A plain-text table with aligned columns, for terminals and logs.
///
/// Cells are strings (already formatted, units included); columns are padded to their widest cell, numbers
/// right-aligned, names left-aligned, two spaces apart. Widths count Unicode characters, so "µs" aligns.
public struct TextTable: Sendable {
    /// Where a cell sits in its column: names on the left, numbers on the right.
    public enum Alignment: Sendable { case left, right }

    /// One column: its header (with the unit, when every cell shares one) and its alignment.
    public struct Column: Sendable {
        public var title: String
        public var alignment: Alignment
        /// A column titled `title`, right-aligned unless told otherwise.
        public init(_ title: String, _ alignment: Alignment = .right) {
            self.title = title
            self.alignment = alignment
        }
    }

    /// The columns, left to right.
    public let columns: [Column]
    /// The rows appended so far, each with one cell per column.
    public private(set) var rows: [[String]] = []

    /// An empty table with `columns`.
    public init(columns: [Column]) {
        self.columns = columns
    }

    /// Appends one row.
    /// - Precondition: `cells.count == columns.count`.
    public mutating func append(_ cells: [String]) {
        precondition(cells.count == columns.count, "TextTable: a row has \(cells.count) cells for \(columns.count) columns")
        rows.append(cells)
    }

    /// The table as lines: the header, a rule of dashes, the rows. Trailing spaces are trimmed.
    public func render() -> String {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                if i > 0 { text += "  " }
                text += columns[i].alignment == .left ? cell + pad : pad + cell
            }
            while text.last == " " { text.removeLast() }
            return text
        }
        var lines = [line(columns.map(\.title)), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }
}

// MARK: - The run table

extension TextTable {
    /// The comparison table of `heaplab`: one section per workload, one row per manager, repeats folded into a
    /// median (and min-max for time). Columns:
    ///
    /// - `time`: wall time of the measured run, median (min-max over repeats);
    /// - `×<baseline>`: median time over the baseline manager's median time on the same workload;
    /// - `×C`: median time over the median time of the manager's native reference on the same workload (the C
    ///   program of its allocator family, `RunReport.nativeReference`); `ref` on a native reference's own row,
    ///   `-` when the reference did not run;
    /// - `peak RSS`: the child process's peak resident memory after warm-up (VmHWM), median;
    /// - `allocs`: objects allocated in the measured run, median;
    /// - `lat p50`, `lat p99`, `lat max`: per-operation latency percentiles (one operation is the workload's
    ///   unit: a tree, a request), median over repeats;
    /// - `pauses n/total/max`: collector pauses (count, summed duration, longest), median over repeats; "-"
    ///   for a manager that logged none;
    /// - `assists n/total/max`: concurrent marking's mutator assists, the same way, when a run logged any;
    /// - `stalls n/max`: drop-point stalls (bulk frees: malloc walking a tree, an ARC release cascade, an arena
    ///   scope end) counted, and the longest logged one, median over repeats;
    /// - `status`: `ok`, or how many runs failed, ran out of memory or did not apply.
    ///
    /// Figures come only from runs with status `ok`. Runs that did not complete are listed under the table with
    /// the first lines of their failure; managers that do not apply to a workload for the same reason share one
    /// line.
    public static func runSummary(_ reports: [RunReport], baseline: String = "malloc") -> String {
        var sections: [String] = []
        var footnotes: [String] = []
        /// (workload, reason) -> managers, for not-applicable runs, in order.
        var notApplicable: [(workload: String, reason: String, managers: [String])] = []
        for workload in ordered(reports.map(\.workload)) {
            let ofWorkload = reports.filter { $0.workload == workload }
            let managers = ordered(ofWorkload.map(\.manager))
            // A threaded workload run at several thread counts (`compare --threads`): a row per manager and thread
            // count, each compared with the baseline and the native reference at the same count.
            let threadCounts = Set(ofWorkload.compactMap { $0.parameters["threads"] }).sorted()
            let rowThreads: [Int?] = threadCounts.count > 1 ? threadCounts : [nil]
            var columns = [Column("manager", .left), Column("time (median, min-max)"), Column("×\(baseline)"), Column("×C"),
                           Column("peak RSS"), Column("allocs"), Column("lat p50"), Column("lat p99"), Column("lat max"),
                           Column("pauses n/total/max"), Column("stalls n/max"), Column("status", .left)]
            if threadCounts.count > 1 { columns.insert(Column("threads"), at: 1) }
            // Concurrent marking's assists get a column of their own when a run of the section logged any.
            let showsAssists = ofWorkload.contains { $0.status == .ok && !$0.assists.isEmpty }
            if showsAssists { columns.insert(Column("assists n/total/max"), at: columns.count - 2) }
            var table = TextTable(columns: columns)
            for manager in managers {
                // A manager that does not apply at any count (a native reference) gets one row, not one per count.
                let neverApplies = ofWorkload.filter { $0.manager == manager }.allSatisfy { $0.status == .notApplicable }
                for threads in neverApplies ? [nil] : rowThreads {
                    let inRow = { (r: RunReport) in threads == nil || r.parameters["threads"] == threads }
                    let threadsCells = threads.map { ["\($0)"] } ?? (threadCounts.count > 1 ? ["-"] : [])
                    let baselineTime = median(ofWorkload.filter { $0.manager == baseline && $0.status == .ok && inRow($0) }.map(\.wallNanoseconds))
                    let runs = ofWorkload.filter { $0.manager == manager && inRow($0) }
                    guard !runs.isEmpty else { continue }
                    let ok = runs.filter { $0.status == .ok }
                    for (i, run) in runs.enumerated() where run.status != .ok {
                        if run.status == .notApplicable {
                            if let k = notApplicable.firstIndex(where: { $0.workload == workload && $0.reason == run.failure }) {
                                if !notApplicable[k].managers.contains(manager) { notApplicable[k].managers.append(manager) }
                            } else {
                                notApplicable.append((workload, run.failure, [manager]))
                            }
                            continue
                        }
                        let lines = run.failure.split(separator: "\n", omittingEmptySubsequences: false)
                        let shown = lines.prefix(14).joined(separator: "\n    ")
                        footnotes.append("\(workload) on \(manager)\(threads.map { " with \($0) threads" } ?? ""), run \(i + 1) of \(runs.count): \(run.status.rawValue): \(shown)"
                                         + (lines.count > 14 ? "\n    ..." : ""))
                    }
                    guard !ok.isEmpty else {
                        table.append([manager] + threadsCells + ["-", "-", "-", "-", "-", "-", "-", "-", "-"]
                                     + (showsAssists ? ["-"] : []) + ["-", status(runs)])
                        continue
                    }
                    let times = ok.map(\.wallNanoseconds)
                    let t = median(times)!
                    var timeCell = duration(t)
                    if ok.count > 1 {
                        let unit = UnitFormat.DurationUnit.fitting(Double(t))
                        timeCell += " (" + number(Double(times.min()!) / unit.nanoseconds) + "-" + number(Double(times.max()!) / unit.nanoseconds) + ")"
                    }
                    let ratio = baselineTime.map { $0 > 0 ? number(Double(t) / Double($0)) + "×" : "-" } ?? "-"
                    let referenceRatio: String
                    if ok[0].isNativeReference == true {
                        referenceRatio = "ref"
                    } else if let reference = ok[0].nativeReference,
                              let referenceTime = median(ofWorkload.filter { $0.manager == reference && $0.status == .ok && inRow($0) }.map(\.wallNanoseconds)),
                              referenceTime > 0 {
                        referenceRatio = number(Double(t) / Double(referenceTime)) + "×"
                    } else {
                        referenceRatio = "-"
                    }
                    let pauseCell = Self.eventsCell(ok, \.collectorPauses)
                    let assistCells = showsAssists ? [Self.eventsCell(ok, \.assists)] : []
                    let stallCounts = ok.map { UInt64($0.stalls.count + $0.unloggedStallCount) }
                    let stallCell = stallCounts.allSatisfy({ $0 == 0 }) ? "-" :
                        count(Int(median(stallCounts)!)) + " / " + Self.longestStall(ok)
                    table.append([manager] + threadsCells + [
                        timeCell, ratio, referenceRatio,
                        bytes(Int(median(ok.map { UInt64($0.residentMemory.peakBytes) })!)),
                        count(Int(median(ok.map { UInt64($0.managerStatistics.allocations) })!)),
                        latencyCell(ok, \.p50Nanoseconds), latencyCell(ok, \.p99Nanoseconds), latencyCell(ok, \.maxNanoseconds),
                        pauseCell] + assistCells + [stallCell, status(runs),
                    ])
                }
            }
            let first = ofWorkload[0]
            var parameters = first.parameters.sorted { $0.key < $1.key }
                .filter { threadCounts.count <= 1 || $0.key != "threads" }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            if threadCounts.count > 1 { parameters += " threads=" + threadCounts.map(String.init).joined(separator: ",") }
            let runsEach = Set(managers.flatMap { m in rowThreads.map { t in ofWorkload.filter { $0.manager == m && (t == nil || $0.parameters["threads"] == t) }.count } }.filter { $0 > 0 })
            let runsText = runsEach.count == 1 ? "\(runsEach.first!) run\(runsEach.first! == 1 ? "" : "s") each" : "runs per manager vary"
            sections.append("\(workload) (\(parameters)), \(runsText)\n" + table.render())
        }
        var text = sections.joined(separator: "\n\n")
        for entry in notApplicable {
            footnotes.append("\(entry.workload): not applicable to \(entry.managers.joined(separator: ", ")): \(entry.reason)")
        }
        if reports.contains(where: { $0.isNativeReference == true }) {
            text += "\n\nc-* rows are native C programs doing the same work (NativeReference); ×C divides a manager's time by its allocator family's C program."
        }
        if !footnotes.isEmpty {
            text += "\n\nRuns that did not complete:\n" + footnotes.map { "- " + $0 }.joined(separator: "\n")
        }
        return text
    }

    /// The median of one latency figure over the runs that timed their operations; `-` when none did (the
    /// workload has no operations, or `--no-operation-timing`).
    static func latencyCell(_ runs: [RunReport], _ figure: KeyPath<LatencySummary, UInt64>) -> String {
        let timed = runs.filter { $0.latency.count > 0 }
        return timed.isEmpty ? "-" : duration(median(timed.map { $0.latency[keyPath: figure] })!)
    }

    /// "ok", or a count per status: "2 ok, 1 failed".
    static func status(_ runs: [RunReport]) -> String {
        let order: [RunReport.Status] = [.ok, .failed, .outOfMemory, .notApplicable]
        let present = order.filter { s in runs.contains { $0.status == s } }
        if present.count == 1 { return present[0].rawValue }
        return present.map { s in "\(runs.filter { $0.status == s }.count) \(s.rawValue)" }.joined(separator: ", ")
    }

    /// Distinct values in order of first appearance.
    static func ordered(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    /// `n / total / max` of the events `events` picks from each run, each the median over `runs`; "-" when no
    /// run has one.
    static func eventsCell(_ runs: [RunReport], _ events: (RunReport) -> [PauseEvent]) -> String {
        let picked = runs.map(events)
        let counts = picked.map { UInt64($0.count) }
        guard !counts.allSatisfy({ $0 == 0 }) else { return "-" }
        return count(Int(median(counts)!)) + " / "
            + duration(median(picked.map { $0.reduce(0) { $0 &+ $1.durationNanoseconds } })!) + " / "
            + duration(median(picked.map { $0.map(\.durationNanoseconds).max() ?? 0 })!)
    }

    /// The median over runs of each run's longest logged stall; when no run logged one (every stall was below
    /// the threshold), "<" and the threshold, since only that bound is known.
    static func longestStall(_ runs: [RunReport]) -> String {
        let logged = runs.filter { !$0.stalls.isEmpty }
        guard !logged.isEmpty else {
            let threshold = runs.compactMap(\.stallThresholdNanoseconds).max() ?? 0
            return threshold > 0 ? "<" + duration(threshold) : "-"
        }
        return duration(median(logged.map { $0.stalls.map(\.durationNanoseconds).max()! })!)
    }

    /// The median of `values` (the mean of the two middle values for an even count), nil when empty.
    public static func median(_ values: [UInt64]) -> UInt64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted(), mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : sorted[mid - 1] / 2 + sorted[mid] / 2 + (sorted[mid - 1] % 2 + sorted[mid] % 2) / 2
    }
}

// MARK: - Units

extension TextTable {
    /// A duration in nanoseconds with three significant digits and a unit: "850 ns", "12.3 µs", "4.56 ms", "2.03 s".
    /// The digits are not trimmed, so that a column of figures lines up (`UnitFormat` trims them for charts).
    public static func duration(_ nanoseconds: UInt64) -> String {
        let unit = UnitFormat.DurationUnit.fitting(Double(nanoseconds))
        return number(Double(nanoseconds) / unit.nanoseconds) + " " + unit.symbol
    }

    /// Bytes with a binary unit: "512 B", "3.50 KiB", "412 MiB", "1.20 GiB".
    public static func bytes(_ count: Int) -> String {
        let unit = UnitFormat.ByteUnit.fitting(Double(count))
        return (unit == .byte ? String(count) : number(Double(count) / unit.bytes)) + " " + unit.symbol
    }

    /// A count with a decimal suffix: "12", "265 k", "29.1 M", "1.20 G".
    public static func count(_ n: Int) -> String {
        let m = abs(n)
        switch m {
        case ..<10_000: return String(n)
        case ..<1_000_000: return number(Double(n) / 1e3) + " k"
        case ..<1_000_000_000: return number(Double(n) / 1e6) + " M"
        default: return number(Double(n) / 1e9) + " G"
        }
    }

    /// Three significant digits for values up to 999, whole numbers above: 1.23, 12.3, 123, 4567.
    public static func number(_ value: Double) -> String {
        let m = abs(value)
        let decimals = m >= 100 ? 0 : m >= 10 ? 1 : 2
        return fixed(value, decimals: decimals)
    }

    /// `value` rounded to `decimals` places (`DecimalText.fixed`).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        DecimalText.fixed(value, decimals: decimals)
    }
}
