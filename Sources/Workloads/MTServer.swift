import HeapLabCore

/// mt-server: worker threads serving requests against one shared, sharded long-lived cache; every request
/// makes short-lived garbage, and its latency (lock wait included) is the figure, merged over the threads.
///
/// The cache is `shards` LRU caches of `entries / shards` entries each, every one the cache of the
/// single-threaded `server` workload (the same objects, the same request: parse into garbage, look up,
/// respond by copying and verifying the value, then update the LRU order, insert, evict or replace), each
/// behind the lock a real server would put on it: a pthread mutex, taken for the whole request. A thread that
/// finds the lock taken blocks declared inactive (`withoutCollector`), so a holder that allocates can still
/// collect. Thread t builds the shards s with s mod threads = t, all threads meet, then each serves its share of
/// `requests`, each request on a shard drawn at random, a key in it skewed as `server` draws them. At the end
/// (after a second meeting) each builder checks its shards (the LRU list both ways and the hash chains hold
/// exactly the entries counted) and tears them down.
///
/// Who frees what, per model: the collector and Boehm GC find the garbage and the evicted entries, whichever
/// thread made them (every thread roots every shard); malloc, jemalloc and mimalloc free evicted entries and
/// replaced values on the thread that evicts them, usually not the one that allocated them (cross-thread frees,
/// the allocator stress of mimalloc-bench's larson); ARC's last release runs on whichever thread drops it.
///
/// The arena (`sharing` `.byMoveOrCopy`) can not hold one cache that several threads write: the idiom of an
/// ownership model is a shared-nothing server, each thread owning its partition of the cache (as a
/// thread-per-core server partitions its keys). There, each thread runs the single-threaded `server` over
/// `entries / threads` entries with its own generation scopes (see `Server`) and serves `requests / threads`
/// requests on its own keys, without locks. The outcome's notes say so.
///
/// An independent oracle (each shard's version of each key, under the shard's lock) checks every value read.
/// The checksum depends on how the threads interleave, so it is not compared across runs.
public struct MTServer: ThreadedWorkload {
    public static let name = "mt-server"
    public static let summary = "worker threads serving requests on a shared sharded LRU cache, each request making garbage (per-request latency over threads)"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("entries", default: 200_000, test: 2_000, range: 1...100_000_000, help: "cache capacity over all shards, entries"),
        WorkloadParameter("requests", default: 1_000_000, test: 8_000, range: 0...1_000_000_000, help: "requests served by all threads together"),
        WorkloadParameter("valueBytes", default: 256, test: 64, range: 16...1_048_576, help: "mean value payload, bytes (uniform in [v/2, 3v/2], multiple of 8)"),
        WorkloadParameter("shards", default: 64, test: 8, range: 1...65_536, help: "cache shards, each with its own lock"),
        WorkloadParameter("rebuildInterval", default: 100_000, test: 1_000, range: 1...1_000_000_000, help: "requests per cache generation (arena only, per thread)"),
        WorkloadParameter("seed", default: 42, test: 42, range: 0...Int.max, help: "random seed"),
        threadsParameter,
    ]

    public let entries: Int
    public let requests: Int
    public let valueBytes: Int
    public let shards: Int
    public let rebuildInterval: Int
    public let seed: Int
    public let threads: Int

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        entries = p["entries"]!
        requests = p["requests"]!
        valueBytes = p["valueBytes"]!
        shards = p["shards"]!
        rebuildInterval = p["rebuildInterval"]!
        seed = p["seed"]!
        threads = p["threads"]!
        guard shards <= entries else { throw ParameterError("mt-server: shards (\(shards)) must not exceed entries (\(entries))") }
        guard threads <= entries else { throw ParameterError("mt-server: threads (\(threads)) must not exceed entries (\(entries))") }
    }

    /// Requests thread `t` serves: an equal share, the first `requests % threads` threads one more.
    @inlinable
    func share(of t: Int, count: Int) -> Int { requests / count + (t < requests % count ? 1 : 0) }

    /// The single-threaded server of one shard (or, on the arena, of one thread's partition).
    @inlinable
    func server(entries: Int, requests: Int, seed: Int) throws -> Server {
        try Server(parameters: ["entries": entries, "requests": requests, "valueBytes": valueBytes,
                                "rebuildInterval": rebuildInterval, "seed": seed])
    }

    @inlinable
    public func run<T: ThreadedMemoryManager>(threaded manager: T, context: RunContext) throws -> WorkloadOutcome {
        manager.sharing == .byMoveOrCopy ? try runPartitioned(manager, context: context)
            : try runShared(manager, context: context)
    }

    // MARK: one cache shared by every thread

    /// One shard: a cache, its oracle and counters, and its lock. `root` is written by the shard's builder
    /// before the threads meet and cleared by it after they meet again; `versions` and `tally` only under
    /// `lock` (or by the builder outside those meetings), which is what makes them exclusive.
    @usableFromInline
    final class Shard<Ref>: @unchecked Sendable {
        // @unchecked: see above; every access is ordered by `lock` or by a `ThreadBarrier`.
        @usableFromInline let lock = ThreadMonitor()
        @exclusivity(unchecked) @usableFromInline var root: Ref?
        @exclusivity(unchecked) @usableFromInline var versions: [UInt32]
        @exclusivity(unchecked) @usableFromInline var tally = Server.Tally()
        @usableFromInline init(entries: Int) { versions = Array(repeating: 0, count: 2 * entries) }
    }

    @inlinable
    func runShared<T: ThreadedMemoryManager>(_ manager: T, context: RunContext) throws -> WorkloadOutcome {
        let stop = StopSignal()
        let barrier = ThreadBarrier(parties: threads, stop: stop)
        let perShard = entries / shards
        let cache = try server(entries: perShard, requests: 0, seed: seed)
        let table = (0..<shards).map { _ in Shard<T.Context.Ref>(entries: perShard) }
        let threads = self.threads
        _ = try MutatorThreads.run(threads, on: manager, context: context, stop: stop) { t, m, threadContext in
            // Build this thread's shards; each stays rooted here until the end.
            for s in stride(from: t, to: table.count, by: threads) {
                let shard = table[s]
                let root = try cache.buildCache(m, from: nil, versions: shard.versions, tally: &shard.tally)
                m.pushRoot(root)
                shard.root = root
            }
            threadContext.sampleMemory(force: true)
            try barrier.wait(m)
            for shard in table { m.pushRoot(shard.root) }

            var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: seed) &+ UInt64(t) &* 0x9E37_79B9_7F4A_7C15)
            for _ in 0..<share(of: t, count: threads) {
                try stop.check()
                let shard = table[rng.next(below: table.count)]
                try threadContext.operation {
                    shard.lock.lock(for: m)
                    defer { shard.lock.unlock() }
                    try cache.serve(m, shard.root!, rng: &rng, versions: &shard.versions, tally: &shard.tally)
                }
                threadContext.sampleMemory()
            }
            try barrier.wait(m)

            // Check and tear down this thread's shards.
            for s in stride(from: t, to: table.count, by: threads) {
                let shard = table[s]
                let root = shard.root!
                shard.root = nil
                try cache.verify(m, root, tally: shard.tally)
                let stall = threadContext.beginDrop(on: m)
                cache.teardown(m, root)
                threadContext.endDrop(stall, "cache shard teardown")
            }
            m.popRoots(to: 0)
        }
        context.sampleMemory(force: true)
        var total = Server.Tally()
        for shard in table {
            total.checksum &+= shard.tally.checksum
            total.hits += shard.tally.hits
            total.misses += shard.tally.misses
            total.sets += shard.tally.sets
            total.evictions += shard.tally.evictions
            total.count += shard.tally.count
        }
        var notes: [String] = []
        if manager.sharing == .atomicCounts {
            notes.append("reference counting: LRU links are strong; eviction unlinks both ways and teardown breaks every link before the drop")
        }
        return WorkloadOutcome(
            checksum: total.checksum,
            metrics: ["threads": Double(threads), "requests": Double(requests), "shards": Double(shards),
                      "hits": Double(total.hits), "misses": Double(total.misses), "sets": Double(total.sets),
                      "evictions": Double(total.evictions), "entries": Double(total.count)],
            notes: notes)
    }

    // MARK: a partition of the cache per thread (the arena)

    @inlinable
    func runPartitioned<T: ThreadedMemoryManager>(_ manager: T, context: RunContext) throws -> WorkloadOutcome {
        let stop = StopSignal()
        let threads = self.threads
        let servers = try (0..<threads).map { t in
            try server(entries: entries / threads, requests: share(of: t, count: threads), seed: seed &+ t)
        }
        let outcomes = try MutatorThreads.run(threads, on: manager, context: context, stop: stop) { t, m, threadContext in
            try servers[t].run(on: m, context: threadContext, stop: stop)
        }
        context.sampleMemory(force: true)
        var metrics: [String: Double] = ["threads": Double(threads), "requests": Double(requests)]
        for key in ["hits", "misses", "sets", "evictions", "entries", "rebuilds", "bytesCopiedInRebuilds"] {
            metrics[key] = outcomes.reduce(0) { $0 + ($1.metrics[key] ?? 0) }
        }
        return WorkloadOutcome(
            checksum: outcomes.reduce(0) { $0 &+ $1.checksum }, metrics: metrics,
            notes: ["ownership: one cache can not be shared by threads that each own their arena; shared-nothing instead: each thread owns a partition of \(entries / threads) entries and serves \(requests / threads) requests on its own keys, without locks"]
                + (outcomes.first?.notes ?? []))
    }
}
