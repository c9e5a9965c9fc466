#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HeapLabCore
import MarkSweepGC
import Synchronization
import Workloads

/// The collector with several mutator threads (Docs/Threads.md): the commands `safepoint` and `alloc-scaling`.
///
/// - `safepoint [T] [seconds]`: T threads (default 2) allocate GCBench nodes flat out for `seconds` (default 3),
///   each keeping 16,384 of them live (a table it overwrites round-robin, so the live set is constant and the
///   rest is garbage), on a heap with GOGC 50, so collections are frequent and each starts while the other
///   threads are mid-allocation. Prints time to safepoint (the `safepoint` phase, first in every collection
///   pause) p50/p99/max in microseconds; how much of it the last thread to stop spent off the CPU
///   (`PauseEvent.safepointOffCPUNanoseconds`: the scheduler's share) and the rest (the handshake's own); the
///   pauses for comparison; and each thread's time on the CPU and waiting in the run queue
///   (/proc/thread-self/schedstat) over the run.
/// - `alloc-scaling [millions] [rounds]`: allocation throughput of 1 thread and of 2 threads, each allocating
///   `millions` (default 20) million GCBench nodes of short-lived garbage on a default heap (so the pacer
///   collects), interleaved `rounds` times (default 5, order alternating); medians and the ratio 2T/1T. Each
///   round also prints each thread's time on the CPU and in the run queue: on a shared machine, a ratio far
///   below 2 with long run-queue waits is other processes' load, not the heap's.
enum ThreadTimings {
    typealias T = TimingTool

    /// What one worker reports: its allocations and its thread's scheduler statistics over its work.
    struct WorkerReport: Sendable {
        var allocations = 0
        var onCPUNanoseconds: UInt64 = 0
        var runQueueNanoseconds: UInt64 = 0
    }

