/// The oracles' record of the address ranges an arena has handed out and not freed: half-open intervals
/// `[start, end)` kept sorted by start, so that a new range is checked against its two neighbours only.
///
/// Invariant: the intervals are non-empty and pairwise disjoint (`insert` refuses an overlapping one), so
/// sorted by start they are sorted by end too.
struct LiveIntervals {
    private(set) var starts: [Int] = []
    private(set) var ends: [Int] = []

    var count: Int { starts.count }

    /// The index of the first interval whose start is at least `address`.
    private func firstIndex(startingAtOrAfter address: Int) -> Int {
        var low = 0, high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if starts[middle] < address { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Adds `[start, end)` and returns nil, or returns the live interval it overlaps and adds nothing.
    /// - Precondition: `start < end`.
    mutating func insert(start: Int, end: Int) -> (start: Int, end: Int)? {
        precondition(start < end, "LiveIntervals: empty interval")
        let index = firstIndex(startingAtOrAfter: start)
        if index > 0, ends[index - 1] > start { return (starts[index - 1], ends[index - 1]) }
        if index < starts.count, starts[index] < end { return (starts[index], ends[index]) }
        starts.insert(start, at: index)
        ends.insert(end, at: index)
        return nil
    }

    /// Removes the intervals starting at the given addresses (each must be present).
    mutating func remove(startingAt addresses: some Sequence<Int>) {
        let gone = Set(addresses)
        guard !gone.isEmpty else { return }
        var keptStarts: [Int] = [], keptEnds: [Int] = []
        keptStarts.reserveCapacity(starts.count)
        keptEnds.reserveCapacity(starts.count)
        for i in starts.indices where !gone.contains(starts[i]) {
            keptStarts.append(starts[i])
            keptEnds.append(ends[i])
        }
        precondition(starts.count - keptStarts.count == gone.count, "LiveIntervals: removing an interval that is not live")
        starts = keptStarts
        ends = keptEnds
    }

    mutating func removeAll() {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}
