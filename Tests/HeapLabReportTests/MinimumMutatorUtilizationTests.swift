import XCTest
import HeapLabCore
import HeapLabReport

final class MinimumMutatorUtilizationTests: XCTestCase {
    func mmu(_ pauses: [(UInt64, UInt64)], run: ClosedRange<UInt64>, window: UInt64) -> Double {
        MinimumMutatorUtilization(pauses: pauses.map { (start: $0.0, duration: $0.1) }, runStart: run.lowerBound, runEnd: run.upperBound)
            .utilization(windowNanoseconds: window)
    }

    func testNoPausesIsFullUtilization() {
        for w: UInt64 in [1, 10, 100, 1000] { XCTAssertEqual(mmu([], run: 0...100, window: w), 1) }
    }

    func testOnePause() {
        // Pause [10, 20) in a run [0, 100].
        let p: [(UInt64, UInt64)] = [(10, 10)]
        XCTAssertEqual(mmu(p, run: 0...100, window: 5), 0)
        XCTAssertEqual(mmu(p, run: 0...100, window: 10), 0)
        XCTAssertEqual(mmu(p, run: 0...100, window: 20), 0.5, accuracy: 1e-12)
        XCTAssertEqual(mmu(p, run: 0...100, window: 50), 0.8, accuracy: 1e-12)
        XCTAssertEqual(mmu(p, run: 0...100, window: 100), 0.9, accuracy: 1e-12)
    }

    func testTwoPausesInOneWindow() {
        // Pauses [10, 20) and [30, 40): a 30 ns window covers both (20 paused), a 25 ns one at most 15.
        let p: [(UInt64, UInt64)] = [(10, 10), (30, 10)]
        XCTAssertEqual(mmu(p, run: 0...100, window: 25), 1 - 15.0 / 25, accuracy: 1e-12)
        XCTAssertEqual(mmu(p, run: 0...100, window: 30), 1 - 20.0 / 30, accuracy: 1e-12)
        XCTAssertEqual(mmu(p, run: 0...100, window: 40), 0.5, accuracy: 1e-12)
        XCTAssertEqual(mmu(p, run: 0...100, window: 100), 0.8, accuracy: 1e-12)
    }

    func testOverlappingPausesCountOnce() {
        // [10, 30) and [20, 40) overlap: together the mutator is stopped over [10, 40), 30 ns, not 40.
        let p: [(UInt64, UInt64)] = [(20, 20), (10, 20), (10, 20)]
        XCTAssertEqual(mmu(p, run: 0...100, window: 30), 0)
        XCTAssertEqual(mmu(p, run: 0...100, window: 60), 0.5, accuracy: 1e-12)
        XCTAssertEqual(mmu(p, run: 0...100, window: 100), 0.7, accuracy: 1e-12)
    }

    func testPausesAtTheVeryStartAndEnd() {
        XCTAssertEqual(mmu([(0, 10)], run: 0...100, window: 20), 0.5, accuracy: 1e-12)
        XCTAssertEqual(mmu([(0, 10)], run: 0...100, window: 10), 0)
        XCTAssertEqual(mmu([(90, 10)], run: 0...100, window: 20), 0.5, accuracy: 1e-12)
        // A pause running past the end is clipped to [95, 100).
        XCTAssertEqual(mmu([(95, 15)], run: 0...100, window: 10), 0.5, accuracy: 1e-12)
        XCTAssertEqual(mmu([(95, 15)], run: 0...100, window: 100), 0.95, accuracy: 1e-12)
        // A pause that began before the run is clipped to [100, 110).
        XCTAssertEqual(mmu([(90, 20)], run: 100...200, window: 20), 0.5, accuracy: 1e-12)
        // A pause entirely outside the run does not count.
        XCTAssertEqual(mmu([(300, 20)], run: 100...200, window: 20), 1)
    }

    func testWindowsLongerThanTheRunGiveOverallUtilization() {
        let p: [(UInt64, UInt64)] = [(1500, 100)]
        XCTAssertEqual(mmu(p, run: 1000...2000, window: 200), 0.5, accuracy: 1e-12)
        XCTAssertEqual(mmu(p, run: 1000...2000, window: 1000), 0.9, accuracy: 1e-12)
        XCTAssertEqual(mmu(p, run: 1000...2000, window: 1_000_000), 0.9, accuracy: 1e-12)
        XCTAssertEqual(mmu(p, run: 1000...1000, window: 10), 1, "an empty run has nothing to lose")
    }

