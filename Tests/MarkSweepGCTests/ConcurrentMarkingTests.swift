import Foundation
import HeapLabCore
@testable import MarkSweepGC
import XCTest

/// Concurrent mode's own parts: the background marker, assists and the heap limit, the options, the trace
/// line. The oracle-checked random graphs in concurrent mode are in IncrementalStressTests (one mutator) and
/// MultiMutatorStressTests (two).
final class ConcurrentMarkingTests: XCTestCase {
    func concurrentConfiguration(heapLimitBytes: Int? = nil, backgroundMarkFraction: Double = 0.25,
                                 trace: Bool = false) -> GCConfiguration {
        GCConfiguration(minimumHeapBytes: 256 << 10, heapLimitBytes: heapLimitBytes, sweepMode: .lazy,
                        trace: trace, collectionMode: .concurrent, checkmark: true, checkFailureMode: .record,
                        backgroundMarkFraction: backgroundMarkFraction)
    }

    /// Builds a linked list of `count` nodes held by root 0 of `heap`.
    func buildList(_ heap: GCHeap, count: Int) throws {
        let shape = ObjectShape(referenceSlots: 1, payloadBytes: 8)
        let root = heap.pushRoot(nil)
        for _ in 0..<count {
            let node = try heap.allocate(shape)
            heap.store(node, slot: 0, heap.root(at: root))
            heap.setRoot(root, node)
        }
    }

    /// Assists: with the background marker all but starved (0.1% of the processors: a 100 us chunk, then about
    /// 50 ms asleep), a mutator allocating flat out pays for the marking itself; cycles end, the heap limit
    /// holds at every step, and nothing throws (what is live stays far below the limit).
    func testAssistsKeepAFlatOutAllocatorUnderTheHeapLimit() throws {
        let limit = 4 << 20
        let log = PauseLog()
        let heap = GCHeap(configuration: concurrentConfiguration(heapLimitBytes: limit, backgroundMarkFraction: 0.001),
                          pauseLog: log)
        try buildList(heap, count: 20_000)  // about 640 KiB live, traced every cycle
        let garbage = ObjectShape(referenceSlots: 2, payloadBytes: 40)
        for i in 0..<400_000 {
            let g = try heap.allocate(garbage)
            heap.store(g, slot: 0, heap.root(at: 0))  // a store while marking: the barrier's fast path
            if i % 1_000 == 0 {
                XCTAssertLessThanOrEqual(heap.heapInUseBytes, limit, "allocation \(i): the heap in use passed the limit")
            }
        }
        let extra = heap.statistics().extra
        XCTAssertGreaterThan(extra["assists"] ?? 0, 0, "the mutator assisted")
        XCTAssertGreaterThan(extra["assistBytes"] ?? 0, 0, "its assists marked")
        // Every assist is in the pause log as an `assist` event, exactly as the statistics count them.
        let assists = log.events.filter { $0.kind == .assist }
        XCTAssertEqual(Double(assists.count), extra["assists"])
        XCTAssertEqual(Double(assists.reduce(0) { $0 + $1.durationNanoseconds }), extra["assistNanoseconds"])
        XCTAssertEqual(Double(assists.reduce(0) { $0 + $1.bytesMarked }), extra["assistBytes"])
        XCTAssertEqual(Double(assists.map(\.durationNanoseconds).max() ?? 0), extra["maxAssistNanoseconds"])
        for a in assists {
            XCTAssertFalse(a.kind.stopsTheWorld)
            XCTAssertGreaterThan(a.cycle, 0)
            XCTAssertEqual(a.phases.map(\.name), ["mark"])
            XCTAssertNotNil(a.cpuNanoseconds, "the assist's CPU time is measured")
        }
        XCTAssertGreaterThan(extra["incrementalCycles"] ?? 0, 2, "concurrent cycles ended")
        XCTAssertEqual(heap.takeCheckFailures(), [], "the checkmark after every concurrent mark found nothing missed")
        heap.collect()  // the verifier checks a heap between cycles (a cycle may be marking now)
        XCTAssertEqual(heap.liveObjectCount, 20_000)
        XCTAssertEqual(heap.verify(), [])
    }

    /// A live set larger than the limit: `outOfMemory` is thrown cleanly, and once the roots are dropped the
    /// same heap allocates again (the cycle in progress was abandoned by the limit's collection).
    func testOutOfMemoryIsCleanAndTheHeapStaysUsable() throws {
        let limit = 2 << 20
        let heap = GCHeap(configuration: concurrentConfiguration(heapLimitBytes: limit), pauseLog: PauseLog())
        var caught: AllocationError?
        do {
            try buildList(heap, count: 1_000_000)  // 32 MiB of live nodes: far beyond the limit
        } catch {
            caught = error as? AllocationError
        }
        guard case let .outOfMemory(_, live, limitBytes)? = caught else {
            return XCTFail("expected outOfMemory, got \(String(describing: caught))")
        }
        XCTAssertEqual(limitBytes, limit)
        XCTAssertLessThanOrEqual(live, limit)
        XCTAssertLessThanOrEqual(heap.heapInUseBytes, limit)
        heap.popRoots(to: 0)
        try buildList(heap, count: 10_000)
        for _ in 0..<200_000 { _ = try heap.allocate(ObjectShape(referenceSlots: 1, payloadBytes: 8)) }
        heap.collect()
        XCTAssertEqual(heap.liveObjectCount, 10_000)
        XCTAssertTrue(heap.verify().isEmpty)
        XCTAssertEqual(heap.takeCheckFailures(), [])
    }

