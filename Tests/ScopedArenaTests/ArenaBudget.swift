import HeapLabCore
import ScopedArena

/// The oracles' model of what an arena may hold from the system: the limit, and what its statistics must
/// satisfy at any moment whatever the chunk layout. Written from the documented contract (Docs/Arena.md), not
/// from the arena's code:
///
/// - a chunk is whole pages with a 64-byte header before its usable bytes, so the smallest chunk that can
///   serve `n` bytes at alignment `a` is `n + a - 1 + 64` rounded up to a page;
/// - the limit bounds the bytes of every chunk held (in use and spare); when the limit is near, the arena shrinks
///   the mapping to that smallest chunk and returns its spares before refusing, so a request whose smallest
///   chunk fits beside every chunk held now must be served, and a refusal reports that smallest chunk and
///   leaves no spare behind.
struct ArenaBudget {
    /// `ArenaConfiguration.limitBytes`.
    let limitBytes: Int?

    static let chunkHeaderBytes = 64
    static let pageBytes = 4096

    /// The smallest chunk that can serve `byteCount` bytes aligned to `alignment`.
    static func minimumChunkBytes(byteCount: Int, alignment: Int) -> Int {
        (byteCount + alignment - 1 + chunkHeaderBytes + pageBytes - 1) / pageBytes * pageBytes
    }

    /// Whether a request must be served without `outOfMemory`, given the bytes the arena held before it.
    func mustServe(byteCount: Int, alignment: Int, heapBytesBefore: Int) -> Bool {
        guard let limitBytes, byteCount > 0 else { return true }
        return heapBytesBefore + Self.minimumChunkBytes(byteCount: byteCount, alignment: alignment) <= limitBytes
    }

    /// What is wrong with an `outOfMemory` refusal of one of `requests` (the allocations the operation made, in
    /// order: a typed allocation asks for its destructor record first), given the statistics right after it;
    /// nil when the refusal is justified.
    func checkRefusal(requestedBytes: Int, liveBytes: Int, limitBytes reported: Int,
                      requests: [(byteCount: Int, alignment: Int)], after s: ArenaStatistics) -> String? {
        guard let limitBytes else { return "outOfMemory without a limit" }
        guard reported == limitBytes else { return "outOfMemory reports limit \(reported), configured \(limitBytes)" }
        guard liveBytes == s.liveBytes else { return "outOfMemory reports \(liveBytes) live bytes, statistics say \(s.liveBytes)" }
        let minimums = requests.map { Self.minimumChunkBytes(byteCount: $0.byteCount, alignment: $0.alignment) }
        guard minimums.contains(requestedBytes) else {
            return "outOfMemory asks for \(requestedBytes) bytes; the smallest chunk for the request is \(minimums.map(String.init).joined(separator: " or "))"
        }
        guard s.spareChunkCount == 0 else { return "outOfMemory with \(s.spareChunkCount) spare chunks still held" }
        guard s.heapBytes + requestedBytes > limitBytes else {
            return "outOfMemory although \(s.heapBytes) bytes held + \(requestedBytes) requested fit the limit \(limitBytes)"
        }
        return nil
    }

    /// What is wrong with `s` on its own (counters that contradict each other, the limit passed), or nil.
    func checkConsistency(_ s: ArenaStatistics) -> String? {
        if s.chunksMapped - s.chunksUnmapped != s.chunkCount + s.spareChunkCount {
            return "\(s.chunksMapped) chunks mapped - \(s.chunksUnmapped) unmapped != \(s.chunkCount) in use + \(s.spareChunkCount) spare"
        }
        if s.heapBytes % Self.pageBytes != 0 { return "heapBytes \(s.heapBytes) is not whole pages" }
        let floor = s.liveBytes + Self.chunkHeaderBytes * s.chunkCount + Self.pageBytes * s.spareChunkCount
        if s.heapBytes < floor {
            return "heapBytes \(s.heapBytes) < \(s.liveBytes) live + headers of \(s.chunkCount) chunks + \(s.spareChunkCount) spare pages"
        }
        if s.peakHeapBytes < s.heapBytes { return "peakHeapBytes \(s.peakHeapBytes) < heapBytes \(s.heapBytes)" }
        if s.peakLiveBytes < s.liveBytes { return "peakLiveBytes \(s.peakLiveBytes) < liveBytes \(s.liveBytes)" }
        if let limitBytes, s.peakHeapBytes > limitBytes {
            return "peakHeapBytes \(s.peakHeapBytes) passed the limit \(limitBytes) (heapBytes now \(s.heapBytes))"
        }
        return nil
    }
}