    /// Independent oracle: slide a window over every integer start position of a short run and count paused
    /// nanoseconds one by one. With integer pause boundaries the worst window starts at an integer, so this is
    /// exact.
    func testMatchesBruteForceOnRandomPatterns() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<40 {
            let length = UInt64.random(in: 50...400, using: &rng)
            let pauses: [(UInt64, UInt64)] = (0..<Int.random(in: 0...8, using: &rng)).map { _ in
                (UInt64.random(in: 0...length, using: &rng), UInt64.random(in: 0...40, using: &rng))
            }
            var paused = [Bool](repeating: false, count: Int(length))
            for (s, d) in pauses {
                for t in s..<min(s + d, length) { paused[Int(t)] = true }
            }
            for w in [UInt64(1), 3, 10, 25, length / 2 + 1, length] {
                var worst = 0
                for s in 0...(length - w) {
                    worst = max(worst, paused[Int(s)..<Int(s + w)].filter { $0 }.count)
                }
                let expected = 1 - Double(worst) / Double(w)
                XCTAssertEqual(mmu(pauses, run: 0...length, window: w), expected, accuracy: 1e-12,
                               "pauses \(pauses), run length \(length), window \(w)")
            }
        }
    }

    func testCurveSpansTheRequestedWindows() {
        let m = MinimumMutatorUtilization(events: [PauseEvent(kind: .collection, startNanoseconds: 500_000_000, durationNanoseconds: 10_000_000)],
                                          runStart: 0, runEnd: 2_000_000_000)
        let curve = m.curve()
        XCTAssertEqual(curve.count, 25)
        XCTAssertEqual(curve.first?.windowNanoseconds, 1_000_000)
        XCTAssertEqual(curve.last?.windowNanoseconds, 1_000_000_000)
        XCTAssertEqual(curve.first?.utilization, 0, "a 10 ms pause fills a 1 ms window")
        XCTAssertEqual(curve.last!.utilization, 0.99, accuracy: 1e-9)
    }

    /// Shares: an interval that takes a fraction of the mutator, checked against a brute-force sum over unit
    /// time steps (the lost share of each step is the sum of the shares over it, at most 1).
    func testSharesMatchBruteForceOnRandomPatterns() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<40 {
            let length = UInt64.random(in: 50...300, using: &rng)
            let intervals: [(start: UInt64, duration: UInt64, share: Double)] = (0..<Int.random(in: 0...8, using: &rng)).map { _ in
                (UInt64.random(in: 0...length, using: &rng), UInt64.random(in: 0...40, using: &rng),
                 [0.25, 0.5, 1.0][Int.random(in: 0...2, using: &rng)])
            }
            var lost = [Double](repeating: 0, count: Int(length))
            for i in intervals {
                for t in i.start..<min(i.start + i.duration, length) { lost[Int(t)] += i.share }
            }
            lost = lost.map { min($0, 1) }
            let m = MinimumMutatorUtilization(intervals: intervals, runStart: 0, runEnd: length)
            for w in [UInt64(1), 3, 10, 25, length / 2 + 1, length] {
                var worst = 0.0
                for s in 0...(length - w) { worst = max(worst, lost[Int(s)..<Int(s + w)].reduce(0, +)) }
                XCTAssertEqual(m.utilization(windowNanoseconds: w), 1 - worst / Double(w), accuracy: 1e-9,
                               "intervals \(intervals), run length \(length), window \(w)")
            }
        }
    }

    /// With two mutator threads an assist or a stall takes half the mutator, a stop of the world all of it.
    func testThreadedRunsCountPerThreadEventsAsTheirShare() {
        let events = [PauseEvent(kind: .assist, startNanoseconds: 100, durationNanoseconds: 100),
                      PauseEvent(kind: .stall, startNanoseconds: 400, durationNanoseconds: 100, thread: 1),
                      PauseEvent(kind: .finalMark, startNanoseconds: 700, durationNanoseconds: 50)]
        let two = MinimumMutatorUtilization(events: events, threads: 2, runStart: 0, runEnd: 1_000)
        XCTAssertEqual(two.utilization(windowNanoseconds: 100), 0.5, accuracy: 1e-12, "the assist takes one of two threads")
        XCTAssertEqual(two.utilization(windowNanoseconds: 50), 0, accuracy: 1e-12, "the final mark stops both")
        XCTAssertEqual(two.utilization(windowNanoseconds: 1_000), 1 - (50 + 50 + 50) / 1_000.0, accuracy: 1e-12)
        let one = MinimumMutatorUtilization(events: events, runStart: 0, runEnd: 1_000)
        XCTAssertEqual(one.utilization(windowNanoseconds: 100), 0, accuracy: 1e-12, "one thread: the assist stops it")
        XCTAssertEqual(one.utilization(windowNanoseconds: 1_000), 1 - 250 / 1_000.0, accuracy: 1e-12)
        XCTAssertTrue(PauseKind.finalMark.stopsTheWorld && !PauseKind.assist.stopsTheWorld && !PauseKind.sweep.stopsTheWorld)
    }
}
