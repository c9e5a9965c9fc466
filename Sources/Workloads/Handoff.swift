import HeapLabCore

/// handoff: producer threads build trees that consumer threads take from a bounded queue, check and drop:
/// memory made on one thread and given up on another, the pattern of every work queue and pipeline.
///
/// With `threads` = 1 the one thread produces and consumes each item in turn; otherwise `threads / 2` threads
/// produce and the rest consume. Item i (0 ..< `items`) is a complete binary tree of depth `depth` (node: two
/// references and an 8-byte value), built top-down by producer i mod producers; node k in preorder holds
/// `value(item: i, node: k)`. A consumer walks every node of every tree it takes against that oracle (the node
/// count must be 2^(depth+1) - 1), then drops it. The queue holds `capacity` items; a producer blocks while it is
/// full, a consumer while it is empty, each declared inactive (`withoutCollector`) while it waits.
///
/// What crosses the thread boundary, per model (`ThreadSharing`):
/// - the collector and Boehm GC (`.anyReference`): the reference itself, stored in a queue object in the heap
///   that every thread roots; the tree becomes garbage on the consumer's side and is found by the collector;
/// - malloc, jemalloc, mimalloc (`.withOwnershipDiscipline`): the reference, and with it the ownership: the
///   consumer frees every node through its own context (cross-thread frees, as mimalloc-bench's xmalloc test);
/// - ARC (`.atomicCounts`): the reference; the queue object's slot and the consumer's local share the tree,
///   and the last release, with its whole cascade, runs on the consumer (atomic count updates throughout);
/// - the arena (`.byMoveOrCopy`): a copy. The producer builds the tree in its own arena, in a scope, copies
///   its values out in preorder, and the scope frees the tree; the consumer rebuilds it from the copy in its
///   own arena, checks it, and its scope frees it. No reference into another thread's arena exists.
///
/// One operation (one latency sample) is one item on one side: building and copying it out on a producer,
/// taking nothing of the wait, rebuilding (arena), checking and dropping it on a consumer. The checksum, the
/// sum of every node's value of every item, does not depend on which thread consumed what.
public struct Handoff: ThreadedWorkload {
    public static let name = "handoff"
    public static let summary = "producer threads build trees that consumer threads check and drop: cross-thread frees, references, copies"
    public static let parameters: [WorkloadParameter] = [
        WorkloadParameter("items", default: 40_000, test: 400, range: 1...100_000_000, help: "trees handed over, in all"),
        WorkloadParameter("depth", default: 8, test: 5, range: 0...20, help: "depth of each tree (2^(depth+1) - 1 nodes)"),
        WorkloadParameter("capacity", default: 64, test: 4, range: 1...1_000_000, help: "items the queue holds before a producer waits"),
        threadsParameter,
    ]

    public let items: Int
    public let depth: Int
    public let capacity: Int
    public let threads: Int

    public init(parameters: [String: Int]) throws(ParameterError) {
        let p = try Self.resolve(parameters)
        items = p["items"]!
        depth = p["depth"]!
        capacity = p["capacity"]!
        threads = p["threads"]!
    }

    /// The node: left, right, and the value the oracle checks.
    @inlinable static var nodeShape: ObjectShape { ObjectShape(referenceSlots: 2, payloadBytes: 8) }

