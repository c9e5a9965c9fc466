/// Fixed sizes of the heap's memory layout.
@usableFromInline
enum HeapLayout {
    /// Every small-object block is this many bytes, aligned to its size, so the block of any interior address
    /// is `address & ~(blockBytes - 1)`: no lookup table on the mark path.
    @usableFromInline static let blockBytes = 64 * 1024
    @usableFromInline static let blockMask = UInt(blockBytes - 1)
    /// Blocks are mapped from the system in regions of this many bytes (64 blocks), aligned to their size.
    @usableFromInline static let regionBytes = 4 * 1024 * 1024
    @usableFromInline static let blocksPerRegion = regionBytes / blockBytes

    /// Values of the first 32-bit word of a block (or of a large object's descriptor), which tell what the
    /// memory at a block-aligned address is.
    @usableFromInline static let smallBlockKind: UInt32 = 0x534D_4C42  // "SMLB"
    @usableFromInline static let largeObjectKind: UInt32 = 0x4C52_4745  // "LRGE"
    /// A block in the pool (free, or given back to the system and so zero).
    @usableFromInline static let freeBlockKind: UInt32 = 0

    /// The block-aligned address at or below `address`.
    @inlinable @inline(__always)
    static func blockBase(of address: UnsafeRawPointer) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: address) & ~blockMask).unsafelyUnwrapped
    }
}

/// The metadata at the start of every small-object block. The mark bitmap follows it, then the cells:
///
///     +0    BlockHeader (64 bytes)
///     +64   mark bitmap: 4096 bits, one per 16-byte granule of the block (512 bytes)
///     +576  cells: cellCount cells of cellBytes each, 16-byte aligned
///
/// The mark bit of a cell is the bit of the granule its header starts in. Keeping mark bits on the side (not in
/// the object header) means marking writes only to the bitmap -- a few cache lines per block -- and clearing
/// every mark for the next cycle is a 512-byte fill per block.
@usableFromInline
struct BlockHeader {
    /// `HeapLayout.smallBlockKind` while the block belongs to a size class.
    @usableFromInline var kind: UInt32
    @usableFromInline var sizeClass: UInt16
    /// The heap's sweep epoch when this block was last swept (or formatted). The heap advances its epoch when a
    /// mark phase ends, which makes every block owned by a size class unswept at once without touching any of
    /// them (Go's `mspan.sweepgen` does the same): the block needs a sweep, and its mark bits are the only
    /// record of which cells are live, while this differs from `GCHeap.sweepEpoch` (`GCHeap.needsSweep`).
    /// Every block is swept before the next mark phase ends, so this is always the heap's epoch or the one
    /// before: eight bits that wrap are enough.
    @usableFromInline var sweptEpoch: UInt8
    @usableFromInline var cellBytes: Int
    @usableFromInline var cellCount: Int
    /// Free cells linked through their first word, in address order: built by the sweeper for a block with
    /// both live and free cells; handed to the allocator (and then nil here) when the block is installed.
    @usableFromInline var freeList: UnsafeMutableRawPointer?
    /// When not nil, every cell from this address to the end of the block is free and on no list: the block
    /// was empty (fresh, or emptied by a sweep) and the allocator bumps through it. A block has a free list
    /// or a bump start, never both.
    @usableFromInline var bumpFrom: UnsafeMutableRawPointer?
    /// Free cells (on `freeList` or above `bumpFrom`) when the block is not the allocation block.
    @usableFromInline var freeCount: Int
    /// Cells holding objects after the last sweep of this block.
    @usableFromInline var liveCount: Int
    /// Position of this block in its class's block list (for removal in O(1)).
    @usableFromInline var indexInClass: Int
}

/// A handle on one small-object block: its base address. All access to block metadata goes through here.
@frozen @usableFromInline
struct Block: Hashable {
    @usableFromInline let base: UnsafeMutableRawPointer

    @usableFromInline static let headerBytes = 64
    @usableFromInline static let bitmapBytes = HeapLayout.blockBytes / SizeClasses.granuleBytes / 8
    @usableFromInline static let bitmapWords = bitmapBytes / 8
    /// Offset of the first cell: after the header and the bitmap, on a granule boundary.
    @usableFromInline static let firstCellOffset = headerBytes + bitmapBytes

    @inlinable @inline(__always)
    init(base: UnsafeMutableRawPointer) {
        assert(UInt(bitPattern: base) & HeapLayout.blockMask == 0, "Block: base \(base) is not block-aligned")
        self.base = base
    }

