/// What kind of interruption of the mutator an event records.
public enum PauseKind: String, Codable, Sendable, CaseIterable {
    /// A whole stop-the-world collection (roots, mark, sweep when eager).
    case collection
    /// One slice of incremental marking, interleaved with the mutator.
    case markSlice
    /// The final stop-the-world step of an incremental cycle (rescan roots, finish marking).
    case finalMark
    /// Lazy sweeping done by the allocator on its slow path, when it is long enough to be logged.
    case sweep
    /// A mutator assist of concurrent marking: the allocating thread marked part of the work its allocation
    /// owed, while the background marker and the other mutator threads ran on. Only that thread waited: not a
    /// stop of the world, and not counted among the collector pauses of a report, but time its thread lost to
    /// the collector (the MMU curve counts it).
    case assist
    /// A bulk free done by the program itself: a malloc'd structure freed, an ARC release cascade, an arena's
    /// scope end. Logged so that every manager's interruptions are comparable.
    case stall

    /// Whether the event stopped every mutator thread (a collection, a mark slice, a final mark). A sweep or an
    /// assist runs on one allocating thread, a stall on the thread that dropped something; the others run on.
    /// With one mutator thread every event stops it, but only these stop the world when there are more.
    public var stopsTheWorld: Bool {
        switch self {
        case .collection, .markSlice, .finalMark: return true
        case .sweep, .assist, .stall: return false
        }
    }
}

/// The duration of one named phase inside a pause (`roots`, `mark`, `sweep`, ...).
public struct PhaseTime: Codable, Equatable, Sendable {
    public var name: String
    public var nanoseconds: UInt64
    public init(_ name: String, nanoseconds: UInt64) {
        self.name = name
        self.nanoseconds = nanoseconds
    }
}

/// What one collector thread did inside a pause: a named piece of work (`mark`, `count`, `sweep`) that began
/// `offsetNanoseconds` after the pause began and took `nanoseconds`, on collector thread `thread` (1, 2, ...:
/// the helpers of a parallel pause; the thread that collects is the pause itself).
public struct CollectorThreadSpan: Codable, Equatable, Sendable {
    public var thread: Int
    public var name: String
    public var offsetNanoseconds: UInt64
    public var nanoseconds: UInt64

    public init(thread: Int, name: String, offsetNanoseconds: UInt64, nanoseconds: UInt64) {
        self.thread = thread
        self.name = name
        self.offsetNanoseconds = offsetNanoseconds
        self.nanoseconds = nanoseconds
    }
}

/// Collector work done while the mutators ran (concurrent marking): a stretch of the background marker's
/// marking, or of the mutators' assists, in the cycle that the event carrying it ends. Chunks less than a
/// millisecond apart are merged into one span, so a span is a stretch of activity: `busyNanoseconds` of marking
/// inside `nanoseconds` of wall time.
public struct ConcurrentWorkSpan: Codable, Equatable, Sendable {
    /// `background` (the background marker thread) or `assist` (allocating mutators marking their debt).
    public var kind: String
    /// Start of the span relative to the start of the event that carries it, nanoseconds; negative: the work
    /// ran before that pause.
    public var offsetNanoseconds: Int64
    /// Wall time from the first chunk's start to the last chunk's end, nanoseconds.
    public var nanoseconds: UInt64
    /// Time spent marking inside the span (the sum of its chunks), nanoseconds; at most `nanoseconds`.
    public var busyNanoseconds: UInt64
    /// Bytes of objects the span's chunks marked.
    public var bytesMarked: Int

    public init(kind: String, offsetNanoseconds: Int64, nanoseconds: UInt64, busyNanoseconds: UInt64, bytesMarked: Int) {
        self.kind = kind
        self.offsetNanoseconds = offsetNanoseconds
        self.nanoseconds = nanoseconds
        self.busyNanoseconds = busyNanoseconds
        self.bytesMarked = bytesMarked
    }
}

