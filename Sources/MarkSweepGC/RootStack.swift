/// The shadow stack of roots: the references a program holds in its local variables across allocations,
/// pushed and popped explicitly because Swift gives a collector no way to find them on the native stack.
/// Precise: only what is pushed is a root, and everything pushed is a root until popped.
///
/// Storage is a manually managed buffer that doubles when full, so a push is a bounds check and a store.
/// Entries hold object addresses or nil.
@usableFromInline
struct RootStack {
    @usableFromInline var entries: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int

    init(initialCapacity: Int = 1024) {
        capacity = initialCapacity
        entries = .allocate(capacity: initialCapacity)
    }

    /// Pushes `address`; returns its index.
    @inlinable @inline(__always)
    mutating func push(_ address: UnsafeMutableRawPointer?) -> Int {
        if _slowPath(count == capacity) { grow() }
        // Invariant: count < capacity after grow, so the store is inside the buffer.
        (entries + count).initialize(to: address)
        count &+= 1
        return count &- 1
    }

    @usableFromInline @inline(never)
    mutating func grow() {
        let bigger = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: entries, count: count)
        entries.deallocate()
        entries = bigger
        capacity *= 2
    }

    /// Replaces entry `index`.
    @inlinable @inline(__always)
    func set(_ index: Int, _ address: UnsafeMutableRawPointer?) {
        precondition(UInt(bitPattern: index) < UInt(bitPattern: count),
                     "gc: setRoot index \(index) out of range (root depth \(count))")
        entries[index] = address
    }

    /// Pops every entry above `depth`.
    @inlinable @inline(__always)
    mutating func pop(to depth: Int) {
        precondition(depth >= 0 && depth <= count, "gc: popRoots(to: \(depth)) with root depth \(count)")
        count = depth
    }

    func deallocate() { entries.deallocate() }
}

/// A handle on one global root of a `GCHeap` (see `GCHeap.addGlobalRoot`). Valid until removed.
public struct GlobalRoot: Hashable, Sendable {
    /// Index in the heap's global root table.
    public let index: Int
}

/// Global roots: references that live as long as the program decides, not tied to a scope (a cache, an
/// interned table). A table of slots; removed slots are reused.
@usableFromInline
struct GlobalRoots {
    @usableFromInline var slots: [UnsafeMutableRawPointer?] = []
    /// Whether each slot is in use (a removed slot holds nil and is on `freeSlots`).
    @usableFromInline var inUse: [Bool] = []
    @usableFromInline var freeSlots: [Int] = []

    init() {}

    mutating func add(_ address: UnsafeMutableRawPointer?) -> GlobalRoot {
        if let i = freeSlots.popLast() {
            slots[i] = address
            inUse[i] = true
            return GlobalRoot(index: i)
        }
        slots.append(address)
        inUse.append(true)
        return GlobalRoot(index: slots.count - 1)
    }

    func check(_ root: GlobalRoot) {
        precondition(root.index >= 0 && root.index < slots.count && inUse[root.index],
                     "gc: global root \(root.index) is not a live global root")
    }

    mutating func set(_ root: GlobalRoot, _ address: UnsafeMutableRawPointer?) {
        check(root)
        slots[root.index] = address
    }

    func get(_ root: GlobalRoot) -> UnsafeMutableRawPointer? {
        check(root)
        return slots[root.index]
    }

    mutating func remove(_ root: GlobalRoot) {
        check(root)
        slots[root.index] = nil
        inUse[root.index] = false
        freeSlots.append(root.index)
    }

    var count: Int { slots.count - freeSlots.count }
}
