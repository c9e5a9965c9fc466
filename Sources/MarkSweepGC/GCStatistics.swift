/// Cumulative counters of a heap's collections. Read through `GCHeap.statistics()`.
@usableFromInline
struct GCStatistics {
    var cycles = 0
    var totalPauseNanoseconds: UInt64 = 0
    var maxPauseNanoseconds: UInt64 = 0
    var totalRootsNanoseconds: UInt64 = 0
    var totalMarkNanoseconds: UInt64 = 0
    var totalSweepNanoseconds: UInt64 = 0
    var objectsMarkedTotal = 0
    var bytesMarkedTotal = 0
    var objectsFreedTotal = 0
    /// Time spent sweeping outside pauses, on the allocation slow path (lazy mode).
    var lazySweepNanoseconds: UInt64 = 0
    var lazySweptBlocks = 0
    /// Collections forced by the heap limit.
    var limitCollections = 0
    var outOfMemoryErrors = 0
    /// Stops of the world (every pause and every whole-heap query stops the others), their total time to
    /// safepoint, and the longest.
    var safepointWaits = 0
    var totalSafepointNanoseconds: UInt64 = 0
    var maxSafepointNanoseconds: UInt64 = 0
    /// Of the total time to safepoint, how long the last thread to stop was off the CPU (the scheduler's share).
    var totalSafepointOffCPUNanoseconds: UInt64 = 0
    /// Stops that counted a mutator asleep on the lock at a safepoint as stopped (`lockAtSafepoint`), instead
    /// of waiting for it to wake up and park.
    var safepointLockWaiterStops = 0
    /// Pauses that marked, and eager sweeps that swept, with the collector threads (ParallelMarking.swift),
    /// and the collector threads' CPU time in them (the collecting thread's own is in each pause's
    /// `cpuNanoseconds`).
    var parallelMarks = 0
    var parallelSweeps = 0
    var collectorThreadsCPUNanoseconds: UInt64 = 0

}