/// One interruption of the mutator, recorded exactly.
///
/// Times are `MonotonicClock` readings in nanoseconds. Byte and object counts are 0 where they do not apply.
public struct PauseEvent: Codable, Equatable, Sendable {
    public var kind: PauseKind
    /// Collection cycle number (1-based) for collector events, 0 for stalls.
    public var cycle: Int
    /// When the pause began (`MonotonicClock.now()`).
    public var startNanoseconds: UInt64
    /// How long the mutator was stopped.
    public var durationNanoseconds: UInt64
    /// The phases the pause consisted of, in order; their sum is at most `durationNanoseconds`.
    public var phases: [PhaseTime]
    /// Heap bytes in use before and after (for a collector: allocated cells and large objects).
    public var heapBytesBefore: Int
    public var heapBytesAfter: Int
    /// Objects and bytes the mark phase found live.
    public var objectsMarked: Int
    public var bytesMarked: Int
    /// Cells (or objects) freed.
    public var cellsFreed: Int
    /// Free-form label for stalls: what was dropped (`tree`, `scope`, ...).
    public var label: String
    /// CPU time the pausing thread ran during the pause (`ThreadCPUClock`), when the manager measured it, else
    /// nil. `durationNanoseconds` minus this is time the thread was off the CPU: the operating system running
    /// another process (on a shared machine), or waiting on a page fault. The duration is what the mutator
    /// saw; this is the pause's own work.
    public var cpuNanoseconds: UInt64?
    /// For a pause that stopped other threads (its `safepoint` phase): how long the last thread to stop was
    /// off the CPU between the stop request and its stop (its wall time in that window minus its CPU time).
    /// That share of time to safepoint is the scheduler's (the thread was preempted, or waiting for a core),
    /// the rest is the handshake's own cost. Nil when no other thread was running at the request.
    public var safepointOffCPUNanoseconds: UInt64?
    /// For a collector pause marked or swept by more than one thread: the CPU time the collector's helper
    /// threads spent in it (beside `cpuNanoseconds`, the pausing thread's own), nil otherwise. The sum of the
    /// two is what the pause cost in processor time; the duration is what the mutator waited.
    public var collectorThreadsCPUNanoseconds: UInt64?
    /// The mutator thread that recorded the event, numbered from 0 in a threaded workload's run (a stall at
    /// one of that thread's drop points); nil for a single-threaded run and for collector pauses, which stop
    /// every thread.
    public var thread: Int?
    /// For a collector pause marked or swept by several threads: what each collector thread did in it and
    /// when (a helper that the scheduler did not run before the work was done has no span); nil otherwise.
    public var collectorThreadSpans: [CollectorThreadSpan]?
    /// For the final pause of a concurrent cycle: the marking its background marker and the mutators' assists
    /// did while the mutators ran, from the cycle's start pause to this one; nil otherwise.
    public var concurrentWork: [ConcurrentWorkSpan]?

    public init(kind: PauseKind, cycle: Int = 0, startNanoseconds: UInt64, durationNanoseconds: UInt64,
                phases: [PhaseTime] = [], heapBytesBefore: Int = 0, heapBytesAfter: Int = 0,
                objectsMarked: Int = 0, bytesMarked: Int = 0, cellsFreed: Int = 0, label: String = "",
                cpuNanoseconds: UInt64? = nil, safepointOffCPUNanoseconds: UInt64? = nil,
                collectorThreadsCPUNanoseconds: UInt64? = nil, thread: Int? = nil,
                collectorThreadSpans: [CollectorThreadSpan]? = nil, concurrentWork: [ConcurrentWorkSpan]? = nil) {
        self.kind = kind
        self.cycle = cycle
        self.startNanoseconds = startNanoseconds
        self.durationNanoseconds = durationNanoseconds
        self.phases = phases
        self.heapBytesBefore = heapBytesBefore
        self.heapBytesAfter = heapBytesAfter
        self.objectsMarked = objectsMarked
        self.bytesMarked = bytesMarked
        self.cellsFreed = cellsFreed
        self.label = label
        self.cpuNanoseconds = cpuNanoseconds
        self.safepointOffCPUNanoseconds = safepointOffCPUNanoseconds
        self.collectorThreadsCPUNanoseconds = collectorThreadsCPUNanoseconds
        self.collectorThreadSpans = collectorThreadSpans
        self.concurrentWork = concurrentWork
        self.thread = thread
    }

    /// Time off the CPU during the pause (duration minus CPU time), or nil when CPU time was not measured.
    public var offCPUNanoseconds: UInt64? {
        cpuNanoseconds.map { durationNanoseconds > $0 ? durationNanoseconds - $0 : 0 }
    }

