import HeapLabCore

/// A message queue: a producer appends messages, a consumer takes the oldest one once `depth` are waiting, so
/// every message lives exactly `depth` operations (first in, first out). Each message is a node with one
/// reference (the next message) and a payload of `payloadBytes` bytes whose words are derived from its sequence
/// number and checked when it is consumed.
///
/// What it shows: a steady live set with lifetimes that do not nest, on each memory model. A collector keeps
/// the queue rooted and finds consumed messages itself; malloc-family managers free each one when it is
/// consumed; ARC drops its last reference. An arena can not free a message before everything allocated after
/// it, so a FIFO does not fit it: the run says `notApplicable` (a real program would use a ring buffer there).
///
/// Written once against the `MemoryManager` contract, as HeapLab's own workloads are: every reference held
/// across an allocation is rooted, nothing is used after it is freed.
public struct MessageQueue: Workload {
    public static let name = "queue"
    public static let summary = "a FIFO message queue: each message lives exactly `depth` operations (custom workload example)"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("messages", default: 5_000_000, test: 20_000, range: 1...1_000_000_000, help: "messages produced and consumed"),
        WorkloadParameter("depth", default: 100_000, test: 1_000, range: 1...100_000_000, help: "messages waiting in the queue"),
        WorkloadParameter("payloadBytes", default: 64, test: 64, range: 8...65_536, help: "payload bytes per message (a multiple of 8)"),
    ]

    public let messages: Int
    public let depth: Int
    public let payloadBytes: Int

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        messages = p["messages"]!
        depth = p["depth"]!
        payloadBytes = p["payloadBytes"]!
        guard payloadBytes % 8 == 0 else { throw ParameterError("queue: payloadBytes must be a multiple of 8 (got \(payloadBytes))") }
    }

    /// The queue's header: slot 0 the oldest message, slot 1 the newest.
    @inlinable static var headerShape: ObjectShape { ObjectShape(referenceSlots: 2, payloadBytes: 0) }

    /// The payload word `w` of message `sequence`.
    @inlinable static func word(_ sequence: Int, _ w: Int) -> UInt64 {
        (UInt64(truncatingIfNeeded: sequence) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(truncatingIfNeeded: w)
    }

    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        guard m.reclamation != .region else {
            throw WorkloadNotApplicable("FIFO lifetimes do not nest: an arena frees a message only with everything allocated after it")
        }
        let shape = ObjectShape(referenceSlots: 1, payloadBytes: payloadBytes)
        let words = payloadBytes / 8
        let base = m.rootDepth
        let queue = try m.allocate(Self.headerShape)
        m.pushRoot(queue)
        var produced = 0, consumed = 0
        var checksum: UInt64 = 0

        /// Takes the oldest message off the queue, checks it and frees it.
        func consume() throws {
            let oldest = m.load(queue, slot: 0)!
            let next = m.load(oldest, slot: 0)
            m.store(queue, slot: 0, next)
            if next == nil { m.store(queue, slot: 1, nil) }
            for w in 0..<words {
                let value = m.loadPayload(oldest, byteOffset: w * 8, as: UInt64.self)
                guard value == Self.word(consumed, w) else {
                    throw WorkloadFailure("queue: message \(consumed) has a wrong word \(w)")
                }
            }
            checksum &+= m.loadPayload(oldest, byteOffset: 0, as: UInt64.self)
            consumed += 1
            // Explicit free walks nothing here: a consumed message points at nothing it owns.
            m.free(oldest)
        }

        while produced < messages {
            try context.operation {
                let message = try m.allocate(shape)  // the queue is rooted; the new message is stored before the next allocation
                for w in 0..<words { m.storePayload(message, byteOffset: w * 8, Self.word(produced, w)) }
                if let newest = m.load(queue, slot: 1) { m.store(newest, slot: 0, message) } else { m.store(queue, slot: 0, message) }
                m.store(queue, slot: 1, message)
                produced += 1
                if produced - consumed > depth { try consume() }
            }
            if produced & 4095 == 0 { context.sampleMemory(liveBytes: (produced - consumed) * shape.bytes) }
        }
        let drain = context.beginDrop(on: m)
        while consumed < produced { try consume() }
        context.endDrop(drain, "queue drain")
        m.popRoots(to: base)
        m.free(queue)
        context.sampleMemory(liveBytes: 0, force: true)
        return WorkloadOutcome(checksum: checksum, metrics: ["messages": Double(messages), "depth": Double(depth)])
    }
}
