import HeapLabCore

/// deep: one singly linked list of 10 million nodes, built, walked and dropped whole.
///
/// Each node has one reference (next) and an 8-byte index. The list is built by prepending, so the head is
/// always the newest node (rooted with `setRoot`). The walk checks the node count and that indices descend
/// from `nodes - 1` to 0. Then the list is dropped at once, logged as a stall.
///
/// What it shows: structures deeper than any native stack. A collector's marker must use an explicit mark
/// stack; malloc's `dropTree` walks iteratively. ARC releases recursively (each node's deinit releases the
/// next), one native stack frame per node: on the main thread's 8 MiB stack a list this long overflows it and
/// the process dies with SIGSEGV. The runner records that crash, with its stderr, as the run's result. The
/// `deep-bigstack` variant drops the list on a thread with a large stack instead: the workaround a Swift
/// programmer has (the other one being to unlink the list node by node in a loop).
/// One operation (one latency sample) is 1,024 prepends.
public struct DeepList: Workload {
    public static let name = "deep"
    public static let summary = "one 10-million-node linked list built, walked and dropped whole (ARC's recursive release)"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("nodes", default: 10_000_000, test: 2_000, range: 1...200_000_000, help: "list length, nodes of 16 bytes"),
    ]

    /// A node: next, and its index.
    @inlinable public static var nodeShape: ObjectShape { ObjectShape(referenceSlots: 1, payloadBytes: 8) }

    public let nodes: Int
    /// Stack size of the thread that drops the list, bytes; 0 drops it on the calling thread.
    public let dropStackBytes: Int

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        nodes = p["nodes"]!
        dropStackBytes = 0
    }

    @usableFromInline
    init(nodes: Int, dropStackBytes: Int) {
        self.nodes = nodes
        self.dropStackBytes = dropStackBytes
    }

    /// Holds the list while it is handed to the dropping thread, so no other reference remains on this one.
    @usableFromInline
    final class Holder<Ref> {
        @usableFromInline var ref: Ref?
        @inlinable init(_ ref: consuming Ref) { self.ref = ref }
    }

    /// The list lives in a scope of its own, so that an arena frees it (and logs that free as its stall) at the
    /// scope's end, as every other manager frees it at the drop point.
    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        try m.withScope { try listLifetime(on: m, context: context) }
    }

    /// Builds, walks and drops the list.
    @inlinable
    func listLifetime<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        // The dropping thread starts before the list exists: if its stack is refused, the run fails with that
        // error instead of releasing a list built in vain on this thread's smaller stack.
        let dropper = dropStackBytes > 0 ? try LargeStackThread(stackBytes: dropStackBytes) : nil
        let base = m.rootDepth
        let bytes = nodes * Self.nodeShape.bytes
        var head = try m.allocate(Self.nodeShape)
        let root = m.pushRoot(head)
        var built = 1
        while built < nodes {
            let batchEnd = min(nodes, built + 1024)
            try context.operation {
                while built < batchEnd {
                    let node = try m.allocate(Self.nodeShape)
                    m.storePayload(node, byteOffset: 0, UInt64(built))
                    m.store(node, slot: 0, head)
                    m.setRoot(root, node)
                    head = node
                    built += 1
                }
            }
            context.sampleMemory(liveBytes: built * Self.nodeShape.bytes)
        }

        // Walk: count, and check the indices descend to 0.
        var count = 0
        var checksum: UInt64 = 0
        var expected = UInt64(nodes - 1)
        var cursor: M.Ref? = head
        while let node = cursor {
            let index = m.loadPayload(node, byteOffset: 0, as: UInt64.self)
            guard index == expected else {
                throw WorkloadFailure("deep: node \(count) has index \(index), expected \(expected)")
            }
            checksum &+= index
            expected &-= 1
            count += 1
            cursor = m.load(node, slot: 0)
        }
        guard count == nodes else { throw WorkloadFailure("deep: list has \(count) nodes, expected \(nodes)") }
        context.sampleMemory(liveBytes: bytes, force: true)

        m.popRoots(to: base)
        var notes: [String] = []
        let stall = context.beginDrop(on: m)
        if let dropper {
            let holder = Holder(consume head)
            dropper.run {
                if let list = holder.ref.take() { m.dropTree(list) }
            }
            notes.append("list dropped on a thread with a \(dropStackBytes >> 20) MiB stack")
        } else {
            m.dropTree(consume head)
        }
        context.endDrop(stall, "\(nodes)-node list")
        context.sampleMemory(liveBytes: 0, force: true)
        return WorkloadOutcome(checksum: checksum &+ UInt64(count),
                               metrics: ["nodes": Double(nodes), "dropStackBytes": Double(dropStackBytes)], notes: notes)
    }
}

/// deep-bigstack: `deep`, with the list dropped on a thread whose stack is `stackMiB` MiB, so that ARC's
/// recursive release of a long list can finish (the workaround, named). Other managers behave as in `deep`.
public struct DeepListOnLargeStack: Workload {
    public static let name = "deep-bigstack"
    public static let summary = "deep, with the list dropped on a thread with a large stack (ARC's workaround)"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("nodes", default: 10_000_000, test: 200_000, range: 1...200_000_000, help: "list length, nodes of 16 bytes"),
        WorkloadParameter("stackMiB", default: 4096, test: 256, range: 1...16_384, help: "stack of the dropping thread, MiB (reserved, committed only as touched; the system must be able to promise it)"),
    ]

    public let list: DeepList

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        list = DeepList(nodes: p["nodes"]!, dropStackBytes: p["stackMiB"]! << 20)
    }

    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        try list.run(on: m, context: context)
    }
}