    /// The block holding `address` (any address inside a small block).
    @inlinable @inline(__always)
    init(containing address: UnsafeRawPointer) { self.base = HeapLayout.blockBase(of: address) }

    /// Invariant: `base` is block-aligned memory of a mapped region, and the first 64 bytes were bound to
    /// `BlockHeader` by `format`.
    @inlinable @inline(__always)
    var header: UnsafeMutablePointer<BlockHeader> { base.assumingMemoryBound(to: BlockHeader.self) }

    @inlinable @inline(__always)
    var markBits: UnsafeMutablePointer<UInt64> {
        (base + Block.headerBytes).assumingMemoryBound(to: UInt64.self)
    }

    @inlinable @inline(__always)
    var firstCell: UnsafeMutableRawPointer { base + Block.firstCellOffset }

    /// Whether `address` is the start of a cell of this block (debug checks and the verifier).
    func isCellStart(_ address: UnsafeRawPointer) -> Bool {
        let offset = address - UnsafeRawPointer(firstCell)
        let h = header.pointee
        return offset >= 0 && offset % h.cellBytes == 0 && offset / h.cellBytes < h.cellCount
    }

    // MARK: mark bits

    /// Whether the cell at `cell` is marked.
    /// - Precondition: `cell` is the start of a cell of this block (granule-aligned, inside it).
    @inlinable @inline(__always)
    func isMarked(_ cell: UnsafeRawPointer) -> Bool {
        let granule = (cell - UnsafeRawPointer(base)) &>> 4
        assert(granule >= Block.firstCellOffset / 16 && granule < HeapLayout.blockBytes / 16, "Block: \(cell) is not inside \(base)")
        return markBits[granule &>> 6] & (1 &<< UInt64(granule & 63)) != 0
    }

    /// Marks the cell at `cell`; returns true when it was not marked before (so the caller traces it once).
    /// - Precondition: as `isMarked`.
    @inlinable @inline(__always)
    func testAndSetMark(_ cell: UnsafeRawPointer) -> Bool {
        let granule = (cell - UnsafeRawPointer(base)) &>> 4
        assert(granule >= Block.firstCellOffset / 16 && granule < HeapLayout.blockBytes / 16, "Block: \(cell) is not inside \(base)")
        let word = markBits + (granule &>> 6)
        let bit: UInt64 = 1 &<< UInt64(granule & 63)
        let old = word.pointee
        word.pointee = old | bit
        return old & bit == 0
    }

    func clearMarks() {
        markBits.update(repeating: 0, count: Block.bitmapWords)
    }

    func hasAnyMark() -> Bool {
        for w in 0..<Block.bitmapWords where markBits[w] != 0 { return true }
        return false
    }

    // MARK: formatting

    /// One past the last cell.
    @inlinable @inline(__always)
    var cellsEnd: UnsafeMutableRawPointer { firstCell + header.pointee.cellCount &* header.pointee.cellBytes }

    /// Number of mark bits set: the live cells of a block that has just been marked.
    func markCount() -> Int {
        var n = 0
        for w in 0..<Block.bitmapWords { n &+= markBits[w].nonzeroBitCount }
        return n
    }

    /// Makes a pool block a block of `sizeClass`: writes its header and clears its bitmap. Every cell is free,
    /// above `bumpFrom`; no cell memory is touched (the allocator touches each cell when it hands it out),
    /// except with `poison`, where every cell gets a zero first word and the poison pattern.
    func format(sizeClass: Int, sweepEpoch: UInt8, poison: Bool) {
        precondition(MemoryLayout<BlockHeader>.size <= Block.headerBytes, "BlockHeader outgrew its 64 bytes")
        let cellBytes = SizeClasses.cellBytesOfClass[sizeClass]
        let cellCount = (HeapLayout.blockBytes - Block.firstCellOffset) / cellBytes
        base.bindMemory(to: BlockHeader.self, capacity: 1)
        (base + Block.headerBytes).bindMemory(to: UInt64.self, capacity: Block.bitmapWords)
        header.initialize(to: BlockHeader(kind: HeapLayout.smallBlockKind, sizeClass: UInt16(sizeClass),
                                          sweptEpoch: sweepEpoch, cellBytes: cellBytes, cellCount: cellCount,
                                          freeList: nil, bumpFrom: firstCell, freeCount: cellCount, liveCount: 0,
                                          indexInClass: -1))
        clearMarks()
        if poison {
            for i in 0..<cellCount {
                let c = firstCell + i * cellBytes
                c.storeBytes(of: 0 as UInt64, as: UInt64.self)
                Poison.fill(c, cellBytes: cellBytes)
            }
        }
    }
}
