/// The segregated size classes of small objects: every block holds cells of one size, so a cell's address
/// alone gives its boundaries, and a free cell fits any object of its class.
///
/// Cell sizes include the 8-byte object header and are multiples of the 16-byte granule:
/// 16, 32, ..., 128 in steps of 16 (most objects are small and deserve a tight fit), then four classes per
/// doubling up to 8 KiB (160, 192, 224, 256, 320, ...), so rounding wastes at most a quarter of a cell above
/// 128 bytes (at most 15 bytes below it). Objects whose cell would exceed `maximumSmallCellBytes` go to the
/// large-object space.
///
/// The tables are built once and never freed (they are shared by every heap in the process, and immutable).
@usableFromInline
enum SizeClasses {
    /// Cell sizes are multiples of this (and cells are aligned to it).
    @usableFromInline static let granuleBytes = 16
    /// The largest cell of a small object, header included.
    @usableFromInline static let maximumSmallCellBytes = 8192

    /// Cell bytes of each class, ascending.
    static let cellSizes: [Int] = {
        var sizes = Array(stride(from: 16, through: 128, by: 16))
        var power = 128
        while power < maximumSmallCellBytes {
            for quarter in 1...4 { sizes.append(power + power * quarter / 4) }
            power *= 2
        }
        return sizes
    }()

    /// Number of classes.
    @usableFromInline static let count = cellSizes.count

    /// Class index for a request of `g` granules (index g, 0...512), as a flat byte table: one load on the
    /// allocation fast path. Entry 0 maps to class 0 (a header-only object still needs a 16-byte cell).
    @usableFromInline nonisolated(unsafe) static let classOfGranules: UnsafeMutablePointer<UInt8> = {
        let entries = maximumSmallCellBytes / granuleBytes + 1
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: entries)
        var c = 0
        for g in 0..<entries {
            while cellSizes[c] < g * granuleBytes { c += 1 }
            table[g] = UInt8(c)
        }
        return table
    }()

    /// Cell bytes of class `c`, as a flat table for the fast path.
    @usableFromInline nonisolated(unsafe) static let cellBytesOfClass: UnsafeMutablePointer<Int> = {
        let table = UnsafeMutablePointer<Int>.allocate(capacity: cellSizes.count)
        for (c, size) in cellSizes.enumerated() { table[c] = size }
        return table
    }()

    /// The class of an object needing `bytes` bytes (header included).
    /// - Precondition: `0 <= bytes <= maximumSmallCellBytes`.
    @inlinable @inline(__always)
    static func sizeClass(forBytes bytes: Int) -> Int {
        assert(bytes >= 0 && bytes <= maximumSmallCellBytes, "SizeClasses: \(bytes) bytes is not a small object")
        return Int(classOfGranules[(bytes &+ 15) &>> 4])
    }
}
