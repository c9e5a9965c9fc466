import Foundation
import HeapLabCore

/// Exports runs as Chrome Trace Event JSON, which Perfetto UI (ui.perfetto.dev, "Open trace file") and
/// chrome://tracing load: every run is a process of its own, named `workload on manager`, on a timeline that
/// starts at 0 when its workload started, so runs lie side by side for comparison.
///
/// In each process:
/// - thread 1, `run`: one span for the whole workload;
/// - thread 2, `collector pauses`: one complete event (`"ph": "X"`) per collector pause, with its phases
///   (roots, mark, sweep, ...) nested inside it in order, and heap figures in its arguments;
/// - thread 3, `stalls`: one event per logged stall at a drop point, named after what was dropped;
/// - threads 201, 202, ..., `collector thread i`: in a pause marked by several threads, what each collector
///   thread did in it (`mark`, `count`, `sweep`) and when;
/// - threads 300 and 301, `background marker` and `assists`: concurrent marking's work between its pauses:
///   the background marker's stretches of activity (`PauseEvent.concurrentWork` of each final pause, with the
///   time it marked and the bytes) and every assist (`PauseKind.assist` events);
/// - counter `memory (MiB)`: resident memory, live and heap bytes at each memory sample.
///
/// Times (`ts`, `dur`) are microseconds, as the format requires, with nanosecond precision in the fraction.
public enum ChromeTrace {
    /// Thread ids inside each run's process.
    public static let runThread = 1
    public static let pauseThread = 2
    public static let stallThread = 3
    /// Track of mutator thread t of a threaded workload's run: `mutatorThreadBase + t`. It holds that thread's
    /// stalls (its drop points) and, for each collector pause, the span it was stopped for.
    public static let mutatorThreadBase = 100
    /// Track of collector thread i (a helper of parallel marking and sweeping, 1, 2, ...): `collectorThreadBase +
    /// i`. It holds what that thread did inside each pause (`PauseEvent.collectorThreadSpans`).
    public static let collectorThreadBase = 200
    /// Tracks of concurrent marking's work outside the pauses: the background marker's and the assists'.
    public static let backgroundMarkerThread = 300
    public static let assistThread = 301

    /// One trace event. Only the fields the format needs for each phase type are written.
    struct Event: Encodable {
        var name: String
        var cat: String?
        var ph: String
        var ts: Double?
        var dur: Double?
        var pid: Int
        var tid: Int?
        var args: [String: Argument]?
    }

