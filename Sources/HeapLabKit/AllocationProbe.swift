import HeapLabCore

/// The allocation fast path of a memory manager, the way `heaplab-timing alloc` and the benchmark suite time
/// it: objects of GCBench's node shape (two references and 8 payload bytes: 24 bytes), each obtained and given
/// back at once, in scopes of 32,768 (1 MiB of nodes, so an arena frees them at its scope end).
///
/// What "given back" means is each manager's own: malloc-family managers free at once (their fast paths both
/// ways); ARC releases the last reference (the object is destroyed); a collector allocates garbage (the
/// collections its pacer starts are in the figure, amortized); the arena frees the scope every 32,768 objects.
/// A `ManagerVisitor` that times a manager of the lab by name can call `loop` with the manager it is handed.
public enum AllocationProbe {
    /// The object allocated: GCBench's node.
    @inlinable public static var shape: ObjectShape { ObjectShape(referenceSlots: 2, payloadBytes: 8) }
    /// Objects per scope.
    public static let scopeObjects = 32_768

    /// Allocates and gives back `count` objects, folding their addresses into `sink` so the optimizer can not
    /// drop the allocations. The addresses are folded into a local of the scope's closure and into `sink` once
    /// per scope: folded into the captured `sink` per object, they cost a store to the stack per object (the
    /// probe's cost, not the manager's).
    /// - Throws: the manager's `AllocationError`.
    @inlinable @inline(__always)
    public static func loop<M: MemoryManager>(_ m: M, count: Int, sink: inout Int) throws(AllocationError) {
        let shape = Self.shape
        var remaining = count
        while remaining > 0 {
            let n = Swift.min(remaining, 32_768)
            sink ^= try m.withScope { () throws(AllocationError) -> Int in
                var bits = 0
                for _ in 0..<n {
                    let r = try m.allocate(shape)
                    bits ^= addressBits(r)
                    m.free(r)
                }
                return bits
            }
            remaining -= n
        }
    }

    /// The first word of a reference: its address for every manager (a pointer, or a class reference for ARC).
    @inlinable @inline(__always)
    public static func addressBits<R>(_ reference: R) -> Int {
        withUnsafeBytes(of: reference) { $0.count >= MemoryLayout<Int>.size ? $0.loadUnaligned(as: Int.self) : 0 }
    }

    /// Times `count` objects after a warm-up of 1 million (pages faulted, caches filled) on a manager made by
    /// `make`; nanoseconds per object.
    /// - Throws: what `make` or the manager throws.
    @inlinable
    public static func nanosecondsPerObject<M: MemoryManager>(_ make: (PauseLog) throws -> M, count: Int) throws -> Double {
        let m = try make(PauseLog())
        var sink = 0
        try loop(m, count: 1_000_000, sink: &sink)
        let start = MonotonicClock.now()
        try loop(m, count: count, sink: &sink)
        let elapsed = MonotonicClock.now() &- start
        blackHole(sink)
        return Double(elapsed) / Double(Swift.max(count, 1))
    }
}
