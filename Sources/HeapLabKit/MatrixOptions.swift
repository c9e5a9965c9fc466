import ArgumentParser
import Foundation
import HeapLabCore
import HeapLabReport

/// Options shared by every command that runs workloads (the default command, `run`, `compare`).
struct MatrixOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Runs per (workload, manager) pair; the table shows the median and min-max. (default: 3; 1 for `run`)",
                               valueName: "N"))
    var repeats: Int?

    @Option(help: ArgumentHelp("Seconds a run may take before its child process is killed and reported as failed.",
                               valueName: "SECONDS"))
    var timeout: Double = 600

    @Option(help: ArgumentHelp("Write every run's RunReport (all repeats, failed runs included) to FILE as JSON.",
                               valueName: "FILE"))
    var json: String?

    // Not `--out`: the root command's options are accepted after any subcommand, and `report` has its own `--out`.
    @Option(name: .customLong("report-dir"),
            help: ArgumentHelp("Also write the full report (results.json, results.csv, charts, index.html, trace.json) to DIR.",
                               valueName: "DIR"))
    var reportDirectory: String?

    @Flag(name: .customLong("child-output"),
          help: "Copy every child's output to stderr when it ends (on by itself when HEAPLAB_GCTRACE is set, so trace lines show).")
    var childOutput = false

    @Flag(help: "No progress line on stderr (it is shown only when stderr is a terminal anyway).")
    var quiet = false

    @Flag(name: .customLong("test-size"), help: "Run every workload at its test size (seconds, not minutes), for a quick check.")
    var testSize = false

    @Option(help: ArgumentHelp("Warm-up runs at test size on a separate manager instance before the measured run; excluded from every figure.",
                               valueName: "N"))
    var warmup: Int = 1

    @Option(name: .customLong("stall-threshold"),
            help: ArgumentHelp("Stalls shorter than this are counted but not logged one by one, microseconds. Collector pauses are always logged.",
                               valueName: "MICROSECONDS"))
    var stallThresholdMicroseconds: Double = Double(RunSpec.defaultStallThresholdNanoseconds) / 1000

    @Option(name: .customLong("memory-limit"),
            help: ArgumentHelp("Limit each child's address space (RLIMIT_AS), MiB; a run that exceeds it fails or reports outOfMemory.",
                               valueName: "MIB"))
    var memoryLimitMiB: Int?

    @Flag(name: .customLong("no-operation-timing"),
          help: "Do not time the workload's operations and drop points (no latency columns, no stalls), to measure what that timing costs; collector pauses are still logged.")
    var noOperationTiming = false

    /// Largest `--repeats` and `--warmup`: far more than any experiment needs, and small enough that the
    /// matrix's run count (pairs × repeats) can never overflow.
    static let maximumRepeats = 1000
    static let maximumWarmupRuns = 1000
    /// Largest `--stall-threshold`, microseconds (1000 s: longer than any stall; nanoseconds fit a UInt64).
    static let maximumStallThresholdMicroseconds = 1e9

    mutating func validate() throws {
        do { try check() } catch { throw ValidationError(error.message) }
    }

    /// Every option's value in its documented range, and the output paths usable, before any child starts.
    /// - Throws: `RunnerError` naming the option, the value given and the accepted range.
    func check() throws(RunnerError) {
        if let repeats, !(1...Self.maximumRepeats).contains(repeats) {
            throw RunnerError("--repeats must be from 1 to \(Self.maximumRepeats) (got \(repeats))")
        }
        guard timeout > 0, timeout <= ChildProcess.maximumTimeoutSeconds else {
            throw RunnerError("--timeout must be more than 0 and at most \(Int(ChildProcess.maximumTimeoutSeconds)) seconds (about 31 years) (got \(timeout))")
        }
        guard (0...Self.maximumWarmupRuns).contains(warmup) else {
            throw RunnerError("--warmup must be from 0 to \(Self.maximumWarmupRuns) (got \(warmup))")
        }
        guard stallThresholdMicroseconds >= 0, stallThresholdMicroseconds <= Self.maximumStallThresholdMicroseconds else {
            throw RunnerError("--stall-threshold must be from 0 to 1e9 microseconds (got \(stallThresholdMicroseconds))")
        }
        if let memoryLimitMiB, !RunSpec.memoryLimitMiBRange.contains(memoryLimitMiB) {
            let range = RunSpec.memoryLimitMiBRange
            throw RunnerError("--memory-limit must be from \(range.lowerBound) to \(range.upperBound) MiB (got \(memoryLimitMiB)): a child process maps about 85 MiB before it runs anything")
        }
        do {
            if let json { try OutputFile.checkWritable(file: json) }
        } catch { throw RunnerError("--json: \(error)") }
        do {
            if let reportDirectory { try OutputFile.checkWritable(directory: reportDirectory) }
        } catch { throw RunnerError("--report-dir: \(error)") }
    }

    /// Applies these options to a spec.
    func apply(to spec: RunSpec) -> RunSpec {
        var spec = spec
        spec.warmupRuns = warmup
        spec.timesOperations = !noOperationTiming
        spec.stallThresholdNanoseconds = UInt64(stallThresholdMicroseconds * 1000)
        spec.memoryLimitBytes = memoryLimitMiB.map { $0 << 20 }
        return spec
    }

    /// Runs `specs` (each `repeats` times, each in a child process), prints the table, writes the JSON, and
    /// returns every report.
    /// - Throws: `RunnerError` (exit status 1) when the work directory, the JSON file or the report can not be
    ///   written: "cannot write PATH: the system's reason".
    @discardableResult
    func runAndReport(_ specs: [RunSpec], defaultRepeats: Int) throws -> [RunReport] {
        let directory = try ChildLauncher.makeWorkDirectory()
        defer { ChildLauncher.removeWorkDirectory(directory) }
        var launcher = ChildLauncher(executable: ChildLauncher.currentExecutable(), timeoutSeconds: timeout,
                                     workDirectory: directory)
        let tracing = ProcessInfo.processInfo.environment["HEAPLAB_GCTRACE"].map { !["", "0", "off"].contains($0) } ?? false
        launcher.forwardsOutput = childOutput || tracing || specs.contains { $0.options["trace"] == "on" }
        let matrix = Matrix(specs: specs.map(apply), repeats: repeats ?? defaultRepeats, launcher: launcher, quiet: quiet,
                            registry: CommandContext.registry)
        let started = Date()
        let reports = matrix.run()
        print(Self.header(reports, started: started))
        print()
        print(TextTable.runSummary(reports, baseline: CommandContext.registry.baseline))
        if let json {
            let data: Data
            do { data = try RunReport.encode(reports) } catch { throw RunnerError("cannot encode the RunReports: \(error)") }
            do { try OutputFile.write(data, to: json) } catch { throw RunnerError(error.description) }
            print("\nRunReports written to \(json)")
        }
        if let reportDirectory {
            try ReportCommand.write(reports, to: reportDirectory)
        }
        return reports
    }

    /// One line about where and when: date, machine, Swift version.
    static func header(_ reports: [RunReport], started: Date) -> String {
        let machine = reports.first?.machine ?? .current()
        let date = ISO8601DateFormatter().string(from: started)
        return "HeapLab, \(date): \(machine.cpuModel), \(machine.cores) cores, \(TextTable.bytes(machine.memoryBytes)), Linux \(machine.kernel), Swift \(machine.swiftVersion), release=\(isReleaseBuild)"
    }

    static var isReleaseBuild: Bool {
        #if DEBUG
        return false
        #else
        return true
        #endif
    }
}
