import HeapLabCore
import ScopedArena

/// A reference to a value in an arena that the compiler keeps inside the arena's lifetime.
///
/// `ArenaReference` is `~Escapable`: it is made by `Arena.reference(to:)` with a lifetime dependence on a
/// borrow of that arena (`@_lifetime(borrow self)`). The compiler therefore rejects, at compile time, every
/// use of a reference after its arena (or the scope's arena `withScope` passed in) is gone: returning it from
/// the closure, storing it in a variable that outlives the arena, capturing it in an escaping closure, or
/// resetting or consuming the arena while it is in use ("lifetime-dependent value escapes its scope",
/// "overlapping accesses"). This is Rust's borrow checking of `&'arena T`, spelled in Swift 6.3 with the
/// experimental `Lifetimes` feature (enabled for this module only).
///
/// The referenced type is `BitwiseCopyable`, so the reference reads and writes plain values and there is no
/// destructor to run. Cost: a pointer; no check at run time.
@frozen
public struct ArenaReference<Value: BitwiseCopyable>: ~Escapable {
    /// Invariant: points to an initialized Value in the arena this reference depends on, so it is valid for
    /// as long as the compiler lets the reference live.
    @usableFromInline let address: UnsafeMutablePointer<Value>

    @inlinable
    @_lifetime(borrow arena)
    init(_ address: UnsafeMutablePointer<Value>, in arena: borrowing Arena) {
        self.address = address
    }

    /// The referenced value.
    @inlinable
    public var value: Value {
        get { address.pointee }
        nonmutating set { address.pointee = newValue }
    }
}

extension Arena {
    /// Copies `value` into the arena and returns a reference the compiler keeps within this arena's
    /// lifetime (within the scope, for the arena `withScope` passes to its body).
    ///
    /// - Throws: as `allocate(byteCount:alignment:)`.
    @inlinable
    @_lifetime(borrow self)
    public borrowing func reference<Value: BitwiseCopyable>(to value: Value) throws(AllocationError) -> ArenaReference<Value> {
        let raw = try allocate(byteCount: MemoryLayout<Value>.size, alignment: MemoryLayout<Value>.alignment)
        // Invariant: raw is size bytes aligned for Value, uninitialized; a trivial type needs no deinit.
        let p = raw.bindMemory(to: Value.self, capacity: 1)
        p.initialize(to: value)
        return ArenaReference(p, in: self)
    }

    /// Allocates `count` copies of `value` and returns them as a `MutableSpan` that the compiler keeps within
    /// this arena's lifetime.
    ///
    /// - Throws: `AllocationError.invalidRequest` for a negative `count` or an overflowing size; otherwise as
    ///   `allocate(byteCount:alignment:)`.
    @inlinable
    @_lifetime(borrow self)
    public borrowing func span<Value: BitwiseCopyable>(repeating value: Value, count: Int) throws(AllocationError) -> MutableSpan<Value> {
        guard count >= 0 else { throw .invalidRequest("element count \(count) is negative") }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Value>.stride)
        guard !overflow else { throw .invalidRequest("\(count) elements of \(MemoryLayout<Value>.stride) bytes overflow") }
        let raw = try allocate(byteCount: bytes, alignment: MemoryLayout<Value>.alignment)
        let base = raw.bindMemory(to: Value.self, capacity: count)
        base.initialize(repeating: value, count: count)
        let span = MutableSpan(_unsafeElements: UnsafeMutableBufferPointer(start: base, count: count))
        // The span's own dependence is on the local buffer pointer; re-tie it to the arena, which really owns
        // the memory.
        return _overrideLifetime(span, borrowing: self)
    }
}
