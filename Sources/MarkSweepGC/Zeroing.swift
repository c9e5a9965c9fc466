/// Zeroing of a new object's slots and payload on the allocation fast path.
///
/// A plain store loop is turned into a call to memset by the optimizer, which costs more than the stores for
/// the small objects that dominate allocation. Instead, sizes up to 64 bytes are zeroed with two overlapping
/// stores of 8, 16 or 32 bytes (the same trick memset uses internally for small sizes), with no loop and at
/// most three branches; larger objects go to memset.
@usableFromInline
enum Zeroing {
    /// Zeroes `[start, start + bytes)`.
    /// - Precondition: `bytes` is a multiple of 8 (whole words), `bytes >= 0`.
    @inlinable @inline(__always)
    static func zeroWords(_ start: UnsafeMutableRawPointer, bytes: Int) {
        assert(bytes >= 0 && bytes & 7 == 0, "Zeroing: \(bytes) is not a whole number of words")
        if bytes <= 16 {
            guard bytes > 0 else { return }
            // 8 or 16 bytes: the first and the last word (the same word when bytes == 8).
            start.storeBytes(of: 0 as UInt64, as: UInt64.self)
            start.storeBytes(of: 0 as UInt64, toByteOffset: bytes &- 8, as: UInt64.self)
        } else if bytes <= 32 {
            // 24 or 32 bytes: the first and the last 16 (overlapping for 24).
            start.storeBytes(of: SIMD2<UInt64>(), as: SIMD2<UInt64>.self)
            start.storeBytes(of: SIMD2<UInt64>(), toByteOffset: bytes &- 16, as: SIMD2<UInt64>.self)
        } else if bytes <= 64 {
            start.storeBytes(of: SIMD4<UInt64>(), as: SIMD4<UInt64>.self)
            start.storeBytes(of: SIMD4<UInt64>(), toByteOffset: bytes &- 32, as: SIMD4<UInt64>.self)
        } else {
            start.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        }
    }
}
