/// A typed value allocated in an arena, stamped with the scope it was allocated in.
///
/// It is an unsafe reference: it can be copied anywhere, even past the end of its scope. What it adds over an
/// `UnsafeMutablePointer` is the stamp (the scope's depth and generation), so that `Arena.isLive(_:)` can tell
/// whether its memory is still allocated, and access through `arena[pointer]` traps in debug builds when it is
/// not, with a message instead of reading freed (poisoned) memory. For references the compiler itself keeps
/// inside their scope, see the ScopedArenaLifetimes module.
@frozen
public struct ArenaPointer<Pointee: ~Copyable> {
    /// The value's address, without any check. Valid until the scope it was allocated in ends.
    public let unsafeAddress: UnsafeMutablePointer<Pointee>
    /// Generation of the scope (unique in the process) it was allocated in.
    public let generation: UInt64
    /// Depth of that scope (0: outside every scope).
    public let depth: Int

    @inlinable
    init(_ address: UnsafeMutablePointer<Pointee>, generation: UInt64, depth: Int) {
        unsafeAddress = address
        self.generation = generation
        self.depth = depth
    }
}

/// `count` consecutive values allocated in an arena, stamped like `ArenaPointer`.
@frozen
public struct ArenaBuffer<Element: ~Copyable> {
    /// The first element's address, without any check. Valid until the scope it was allocated in ends.
    public let unsafeBaseAddress: UnsafeMutablePointer<Element>
    /// Number of elements, at least 0.
    public let count: Int
    /// Generation and depth of the scope it was allocated in (see `ArenaPointer`).
    public let generation: UInt64
    public let depth: Int

    @inlinable
    init(_ base: UnsafeMutablePointer<Element>, count: Int, generation: UInt64, depth: Int) {
        unsafeBaseAddress = base
        self.count = count
        self.generation = generation
        self.depth = depth
    }
}
