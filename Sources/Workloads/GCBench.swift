import HeapLabCore

/// GCBench, the classic collector benchmark of Hans Boehm, John Ellis and William Kovac (after a Java program
/// by John Ellis and Pete Kovac): it builds many binary trees of growing depth, top-down and bottom-up, while a
/// long-lived tree and a long-lived array stay live, so a collector must keep tracing the old data.
///
/// Shape of a node: two references (left, right) and two 32-bit integers (`i`, `j`): 24 bytes of object.
/// Each node's `i` holds its remaining depth. Every temporary tree is checked by reading back, through the
/// manager, the recorded depth of its root and of the root's two children: values the optimizer cannot drop,
/// for about the work of the original program, which checks nothing. With `walkTrees=1`
/// (the test size) every tree is also walked and every node's `i`, `j` and children checked, which makes a
/// manager that frees or corrupts a live node fail at once, at the price of a second pass over each tree. The
/// long-lived tree is always walked at the end. A stretch tree of depth `stretchDepth` is built and dropped first; then a long-lived tree of
/// depth `longLivedDepth` and an array of `arraySize` doubles are made; then for each depth d from `minDepth` to
/// `maxDepth` in steps of 2, NumIters(d) = 2 * TreeSize(stretchDepth) / TreeSize(d) trees are built top-down
/// (Populate) and as many bottom-up (MakeTree), with TreeSize(i) = 2^(i+1) - 1. One operation (one latency
/// sample) is one tree: build, check, drop. Each tree lives in a scope of its own; the long-lived data lives
/// outside them.
public struct GCBench: Workload {
    public static let name = "gcbench"
    public static let summary = "Boehm-Ellis-Kovac GCBench: many binary trees, top-down and bottom-up, beside a long-lived tree and array"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("stretchDepth", default: 18, test: 10, range: 1...24, help: "depth of the stretch tree; also sets the work per depth"),
        WorkloadParameter("longLivedDepth", default: 16, test: 8, range: 0...24, help: "depth of the long-lived tree"),
        WorkloadParameter("arraySize", default: 500_000, test: 4_000, range: 2_002...100_000_000, help: "doubles in the long-lived array (the first half is filled; element 1000 is checked)"),
        WorkloadParameter("minDepth", default: 4, test: 4, range: 0...24, help: "smallest temporary tree depth"),
        WorkloadParameter("maxDepth", default: 16, test: 8, range: 0...24, help: "largest temporary tree depth (steps of 2 from minDepth)"),
        WorkloadParameter("walkTrees", default: 0, test: 1, range: 0...1, help: "1: walk every temporary tree checking each node; 0: check the node count recorded at its root"),
    ]

    public let stretchDepth: Int
    public let longLivedDepth: Int
    public let arraySize: Int
    public let minDepth: Int
    public let maxDepth: Int
    public let walkTrees: Bool

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        stretchDepth = p["stretchDepth"]!
        longLivedDepth = p["longLivedDepth"]!
        arraySize = p["arraySize"]!
        minDepth = p["minDepth"]!
        maxDepth = p["maxDepth"]!
        walkTrees = p["walkTrees"]! == 1
        guard minDepth <= maxDepth else { throw ParameterError("gcbench: minDepth (\(minDepth)) must not exceed maxDepth (\(maxDepth))") }
    }

    /// Nodes in a complete binary tree of depth `depth`: 2^(depth+1) - 1.
    @inlinable
    public static func treeSize(_ depth: Int) -> Int { (1 << (depth + 1)) - 1 }

    /// Trees built per direction at `depth`.
    @inlinable
    public func iterations(atDepth depth: Int) -> Int { 2 * Self.treeSize(stretchDepth) / Self.treeSize(depth) }

    /// The node shape: left, right, and two Int32.
    /// Computed, not a stored `static let`: a stored global whose initializer is not a literal is read through
    /// an accessor with a `swift_once` check on every use, once per allocation here; inlined, this is a constant.
    @inlinable public static var nodeShape: ObjectShape { ObjectShape(referenceSlots: 2, payloadBytes: 8) }

    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext) throws -> WorkloadOutcome {
        try run(on: m, context: context, stop: nil)
    }

    /// The benchmark on one thread's manager, checking `stop` before every tree, so that one thread of
    /// `mt-gcbench` ends soon after another has failed (nil: never stopped; the check then folds away).
    ///
    /// - Throws: as `run(on:context:)`, and `ThreadStopped` when `stop` was raised.
    @inlinable
    public func run<M: MemoryManager>(on m: M, context: RunContext, stop: StopSignal?) throws -> WorkloadOutcome {
        var checksum: UInt64 = 0
        let base = m.rootDepth

        // The stretch tree: as large as anything the benchmark builds later, dropped at once.
        try m.withScope {
            let tree = try Self.makeTree(m, depth: stretchDepth)
            m.pushRoot(tree)
            checksum &+= try Self.check(m, tree, depth: stretchDepth, walk: walkTrees)
            let stall = context.beginDrop(on: m)
            m.dropTree(consume tree)
            context.endDrop(stall, "stretch tree")
        }

        // Long-lived data, alive to the end: a tree built top-down and an array of doubles.
        let longLived = try m.allocate(Self.nodeShape)
        m.pushRoot(longLived)
        try Self.populate(m, longLived, depth: longLivedDepth)
        let array = try m.allocate(ObjectShape(referenceSlots: 0, payloadBytes: arraySize * 8))
        m.pushRoot(array)
        for i in 0..<(arraySize / 2) {
            m.storePayload(array, byteOffset: i * 8, 1.0 / Double(i))
        }
        context.sampleMemory(force: true)

        var depth = minDepth
        while depth <= maxDepth {
            let count = iterations(atDepth: depth)
            for _ in 0..<count {
                try stop?.check()
                try context.operation {
                    try m.withScope {
                        let tree = try m.allocate(Self.nodeShape)
                        m.pushRoot(tree)
                        try Self.populate(m, tree, depth: depth)
                        checksum &+= try Self.check(m, tree, depth: depth, walk: walkTrees)
                        let stall = context.beginDrop(on: m)
                        m.dropTree(consume tree)
                        context.endDrop(stall, "tree")
                    }
                }
            }
            context.sampleMemory()
            for _ in 0..<count {
                try stop?.check()
                try context.operation {
                    try m.withScope {
                        let tree = try Self.makeTree(m, depth: depth)
                        m.pushRoot(tree)
                        checksum &+= try Self.check(m, tree, depth: depth, walk: walkTrees)
                        let stall = context.beginDrop(on: m)
                        m.dropTree(consume tree)
                        context.endDrop(stall, "tree")
                    }
                }
            }
            context.sampleMemory()
            depth += 2
        }

        // The long-lived data must have survived everything intact.
        checksum &+= try Self.check(m, longLived, depth: longLivedDepth, walk: true)
        let probe = m.loadPayload(array, byteOffset: 1000 * 8, as: Double.self)
        guard probe == 1.0 / 1000 else { throw WorkloadFailure("gcbench: long-lived array[1000] is \(probe), expected 0.001") }
        context.sampleMemory(force: true)
        let stall = context.beginDrop(on: m)
        m.dropTree(consume longLived)
        m.free(consume array)
        context.endDrop(stall, "long-lived data")
        m.popRoots(to: base)
        return WorkloadOutcome(checksum: checksum)
    }

    /// Gives `node` (already reachable, with `depth` levels below it) two children and recurses: top-down.
    /// Each child is stored into its reachable parent before the next allocation, so no extra root is needed.
    @inlinable
    static func populate<M: MemoryManager>(_ m: M, _ node: M.Ref, depth: Int) throws {
        m.storePayload(node, byteOffset: 0, Int32(truncatingIfNeeded: depth))
        guard depth > 0 else { return }
        let left = try m.allocate(nodeShape)
        m.store(node, slot: 0, left)
        let right = try m.allocate(nodeShape)
        m.store(node, slot: 1, right)
        try populate(m, left, depth: depth - 1)
        try populate(m, right, depth: depth - 1)
    }

    /// Builds a tree of `depth` bottom-up: children first, each rooted while its sibling and parent are made.
    /// The result is not rooted: the caller roots it before its next allocation.
    @inlinable
    static func makeTree<M: MemoryManager>(_ m: M, depth: Int) throws -> M.Ref {
        if depth <= 0 {
            return try m.allocate(nodeShape)
        }
        let mark = m.rootDepth
        let left = try makeTree(m, depth: depth - 1)
        m.pushRoot(left)
        let right = try makeTree(m, depth: depth - 1)
        m.pushRoot(right)
        let node = try m.allocate(nodeShape)
        m.store(node, slot: 0, left)
        m.store(node, slot: 1, right)
        m.storePayload(node, byteOffset: 0, Int32(truncatingIfNeeded: depth))
        m.popRoots(to: mark)
        return node
    }

    /// Checks a tree of `depth`: with `walk`, every node's recorded depth and children (the node count must be
    /// TreeSize(depth)); without, the recorded depths of the root and its children. Returns the node count.
    @inlinable
    static func check<M: MemoryManager>(_ m: M, _ root: M.Ref, depth: Int, walk: Bool) throws -> UInt64 {
        if walk {
            let nodes = countNodes(m, root, depth: depth)
            guard nodes == treeSize(depth) else {
                throw WorkloadFailure("gcbench: a tree of depth \(depth) has \(nodes < 0 ? "a corrupt node" : "\(nodes) nodes"), expected \(treeSize(depth))")
            }
            return UInt64(nodes)
        }
        let expected = Int32(truncatingIfNeeded: depth)
        var ok = m.loadPayload(root, byteOffset: 0, as: Int32.self) == expected
        if depth > 0 {
            let left = m.load(root, slot: 0), right = m.load(root, slot: 1)
            if let left, let right {
                ok = ok && m.loadPayload(left, byteOffset: 0, as: Int32.self) == expected &- 1
                    && m.loadPayload(right, byteOffset: 0, as: Int32.self) == expected &- 1
            } else {
                ok = false
            }
        }
        guard ok else { throw WorkloadFailure("gcbench: the root of a tree of depth \(depth) or one of its children records a wrong depth") }
        return UInt64(treeSize(depth))
    }

    /// Counts nodes, or returns -1 when a node's recorded depth or child structure is wrong.
    @inlinable
    static func countNodes<M: MemoryManager>(_ m: M, _ node: M.Ref, depth: Int) -> Int {
        guard m.loadPayload(node, byteOffset: 0, as: Int32.self) == Int32(truncatingIfNeeded: depth) else { return -1 }
        let left = m.load(node, slot: 0), right = m.load(node, slot: 1)
        if depth == 0 { return left == nil && right == nil ? 1 : -1 }
        guard let left, let right else { return -1 }
        let a = countNodes(m, left, depth: depth - 1), b = countNodes(m, right, depth: depth - 1)
        return a < 0 || b < 0 ? -1 : a + b + 1
    }
}