    /// Runs `body` on `threads` new threads, each attached to `heap.shared`, all released at once; the calling
    /// thread (attached as `heap`) waits inside `withoutCollector`, running `whileRunning` after the release.
    /// Returns the wall nanoseconds from the release to the last worker's end, and each worker's report.
    static func runWorkers(_ heap: GCHeap, threads: Int, whileRunning: () -> Void = {},
                           _ body: @escaping @Sendable (GCHeap, Int) throws -> Int) -> (nanoseconds: UInt64, reports: [WorkerReport]) {
        let shared = heap.shared
        let ready = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let reports = Mutex<[Int: WorkerReport]>([:])
        for t in 0..<threads {
            let thread = Thread {
                let context: GCHeap
                do { context = try shared.attach() } catch { fatalError("heaplab-timing: a new thread could not attach: \(error)") }
                context.withoutCollector {
                    ready.signal()
                    go.wait()
                }
                let before = schedulerStatistics()
                var report = WorkerReport()
                do { report.allocations = try body(context, t) } catch { fatalError("heaplab-timing: allocation failed: \(error)") }
                let after = schedulerStatistics()
                report.onCPUNanoseconds = after.onCPU &- before.onCPU
                report.runQueueNanoseconds = after.runQueue &- before.runQueue
                context.popRoots(to: 0)
                shared.detach(context)
                reports.withLock { $0[t] = report }
                done.signal()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        var elapsed: UInt64 = 0
        heap.withoutCollector {
            for _ in 0..<threads { ready.wait() }
            let start = MonotonicClock.now()
            for _ in 0..<threads { go.signal() }
            whileRunning()
            for _ in 0..<threads { done.wait() }
            elapsed = MonotonicClock.now() &- start
        }
        return (elapsed, reports.withLock { r in (0..<threads).map { r[$0]! } })
    }

    /// This thread's time on a CPU and waiting in a run queue since it started, in nanoseconds
    /// (/proc/thread-self/schedstat; zeros when the kernel does not provide it).
    static func schedulerStatistics() -> (onCPU: UInt64, runQueue: UInt64) {
        guard let text = try? String(contentsOfFile: "/proc/thread-self/schedstat", encoding: .utf8) else { return (0, 0) }
        let fields = text.split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return fields.count >= 2 ? (fields[0], fields[1]) : (0, 0)
    }

    /// The nearest-rank percentile `p` (0 ... 100) of `sorted` (ascending, not empty).
    static func percentile(_ sorted: [UInt64], _ p: Double) -> UInt64 {
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func microseconds(_ ns: UInt64) -> Double { (Double(ns) / 100).rounded() / 10 }

    // MARK: safepoint

    static func safepoint(threads: Int, seconds: Double) throws {
        let liveNodes = 16_384
        let log = PauseLog()
        let heap = GCHeap(configuration: GCConfiguration(gogc: 50), pauseLog: log)
        let stop = Atomic<Bool>(false)
        let node = GCBench.nodeShape
        let (ns, reports) = runWorkers(heap, threads: threads, whileRunning: {
            usleep(UInt32(seconds * 1e6))
            stop.store(true, ordering: .relaxed)
        }) { context, _ in
            let table = try context.allocate(ObjectShape(referenceSlots: liveNodes, payloadBytes: 0))
            context.pushRoot(table)
            var i = 0
            while !stop.load(ordering: .relaxed) {
                for _ in 0..<1024 {
                    // One node replaces one of the live set's (which becomes garbage), three more are garbage.
                    let kept = try context.allocate(node)
                    context.storePayload(kept, byteOffset: 0, UInt64(i))
                    context.store(table, slot: i & (liveNodes - 1), kept)
                    for _ in 0..<3 { context.storePayload(try context.allocate(node), byteOffset: 0, UInt64(i)) }
                    i += 1
                }
            }
            return 4 * i + 1
        }
        let collections = log.events.filter { $0.kind == .collection }
        guard !collections.isEmpty else { return print("safepoint \(threads): no collection ran") }
        let toSafepoint = collections.map { e in e.phases.first { $0.name == "safepoint" }?.nanoseconds ?? 0 }.sorted()
        let pauses = collections.map(\.durationNanoseconds).sorted()
        let allocations = reports.reduce(0) { $0 + $1.allocations }
        let us = { (v: [UInt64]) in "p50 \(microseconds(percentile(v, 50))), p99 \(microseconds(percentile(v, 99))), max \(microseconds(v.last!)) us" }
        print("safepoint \(threads) threads, \(ProcessInfo.processInfo.activeProcessorCount) cores: \(T.milliseconds(ns)) ms, \(allocations) GCBench nodes allocated (\(Int(Double(allocations) / Double(ns) * 1e3)) M/s), \(collections.count) collections")
        print("  time to safepoint: \(us(toSafepoint)); mean \(microseconds(toSafepoint.reduce(0, +) / UInt64(toSafepoint.count))) us; over 1 ms: \(toSafepoint.filter { $0 > 1_000_000 }.count)")
        // The scheduler's share: the last thread to stop, off the CPU between the request and its stop
        // (PauseEvent.safepointOffCPUNanoseconds), and the rest, the handshake's own time.
        let split = collections.compactMap { e -> (wait: UInt64, offCPU: UInt64)? in
            guard let off = e.safepointOffCPUNanoseconds, let wait = e.phases.first(where: { $0.name == "safepoint" })?.nanoseconds else { return nil }
            return (wait, min(off, wait))
        }
        if !split.isEmpty {
            let offCPU = split.map(\.offCPU).sorted()
            let own = split.map { $0.wait - $0.offCPU }.sorted()
            let totalWait = split.reduce(UInt64(0)) { $0 + $1.wait }, totalOff = split.reduce(UInt64(0)) { $0 + $1.offCPU }
            // The slowest 1% of stops: how much of each was the last thread off the CPU.
            let slowest = split.sorted { $0.wait > $1.wait }.prefix(max(1, split.count / 100))
            let slowShare = slowest.reduce(0.0) { $0 + Double($1.offCPU) / Double(max($1.wait, 1)) } / Double(slowest.count)
            print("  of which the last thread to stop was off the CPU: \(us(offCPU)); the rest (on the CPU, the handshake's own): \(us(own))")
            print("  off-CPU share: \(Int((Double(totalOff) / Double(max(totalWait, 1)) * 100).rounded()))% of all time to safepoint, \(Int((slowShare * 100).rounded()))% (mean) of the slowest 1% (\(slowest.count) stops); \(split.count) of \(collections.count) collections had another thread running at the request")
        }
        print("  pause (safepoint included): \(us(pauses))")
        for (t, r) in reports.enumerated() {
            print("  thread \(t): on CPU \(T.milliseconds(r.onCPUNanoseconds)) ms, waiting in the run queue \(T.milliseconds(r.runQueueNanoseconds)) ms")
        }
    }

    // MARK: alloc-scaling

    static func allocScaling(millions: Int, rounds: Int) throws {
        let perThread = max(1, millions) * 1_000_000
        let node = GCBench.nodeShape
        var rates: [Int: [Double]] = [1: [], 2: []]
        for round in 1...max(1, rounds) {
            for threads in round % 2 == 1 ? [1, 2] : [2, 1] {
                let log = PauseLog()
                let heap = GCHeap(configuration: GCConfiguration(), pauseLog: log)
                let (ns, reports) = runWorkers(heap, threads: threads) { context, _ in
                    context.pushRoot(nil)
                    for i in 0..<perThread {
                        let object = try context.allocate(node)
                        context.storePayload(object, byteOffset: 0, UInt64(i))
                        // One node in 64 is held until the next such one: short-lived, not immediate garbage.
                        if i & 63 == 0 { context.setRoot(0, object) }
                    }
                    return perThread
                }
                let rate = Double(threads * perThread) / Double(ns) * 1e3
                rates[threads]!.append(rate)
                let collections = log.events.filter { $0.kind == .collection }
                let pause = collections.reduce(UInt64(0)) { $0 + $1.durationNanoseconds }
                // Each phase's total over the round's pauses, in the order the pauses list them.
                var phaseTotals: [(name: String, nanoseconds: UInt64)] = []
                for e in collections {
                    for p in e.phases {
                        if let i = phaseTotals.firstIndex(where: { $0.name == p.name }) { phaseTotals[i].nanoseconds += p.nanoseconds }
                        else { phaseTotals.append((p.name, p.nanoseconds)) }
                    }
                }
                let phases = phaseTotals.map { "\($0.name) \(T.milliseconds($0.nanoseconds))" }.joined(separator: ", ")
                let onCPU = reports.map { "\(T.milliseconds($0.onCPUNanoseconds))" }.joined(separator: "+")
                let waiting = reports.map { "\(T.milliseconds($0.runQueueNanoseconds))" }.joined(separator: "+")
                print("round \(round), \(threads) thread\(threads == 1 ? "" : "s"): \((rate * 10).rounded() / 10) M objects/s (\(T.milliseconds(ns)) ms; on CPU \(onCPU) ms, in the run queue \(waiting) ms), \(collections.count) collections, pauses \(T.milliseconds(pause)) ms (\(phases) ms)")
            }
        }
        let one = T.median(rates[1]!), two = T.median(rates[2]!)
        print("median: 1 thread \((one * 10).rounded() / 10) M objects/s, 2 threads \((two * 10).rounded() / 10) M objects/s, ratio 2T/1T \((two / one * 100).rounded() / 100) (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
    }
}
