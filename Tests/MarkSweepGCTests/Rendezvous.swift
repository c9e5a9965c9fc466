import Foundation

/// A reusable meeting point for a fixed number of threads: `wait` returns once all `count` threads have called
/// it for this round, and the next round starts at once. Its lock orders everything a thread did before
/// `wait` before everything any thread does after it, so state the threads share between rounds (the stress
/// test's models) needs no other synchronization.
///
/// A mutator thread waits here only inside `withoutCollector`: blocked outside it, it would hold up every
/// collection another thread starts meanwhile.
final class Rendezvous: @unchecked Sendable {
    // @unchecked: `arrived` and `round` are read and written only with `condition` locked.
    let count: Int
    private let condition = NSCondition()
    private var arrived = 0
    private var round = 0

    init(count: Int) {
        precondition(count >= 1, "Rendezvous: count must be at least 1")
        self.count = count
    }

    /// Blocks until `count` threads have called `wait` in this round.
    func wait() {
        condition.lock()
        defer { condition.unlock() }
        let myRound = round
        arrived += 1
        if arrived == count {
            arrived = 0
            round += 1
            condition.broadcast()
        } else {
            while round == myRound { condition.wait() }
        }
    }
}
