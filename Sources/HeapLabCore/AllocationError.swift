/// Why an allocation failed. Every memory manager reports failure with this one type, so a workload can handle
/// out-of-memory the same way on all of them.
///
/// A manager that throws stays usable: the failed request changed nothing that a later request depends on.
public enum AllocationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request can not be met without exceeding the manager's limit, even after the manager did everything
    /// it can (a full collection for a collector). `requestedBytes` is the request including the manager's
    /// own header and rounding, `liveBytes` what is live (or allocated and not yet freed) now, `limitBytes` the
    /// configured limit.
    case outOfMemory(requestedBytes: Int, liveBytes: Int, limitBytes: Int)
    /// The operating system refused memory (mmap or malloc returned nothing).
    case systemOutOfMemory(requestedBytes: Int)
    /// The shape is not valid: a negative count or a size above `ObjectShape.maximumBytes`.
    case invalidShape(referenceSlots: Int, payloadBytes: Int, reason: String)
    /// A size or alignment passed to a raw allocation is not valid (negative, overflowing, or an alignment that
    /// is not a power of two within the supported range).
    case invalidRequest(String)

    public var description: String {
        switch self {
        case let .outOfMemory(requested, live, limit):
            return "out of memory: \(requested) bytes requested, \(live) bytes live, limit \(limit) bytes"
        case let .systemOutOfMemory(requested):
            return "the system refused \(requested) bytes"
        case let .invalidShape(slots, payload, reason):
            return "invalid object shape (\(slots) slots, \(payload) payload bytes): \(reason)"
        case let .invalidRequest(message):
            return "invalid allocation request: \(message)"
        }
    }
}
