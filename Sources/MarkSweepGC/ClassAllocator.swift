/// Where the allocation fast path of one size class takes its next cell from: the free list of its
/// allocation block (a block with live cells among free ones), or a bump range (a block that was empty).
/// At most one of the two is non-empty.
///
/// The heap keeps one per size class in a flat buffer, so the fast path is a few loads from one cache line
/// (two classes per line).
///
/// A bump range is handed to the fast path in steps of `pollBytes` (`bumpLimit`), not all at once
/// (`bumpEnd`): at each step the slow path polls for a safepoint without taking any lock, so a thread
/// allocating through an empty block stops for another thread's collection within 16 KiB of allocation (four
/// pages, each possibly a page fault), not within the block's 64 KiB.
@frozen @usableFromInline
struct ClassAllocator {
    /// Next free cell; each free cell holds the next one (or 0) in its first word.
    @usableFromInline var freeList: UnsafeMutableRawPointer?
    /// Bump range `[bumpCursor, bumpEnd)` of never-handed-out cells, as addresses, of which the fast path may
    /// take `[bumpCursor, bumpLimit)` before it polls; all 0 when none. Invariant: cursor <= limit <= end, and
    /// each lies on a cell boundary.
    @usableFromInline var bumpCursor: UInt
    @usableFromInline var bumpLimit: UInt
    @usableFromInline var bumpEnd: UInt

    /// Bytes of a bump range handed to the fast path between two safepoint polls.
    static let pollBytes: UInt = 16 << 10

    /// The limit of the next step from `cursor`: whole cells of `cellBytes`, at least one, at most `end`.
    @inline(__always)
    static func nextLimit(from cursor: UInt, cellBytes: UInt, end: UInt) -> UInt {
        let step = max(pollBytes / cellBytes, 1) &* cellBytes
        return min(cursor &+ step, end)
    }

    @inlinable
    init() {
        freeList = nil
        bumpCursor = 0
        bumpLimit = 0
        bumpEnd = 0
    }
}
