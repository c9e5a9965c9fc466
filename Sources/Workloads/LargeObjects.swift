#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// large-objects: buffers of 64 KiB to 8 MiB mixed with small objects.
///
/// Each operation (one latency sample) allocates one large buffer, its size log-uniform in 64 KiB...8 MiB
/// (rounded to 8 bytes), writes one word in every 4 KiB page of it (a program fills its buffers: the page
/// faults of fresh memory are part of the cost), and `smallPerOp` small objects of 16 to 256 bytes. Large
/// buffers live an exponential number of operations with the mean that keeps about `liveMiB` MiB live; small
/// objects mostly die young (mean 8 operations). Every object is checked when it dies (`LiveObjectTable`).
/// The frees of each operation (on average about one large buffer) are logged as a stall on managers whose
/// drops cost something: glibc returns large blocks to the system with munmap, which is where its stalls
/// come from.
///
/// What it shows: the large-object path of each manager (glibc's mmap threshold, jemalloc's and mimalloc's
/// huge classes, a collector's large-object space and its pacing when a few allocations are most of the
/// bytes), resident memory against live bytes, and stalls when big buffers die.
///
/// Arena (`Reclamation.region`): the same generation workaround as `fragmentation` (live buffers copied out
/// and reallocated every `rebuildInterval` operations), named in the outcome.
public struct LargeObjects: Workload {
    public static let name = "large-objects"
    public static let summary = "buffers of 64 KiB to 8 MiB mixed with small objects, random lifetimes"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("operations", default: 10_000, test: 200, range: 0...100_000_000, help: "large buffers allocated (one per operation)"),
        WorkloadParameter("liveMiB", default: 512, test: 16, range: 1...65_536, help: "target live bytes in large buffers, MiB"),
        WorkloadParameter("smallPerOp", default: 32, test: 8, range: 0...100_000, help: "small objects (16-256 B) allocated per operation"),
        WorkloadParameter("rebuildInterval", default: 1_000, test: 50, range: 1...100_000_000, help: "operations per generation scope (arena only)"),
        WorkloadParameter("seed", default: 42, test: 42, range: 0...Int.max, help: "random seed"),
    ]

    public static let minimumLargeBytes = 64 << 10, maximumLargeBytes = 8 << 20
    /// Mean of the log-uniform size law: (max - min) / ln(max / min).
    public static let meanLargeBytes = Int(Double(maximumLargeBytes - minimumLargeBytes) / log(Double(maximumLargeBytes / minimumLargeBytes)))
    /// Mean lifetime of a small object, operations.
    public static let smallLifetime = 8.0

    public let operations: Int
    public let liveBytesTarget: Int
    public let smallPerOp: Int
    public let rebuildInterval: Int
    public let seed: UInt64

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        operations = p["operations"]!
        liveBytesTarget = p["liveMiB"]! << 20
        smallPerOp = p["smallPerOp"]!
        rebuildInterval = p["rebuildInterval"]!
        seed = UInt64(p["seed"]!)
    }

    /// Reference slots of the live-object table: four times the mean number of live buffers and of live small
    /// objects, plus room for fluctuation. At the largest parameters (65,536 MiB, 100,000 small objects per
    /// operation) about 3.4 million slots, far within `ObjectShape.maximumBytes`.
    @inlinable public var tableSlots: Int { 4 * Int(meanLargeLifetime) + 4 * smallPerOp * Int(Self.smallLifetime) + 1024 }

    /// Mean lifetime of a large buffer, operations.
    @inlinable public var meanLargeLifetime: Double { max(1, Double(liveBytesTarget) / Double(Self.meanLargeBytes)) }

    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        var rng = SplitMix64(seed: seed)
        var live = LiveObjectTable(capacity: tableSlots)
        var peakLive = 0
        var largeBytes = 0
        let logRange = log(Double(Self.maximumLargeBytes) / Double(Self.minimumLargeBytes))
        try live.runInGenerations(on: m, context: context, operations: operations, rebuildInterval: rebuildInterval) {
            live, table, op in
            let size = (Int(Double(Self.minimumLargeBytes) * exp(rng.nextUnit() * logRange)) + 7) & ~7
            let lifetime = 1 + Int(-meanLargeLifetime * log(rng.nextOpenUnit()))
            try context.operation {
                _ = try live.add(m, table: table, size: size, death: op + lifetime, touchStride: 4096)
                for _ in 0..<smallPerOp {
                    let small = 16 + rng.next(below: 31) * 8
                    let smallLife = 1 + Int(-Self.smallLifetime * log(rng.nextOpenUnit()))
                    _ = try live.add(m, table: table, size: small, death: op + smallLife)
                }
                let drop = context.beginDrop(on: m)
                let freed = try live.expire(m, table: table, now: op)
                if freed > 0 { context.endDrop(drop, "expired buffers") }
            }
            largeBytes += size
            peakLive = max(peakLive, live.liveBytes)
            context.sampleMemory(liveBytes: live.liveBytes)
        }
        return WorkloadOutcome(
            checksum: live.checksum,
            metrics: ["operations": Double(operations), "largeBytesAllocated": Double(largeBytes),
                      "peakLiveBytes": Double(peakLive), "rejected": Double(live.rejected), "bookkeepingBytes": Double(live.bookkeepingBytes),
                      "bytesCopied": Double(live.bytesCopied)],
            notes: live.generationNotes(m.reclamation, rebuildInterval: rebuildInterval))
    }
}
