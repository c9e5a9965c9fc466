/// Debug poisoning of free cells: every word of a free cell after its free-list link holds `pattern`, written
/// when the cell is freed and checked when it is allocated again. A mismatch means something wrote into a
/// reclaimed object (a use after free by the program, or a collector bug that freed a live object): the
/// allocator stops with a precondition message naming the cell and the word.
@usableFromInline
enum Poison {
    /// "DEADBEEF" twice: easy to spot in a debugger, and never a valid object header (its top five bits are
    /// 0b11011, not the object tag) nor a user-space address.
    @usableFromInline static let pattern: UInt64 = 0xDEAD_BEEF_DEAD_BEEF

    /// Fills words 1..<cellBytes/8 of `cell` with the pattern. Word 0 is the free-list link.
    @inlinable
    static func fill(_ cell: UnsafeMutableRawPointer, cellBytes: Int) {
        (cell + 8).initializeMemory(as: UInt64.self, repeating: pattern, count: cellBytes &>> 3 &- 1)
    }

    /// The index of the first word of `cell` (after the link) that no longer holds the pattern, or nil.
    @inlinable
    static func firstDamagedWord(_ cell: UnsafeRawPointer, cellBytes: Int) -> Int? {
        let words = cellBytes &>> 3
        var i = 1
        while i < words {
            if cell.load(fromByteOffset: i &* 8, as: UInt64.self) != pattern { return i }
            i &+= 1
        }
        return nil
    }
}
