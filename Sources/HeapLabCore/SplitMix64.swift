/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014): a
/// 64-bit state advanced by a constant and mixed by two multiply-xorshift rounds. Deterministic from its seed,
/// so every run of a workload, on every manager, makes the same choices and produces the same checksum.
///
/// Not cryptographic; statistically good enough for choosing sizes, lifetimes and keys.
@frozen
public struct SplitMix64: RandomNumberGenerator {
    @usableFromInline var state: UInt64

    @inlinable public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (Lemire's multiply-high reduction; the bias is below 2^-40 for bounds under 2^24).
    /// - Precondition: `bound > 0`.
    @inlinable
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "SplitMix64.next(below:): bound must be positive (got \(bound))")
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A double uniformly in [0, 1), with 53 random bits.
    @inlinable
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A double in (0, 1]: safe to take a logarithm or a negative power of.
    @inlinable
    public mutating func nextOpenUnit() -> Double { Double((next() >> 11) &+ 1) * 0x1p-53 }
}
