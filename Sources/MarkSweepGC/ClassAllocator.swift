/// Where the allocation fast path of one size class takes its next cell from: the free list of its
/// allocation block (a block with live cells among free ones), or a bump range (a block that was empty).
/// At most one of the two is non-empty.
///
/// The heap keeps one per size class in a flat buffer, so the fast path is a few loads from one cache line
/// (two classes per line).
@frozen @usableFromInline
struct ClassAllocator {
    /// Next free cell; each free cell holds the next one (or 0) in its first word.
    @usableFromInline var freeList: UnsafeMutableRawPointer?
    /// Bump range `[bumpCursor, bumpLimit)` of never-handed-out cells, as addresses; both 0 when none.
    @usableFromInline var bumpCursor: UInt
    @usableFromInline var bumpLimit: UInt

    @inlinable
    init() {
        freeList = nil
        bumpCursor = 0
        bumpLimit = 0
    }
}
