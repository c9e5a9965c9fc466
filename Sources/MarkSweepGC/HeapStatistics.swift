import HeapLabCore

extension SharedHeap {
    /// What the heap measured about itself so far.
    ///
    /// `heapBytes` is the heap's footprint (blocks owned by size classes plus large-object mappings: what the
    /// limit bounds); `liveBytes` what the last collection found reachable. `extra` holds, with their units:
    /// `cycles`, `totalPauseNanoseconds`, `maxPauseNanoseconds`, `rootsNanoseconds`, `markNanoseconds`,
    /// `sweepNanoseconds` (summed over cycles; sweep includes finishing lazy sweeps and releasing memory),
    /// `markRateBytesPerSecond` and `markRateObjectsPerSecond` (bytes and objects marked per second of the
    /// roots and mark phases), `objectsMarked`, `bytesMarked`, `objectsFreed` (totals), `heapInUseBytes`,
    /// `heapGoalBytes` (-1 when unbounded), `liveObjects`, `blocksInUse`, `largeObjects`, `largeObjectBytes`,
    /// `mappedBytes` (regions plus large objects), `releasedBytes` (given back to the system with madvise,
    /// total), `lazySweepNanoseconds`, `lazySweptBlocks`, `markStackOverflows`, `markStackCapacityEntries` (what
    /// the mark stack grew to: the deepest marking so far needed about that many entries),
    /// `limitCollections`, `outOfMemoryErrors`; parallel marking (ParallelMarking.swift): `markThreads` (the
    /// setting), `parallelMarks` and `parallelSweeps` (pauses that used the collector threads),
    /// `markPacketsShared` (work handed from one marker to another), `collectorThreadsCPUNanoseconds` (the
    /// collector threads' CPU time, beside the collecting thread's in each pause).
    func statistics() -> ManagerStatistics {
        let s = stats
        let markTime = s.totalMarkNanoseconds &+ s.totalRootsNanoseconds
        let seconds = Double(markTime) / 1e9
        let extra: [String: Double] = [
            "cycles": Double(s.cycles),
            "totalPauseNanoseconds": Double(s.totalPauseNanoseconds),
            "maxPauseNanoseconds": Double(s.maxPauseNanoseconds),
            "rootsNanoseconds": Double(s.totalRootsNanoseconds),
            "markNanoseconds": Double(s.totalMarkNanoseconds),
            "sweepNanoseconds": Double(s.totalSweepNanoseconds),
            "markRateBytesPerSecond": markTime == 0 ? 0 : Double(s.bytesMarkedTotal) / seconds,
            "markRateObjectsPerSecond": markTime == 0 ? 0 : Double(s.objectsMarkedTotal) / seconds,
            "objectsMarked": Double(s.objectsMarkedTotal),
            "bytesMarked": Double(s.bytesMarkedTotal),
            "objectsFreed": Double(s.objectsFreedTotal),
            "heapInUseBytes": Double(inUseBytes),
            "heapGoalBytes": pacer.goalBytes == Int.max ? -1 : Double(pacer.goalBytes),
            "liveObjects": Double(liveObjectCount),
            "blocksInUse": Double(blockSpace.blocksInUse),
            "largeObjects": Double(largeObjects.count),
            "largeObjectBytes": Double(largeObjects.objectBytes),
            "mappedBytes": Double(blockSpace.mappedBytes + largeObjects.mappedBytes),
            "releasedBytes": Double(blockSpace.releasedBytesTotal),
            "lazySweepNanoseconds": Double(s.lazySweepNanoseconds),
            "lazySweptBlocks": Double(s.lazySweptBlocks),
            "markStackOverflows": Double(markStackOverflowCount),
            "markStackCapacityEntries": Double(markStack.capacity),
            "limitCollections": Double(s.limitCollections),
            "outOfMemoryErrors": Double(s.outOfMemoryErrors),
            "safepointStops": Double(s.safepointWaits),
            "safepointNanoseconds": Double(s.totalSafepointNanoseconds),
            "maxSafepointNanoseconds": Double(s.maxSafepointNanoseconds),
            "safepointOffCPUNanoseconds": Double(s.totalSafepointOffCPUNanoseconds),
            "safepointLockWaiterStops": Double(s.safepointLockWaiterStops),
            "threads": Double(mutators.count),
            "markThreads": Double(configuration.markThreads),
            "parallelMarks": Double(s.parallelMarks),
            "parallelSweeps": Double(s.parallelSweeps),
            "markPacketsShared": Double(markWorkPool?.packetsShared ?? 0),
            "collectorThreadsCPUNanoseconds": Double(s.collectorThreadsCPUNanoseconds),
        ]
        return ManagerStatistics(allocations: allocations, bytesRequested: bytesRequested, heapBytes: footprintBytes,
                                 liveBytes: liveBytesAfterLastCycle, extra: extra.merging(incrementalStatistics()) { a, _ in a }.merging(concurrentStatistics()) { a, _ in a })
    }
}
