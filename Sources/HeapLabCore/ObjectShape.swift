/// The shape of one heap object, the unit every workload allocates: `referenceSlots` references to other
/// objects, then `payloadBytes` bytes of plain data.
///
/// Zero slots and zero payload are both valid. A shape is the same on every memory manager; what each manager
/// adds around it (a header, a size-class rounding, an ARC object header) is that manager's overhead and shows
/// in its statistics, not in the shape.
@frozen
public struct ObjectShape: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Number of reference slots; each holds one reference or nil. Never negative.
    public let referenceSlots: Int
    /// Number of payload bytes after the slots. Never negative.
    public let payloadBytes: Int

    /// The largest object any manager is asked for: 1 GiB of slots and payload together. Requests above it are
    /// rejected by `validated`, so that byte counts computed from a shape can never overflow `Int`.
    public static let maximumBytes = 1 << 30

    /// Makes a shape, trapping with a clear message on bad input.
    ///
    /// - Precondition: `referenceSlots >= 0`, `payloadBytes >= 0`, and the object's size
    ///   (`referenceSlots * 8 + payloadBytes`) is at most `maximumBytes`. Use `validated` for input that comes
    ///   from a user and should be rejected with a thrown error instead.
    @inlinable
    public init(referenceSlots: Int, payloadBytes: Int) {
        precondition(referenceSlots >= 0, "ObjectShape: referenceSlots must not be negative (got \(referenceSlots))")
        precondition(payloadBytes >= 0, "ObjectShape: payloadBytes must not be negative (got \(payloadBytes))")
        precondition(
            referenceSlots <= ObjectShape.maximumBytes / 8 && payloadBytes <= ObjectShape.maximumBytes
                && referenceSlots &* 8 &+ payloadBytes <= ObjectShape.maximumBytes,
            "ObjectShape: \(referenceSlots) slots + \(payloadBytes) payload bytes exceeds the 1 GiB object limit")
        self.referenceSlots = referenceSlots
        self.payloadBytes = payloadBytes
    }

    /// Makes a shape from untrusted numbers, throwing instead of trapping.
    ///
    /// - Throws: `AllocationError.invalidShape` when a count is negative or the size would exceed
    ///   `maximumBytes` (this also catches multiplication overflow).
    public static func validated(referenceSlots: Int, payloadBytes: Int) throws(AllocationError) -> ObjectShape {
        guard referenceSlots >= 0, payloadBytes >= 0 else {
            throw .invalidShape(referenceSlots: referenceSlots, payloadBytes: payloadBytes,
                                reason: "counts must not be negative")
        }
        let (slotBytes, o1) = referenceSlots.multipliedReportingOverflow(by: 8)
        let (total, o2) = slotBytes.addingReportingOverflow(payloadBytes)
        guard !o1, !o2, total <= maximumBytes else {
            throw .invalidShape(referenceSlots: referenceSlots, payloadBytes: payloadBytes,
                                reason: "size exceeds the \(maximumBytes)-byte object limit")
        }
        return ObjectShape(referenceSlots: referenceSlots, payloadBytes: payloadBytes)
    }

    /// Bytes of slots plus payload: what the workload asked for, before any manager's header or rounding.
    @inlinable
    public var bytes: Int { referenceSlots &* 8 &+ payloadBytes }

    public var description: String { "\(referenceSlots) slots + \(payloadBytes) B" }
}