    /// When the pause ended.
    public var endNanoseconds: UInt64 { startNanoseconds &+ durationNanoseconds }
}

/// The only way pause measurements leave a memory manager: the manager appends events, the runner reads them.
///
/// A manager does not know how it is measured; it only reports what it did. Single-threaded: one log per
/// manager, appended on the thread that runs the workload.
public final class PauseLog {
    /// Every event, in the order recorded (which is start-time order for a single mutator). A copy assembled
    /// from the log's chunks, O(events): read it after the run, not per operation.
    public var events: [PauseEvent] { chunks.flatMap { $0 } }

    /// Events recorded (and kept) so far.
    public var count: Int { chunks.reduce(0) { $0 + $1.count } }

    /// The events, in chunks of `chunkCapacity`, each allocated at its full capacity once: recording never
    /// copies what is stored. One growing array doubled and copied its contents: on binary-trees, with
    /// hundreds of thousands of mark slices, the copy into fresh pages (page faults) landed inside whichever
    /// operation of the program the collector's slice ran in, and the measurement itself was the program's
    /// worst operation (Docs/Internals.md has the figures).
    private var chunks: [[PauseEvent]] = []
    /// Events per chunk: about 150 KB of them.
    public static let chunkCapacity = 1024

    /// Stalls shorter than this are counted but not stored as events, so that a workload freeing a million
    /// tiny structures does not flood the log. Collector events are always stored.
    public var stallThresholdNanoseconds: UInt64

    /// Stalls below the threshold: how many and their total time.
    public private(set) var unloggedStallCount = 0
    public private(set) var unloggedStallNanoseconds: UInt64 = 0

    /// Whether workloads and managers time their drop points and scope ends at all (`RunContext.beginDrop`,
    /// `measureStall`, the arena's scope end). False only to measure what that timing costs: collector pauses
    /// are still recorded.
    public let recordsStalls: Bool

    public init(stallThresholdNanoseconds: UInt64 = 0, recordsStalls: Bool = true) {
        self.stallThresholdNanoseconds = stallThresholdNanoseconds
        self.recordsStalls = recordsStalls
        startChunk()
    }

    private func startChunk() {
        var chunk: [PauseEvent] = []
        chunk.reserveCapacity(Self.chunkCapacity)
        chunks.append(chunk)
    }

    /// Records one event.
    public func record(_ event: PauseEvent) {
        if event.kind == .stall && event.durationNanoseconds < stallThresholdNanoseconds {
            unloggedStallCount += 1
            unloggedStallNanoseconds &+= event.durationNanoseconds
            return
        }
        if chunks[chunks.count - 1].count == Self.chunkCapacity { startChunk() }
        // Invariant: the last chunk has room (capacity `chunkCapacity`), so this append never reallocates.
        chunks[chunks.count - 1].append(event)
    }

    /// Removes every event (the runner calls it after warm-up, as MMTk's harness_begin does).
    public func removeAll() {
        chunks.removeAll()
        startChunk()
        unloggedStallCount = 0
        unloggedStallNanoseconds = 0
    }

    /// Adds every event of `other` (a log one mutator thread of a threaded run wrote its stalls to) to this one,
    /// each labelled with `thread`, and its count of unlogged stalls. Call it after that thread has ended: a
    /// log is written by one thread at a time.
    public func merge(_ other: PauseLog, thread: Int) {
        for chunk in other.chunks {
            for var event in chunk {
                event.thread = thread
                if chunks[chunks.count - 1].count == Self.chunkCapacity { startChunk() }
                chunks[chunks.count - 1].append(event)
            }
        }
        unloggedStallCount += other.unloggedStallCount
        unloggedStallNanoseconds &+= other.unloggedStallNanoseconds
    }

    /// Times `body` and records it as a stall with `label` (a bulk free at a workload's drop point).
    @inlinable
    public func measureStall<R, E: Error>(_ label: String, _ body: () throws(E) -> R) throws(E) -> R {
        guard recordsStalls else { return try body() }
        let start = MonotonicClock.now()
        let result = try body()
        let end = MonotonicClock.now()
        record(PauseEvent(kind: .stall, startNanoseconds: start, durationNanoseconds: end &- start, label: label))
        return result
    }
}
