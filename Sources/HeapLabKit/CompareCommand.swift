import ArgumentParser
import HeapLabCore
import Workloads

/// `heaplab compare`: the matrix of workloads × managers.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run every chosen workload on every chosen manager (3 runs each by default), each run in its own process.")

    @Option(help: ArgumentHelp("Comma-separated workloads (default: all).", valueName: "a,b"))
    var workloads: String?

    @Option(help: ArgumentHelp("Comma-separated managers (default: every installed one).", valueName: "a,b"))
    var managers: String?

    @Option(name: .customLong("param"),
            help: ArgumentHelp("A workload parameter, applied to every chosen workload that has it (repeatable).", valueName: "name=value"))
    var parameters: [String] = []

    @Option(name: .customLong("set"),
            help: ArgumentHelp("A manager option for one manager, e.g. gc.gogc=200 (repeatable; see `heaplab list`).",
                               valueName: "manager.key=value"))
    var options: [String] = []

    @Option(help: ArgumentHelp("Comma-separated thread counts (1...64): run the threaded workloads (default: all of them) at each count, a table row per manager and count. Without it, compare runs the single-threaded workloads by default.",
                               valueName: "n,m"))
    var threads: String?

    @OptionGroup var matrix: MatrixOptions

    /// One spec per (workload, manager) pair, in table order.
    func specs() throws(RunnerError) -> [RunSpec] {
        let registry = CommandContext.registry
        let threadCounts = try Self.threadCounts(threads)
        // By default the single-threaded workloads; with --threads, the threaded ones.
        let workloadNames = try Self.list(workloads, option: "--workloads")
            ?? registry.workloads.filter { ($0 is any ThreadedWorkload.Type) == (threadCounts != nil) }.map { $0.name }
        let managerNames = try Self.list(managers, option: "--managers") ?? registry.availableManagers
        let given = try KeyValue.integers(parameters, option: "--param")
        var types: [String: any Workload.Type] = [:]
        for name in workloadNames { types[name] = try registry.workload(named: name) }
        if threadCounts != nil {
            if given["threads"] != nil { throw RunnerError("--threads and --param threads=... both give the thread count: use one") }
            for name in workloadNames where !(types[name]! is any ThreadedWorkload.Type) {
                throw RunnerError("--threads: workload \(name) is single-threaded (threaded workloads: \(registry.workloads.filter { $0 is any ThreadedWorkload.Type }.map { $0.name }.joined(separator: ", ")))")
            }
        }
        for name in given.keys.sorted() where !types.values.contains(where: { $0.parameters.contains { $0.name == name } }) {
            throw RunnerError("--param \(name): none of the chosen workloads has that parameter")
        }
        // --set manager.key=value: split the name at its first dot.
        var managerOptions: [String: [String: String]] = [:]
        for (qualified, value) in try KeyValue.strings(options, option: "--set") {
            guard let dot = qualified.firstIndex(of: "."), dot != qualified.startIndex, qualified.index(after: dot) != qualified.endIndex else {
                throw RunnerError("--set expects manager.key=value in compare (got '\(qualified)=\(value)')")
            }
            let manager = String(qualified[..<dot]), key = String(qualified[qualified.index(after: dot)...])
            guard managerNames.contains(manager) else {
                throw RunnerError("--set \(qualified): manager \(manager) is not among the chosen managers (\(managerNames.joined(separator: ", ")))")
            }
            managerOptions[manager, default: [:]][key] = value
        }
        var specs: [RunSpec] = []
        for workload in workloadNames {
            let type = types[workload]!
            let own = given.filter { entry in type.parameters.contains { $0.name == entry.key } }
            let counts: [Int?] = threadCounts.map { $0.map(Optional.some) } ?? [nil]
            for count in counts {
                let parameters = count.map { own.merging(["threads": $0]) { _, new in new } } ?? own
                for manager in managerNames {
                    specs.append(try registry.spec(workload: workload, manager: manager, parameters: parameters,
                                                  options: managerOptions[manager] ?? [:], testSize: matrix.testSize))
                }
            }
        }
        return specs
    }

    func validate() throws {
        do { _ = try specs() } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        try matrix.runAndReport(specs(), defaultRepeats: 3)
        if managers == nil { CommandContext.registry.notInstalledLines.forEach { print($0) } }
    }

    /// The thread counts of `--threads`, in the order given; nil when the option was not given.
    static func threadCounts(_ text: String?) throws(RunnerError) -> [Int]? {
        guard let items = try list(text, option: "--threads") else { return nil }
        return try items.map { item throws(RunnerError) in
            guard let n = Int(item), (1...64).contains(n) else {
                throw RunnerError("--threads: '\(item)' is not a thread count in 1...64")
            }
            return n
        }
    }

    /// Splits a comma-separated list; nil when the option was not given.
    static func list(_ text: String?, option: String) throws(RunnerError) -> [String]? {
        guard let text else { return nil }
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw RunnerError("\(option) needs at least one name") }
        guard Set(items).count == items.count else { throw RunnerError("\(option) names something twice") }
        return items
    }
}
