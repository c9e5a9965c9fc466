import ArgumentParser
import HeapLabCore
import HeapLabReport

/// `heaplab clock` (hidden): measures what one MonotonicClock reading costs, the overhead inside every
/// duration HeapLab records.
struct ClockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clock",
        abstract: "Measure the cost of one MonotonicClock reading (mean over back-to-back readings), in nanoseconds.",
        shouldDisplay: false)

    @Option(help: "Readings per round.")
    var readings = 1_000_000

    @Option(help: "Rounds; the minimum and median over rounds are printed.")
    var rounds = 7

    func validate() throws {
        guard readings > 0, rounds > 0 else { throw ValidationError("--readings and --rounds must be positive") }
    }

    func run() {
        let costs = (0..<rounds).map { _ in MonotonicClock.measureReadingCost(readings: readings) }.sorted()
        print("MonotonicClock.now(): min \(UnitFormat.duration(nanoseconds: costs[0])), median \(UnitFormat.duration(nanoseconds: costs[costs.count / 2])), max \(UnitFormat.duration(nanoseconds: costs[costs.count - 1])) per reading (\(rounds) rounds of \(readings) readings, release=\(MatrixOptions.isReleaseBuild))")
        // The thread CPU clock (a system call) brackets each collector pause: its cost, for the same reading.
        let cpuReadings = max(1, readings / 10)
        let cpuCosts = (0..<rounds).map { _ in ThreadCPUClock.measureReadingCost(readings: cpuReadings) }.sorted()
        print("ThreadCPUClock.now(): min \(UnitFormat.duration(nanoseconds: cpuCosts[0])), median \(UnitFormat.duration(nanoseconds: cpuCosts[cpuCosts.count / 2])), max \(UnitFormat.duration(nanoseconds: cpuCosts[cpuCosts.count - 1])) per reading (\(rounds) rounds of \(cpuReadings) readings)")
    }
}
