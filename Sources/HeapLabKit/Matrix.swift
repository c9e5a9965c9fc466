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
                let report = launcher.run(spec, index: index)
                reports.append(report)
                progress.finish(report.status.rawValue)
                index += 1
            }
        }
        progress.close()
        return reports
    }
}
