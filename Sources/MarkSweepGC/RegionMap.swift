/// Which region-sized (4 MiB) pieces of the address space are regions of this heap's block space: one byte per
/// region-aligned address over the window from the lowest region to the highest, so that "is this address in
/// one of our regions?" is a subtraction, a compare and a byte load, with no hashing. The marker asks it for
/// every reference it follows, in every build (`GCHeap.markObject`); the debug reference checks and the
/// verifier ask it too.
///
/// Regions are never unmapped while the heap lives (BlockSpace), so entries are only ever added. The window
/// grows to cover each new region; mmap hands out nearby addresses, so it stays small (256 bytes per GiB of
/// address space between the lowest and highest region; 32 MiB at the very most, for regions at both ends of
/// the 47-bit user address space).
@usableFromInline
struct RegionMap {
    /// One byte per region-aligned address from `firstRegion`: 1 for a region of this heap, 0 otherwise. Never
    /// nil, so the lookup has no nil test: a one-byte table (with `count` 0, never read) until the first region.
    @usableFromInline var table: UnsafeMutablePointer<UInt8>
    /// The region index (address >> regionShift) of `table[0]`.
    @usableFromInline var firstRegion: UInt = 0
    /// Entries in `table`.
    @usableFromInline var count: UInt = 0

    /// log2 of `HeapLayout.regionBytes`.
    @usableFromInline static let regionShift: UInt = 22

    init() {
        precondition(1 << RegionMap.regionShift == HeapLayout.regionBytes, "RegionMap: regionShift does not match regionBytes")
        table = .allocate(capacity: 1)
        table.initialize(to: 0)
    }

    /// Whether `address` lies in a region recorded with `insert`.
    @inlinable @inline(__always)
    func contains(_ address: UnsafeRawPointer) -> Bool {
        // Unsigned: an address below the window wraps to a huge index and fails the compare like one above it.
        let index = (UInt(bitPattern: address) &>> RegionMap.regionShift) &- firstRegion
        // Invariant: the byte is read only when index < count, the table's length.
        return index < count && table[Int(bitPattern: index)] != 0
    }

    /// Records the region starting at `base` (region-aligned), growing the window to cover it.
    mutating func insert(regionAt base: UnsafeRawPointer) {
        assert(UInt(bitPattern: base) & UInt(HeapLayout.regionBytes - 1) == 0, "RegionMap: \(base) is not region-aligned")
        let region = UInt(bitPattern: base) >> RegionMap.regionShift
        if count == 0 || region < firstRegion || region >= firstRegion + count {
            let first = count == 0 ? region : min(firstRegion, region)
            let end = count == 0 ? region + 1 : max(firstRegion + count, region + 1)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: Int(end - first))
            grown.initialize(repeating: 0, count: Int(end - first))
            if count > 0 {
                // Invariant: the old window [firstRegion, firstRegion + count) lies inside [first, end).
                (grown + Int(firstRegion - first)).update(from: table, count: Int(count))
            }
            table.deallocate()
            table = grown
            firstRegion = first
            count = end - first
        }
        // Invariant: the window now covers `region`.
        table[Int(region - firstRegion)] = 1
    }

    /// Frees the table (the heap's deinit); the map must not be used afterwards.
    func deallocate() { table.deallocate() }
}
