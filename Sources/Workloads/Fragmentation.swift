#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// fragmentation: objects of 16 B to 64 KiB in a power-law mix, each living a random time; resident memory
/// against live bytes over time.
///
/// Each operation (one latency sample) allocates one object and frees every object whose time has come. Sizes
/// follow a truncated Pareto law, P(size > s) = 16 / s for 16 <= s <= 64 KiB (most objects tiny, a few large;
/// mean about 130 B), rounded up to 8 bytes. Lifetimes (in operations) are exponential with the mean that,
/// by Little's law, keeps about `liveMiB` MiB live; every `phaseOps` operations the mean drops to a quarter and
/// back, so the live set shrinks toward a quarter (objects already alive keep their long lifetimes, so it
/// decays with the long mean) and grows again. With the defaults (mean lifetime about 2M operations) the expected live
/// set is about 87% of `liveMiB` at the end of the first long phase and about 36% at the end of
/// the short one. Each object's first and last words hold
/// its id and complement and are checked when it dies. Memory is sampled (resident, with the workload's own
/// live-byte count) every `memorySampleIntervalNanoseconds` of the context.
///
/// What it shows: how much memory each manager holds for a given live set (resident / live), whether it gives
/// memory back when the live set shrinks, and how that changes over time as free space is cut into pieces.
/// The objects' frees happen inside the operations (per-operation latency), not as logged stalls: there are
/// millions of them; the final drop of the live set is logged as a stall.
///
/// Arena (`Reclamation.region`): random lifetimes do not nest. Workaround, named in the outcome: the run is
/// cut into generations of `rebuildInterval` operations, each in its own scope; at a generation's end the live
/// objects are copied to a staging buffer, the scope ends, and they are reallocated in the next scope (see
/// `LiveObjectTable`). Dead objects keep their memory until their generation ends.
public struct Fragmentation: Workload {
    public static let name = "fragmentation"
    public static let summary = "power-law sizes 16 B-64 KiB with random lifetimes: resident memory against live bytes over time"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("operations", default: 10_000_000, test: 40_000, range: 0...2_000_000_000, help: "objects allocated (one per operation)"),
        WorkloadParameter("liveMiB", default: 256, test: 1, range: 1...Fragmentation.maximumLiveMiB, help: "target live set in the long-lifetime phases, MiB"),
        WorkloadParameter("phaseOps", default: 4_000_000, test: 16_000, range: 1...2_000_000_000, help: "operations per lifetime phase (long, short, long, ...)"),
        WorkloadParameter("rebuildInterval", default: 1_000_000, test: 5_000, range: 1...2_000_000_000, help: "operations per generation scope (arena only)"),
        WorkloadParameter("seed", default: 42, test: 42, range: 0...Int.max, help: "random seed"),
    ]

    /// Smallest and largest object, bytes.
    public static let minimumBytes = 16, maximumBytes = 65_536
    /// Mean of the truncated size law, 16 * ln(4096) bytes, rounded up (used for Little's law).
    public static let meanBytes = 136

    /// The largest `liveMiB`: the live objects are held in one table object of 2 * liveBytes / meanBytes + 1024
    /// reference slots (`LiveObjectTable`), which must stay within `ObjectShape.maximumBytes` (1 GiB, 2^27
    /// slots). That allows up to 8,703 MiB; the range stops at 8,192.
    public static let maximumLiveMiB = 8192

    /// Reference slots of the live-object table for `liveBytes`: twice the mean number of live objects, plus
    /// room for fluctuation.
    @inlinable public static func tableSlots(liveBytes: Int) -> Int { 2 * max(1, liveBytes / meanBytes) + 1024 }

    public let operations: Int
    public let liveBytesTarget: Int
    public let phaseOps: Int
    public let rebuildInterval: Int
    public let seed: UInt64

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        operations = p["operations"]!
        liveBytesTarget = p["liveMiB"]! << 20
        phaseOps = p["phaseOps"]!
        rebuildInterval = p["rebuildInterval"]!
        seed = UInt64(p["seed"]!)
    }

    /// Mean lifetime in the long phases, operations.
    @inlinable public var meanLifetime: Int { max(1, liveBytesTarget / Self.meanBytes) }

    /// One size from the truncated power law, a multiple of 8.
    @inlinable
    static func size(_ rng: inout SplitMix64) -> Int {
        while true {
            let s = Double(minimumBytes) / rng.nextOpenUnit()
            if s <= Double(maximumBytes) { return (Int(s) + 7) & ~7 }
        }
    }

    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        var rng = SplitMix64(seed: seed)
        var live = LiveObjectTable(capacity: Self.tableSlots(liveBytes: liveBytesTarget))  // live count stays near meanLifetime
        var peakLive = 0
        try live.runInGenerations(on: m, context: context, operations: operations, rebuildInterval: rebuildInterval) {
            live, table, op in
            let long = (op / phaseOps) % 2 == 0
            let mean = Double(long ? meanLifetime : max(1, meanLifetime / 4))
            let size = Self.size(&rng)
            let lifetime = 1 + Int(-mean * log(rng.nextOpenUnit()))
            try context.operation {
                _ = try live.add(m, table: table, size: size, death: op + lifetime)
                _ = try live.expire(m, table: table, now: op)
            }
            peakLive = max(peakLive, live.liveBytes)
            if (op + 1) & 255 == 0 { context.sampleMemory(liveBytes: live.liveBytes) }
        }
        return WorkloadOutcome(
            checksum: live.checksum,
            metrics: ["operations": Double(operations), "peakLiveBytes": Double(peakLive),
                      "rejected": Double(live.rejected), "bookkeepingBytes": Double(live.bookkeepingBytes), "bytesCopied": Double(live.bytesCopied)],
            notes: live.generationNotes(m.reclamation, rebuildInterval: rebuildInterval))
    }
}
