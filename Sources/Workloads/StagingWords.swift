#if canImport(Glibc)
import Glibc
#endif
import HeapLabCore

/// A growable buffer of 8-byte words outside the managed heap: where the arena's generation workaround keeps
/// the live objects while their scope ends (`LiveObjectTable.copyOut`, `Server.copyOut`).
///
/// Its memory comes from `malloc`, not from a Swift array, so that when the system refuses it (a run under
/// `--memory-limit`) the workload throws `AllocationError.systemOutOfMemory` and the run reports `outOfMemory`;
/// a Swift array's allocation would stop the process instead.
@usableFromInline
final class StagingWords {
    /// Invariant: `base` holds `capacity` words, of which the first `count` are initialized; nil iff
    /// `capacity` is 0. One thread uses a buffer at a time, so the dynamic exclusivity checks of class
    /// properties (a measurable cost per word in the copy-out stall) are turned off.
    @exclusivity(unchecked) @usableFromInline var base: UnsafeMutablePointer<UInt64>?
    @exclusivity(unchecked) @usableFromInline var count = 0
    @exclusivity(unchecked) @usableFromInline var capacity = 0

    @inlinable init() {}

    deinit { free(base) }

    /// Makes room for `total` words in all.
    /// - Throws: `AllocationError.systemOutOfMemory` when malloc refuses; the buffer is then unchanged.
    @inlinable
    func reserve(_ total: Int) throws(AllocationError) {
        if total > capacity { try grow(to: total) }
    }

    /// Appends `word`, growing the buffer geometrically.
    /// - Throws: `AllocationError.systemOutOfMemory` when malloc refuses; the buffer is then unchanged.
    @inlinable
    func append(_ word: UInt64) throws(AllocationError) {
        if count == capacity { try grow(to: Swift.max(512, capacity * 2)) }
        // Invariant: count < capacity, so the slot is inside the allocation.
        base.unsafelyUnwrapped[count] = word
        count += 1
    }

    /// The word at `index`.
    /// - Precondition: `0 <= index < count` (checked in debug builds).
    @inlinable
    subscript(index: Int) -> UInt64 {
        assert(index >= 0 && index < count, "StagingWords: index \(index) outside 0..<\(count)")
        return base.unsafelyUnwrapped[index]
    }

    @usableFromInline
    func grow(to words: Int) throws(AllocationError) {
        let (bytes, overflow) = words.multipliedReportingOverflow(by: MemoryLayout<UInt64>.stride)
        guard !overflow, let raw = realloc(base, bytes) else {
            throw AllocationError.systemOutOfMemory(requestedBytes: overflow ? Int.max : bytes)
        }
        // realloc kept the first `count` words; the memory is bound to UInt64 as before.
        base = raw.bindMemory(to: UInt64.self, capacity: words)
        capacity = words
    }
}
