import ArgumentParser
import HeapLabCore
import HeapLabReport
import Workloads

/// `heaplab list`: workloads with their parameters, managers with their availability and options.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List workloads (parameters, defaults, test sizes) and memory managers (installed or not, options).")

    func run() {
        print("Workloads (heaplab run --workload NAME --param name=value):")
        let registry = CommandContext.registry
        for workload in registry.workloads {
            print("  \(workload.name): \(workload.summary)")
            for p in workload.parameters {
                print("      \(p.name) = \(p.defaultValue)  (test size \(p.testValue), range \(p.range.lowerBound)...\(p.range.upperBound)): \(p.help)")
            }
        }
        print("\nMemory managers (heaplab run --manager NAME --set key=value):")
        let width = registry.managers.map(\.name.count).max() ?? 0
        for entry in registry.managers {
            let pad = String(repeating: " ", count: width - entry.name.count)
            print("  \(entry.name)\(pad)  \(entry.availability().description): \(entry.summary)")
            for option in entry.options {
                print("      \(option.name): \(option.help)")
            }
        }
        let cost = MonotonicClock.measureReadingCost()
        print("\nClock: one MonotonicClock reading costs \(UnitFormat.duration(nanoseconds: cost)) here (mean of 1,000,000; `heaplab clock` for more).")
    }
}
