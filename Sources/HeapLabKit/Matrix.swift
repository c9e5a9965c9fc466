import HeapLabCore
import HeapLabReport

/// A set of (workload, manager) runs, each repeated, each in its own child process.
struct Matrix {
    /// One spec per (workload, manager) pair, in table order.
    var specs: [RunSpec]
    /// How many times each pair runs (>= 1).
    var repeats: Int
    var launcher: ChildLauncher
    var quiet: Bool
    /// Says which pairs do not run at all (a native reference on a workload it does not implement) and
    /// annotates every report with its manager's native reference.
    var registry: Registry

    /// Runs everything and returns every report (failed runs included), in the order run. Repeats are the
    /// outer loop, so slow drifts in machine load spread over all managers instead of hitting one.
    func run() -> [RunReport] {
        let progress = ProgressReporter(total: specs.count * repeats, quiet: quiet)
        var reports: [RunReport] = []
        reports.reserveCapacity(specs.count * repeats)
        var index = 0
        for round in 0..<repeats {
            for spec in specs {
                let label = "\(spec.workload) on \(spec.manager)" + (repeats > 1 ? " (repeat \(round + 1)/\(repeats))" : "")
                progress.start(index + 1, label)
                var report: RunReport
                if let notApplicable = registry.notApplicableReport(spec) {
                    report = notApplicable
                } else {
                    report = launcher.run(spec, index: index)
                    registry.annotate(&report)
                }
                reports.append(report)
                progress.finish(report.status.rawValue)
                index += 1
            }
        }
        progress.close()
        return reports
    }
}
