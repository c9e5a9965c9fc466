internal import CMarkSweepGC
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

/// The metadata at the start of every small-object block. The mark bytes follow it, then the cells:
///
///     +0     BlockHeader (64 bytes)
///     +64    mark bytes: 4096, one per 16-byte granule of the block (4 KiB)
///     +4160  cells: cellCount cells of cellBytes each, 16-byte aligned
///
/// The mark of a cell is the byte of the granule its header starts in (0 or 1). Keeping marks on the side (not
/// in the object header) means marking writes only to the mark bytes -- a few cache lines per block -- and
/// clearing every mark for the next cycle is a 4 KiB fill per block. A byte, not a bit, per granule: parallel
/// markers then set marks with plain stores, where bits sharing a word would need an atomic OR, a locked
/// instruction that doubled the mark loop's time (Docs/Internals.md, "Parallel marking"); Boehm GC's parallel
/// marker and whippet use mark bytes for the same reason. The price is 3.5 KiB more metadata per 64 KiB block.
@usableFromInline
struct BlockHeader {
    /// `HeapLayout.smallBlockKind` while the block belongs to a size class.
    @usableFromInline var kind: UInt32
    @usableFromInline var sizeClass: UInt16
    /// The heap's sweep epoch when this block was last swept (or formatted). The heap advances its epoch when a
    /// mark phase ends, which makes every block owned by a size class unswept at once without touching any of
    /// them (Go's `mspan.sweepgen` does the same): the block needs a sweep, and its marks are the only
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
    /// One mark byte per 16-byte granule of the block.
    @usableFromInline static let markByteCount = HeapLayout.blockBytes / SizeClasses.granuleBytes
    /// Offset of the first cell: after the header and the mark bytes, on a granule boundary.
    @usableFromInline static let firstCellOffset = headerBytes + markByteCount

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

    /// Invariant: the `markByteCount` bytes after the header were bound to UInt8 by `format`.
    @inlinable @inline(__always)
    var markBytes: UnsafeMutablePointer<UInt8> {
        (base + Block.headerBytes).assumingMemoryBound(to: UInt8.self)
    }

    @inlinable @inline(__always)
    var firstCell: UnsafeMutableRawPointer { base + Block.firstCellOffset }

    /// Whether `address` is the start of a cell of this block (debug checks and the verifier).
    func isCellStart(_ address: UnsafeRawPointer) -> Bool {
        let offset = address - UnsafeRawPointer(firstCell)
        let h = header.pointee
        return offset >= 0 && offset % h.cellBytes == 0 && offset / h.cellBytes < h.cellCount
    }

    // MARK: mark bytes

    /// The mark byte of the cell at `cell`: the byte of the granule its header starts in.
    /// - Precondition: `cell` is the start of a cell of this block (granule-aligned, inside it).
    @inlinable @inline(__always)
    func markByte(of cell: UnsafeRawPointer) -> UnsafeMutablePointer<UInt8> {
        let granule = (cell - UnsafeRawPointer(base)) &>> 4
        assert(granule >= Block.firstCellOffset / 16 && granule < HeapLayout.blockBytes / 16, "Block: \(cell) is not inside \(base)")
        // Invariant: granule < blockBytes / 16 (checked above in debug builds), so the byte is inside this
        // block's mark bytes, memory bound to UInt8 by `format`.
        return markBytes + granule
    }

    /// Whether the cell at `cell` is marked.
    /// - Precondition: as `markByte(of:)`.
    @inlinable @inline(__always)
    func isMarked(_ cell: UnsafeRawPointer) -> Bool { markByte(of: cell).pointee != 0 }

    /// Marks the cell at `cell`; returns true when it was not marked before (so the caller traces it once).
    /// - Precondition: as `markByte(of:)`.
    @inlinable @inline(__always)
    func testAndSetMark(_ cell: UnsafeRawPointer) -> Bool {
        let byte = markByte(of: cell)
        guard byte.pointee == 0 else { return false }
        byte.pointee = 1
        return true
    }

    /// `testAndSetMark` for parallel marking, where other collector threads mark at the same time: a relaxed
    /// atomic load and store of the byte (plain moves on x86-64, no locked instruction). Two markers that
    /// reach the same unmarked cell at once may both get true: the cell is then scanned twice, which marks
    /// nothing twice, and counted twice, which is why a parallel mark counts live cells from the mark bytes
    /// afterwards (`countMarked`). No other cell's mark can be lost: each has a byte of its own.
    /// - Precondition: as `markByte(of:)`.
    @inline(__always)
    func testAndSetMarkShared(_ cell: UnsafeRawPointer) -> Bool {
        heaplab_test_and_set_mark_byte(markByte(of: cell))
    }

    /// Marks or unmarks the cell at `cell` (black allocation in incremental mode).
    /// - Precondition: as `markByte(of:)`.
    @inline(__always)
    func setMark(_ cell: UnsafeRawPointer, _ marked: Bool) { markByte(of: cell).pointee = marked ? 1 : 0 }

    func clearMarks() {
        markBytes.update(repeating: 0, count: Block.markByteCount)
    }

    func hasAnyMark() -> Bool {
        // Invariant: the mark bytes are markByteCount bytes, a multiple of 8, read a word at a time.
        let raw = UnsafeRawPointer(markBytes)
        for w in 0..<(Block.markByteCount / 8) where raw.load(fromByteOffset: w &* 8, as: UInt64.self) != 0 { return true }
        return false
    }

    // MARK: formatting

    /// One past the last cell.
    @inlinable @inline(__always)
    var cellsEnd: UnsafeMutableRawPointer { firstCell + header.pointee.cellCount &* header.pointee.cellBytes }

    /// Number of cells marked: the live cells of a block that has just been marked. A mark byte is 0 or 1,
    /// so the set bits of each 8-byte word count its marked bytes.
    func markCount() -> Int {
        let raw = UnsafeRawPointer(markBytes)
        var n = 0
        for w in 0..<(Block.markByteCount / 8) { n &+= raw.load(fromByteOffset: w &* 8, as: UInt64.self).nonzeroBitCount }
        return n
    }

    /// Makes a pool block a block of `sizeClass`: writes its header and clears its mark bytes. Every cell is free,
    /// above `bumpFrom`; no cell memory is touched (the allocator touches each cell when it hands it out),
    /// except with `poison`, where every cell gets a zero first word and the poison pattern.
    func format(sizeClass: Int, sweepEpoch: UInt8, poison: Bool) {
        precondition(MemoryLayout<BlockHeader>.size <= Block.headerBytes, "BlockHeader outgrew its 64 bytes")
        let cellBytes = SizeClasses.cellBytesOfClass[sizeClass]
        let cellCount = (HeapLayout.blockBytes - Block.firstCellOffset) / cellBytes
        base.bindMemory(to: BlockHeader.self, capacity: 1)
        (base + Block.headerBytes).bindMemory(to: UInt8.self, capacity: Block.markByteCount)
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
