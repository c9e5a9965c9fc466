/// Where an arena stood when a scope began: everything needed to put it back there when the scope ends.
///
/// Ending a scope frees exactly what was allocated after its mark (bytes after `cursor` in the mark's chunk,
/// every chunk mapped later, every large chunk and every destructor registered later) and nothing before it,
/// so a child scope never touches its parent's memory.
@frozen @usableFromInline
struct ScopeMark {
    @usableFromInline let chunk: Chunk?
    @usableFromInline let cursor: UnsafeMutableRawPointer
    @usableFromInline let limit: UnsafeMutableRawPointer
    @usableFromInline let large: Chunk?
    @usableFromInline let cleanups: UnsafeMutableRawPointer?
    @usableFromInline let retiredUsedBytes: Int
    @usableFromInline let largeUsedBytes: Int
    @usableFromInline let normalChunkCount: Int
    @usableFromInline let largeChunkCount: Int
    /// The depth the scope was opened at (its own depth is one more).
    @usableFromInline let depth: Int

    @inlinable
    init(chunk: Chunk?, cursor: UnsafeMutableRawPointer, limit: UnsafeMutableRawPointer, large: Chunk?,
         cleanups: UnsafeMutableRawPointer?, retiredUsedBytes: Int, largeUsedBytes: Int, normalChunkCount: Int,
         largeChunkCount: Int, depth: Int) {
        self.chunk = chunk
        self.cursor = cursor
        self.limit = limit
        self.large = large
        self.cleanups = cleanups
        self.retiredUsedBytes = retiredUsedBytes
        self.largeUsedBytes = largeUsedBytes
        self.normalChunkCount = normalChunkCount
        self.largeChunkCount = largeChunkCount
        self.depth = depth
    }
}
