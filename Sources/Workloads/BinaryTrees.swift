import HeapLabCore

/// binary-trees, from the Computer Language Benchmarks Game: allocate, walk and drop many perfect binary trees
/// while one long-lived tree stays live.
///
/// With `maxDepth = max(minDepth + 2, depth)` and `minDepth = 4`: a stretch tree of depth `maxDepth + 1` is
/// built, checked and dropped; a long-lived tree of depth `maxDepth` is built; then for each depth d from 4 to
/// `maxDepth` in steps of 2, 2^(maxDepth - d + 4) trees of depth d are built bottom-up, checked (node count)
/// and dropped; finally the long-lived tree is checked. Nodes have two references and no data (16 bytes of
/// object), as in the benchmark. Each temporary tree lives in a scope of its own; its drop is logged as a stall
/// on managers whose drops cost something.
///
/// Operations (latency samples) are bounded units of work, so that the worst one says how long the mutator
/// was held up rather than how big the largest tree is: a temporary tree of depth at most `unitDepth` is one
/// operation (build, check, drop); a deeper one is timed as its subtrees of depth `unitDepth`, whose build is
/// one operation and whose check is another (the 2^(d - unitDepth) - 1 nodes above them and the drop are in
/// no operation). At the default `unitDepth` of 14 an operation is at most 32,767 nodes, the size of
/// GCBench's depth-14 trees. The stretch and long-lived trees are in no operation.
///
/// What it shows: raw allocation and reclamation throughput of small, short-lived, identically shaped objects
/// (generational hypothesis at its purest), beside a long-lived structure a collector must trace again and
/// again. Every model fits it: trees nest in scopes (arena), are trees (malloc `dropTree`, ARC cascade).
public struct BinaryTrees: Workload {
    public static let name = "binary-trees"
    public static let summary = "Benchmarks Game binary-trees: many short-lived perfect binary trees beside a long-lived one"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("depth", default: 21, test: 8, range: 1...26, help: "maximum tree depth N (the Benchmarks Game uses 21)"),
        WorkloadParameter("unitDepth", default: 14, test: 6, range: 1...26,
                          help: "deepest tree timed as one operation; deeper trees are timed per subtree of this depth (build, then check)"),
    ]

    /// The smallest depth of the temporary trees, fixed by the benchmark.
    public static let minDepth = 4
    /// A node: left and right, nothing else.
    @inlinable public static var nodeShape: ObjectShape { ObjectShape(referenceSlots: 2, payloadBytes: 0) }

    public let maxDepth: Int
    /// Depth of the largest subtree timed as one operation.
    public let unitDepth: Int

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        maxDepth = max(Self.minDepth + 2, p["depth"]!)
        unitDepth = p["unitDepth"]!
    }

    /// Nodes in a perfect binary tree of `depth`: 2^(depth+1) - 1.
    @inlinable public static func nodes(depth: Int) -> Int { (1 << (depth + 1)) - 1 }

    /// Trees built at `depth`: 2^(maxDepth - depth + minDepth).
    @inlinable public func iterations(depth: Int) -> Int { 1 << (maxDepth - depth + Self.minDepth) }

    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        var checksum: UInt64 = 0
        let base = m.rootDepth
        let nodeBytes = Self.nodeShape.bytes

        // Stretch tree: the largest structure of the run, dropped at once.
        try m.withScope {
            let tree = try Self.bottomUpTree(m, depth: maxDepth + 1)
            m.pushRoot(tree)
            checksum &+= try Self.checked(m, tree, depth: maxDepth + 1)
            context.sampleMemory(liveBytes: Self.nodes(depth: maxDepth + 1) * nodeBytes, force: true)
            let stall = context.beginDrop(on: m)
            m.dropTree(consume tree)
            context.endDrop(stall, "stretch tree")
        }

        let longLived = try Self.bottomUpTree(m, depth: maxDepth)
        m.pushRoot(longLived)
        let longLivedBytes = Self.nodes(depth: maxDepth) * nodeBytes

        var depth = Self.minDepth
        while depth <= maxDepth {
            let treeBytes = Self.nodes(depth: depth) * nodeBytes
            for _ in 0..<iterations(depth: depth) {
                if depth <= unitDepth {
                    try context.operation {
                        try m.withScope {
                            let tree = try Self.bottomUpTree(m, depth: depth)
                            m.pushRoot(tree)
                            checksum &+= try Self.checked(m, tree, depth: depth)
                            let stall = context.beginDrop(on: m)
                            m.dropTree(consume tree)
                            context.endDrop(stall, "tree")
                        }
                    }
                } else {
                    try m.withScope {
                        let tree = try Self.bottomUpTree(m, depth: depth, timingSubtreesOf: unitDepth, context)
                        m.pushRoot(tree)
                        let count = try Self.itemCheck(m, tree, depth: depth, timingSubtreesOf: unitDepth, context)
                        checksum &+= try Self.verified(count, depth: depth)
                        let stall = context.beginDrop(on: m)
                        m.dropTree(consume tree)
                        context.endDrop(stall, "tree")
                    }
                }
                context.sampleMemory(liveBytes: longLivedBytes + treeBytes)
            }
            depth += 2
        }

        checksum &+= try Self.checked(m, longLived, depth: maxDepth)
        context.sampleMemory(liveBytes: longLivedBytes, force: true)
        let stall = context.beginDrop(on: m)
        m.dropTree(consume longLived)
        context.endDrop(stall, "long-lived tree")
        m.popRoots(to: base)
        return WorkloadOutcome(checksum: checksum, metrics: ["maxDepth": Double(maxDepth)])
    }

    /// Builds a perfect tree of `depth` bottom-up; each finished subtree is rooted while its sibling is built.
    /// The result is not rooted: the caller roots it before its next allocation.
    @inlinable
    static func bottomUpTree<M: MemoryManager>(_ m: M, depth: Int) throws -> M.Ref {
        try bottomUpTree(m, depth: depth, timingSubtreesOf: -1, nil)
    }

    /// `bottomUpTree`, with each subtree of depth `unitDepth` built as one operation of `context` (none when
    /// `context` is nil).
    @inlinable
    static func bottomUpTree<M: MemoryManager>(_ m: M, depth: Int, timingSubtreesOf unitDepth: Int,
                                               _ context: RunContext?) throws -> M.Ref {
        if depth == unitDepth, let context {
            return try context.operation { () throws -> M.Ref in try bottomUpTree(m, depth: depth, timingSubtreesOf: -1, nil) }
        }
        if depth == 0 { return try m.allocate(nodeShape) }
        let mark = m.rootDepth
        let left = try bottomUpTree(m, depth: depth - 1, timingSubtreesOf: unitDepth, context)
        m.pushRoot(left)
        let right = try bottomUpTree(m, depth: depth - 1, timingSubtreesOf: unitDepth, context)
        m.pushRoot(right)
        let node = try m.allocate(nodeShape)
        m.store(node, slot: 0, left)
        m.store(node, slot: 1, right)
        m.popRoots(to: mark)
        return node
    }

    /// The benchmark's check (the node count), verified against 2^(depth+1) - 1.
    @inlinable
    static func checked<M: MemoryManager>(_ m: M, _ tree: M.Ref, depth: Int) throws -> UInt64 {
        try verified(itemCheck(m, tree), depth: depth)
    }

    /// `count` as a checksum term, or a failure unless it is the node count of a perfect tree of `depth`.
    @inlinable
    static func verified(_ count: Int, depth: Int) throws -> UInt64 {
        guard count == nodes(depth: depth) else {
            throw WorkloadFailure("binary-trees: a tree of depth \(depth) has \(count) nodes, expected \(nodes(depth: depth))")
        }
        return UInt64(count)
    }

    /// `itemCheck`, with the check of each subtree `unitDepth` levels above the leaves timed as one operation
    /// of `context`. A node missing a child above that level counts as a leaf, so the count fails the check.
    @inlinable
    static func itemCheck<M: MemoryManager>(_ m: M, _ node: M.Ref, depth: Int, timingSubtreesOf unitDepth: Int,
                                            _ context: RunContext) -> Int {
        if depth <= unitDepth { return context.operation { itemCheck(m, node) } }
        guard let left = m.load(node, slot: 0), let right = m.load(node, slot: 1) else { return 1 }
        return 1 &+ itemCheck(m, left, depth: depth - 1, timingSubtreesOf: unitDepth, context)
            &+ itemCheck(m, right, depth: depth - 1, timingSubtreesOf: unitDepth, context)
    }

    /// Counts the nodes of a tree (a node with one child missing counts as a leaf and fails the check).
    @inlinable
    static func itemCheck<M: MemoryManager>(_ m: M, _ node: M.Ref) -> Int {
        guard let left = m.load(node, slot: 0), let right = m.load(node, slot: 1) else { return 1 }
        return 1 &+ itemCheck(m, left) &+ itemCheck(m, right)
    }
}