    /// An event argument: a number or a string.
    enum Argument: Encodable {
        case integer(Int)
        case number(Double)
        case text(String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .integer(let v): try container.encode(v)
            case .number(let v): try container.encode(v)
            case .text(let v): try container.encode(v)
            }
        }
    }

    private struct File: Encodable {
        var traceEvents: [Event]
        var displayTimeUnit = "ms"
    }

    /// The trace of `reports` as JSON. Runs that did not complete still get a process (with what they logged),
    /// so a failed run shows where it stopped.
    ///
    /// - Throws: an `EncodingError` only if a value can not be encoded (a non-finite number; none is produced).
    public static func json(for reports: [RunReport]) throws -> Data {
        var events: [Event] = []
        for (index, report) in reports.enumerated() {
            events += self.events(for: report, pid: index + 1)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(File(traceEvents: events))
    }

    /// Microseconds from nanoseconds.
    static func microseconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1_000 }

    /// The events of one run, as process `pid`.
    static func events(for report: RunReport, pid: Int) -> [Event] {
        var events: [Event] = [
            Event(name: "process_name", ph: "M", pid: pid, args: ["name": .text("\(report.workload) on \(report.manager)")]),
            Event(name: "process_sort_index", ph: "M", pid: pid, args: ["sort_index": .integer(pid)]),
            Event(name: "thread_name", ph: "M", pid: pid, tid: runThread, args: ["name": .text("run")]),
            Event(name: "thread_name", ph: "M", pid: pid, tid: pauseThread, args: ["name": .text("collector pauses")]),
            Event(name: "thread_name", ph: "M", pid: pid, tid: stallThread, args: ["name": .text("stalls")]),
            Event(name: report.workload, cat: "run", ph: "X", ts: 0, dur: microseconds(report.wallNanoseconds), pid: pid,
                  tid: runThread, args: [
                    "manager": .text(report.manager), "status": .text(report.status.rawValue),
                    "cpu_ms": .number(Double(report.cpuNanoseconds) / 1e6),
                    "peak_resident_bytes": .integer(report.residentMemory.peakBytes),
                    "unlogged_stalls": .integer(report.unloggedStallCount),
                  ]),
        ]
        // A threaded workload's run (its `threads` parameter): one track per mutator thread.
        let mutatorThreads = report.parameters["threads"] ?? 0
        for t in 0..<mutatorThreads {
            events.append(Event(name: "thread_name", ph: "M", pid: pid, tid: mutatorThreadBase + t,
                                args: ["name": .text("mutator thread \(t)")]))
        }
        // Parallel pauses: one track per collector thread that did any work.
        let collectorThreads = Set(report.pauses.flatMap { $0.collectorThreadSpans ?? [] }.map(\.thread)).sorted()
        for i in collectorThreads {
            events.append(Event(name: "thread_name", ph: "M", pid: pid, tid: collectorThreadBase + i,
                                args: ["name": .text("collector thread \(i)")]))
        }
        // Concurrent marking: the background marker's and the assists' stretches of work, from each final pause.
        // Assists logged one by one (`PauseKind.assist`) are drawn exactly; the merged assist spans of
        // `concurrentWork` only for a report without them.
        let exactAssists = report.pauses.contains { $0.kind == .assist }
        var concurrentKinds = Set(report.pauses.flatMap { $0.concurrentWork ?? [] }.map(\.kind))
        if exactAssists { concurrentKinds.insert("assist") }
        if concurrentKinds.contains("background") {
            events.append(Event(name: "thread_name", ph: "M", pid: pid, tid: backgroundMarkerThread,
                                args: ["name": .text("background marker")]))
        }
        if concurrentKinds.contains("assist") {
            events.append(Event(name: "thread_name", ph: "M", pid: pid, tid: assistThread, args: ["name": .text("assists")]))
        }
        for pause in report.pauses {
            for span in pause.concurrentWork ?? [] where !(exactAssists && span.kind == "assist") {
                // The span's start: the pause's start plus its (negative) offset, never before the run began.
                let start = max(0, Int64(clamping: pause.startNanoseconds) &+ span.offsetNanoseconds)
                events.append(Event(name: "\(span.kind == "assist" ? "assists" : "background mark") (cycle \(pause.cycle))",
                                    cat: "concurrent-\(span.kind)", ph: "X", ts: microseconds(UInt64(start)),
                                    dur: microseconds(span.nanoseconds), pid: pid,
                                    tid: span.kind == "assist" ? assistThread : backgroundMarkerThread,
                                    args: ["busy_ms": .number(Double(span.busyNanoseconds) / 1e6),
                                           "bytes_marked": .integer(span.bytesMarked)]))
            }
            for span in pause.collectorThreadSpans ?? [] {
                events.append(Event(name: "\(span.name) (\(name(of: pause.kind)) \(pause.cycle))", cat: "collector-thread", ph: "X",
                                    ts: microseconds(pause.startNanoseconds &+ span.offsetNanoseconds),
                                    dur: microseconds(span.nanoseconds), pid: pid, tid: collectorThreadBase + span.thread, args: nil))
            }
            if pause.kind == .stall {
                events.append(Event(name: pause.label.isEmpty ? "stall" : "stall: \(pause.label)", cat: "stall", ph: "X",
                                    ts: microseconds(pause.startNanoseconds), dur: microseconds(pause.durationNanoseconds),
                                    pid: pid, tid: pause.thread.map { mutatorThreadBase + $0 } ?? stallThread, args: nil))
                continue
            }
            if pause.kind == .assist {
                // Each assist exactly, on the assists track (it stopped only the allocating thread).
                var args: [String: Argument] = ["bytes_marked": .integer(pause.bytesMarked)]
                if let cpu = pause.cpuNanoseconds { args["cpu_ns"] = .integer(Int(clamping: cpu)) }
                events.append(Event(name: "assist (cycle \(pause.cycle))", cat: "assist", ph: "X",
                                    ts: microseconds(pause.startNanoseconds), dur: microseconds(pause.durationNanoseconds),
                                    pid: pid, tid: assistThread, args: args))
                continue
            }
            // A collector pause stops every mutator thread (the first, `safepoint`, phase is the wait for them); a
            // lazy sweep only the thread that allocated, which the log does not name.
            for t in 0..<mutatorThreads where pause.kind.stopsTheWorld {
                events.append(Event(name: "stopped: \(name(of: pause.kind)) \(pause.cycle)", cat: "stopped", ph: "X",
                                    ts: microseconds(pause.startNanoseconds), dur: microseconds(pause.durationNanoseconds),
                                    pid: pid, tid: mutatorThreadBase + t, args: nil))
            }
            var args: [String: Argument] = [
                "cycle": .integer(pause.cycle),
                "heap_bytes_before": .integer(pause.heapBytesBefore),
                "heap_bytes_after": .integer(pause.heapBytesAfter),
                "objects_marked": .integer(pause.objectsMarked),
                "bytes_marked": .integer(pause.bytesMarked),
                "cells_freed": .integer(pause.cellsFreed),
            ]
            if let cpu = pause.cpuNanoseconds { args["cpu_ns"] = .integer(Int(clamping: cpu)) }
            events.append(Event(name: "\(name(of: pause.kind)) \(pause.cycle)", cat: pause.kind.rawValue, ph: "X",
                                ts: microseconds(pause.startNanoseconds), dur: microseconds(pause.durationNanoseconds),
                                pid: pid, tid: pauseThread, args: args))
            // Phases run back to back from the pause's start; their sum is at most the pause (PauseEvent's
            // invariant), so each lies inside it and the viewer nests them under it.
            var phaseStart = pause.startNanoseconds
            for phase in pause.phases {
                events.append(Event(name: phase.name, cat: "phase", ph: "X", ts: microseconds(phaseStart),
                                    dur: microseconds(phase.nanoseconds), pid: pid, tid: pauseThread, args: nil))
                phaseStart &+= phase.nanoseconds
            }
        }
        for sample in report.memorySamples {
            var args: [String: Argument] = ["resident": .number(Double(sample.residentBytes) / 1_048_576)]
            if let live = sample.liveBytes { args["live"] = .number(Double(live) / 1_048_576) }
            if let heap = sample.heapBytes { args["heap"] = .number(Double(heap) / 1_048_576) }
            events.append(Event(name: "memory (MiB)", ph: "C", ts: microseconds(sample.elapsedNanoseconds), pid: pid, args: args))
        }
        return events
    }

    /// A pause kind in words.
    static func name(of kind: PauseKind) -> String {
        switch kind {
        case .collection: return "collection"
        case .markSlice: return "mark slice"
        case .finalMark: return "final mark"
        case .sweep: return "sweep"
        case .assist: return "assist"
        case .stall: return "stall"
        }
    }
}