    /// The value of preorder node `node` of item `item`.
    @inlinable
    static func value(item: Int, node: Int) -> UInt64 {
        var z = UInt64(truncatingIfNeeded: item) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: node) &* 0xBF58_476D_1CE4_E5B9
        z ^= z >> 31
        z &*= 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }

    /// Producer threads (the rest consume); 1 when there is one thread, which does both.
    @inlinable var producers: Int { threads == 1 ? 1 : threads / 2 }

    // MARK: the queue

    /// The bounded queue between producers and consumers. For the models that share references, `box` is an
    /// object in the managed heap with `capacity` reference slots that every thread roots, so a tree in the
    /// queue is reachable; for the arena, `copies` holds each item's values instead. Every field but `monitor`
    /// is read and written under `monitor`'s lock, `box` also before the first meeting (by thread 0) and after
    /// the last; `box`'s slots are written under the lock too.
    @usableFromInline
    final class Queue<Ref>: @unchecked Sendable {
        // @unchecked: see above.
        @usableFromInline let monitor = ThreadMonitor()
        @usableFromInline let stop: StopSignal
        @exclusivity(unchecked) @usableFromInline var box: Ref?
        @exclusivity(unchecked) @usableFromInline var ids: [Int]
        @exclusivity(unchecked) @usableFromInline var copies: [[UInt64]]
        @exclusivity(unchecked) @usableFromInline var head = 0
        @exclusivity(unchecked) @usableFromInline var count = 0
        /// Items no consumer has taken yet (produced or not): a consumer waiting on an empty queue gives up only
        /// when this is 0.
        @exclusivity(unchecked) @usableFromInline var untaken: Int

        @usableFromInline
        init(capacity: Int, items: Int, stop: StopSignal) {
            self.stop = stop
            ids = Array(repeating: 0, count: capacity)
            copies = Array(repeating: [], count: capacity)
            untaken = items
            stop.wakes(monitor)
        }

        /// Waits, declared inactive, until there is room; returns with the lock held and the thread active.
        @inlinable
        func lockWhenRoom<M: MemoryManager>(_ m: M) throws(ThreadStopped) {
            try m.withoutCollector { () throws(ThreadStopped) in
                monitor.lock()
                while count == ids.count {
                    if stop.isRaised { monitor.unlock(); throw ThreadStopped() }
                    monitor.wait()
                }
            }
        }

        /// Waits, declared inactive, until there is an item (true, lock held) or none will come (false, lock
        /// released).
        @inlinable
        func lockWhenItem<M: MemoryManager>(_ m: M) throws(ThreadStopped) -> Bool {
            try m.withoutCollector { () throws(ThreadStopped) -> Bool in
                monitor.lock()
                while count == 0 {
                    if untaken == 0 { monitor.unlock(); return false }
                    if stop.isRaised { monitor.unlock(); throw ThreadStopped() }
                    monitor.wait()
                }
                return true
            }
        }

        /// The slot the next put fills (lock held, room checked).
        @inlinable var tail: Int { (head + count) % ids.count }

        /// Ends a put (lock held): the item is in slot `tail`.
        @inlinable
        func didPut(id: Int) {
            ids[tail] = id
            count += 1
            monitor.broadcast()
            monitor.unlock()
        }

        /// Ends a take (lock held) of the item in slot `head`, returning its id.
        @inlinable
        func didTake() -> Int {
            let id = ids[head]
            head = (head + 1) % ids.count
            count -= 1
            untaken -= 1
            monitor.broadcast()
            monitor.unlock()
            return id
        }
    }

    // MARK: the run

    @inlinable
    public func run<T: ThreadedMemoryManager>(threaded manager: T, context: RunContext) throws -> WorkloadOutcome {
        let stop = StopSignal()
        let barrier = ThreadBarrier(parties: threads, stop: stop)
        let queue = Queue<T.Context.Ref>(capacity: capacity, items: items, stop: stop)
        let copying = manager.sharing == .byMoveOrCopy
        let producers = self.producers, threads = self.threads
        let sums = try MutatorThreads.run(threads, on: manager, context: context, stop: stop) { t, m, threadContext in
            if !copying {
                if t == 0 {
                    let box = try m.allocate(ObjectShape(referenceSlots: capacity, payloadBytes: 0))
                    m.pushRoot(box)
                    queue.box = box
                }
                try barrier.wait(m)
                if t != 0 { m.pushRoot(queue.box) }
            }
            var sum: UInt64 = 0
            if threads == 1 {
                for item in 0..<items {
                    try stop.check()
                    try produce(m, item: item, queue: queue, copying: copying, context: threadContext)
                    sum &+= try consume(m, queue: queue, copying: copying, context: threadContext) ?? 0
                }
            } else if t < producers {
                for item in stride(from: t, to: items, by: producers) {
                    try stop.check()
                    try produce(m, item: item, queue: queue, copying: copying, context: threadContext)
                }
            } else {
                while let got = try consume(m, queue: queue, copying: copying, context: threadContext) {
                    sum &+= got
                    try stop.check()
                }
            }
            if !copying {
                // Nobody uses the queue object after this meeting; its maker gives it up.
                try barrier.wait(m)
                if t == 0 {
                    guard queue.count == 0, queue.untaken == 0 else {
                        throw WorkloadFailure("handoff: \(queue.count) items left in the queue, \(queue.untaken) never taken")
                    }
                    let box = queue.box!
                    queue.box = nil
                    m.free(box)
                }
                m.popRoots(to: 0)
            }
            return sum
        }
        let checksum = sums.reduce(0, &+)
        let expected = Self.expectedChecksum(items: items, depth: depth)
        guard checksum == expected else {
            throw WorkloadFailure("handoff: the consumers' trees sum to \(checksum), expected \(expected) (an item lost or taken twice)")
        }
        context.sampleMemory(force: true)
        var notes: [String] = []
        if copying {
            notes.append("ownership: each tree is copied out of the producer's arena and rebuilt in the consumer's (hand-off by copy; no reference crosses threads)")
        }
        return WorkloadOutcome(checksum: checksum,
                               metrics: ["threads": Double(threads), "producers": Double(producers),
                                         "consumers": Double(threads == 1 ? 1 : threads - producers),
                                         "items": Double(items), "nodesPerItem": Double(GCBench.treeSize(depth))],
                               notes: notes)
    }

    /// The sum of every node value of every item.
    @inlinable
    static func expectedChecksum(items: Int, depth: Int) -> UInt64 {
        var sum: UInt64 = 0
        for item in 0..<items {
            for node in 0..<GCBench.treeSize(depth) { sum &+= value(item: item, node: node) }
        }
        return sum
    }

    /// Builds item `item` and puts it in the queue (a reference, or for the arena a copy of its values).
    @inlinable
    func produce<M: MemoryManager>(_ m: M, item: Int, queue: Queue<M.Ref>, copying: Bool, context: RunContext) throws {
        if copying {
            let copy = try context.operation {
                try m.withScope {
                    let mark = m.rootDepth
                    let root = try m.allocate(Self.nodeShape)
                    m.pushRoot(root)
                    var index = 0
                    try Self.populate(m, root, depth: depth, index: &index) { Self.value(item: item, node: $0) }
                    var values: [UInt64] = []
                    values.reserveCapacity(index)
                    Self.copyOut(m, root, depth: depth, into: &values)
                    m.popRoots(to: mark)
                    return values
                }
            }
            try queue.lockWhenRoom(m)
            queue.copies[queue.tail] = copy
            queue.didPut(id: item)
            return
        }
        let mark = m.rootDepth
        let tree = try context.operation {
            let root = try m.allocate(Self.nodeShape)
            m.pushRoot(root)
            var index = 0
            try Self.populate(m, root, depth: depth, index: &index) { Self.value(item: item, node: $0) }
            return root
        }
        // Still rooted on this thread's stack until it is in the (rooted) queue object.
        try queue.lockWhenRoom(m)
        m.store(queue.box!, slot: queue.tail, tree)
        _ = consume tree  // for ARC: the queue's slot is now the only reference
        queue.didPut(id: item)
        m.popRoots(to: mark)
    }

    /// Takes an item from the queue, checks every node against the oracle and drops it; returns the sum of its
    /// values, or nil when every item has been taken.
    @inlinable
    func consume<M: MemoryManager>(_ m: M, queue: Queue<M.Ref>, copying: Bool, context: RunContext) throws -> UInt64? {
        guard try queue.lockWhenItem(m) else { return nil }
        if copying {
            let copy = queue.copies[queue.head]
            queue.copies[queue.head] = []
            let item = queue.didTake()
            return try context.operation {
                try m.withScope {
                    let mark = m.rootDepth
                    let root = try m.allocate(Self.nodeShape)
                    m.pushRoot(root)
                    var index = 0
                    try Self.populate(m, root, depth: depth, index: &index) { copy[$0] }
                    let sum = try Self.check(m, root, item: item, depth: depth)
                    m.popRoots(to: mark)
                    return sum
                }
            }
        }
        let box = queue.box!
        return try context.operation {
            // The queue's lock is held: the slot is this thread's to empty.
            let mark = m.rootDepth
            let tree = m.load(box, slot: queue.head)!
            m.pushRoot(tree)
            m.store(box, slot: queue.head, nil)
            let item = queue.didTake()
            let sum = try Self.check(m, tree, item: item, depth: depth)
            m.popRoots(to: mark)
            let stall = context.beginDrop(on: m)
            m.dropTree(consume tree)
            context.endDrop(stall, "handed-off tree")
            return sum
        }
    }

    /// Gives `node` (reachable) its value and, with `depth` levels below it, two children, recursively, top-down
    /// in preorder: each child is stored into its reachable parent before the next allocation.
    @inlinable
    static func populate<M: MemoryManager>(_ m: M, _ node: M.Ref, depth: Int, index: inout Int,
                                           value: (Int) -> UInt64) throws {
        m.storePayload(node, byteOffset: 0, value(index))
        index += 1
        guard depth > 0 else { return }
        let left = try m.allocate(nodeShape)
        m.store(node, slot: 0, left)
        let right = try m.allocate(nodeShape)
        m.store(node, slot: 1, right)
        try populate(m, left, depth: depth - 1, index: &index, value: value)
        try populate(m, right, depth: depth - 1, index: &index, value: value)
    }

    /// Appends every node's value in preorder.
    @inlinable
    static func copyOut<M: MemoryManager>(_ m: M, _ node: M.Ref, depth: Int, into values: inout [UInt64]) {
        values.append(m.loadPayload(node, byteOffset: 0, as: UInt64.self))
        guard depth > 0, let left = m.load(node, slot: 0), let right = m.load(node, slot: 1) else { return }
        copyOut(m, left, depth: depth - 1, into: &values)
        copyOut(m, right, depth: depth - 1, into: &values)
    }

    /// Walks item `item`'s tree against the oracle: every value, every child present down to `depth` and absent
    /// below. Returns the sum of its values.
    /// - Throws: `WorkloadFailure` naming the item and the first wrong node.
    @inlinable
    static func check<M: MemoryManager>(_ m: M, _ root: M.Ref, item: Int, depth: Int) throws -> UInt64 {
        var index = 0
        var sum: UInt64 = 0
        guard walk(m, root, item: item, depth: depth, index: &index, sum: &sum) else {
            throw WorkloadFailure("handoff: item \(item): node \(index) in preorder is wrong (value or children)")
        }
        return sum
    }

    @inlinable
    static func walk<M: MemoryManager>(_ m: M, _ node: M.Ref, item: Int, depth: Int, index: inout Int, sum: inout UInt64) -> Bool {
        let v = m.loadPayload(node, byteOffset: 0, as: UInt64.self)
        guard v == value(item: item, node: index) else { return false }
        sum &+= v
        index += 1
        let left = m.load(node, slot: 0), right = m.load(node, slot: 1)
        if depth == 0 { return left == nil && right == nil }
        guard let left, let right else { return false }
        return walk(m, left, item: item, depth: depth - 1, index: &index, sum: &sum)
            && walk(m, right, item: item, depth: depth - 1, index: &index, sum: &sum)
    }
}
