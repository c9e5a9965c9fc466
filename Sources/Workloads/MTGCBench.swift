import HeapLabCore

/// mt-gcbench: GCBench on every thread at once over one shared manager, in the manner of whippet's mt-gcbench.
///
/// Each of `threads` mutator threads runs a whole `GCBench` (the same code as the single-threaded workload,
/// with its parameters) on its own context: its own stretch tree, long-lived tree and array, and temporary
/// trees. The threads share nothing but the manager, so the work grows with the threads (weak scaling): with
/// perfect scaling on as many cores as threads, the wall time stays that of one GCBench. What it shows is what
/// the manager shares: a collector's central lock, its stop-the-world handshake (every collection stops every
/// thread, and time to safepoint is the pause's first phase) and the one heap every thread's garbage fills; the
/// allocators' thread caches and arenas; ARC's atomic counts; one arena per thread.
///
/// Each thread checks its own trees as GCBench does (`walkTrees=1` at the test size walks every node). One
/// operation (one latency sample) is one tree on one thread; the samples of every thread are merged. The
/// checksum is the sum over threads, `threads` times GCBench's.
public struct MTGCBench: ThreadedWorkload {
    public static let name = "mt-gcbench"
    public static let summary = "GCBench on every thread at once over one shared manager (weak scaling, as whippet's mt-gcbench)"
    public static let parameters: [WorkloadParameter] = GCBench.parameters + [threadsParameter]

    /// The benchmark each thread runs.
    public let bench: GCBench
    public let threads: Int

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        threads = p["threads"]!
        bench = try GCBench(parameters: p.filter { $0.key != "threads" })
    }

    @inlinable
    public func run<T: ThreadedMemoryManager>(threaded manager: T, context: RunContext) throws -> WorkloadOutcome {
        let stop = StopSignal()
        let bench = self.bench
        let outcomes = try MutatorThreads.run(threads, on: manager, context: context, stop: stop) { _, m, threadContext in
            try bench.run(on: m, context: threadContext, stop: stop)
        }
        context.sampleMemory(force: true)
        return WorkloadOutcome(checksum: outcomes.reduce(0) { $0 &+ $1.checksum },
                               metrics: ["threads": Double(threads)])
    }
}
