/// A destructor registered for a typed allocation of a type that needs one (not trivially destructible).
///
/// Records are bump-allocated in the arena itself, just before the values they destroy, and form a list,
/// newest first, whose head the arena keeps and every `ScopeMark` saves. A scope end (or reset, or the
/// arena's deinit) runs the records registered since its mark, newest first, so values are destroyed in the
/// reverse order of their creation, as locals are, and before their memory is released.
///
/// This is the arena's answer to destructors: typed allocation accepts any type, and the ones with a deinit
/// (classes inside, noncopyable types with `deinit`) get a record, so nothing is silently leaked. Trivially
/// destructible types (`_isPOD`) get no record and cost nothing at scope end.
@usableFromInline
struct Cleanup {
    /// The record registered before this one, or nil.
    @usableFromInline var next: UnsafeMutableRawPointer?
    /// The first value to destroy.
    @usableFromInline let object: UnsafeMutableRawPointer
    /// How many consecutive values to destroy.
    @usableFromInline let count: Int
    /// Deinitializes `count` values of the allocation's type at `object`.
    @usableFromInline let destroy: (UnsafeMutableRawPointer, Int) -> Void

    @inlinable
    init(next: UnsafeMutableRawPointer?, object: UnsafeMutableRawPointer, count: Int,
         destroy: @escaping (UnsafeMutableRawPointer, Int) -> Void) {
        self.next = next
        self.object = object
        self.count = count
        self.destroy = destroy
    }

    /// A destroy function for `T`: deinitializes `count` values (the memory stays allocated).
    @inlinable
    static func destroyer<T: ~Copyable>(for type: T.Type) -> (UnsafeMutableRawPointer, Int) -> Void {
        { object, count in
            // Invariant: `object` holds `count` initialized values of T, registered by `Arena.make`.
            object.assumingMemoryBound(to: T.self).deinitialize(count: count)
        }
    }
}
