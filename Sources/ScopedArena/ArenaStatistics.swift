/// What an arena measured about itself. Byte counts are bytes; counts are since the arena was made unless
/// said otherwise.
public struct ArenaStatistics: Equatable, Sendable {
    /// Bytes handed out by allocations (the requested sizes, without alignment padding), cumulative.
    public var bytesAllocated: Int
    /// Bytes in use now: from each chunk's start to its cursor (alignment padding included) plus large requests.
    public var liveBytes: Int
    /// The largest `liveBytes` ever reached (sampled exactly: live bytes only fall at scope end and reset,
    /// where the peak is taken first).
    public var peakLiveBytes: Int
    /// Chunks in use now (bump chunks and large-request chunks), not counting spares.
    public var chunkCount: Int
    /// Released chunks kept for reuse.
    public var spareChunkCount: Int
    /// Bytes of every chunk the arena holds from the system (in use and spare, headers included).
    public var heapBytes: Int
    /// The largest `heapBytes` ever reached.
    public var peakHeapBytes: Int
    /// Bytes left unused at the end of a chunk when allocation moved on to a new chunk, cumulative.
    public var wastedBytes: Int
    /// Chunks mapped from the system (mmap calls), cumulative. Constant in a steady state.
    public var chunksMapped: Int
    /// Chunks returned to the system (munmap calls), cumulative.
    public var chunksUnmapped: Int
    /// Calls to `reset()`.
    public var resets: Int
    /// Scopes ended, cumulative.
    public var scopesEnded: Int
    /// Nesting depth now (0 outside every scope).
    public var scopeDepth: Int
}
