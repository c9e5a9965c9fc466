import HeapLabCore

/// cycles: doubly linked lists and random graphs with cycles, each built, checked and dropped whole.
///
/// Lists: `lists` doubly linked lists of `listLength` nodes (next, prev, an 8-byte index); every adjacent pair
/// is a reference cycle. Graphs: `graphs` random graphs of `graphNodes` nodes, each node with a first-child and
/// a next-sibling reference (a random recursive spanning tree: the ownership structure) and `edgesPerNode`
/// extra references to random nodes of the same graph (back, forward and self edges: cycles everywhere).
/// The walk checks each structure (forward and backward counts and index sums for a list; every node reached,
/// indices and edge counts for a graph). One operation (one latency sample) is one structure: build, check,
/// drop, in a scope of its own.
///
/// The whole run happens twice: `strong` (every reference strong) and `weak` (the references a Swift
/// programmer would declare `weak var` to avoid a cycle: a list's prev, a graph's extra edges, stored with
/// `storeWeak`). On managers that do not count references the two passes do the same work.
///
/// How each model drops a structure (the point of the workload):
/// - tracing collector (gc, boehm): unroot it; the cycles are garbage like anything else.
/// - arena: nothing; the structure's scope ends.
/// - malloc, jemalloc, mimalloc: an explicit ownership walk, `free` per object: along `next` for a list,
///   along the spanning tree for a graph (the extra edges are not owning).
/// - ARC: drop the last outside reference. With strong references every cycle stays alive: a leak, measured as
///   the live bytes the manager reports after the pass minus before (`bytesLeakedStrong`); with weak
///   references nothing leaks (`bytesLeakedWeak`, 0).
/// The leak figures are reported for managers whose drops take effect at once (`dropsStall`) and which count
/// live bytes; a collector frees cycles only at its next collection, so no figure is given for it.
public struct Cycles: Workload {
    public static let name = "cycles"
    public static let summary = "doubly linked lists and random cyclic graphs dropped whole; ARC leaks unless weak references are used"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("lists", default: 1_000, test: 20, range: 0...10_000_000, help: "doubly linked lists per pass"),
        WorkloadParameter("listLength", default: 1_000, test: 50, range: 1...1_000_000, help: "nodes per list (24 bytes each)"),
        WorkloadParameter("graphs", default: 1_000, test: 20, range: 0...10_000_000, help: "random graphs per pass"),
        WorkloadParameter("graphNodes", default: 1_000, test: 50, range: 1...1_000_000, help: "nodes per graph"),
        WorkloadParameter("edgesPerNode", default: 2, test: 2, range: 0...64, help: "extra random references per graph node"),
        WorkloadParameter("seed", default: 42, test: 42, range: 0...Int.max, help: "random seed"),
    ]

    @inlinable public static var listNodeShape: ObjectShape { ObjectShape(referenceSlots: 2, payloadBytes: 8) }

    public let lists: Int
    public let listLength: Int
    public let graphs: Int
    public let graphNodes: Int
    public let edgesPerNode: Int
    public let seed: UInt64

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        lists = p["lists"]!
        listLength = p["listLength"]!
        graphs = p["graphs"]!
        graphNodes = p["graphNodes"]!
        edgesPerNode = p["edgesPerNode"]!
        seed = UInt64(p["seed"]!)
    }

    @inlinable public var graphNodeShape: ObjectShape { ObjectShape(referenceSlots: 2 + edgesPerNode, payloadBytes: 8) }

    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        var checksum: UInt64 = 0
        var metrics: [String: Double] = [:]
        var notes: [String] = []
        let measuresLeak = m.reclamation.dropsStall && m.statistics().liveBytes != nil
        for weak in [false, true] {
            var rng = SplitMix64(seed: seed)
            let before = m.statistics().liveBytes ?? 0
            for _ in 0..<lists {
                checksum &+= try context.operation {
                    try m.withScope { try listRound(m, weak: weak, context: context) }
                }
            }
            for _ in 0..<graphs {
                checksum &+= try context.operation {
                    try m.withScope { try graphRound(m, weak: weak, rng: &rng, context: context) }
                }
            }
            if measuresLeak {
                let leaked = (m.statistics().liveBytes ?? 0) - before
                metrics[weak ? "bytesLeakedWeak" : "bytesLeakedStrong"] = Double(leaked)
            }
            context.sampleMemory(liveBytes: 0, force: true)
        }
        switch m.reclamation {
        case .referenceCounting:
            notes.append("reference counting: strong pass drops only the outside reference (cycles leak); weak pass uses storeWeak for list prev and graph extra edges")
        case .region:
            notes.append("arena: each structure lives in its own scope and is freed at scope end")
        case .explicitFree:
            notes.append("explicit free: ownership walk along list next / spanning tree, one free per object")
        case .tracing:
            notes.append("collector: structures are unrooted and collected; no leak figure (reclaimed at the next collection)")
        }
        return WorkloadOutcome(checksum: checksum, metrics: metrics, notes: notes)
    }

    /// Builds, checks and drops one doubly linked list; returns its checksum.
    @inlinable
    func listRound<M: MemoryManager>(_ m: M, weak: Bool, context: RunContext) throws -> UInt64 {
        let mark = m.rootDepth
        let head = try m.allocate(Self.listNodeShape)
        m.pushRoot(head)
        var tail = head
        let tailRoot = m.pushRoot(tail)
        for i in 1..<listLength {
            let node = try m.allocate(Self.listNodeShape)
            m.storePayload(node, byteOffset: 0, UInt64(i))
            m.store(tail, slot: 0, node)
            if weak { m.storeWeak(node, slot: 1, tail) } else { m.store(node, slot: 1, tail) }
            m.setRoot(tailRoot, node)
            tail = node
        }
        context.sampleMemory(liveBytes: listLength * Self.listNodeShape.bytes)

        // Forward along next, backward along prev: both must see every node, in order.
        var forward = 0, expected: UInt64 = 0
        var cursor: M.Ref? = head
        while let node = cursor {
            guard m.loadPayload(node, byteOffset: 0, as: UInt64.self) == expected else {
                throw WorkloadFailure("cycles: list node \(forward) has a wrong index")
            }
            expected &+= 1
            forward += 1
            cursor = m.load(node, slot: 0)
        }
        var backward = 0
        cursor = tail
        while let node = cursor {
            backward += 1
            cursor = m.load(node, slot: 1)
        }
        guard forward == listLength, backward == listLength else {
            throw WorkloadFailure("cycles: list of \(listLength) nodes walks \(forward) forward, \(backward) backward")
        }

        m.popRoots(to: mark)
        let stall = context.beginDrop(on: m)
        switch m.reclamation {
        case .referenceCounting:
            _ = consume tail
            m.free(consume head)  // the last outside reference: the list is freed, or leaks if prev is strong
        case .explicitFree:
            var next: M.Ref? = head
            while let node = next {
                next = m.load(node, slot: 0)
                m.free(node)
            }
        case .tracing, .region:
            break  // unrooted: the collector finds it; the scope end frees it
        }
        context.endDrop(stall, "list")
        return UInt64(forward) &+ UInt64(listLength * (listLength - 1) / 2)
    }

    /// Builds, checks and drops one random graph; returns its checksum.
    @inlinable
    func graphRound<M: MemoryManager>(_ m: M, weak: Bool, rng: inout SplitMix64, context: RunContext) throws -> UInt64 {
        let mark = m.rootDepth
        let shape = graphNodeShape
        let root = try m.allocate(shape)
        m.pushRoot(root)
        // Every node is reachable from the rooted `root` along the spanning tree, so the array only indexes them.
        var nodes: [M.Ref] = [root]
        nodes.reserveCapacity(graphNodes)
        for i in 1..<graphNodes {
            let node = try m.allocate(shape)
            m.storePayload(node, byteOffset: 0, UInt64(i))
            let parent = nodes[rng.next(below: i)]
            m.store(node, slot: 1, m.load(parent, slot: 0))  // next sibling: the parent's previous first child
            m.store(parent, slot: 0, node)
            nodes.append(node)
        }
        for node in nodes {
            for e in 0..<edgesPerNode {
                let target = nodes[rng.next(below: graphNodes)]
                if weak { m.storeWeak(node, slot: 2 + e, target) } else { m.store(node, slot: 2 + e, target) }
            }
        }
        nodes.removeAll()  // for ARC: the array must not keep the graph alive past its drop
        context.sampleMemory(liveBytes: graphNodes * shape.bytes)
        let checksum = try checkGraph(m, root)

        m.popRoots(to: mark)
        let stall = context.beginDrop(on: m)
        switch m.reclamation {
        case .referenceCounting:
            m.free(consume root)
        case .explicitFree:
            // The ownership walk: the spanning tree owns every node exactly once.
            var work: [M.Ref] = [root]
            while let node = work.popLast() {
                if let child = m.load(node, slot: 0) { work.append(child) }
                if let sibling = m.load(node, slot: 1) { work.append(sibling) }
                m.free(node)
            }
        case .tracing, .region:
            break  // unrooted: the collector finds it; the scope end frees it
        }
        context.endDrop(stall, "graph")
        return checksum
    }

    /// Visits every node along every reference: all `graphNodes` must be reached exactly once, with valid
    /// indices, and every extra edge must be present.
    @inlinable
    func checkGraph<M: MemoryManager>(_ m: M, _ root: M.Ref) throws -> UInt64 {
        var seen: Set<M.Ref> = [root]
        var work: [M.Ref] = [root]
        var indexSum: UInt64 = 0, edges = 0
        while let node = work.popLast() {
            let index = m.loadPayload(node, byteOffset: 0, as: UInt64.self)
            guard index < UInt64(graphNodes) else { throw WorkloadFailure("cycles: graph node index \(index) out of range") }
            indexSum &+= index
            for slot in 0..<(2 + edgesPerNode) {
                guard let target = m.load(node, slot: slot) else { continue }
                if slot >= 2 { edges += 1 }
                if seen.insert(target).inserted { work.append(target) }
            }
        }
        let expectedSum = UInt64(graphNodes) * UInt64(graphNodes - 1) / 2
        guard seen.count == graphNodes, indexSum == expectedSum, edges == graphNodes * edgesPerNode else {
            throw WorkloadFailure("cycles: graph reaches \(seen.count) of \(graphNodes) nodes (index sum \(indexSum), expected \(expectedSum)), \(edges) of \(graphNodes * edgesPerNode) edges")
        }
        return UInt64(seen.count) &+ indexSum &+ UInt64(edges)
    }
}
