import Foundation
import HeapLabCore

/// The bytes the oracles write into raw blocks and payloads: a window of one long random buffer, starting at an
/// offset chosen per block. Neighbouring blocks hold different bytes, a block shifted by a few bytes no longer
/// matches, and checking a block is one `memcmp` against the buffer (fast in a debug build too), with no copy of
/// its contents kept in the model.
final class FillPattern {
    /// The largest block a window can cover.
    let maximumBytes: Int
    /// How many distinct starting offsets there are.
    static let offsets = 4096
    let bytes: UnsafeMutableRawBufferPointer

    init(seed: UInt64, maximumBytes: Int) {
        self.maximumBytes = maximumBytes
        // Whole words, so that the buffer fills a word at a time.
        bytes = .allocate(byteCount: (maximumBytes + Self.offsets + 7) & ~7, alignment: 16)
        var rng = SplitMix64(seed: seed ^ 0x5EED_F111)
        for i in stride(from: 0, to: bytes.count, by: 8) {
            bytes.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self)
        }
    }

    deinit { bytes.deallocate() }

    /// The window starting at `offset`.
    func window(_ offset: Int) -> UnsafeRawPointer { UnsafeRawPointer(bytes.baseAddress! + offset) }

    /// Writes the window at `offset` into `[p, p + byteCount)`.
    /// - Precondition: `byteCount <= maximumBytes`, `offset < FillPattern.offsets`.
    func fill(_ p: UnsafeMutableRawPointer, byteCount: Int, offset: Int) {
        precondition(byteCount <= maximumBytes && offset >= 0 && offset < Self.offsets, "FillPattern: window out of range")
        p.copyMemory(from: window(offset), byteCount: byteCount)
    }

    /// The index of the first byte of `[p, p + byteCount)` that differs from the window at `offset`, or nil.
    func firstMismatch(_ p: UnsafeRawPointer, byteCount: Int, offset: Int) -> Int? {
        let expected = window(offset)
        guard memcmp(p, expected, byteCount) != 0 else { return nil }
        return (0..<byteCount).first { p.load(fromByteOffset: $0, as: UInt8.self) != expected.load(fromByteOffset: $0, as: UInt8.self) }
    }
}
