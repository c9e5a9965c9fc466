/// Which region-sized (4 MiB) pieces of the address space are regions of this heap's block space: one byte per
/// region-aligned address over the window from the lowest region to the highest, so that "is this address in
/// one of our regions?" is a subtraction, a compare and a byte load, with no hashing. The marker asks it for
/// every reference it follows, in every build (`GCHeap.markObject`); the debug reference checks and the
/// verifier ask it too.
///
/// Regions are never unmapped while the heap lives (BlockSpace), so entries are only ever added. The window
/// grows to cover each new region; mmap hands out nearby addresses, so it stays small (a few bytes per GiB of
/// address space between the lowest and highest region; 32 MiB at the very most, for regions at both ends of
/// the 47-bit user address space).
@usableFromInline
struct RegionMap {
    /// One byte per region-aligned address from `firstRegion`: 1 for a region of this heap, 0 otherwise.
    @usableFromInline var table: UnsafeMutablePointer<UInt8>?
    /// The region index (address >> regionShift) of `table[0]`.
    @usableFromInline var firstRegion: UInt = 0
    /// Entries in `table`.
    @usableFromInline var count: UInt = 0

    /// log2 of `HeapLayout.regionBytes`.
    @usableFromInline static let regionShift: UInt = 22

    init() {
        precondition(1 << RegionMap.regionShift == HeapLayout.regionBytes, "RegionMap: regionShift does not match regionBytes")
    }

    /// Whether `address` lies in a region recorded with `insert`.
    @inlinable @inline(__always)
    func contains(_ address: UnsafeRawPointer) -> Bool {
        // Unsigned: an address below the window wraps to a huge index and fails the compare like one above it.
        let index = (UInt(bitPattern: address) &>> RegionMap.regionShift) &- firstRegion
        guard index < count, let table else { return false }
        // Invariant: index < count, the table's length.
        return table[Int(bitPattern: index)] != 0
    }

    /// Records the region starting at `base` (region-aligned), growing the window to cover it.
    mutating func insert(regionAt base: UnsafeRawPointer) {
        assert(UInt(bitPattern: base) & UInt(HeapLayout.regionBytes - 1) == 0, "RegionMap: \(base) is not region-aligned")
        let region = UInt(bitPattern: base) >> RegionMap.regionShift
        if table == nil || region < firstRegion || region >= firstRegion + count {
            let first = table == nil ? region : min(firstRegion, region)
            let end = table == nil ? region + 1 : max(firstRegion + count, region + 1)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: Int(end - first))
            grown.initialize(repeating: 0, count: Int(end - first))
            if let table {
                // Invariant: the old window [firstRegion, firstRegion + count) lies inside [first, end).
                (grown + Int(firstRegion - first)).update(from: table, count: Int(count))
                table.deallocate()
            }
            table = grown
            firstRegion = first
            count = end - first
        }
        // Invariant: the window now covers `region`.
        table.unsafelyUnwrapped[Int(region - firstRegion)] = 1
    }

    /// Forgets every region and frees the table.
    mutating func removeAll() {
        table?.deallocate()
        table = nil
        firstRegion = 0
        count = 0
    }
}
