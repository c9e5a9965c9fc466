#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// The per-cycle trace line (`HEAPLAB_GCTRACE=1` or the `trace` option), in the spirit of Go's
/// GODEBUG=gctrace=1. Format (documented in Docs/Internals.md, "The trace line"):
///
///     gc 12 @1.234s 3%: 0.001+0.000+0.004+1.250+0.870 ms stw+fin+roots+mark+sweep, 17.1->8.3->8.0 MiB, 16.0 MiB goal, 131073 objects, 250004 freed, eager pacer
///
/// A pause marked by more than one thread has `, 1.180+1.090 ms cpu collector+helpers` after its phases: the
/// CPU time of the thread that collected and of the collector threads. The final pause of a concurrent cycle has
/// `, 0.120/3.400/0.000 ms cpu assist/background/idle` there instead: the time mutators spent in assists and the
/// background marker's CPU time during the cycle (Go's split; HeapLab has no idle-time markers, so idle is 0).
enum GCTrace {
    static func line(for event: PauseEvent, heapCreated: UInt64, totalPauseNanoseconds: UInt64,
                     footprintBytes: Int, goalBytes: Int, sweepMode: SweepMode, reason: String,
                     concurrentMarkNanoseconds: (assist: UInt64, background: UInt64)? = nil) -> String {
        func ms(_ name: String) -> String {
            let ns = event.phases.first(where: { $0.name == name })?.nanoseconds ?? 0
            return fixed(Double(ns) / 1e6, 3)
        }
        func mib(_ bytes: Int) -> String { fixed(Double(bytes) / 1_048_576, 1) }
        let sinceStart = event.endNanoseconds &- heapCreated
        let percent = sinceStart == 0 ? 0 : Int((Double(totalPauseNanoseconds) / Double(sinceStart) * 100).rounded())
        let goal = goalBytes == Int.max ? "unbounded" : "\(mib(goalBytes)) MiB"
        var cpu = ""
        if let helpers = event.collectorThreadsCPUNanoseconds, let own = event.cpuNanoseconds {
            cpu = "\(fixed(Double(own) / 1e6, 3))+\(fixed(Double(helpers) / 1e6, 3)) ms cpu collector+helpers, "
        }
        if let marking = concurrentMarkNanoseconds {
            cpu = "\(fixed(Double(marking.assist) / 1e6, 3))/\(fixed(Double(marking.background) / 1e6, 3))/0.000 ms cpu assist/background/idle, "
        }
        return "gc \(event.cycle) @\(fixed(Double(sinceStart) / 1e9, 3))s \(percent)%: "
            + "\(ms("safepoint"))+\(ms("finish-sweep"))+\(ms("roots"))+\(ms("mark"))+\(ms("sweep")) ms stw+fin+roots+mark+sweep, "
            + cpu
            + "\(mib(event.heapBytesBefore))->\(mib(footprintBytes))->\(mib(event.bytesMarked)) MiB, \(goal) goal, "
            + "\(event.objectsMarked) objects, \(event.cellsFreed) freed, \(sweepMode.rawValue) \(reason)"
    }

    /// `value` with exactly `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int) -> String { DecimalText.fixed(value, decimals: digits) }

    static func write(_ line: String) {
        // write(2) on file descriptor 2: unbuffered, so lines interleave correctly with the program's own
        // stderr output, and no shared C `FILE *` is touched.
        var text = line + "\n"
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
