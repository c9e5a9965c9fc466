/// Decides when the next collection starts, as Go's GOGC does: when the heap in use reaches
/// `live * (1 + gogc/100)`, `live` being what the last collection found reachable. Never below the minimum
/// heap size, never above the hard limit. With gogc off, only the limit (or the system) triggers a collection.
///
/// "Heap in use" is the bytes of allocated small cells (header and size-class rounding included) plus the
/// bytes of large objects: what the mutator has allocated and not yet been proven dead.
@usableFromInline
struct Pacer {
    let gogc: Int?
    let minimumHeapBytes: Int
    let limitBytes: Int?
    /// Heap in use at which the next collection starts.
    @usableFromInline var goalBytes: Int

    init(gogc: Int?, minimumHeapBytes: Int, limitBytes: Int?) {
        self.gogc = gogc
        self.minimumHeapBytes = minimumHeapBytes
        self.limitBytes = limitBytes
        goalBytes = 0
        goalBytes = goal(forLiveBytes: 0)
    }

    /// The goal after a collection that found `live` bytes reachable.
    func goal(forLiveBytes live: Int) -> Int {
        guard let gogc else { return limitBytes ?? Int.max }
        // live <= 2^50 and gogc <= 10^6, so live / 100 * gogc stays far below Int.max.
        var goal = max(minimumHeapBytes, live + live / 100 * gogc + (live % 100) * gogc / 100)
        if let limitBytes { goal = min(goal, limitBytes) }
        return goal
    }

    mutating func update(liveBytes: Int) {
        goalBytes = goal(forLiveBytes: liveBytes)
    }

    /// Whether a collection should start now, with `inUseBytes` of heap in use.
    @inlinable @inline(__always)
    func shouldCollect(inUseBytes: Int) -> Bool { inUseBytes >= goalBytes }
}
