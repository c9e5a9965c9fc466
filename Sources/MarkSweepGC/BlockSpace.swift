import HeapLabCore

/// The space of small-object blocks: regions mapped from the system, carved into 64 KiB blocks, and the pool
/// of blocks that belong to no size class.
///
/// A block is in exactly one place: owned by a size class (`blocksInUse` counts them), in `residentPool` (free,
/// its pages still resident: the cheapest to reuse), or in `releasedPool` (free, its pages given back to the
/// system with madvise: reusing it costs page faults but no syscall). Regions are never unmapped while the heap
/// lives: giving pages back keeps the address space and so keeps every block-aligned address meaning the same
/// thing, which the debug reference checks rely on.
@usableFromInline
struct BlockSpace {
    /// Base addresses of every region, in mapping order.
    @usableFromInline var regions: [UnsafeMutableRawPointer] = []
    /// The same, for membership tests (the marker, debug reference checks, the verifier).
    @usableFromInline var regionMap = RegionMap()
    @usableFromInline var residentPool: [Block] = []
    @usableFromInline var releasedPool: [Block] = []
    /// Blocks owned by size classes.
    @usableFromInline var blocksInUse = 0
    /// Bytes given back to the system with madvise since the heap was made.
    @usableFromInline var releasedBytesTotal = 0

    init() {}

    /// Bytes of all regions mapped.
    var mappedBytes: Int { regions.count * HeapLayout.regionBytes }
    /// Bytes of blocks owned by size classes.
    @usableFromInline var bytesInUse: Int { blocksInUse * HeapLayout.blockBytes }
    /// Bytes of pool blocks whose pages are still resident.
    var residentPoolBytes: Int { residentPool.count * HeapLayout.blockBytes }

    /// Takes a free block for a size class (the caller formats it): a resident one if any, else a released
    /// one, else one of a newly mapped region. Returns nil when the system refuses a new region.
    mutating func takeBlock() -> Block? {
        if let b = residentPool.popLast() ?? releasedPool.popLast() {
            blocksInUse += 1
            return b
        }
        guard let region = VirtualMemory.mapAligned(bytes: HeapLayout.regionBytes, alignment: HeapLayout.regionBytes, reserve: false) else {
            return nil
        }
        regions.append(region)
        regionMap.insert(regionAt: region)
        // Highest address first into the pool, so blocks are handed out in address order.
        for i in stride(from: HeapLayout.blocksPerRegion - 1, through: 1, by: -1) {
            releasedPool.append(Block(base: region + i * HeapLayout.blockBytes))
        }
        blocksInUse += 1
        return Block(base: region)
    }

    /// Gives a block back to the pool (its size class no longer owns it).
    mutating func returnBlock(_ block: Block) {
        block.header.pointee.kind = HeapLayout.freeBlockKind
        blocksInUse -= 1
        residentPool.append(block)
    }

    /// Gives the pages of resident pool blocks back to the system until at most `keepBytes` of them stay
    /// resident, or `maxBlocks` were given back. Returns the bytes released.
    mutating func releaseResidentBlocks(keepingBytes keepBytes: Int, maxBlocks: Int = Int.max) -> Int {
        let keep = max(0, keepBytes) / HeapLayout.blockBytes
        var released = 0
        var blocks = 0
        while residentPool.count > keep, blocks < maxBlocks, let b = residentPool.popLast() {
            blocks += 1
            VirtualMemory.release(b.base, bytes: HeapLayout.blockBytes)
            releasedPool.append(b)
            released += HeapLayout.blockBytes
        }
        releasedBytesTotal += released
        return released
    }

    /// Whether `address` lies in a region of this space.
    @inlinable @inline(__always)
    func contains(_ address: UnsafeRawPointer) -> Bool { regionMap.contains(address) }

    /// Unmaps every region and frees the region map (the heap's deinit): the space must not be used afterwards.
    mutating func unmapAll() {
        for r in regions { VirtualMemory.unmap(r, bytes: HeapLayout.regionBytes) }
        regions.removeAll()
        regionMap.deallocate()
        residentPool.removeAll()
        releasedPool.removeAll()
        blocksInUse = 0
    }
}