    /// The background marker marks with no help: a cycle begins, the mutator stops allocating (so it never
    /// assists), and the marker alone empties the mark stack; the next allocation slow path ends the cycle.
    /// Waits for the marker up to 30 s (it needs milliseconds; the bound only stops a hang).
    func testBackgroundMarkerMarksWhileTheMutatorDoesNotAllocate() throws {
        let heap = GCHeap(configuration: concurrentConfiguration(), pauseLog: PauseLog())
        try buildList(heap, count: 50_000)
        // A stop-the-world collection ends any cycle the build started, so the next cycle's snapshot holds the
        // whole list and only the background marker can trace it.
        heap.collect()
        let garbage = ObjectShape(referenceSlots: 0, payloadBytes: 24)
        let backgroundBytesBefore = heap.statistics().extra["backgroundMarkBytes"] ?? 0
        while !heap.isMarking { _ = try heap.allocate(garbage) }
        let assistsBefore = heap.statistics().extra["assists"] ?? 0
        let deadline = Date().addingTimeInterval(30)
        while heap.shared.withLock({ !heap.shared.markStack.isEmpty }) && Date() < deadline { usleep(1_000) }
        XCTAssertTrue(heap.shared.withLock { heap.shared.markStack.isEmpty }, "the background marker emptied the mark stack")
        let extra = heap.statistics().extra
        XCTAssertGreaterThan(extra["backgroundMarkChunks"] ?? 0, 0)
        XCTAssertEqual((extra["backgroundMarkBytes"] ?? 0) - backgroundBytesBefore, Double(49_999 * 32),
                       "the marker traced the whole list but its head, which the start pause marked (32-byte cells)")
        XCTAssertEqual(extra["assists"] ?? 0, assistsBefore, "no assist: the mutator did not allocate")
        // Allocation until a slow path ends the cycle (a 64 KiB block's worth at most per slow path).
        let cycles = extra["incrementalCycles"] ?? 0
        while heap.isMarking { _ = try heap.allocate(garbage) }
        XCTAssertEqual(heap.statistics().extra["incrementalCycles"] ?? 0, cycles + 1)
        XCTAssertEqual(heap.takeCheckFailures(), [])
        XCTAssertTrue(heap.verify().isEmpty)
    }

    func testOptionsAndName() throws {
        let c = try GCConfiguration(options: ["mode": "concurrent", "mark-cpu": "0.5"], environment: [:])
        XCTAssertEqual(c.collectionMode, .concurrent)
        XCTAssertEqual(c.sweepMode, .lazy, "concurrent mode sweeps lazily")
        XCTAssertEqual(c.backgroundMarkFraction, 0.5)
        XCTAssertEqual(c.dictionary["mark-cpu"], "0.5")
        XCTAssertEqual(GCHeap(configuration: c, pauseLog: PauseLog()).name, "gc-concurrent")
        for bad in ["0", "-0.1", "1.5", "x"] {
            XCTAssertThrowsError(try GCConfiguration(options: ["mark-cpu": bad], environment: [:]), bad) { error in
                XCTAssertTrue("\(error)".contains("mark-cpu"), "\(error)")
            }
        }
        XCTAssertThrowsError(try GCConfiguration(options: ["mode": "concurrent", "sweep": "eager"], environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("mode=concurrent"), "\(error)")
        }
    }

    /// The final pause's label and trace line split the cycle's marking into assist and background time.
    func testFinalPauseReportsAssistAndBackgroundWork() throws {
        let log = PauseLog()
        let heap = GCHeap(configuration: concurrentConfiguration(), pauseLog: log)
        try buildList(heap, count: 20_000)
        for _ in 0..<300_000 { _ = try heap.allocate(ObjectShape(referenceSlots: 0, payloadBytes: 24)) }
        let finals = log.events.filter { $0.kind == .finalMark }
        XCTAssertGreaterThan(finals.count, 0)
        for e in finals {
            XCTAssertTrue(e.label.contains("assists") && e.label.contains("background"), e.label)
        }
        let line = GCTrace.line(for: finals[0], heapCreated: 0, totalPauseNanoseconds: 0, footprintBytes: 0,
                                goalBytes: 1 << 20, sweepMode: .lazy, reason: "concurrent",
                                concurrentMarkNanoseconds: (1_500_000, 2_250_000))
        XCTAssertTrue(line.contains("1.500/2.250/0.000 ms cpu assist/background/idle"), line)
        // Each final pause carries the cycle's marking between the pauses: spans before the pause, busy time
        // within each span, and as many bytes as the cycle's label and statistics account for.
        let spans = finals.flatMap { $0.concurrentWork ?? [] }
        XCTAssertTrue(finals.allSatisfy { $0.concurrentWork != nil })
        XCTAssertGreaterThan(spans.count, 0)
        for s in spans {
            XCTAssertTrue(s.kind == "background" || s.kind == "assist", s.kind)
            XCTAssertLessThan(s.offsetNanoseconds, 0, "the work ran before its final pause")
            XCTAssertLessThanOrEqual(s.busyNanoseconds, s.nanoseconds)
            XCTAssertLessThanOrEqual(s.offsetNanoseconds + Int64(s.nanoseconds), 0)
        }
        let extra = heap.statistics().extra
        let spanBytes = Double(spans.reduce(0) { $0 + $1.bytesMarked })
        // Work of a cycle still marking now is not in any final pause yet: at most the totals.
        XCTAssertLessThanOrEqual(spanBytes, (extra["backgroundMarkBytes"] ?? 0) + (extra["assistBytes"] ?? 0))
        XCTAssertGreaterThan(spanBytes, 0)
        // No pause of a concurrent cycle is a mark slice but its start pause.
        for e in log.events where e.kind == .markSlice {
            XCTAssertEqual(e.label, "start: roots snapshot")
        }
    }
}
