import Glibc
import NativeReference

/// Allocators for the C programs, written as C function pointers over glibc malloc: one that counts what is
/// outstanding and can start refusing after a number of calls, and one that hands out the same few blocks again
/// and again (a collector that frees live objects). C function pointers capture nothing, so their state is
/// global; XCTest runs the tests of a process one at a time.
enum TestAllocators {
    /// Successful malloc calls since `reset`.
    nonisolated(unsafe) static var allocations = 0
    /// Blocks handed out and not freed.
    nonisolated(unsafe) static var outstanding = 0
    /// malloc returns NULL once `allocations` reaches this.
    nonisolated(unsafe) static var refuseAfter = Int.max
    /// Every block handed out without a free (the collector-like allocators), freed by `releaseKept`.
    nonisolated(unsafe) static var kept: [UnsafeMutableRawPointer] = []
    /// The blocks `reusing` cycles through.
    nonisolated(unsafe) static var ring: [UnsafeMutableRawPointer] = []

    /// Starts counting afresh; malloc refuses from call number `refuseAfter` on (0: the first call fails).
    static func reset(refuseAfter: Int = .max) {
        allocations = 0
        outstanding = 0
        self.refuseAfter = refuseAfter
        releaseKept()
    }

    static func releaseKept() {
        for p in kept { Glibc.free(p) }
        kept = []
    }

    /// glibc malloc and free, counted, refusing after `refuseAfter` calls.
    static var counting: hl_native_allocator { hl_native_allocator(
        malloc: { bytes in
            guard TestAllocators.allocations < TestAllocators.refuseAfter, let p = Glibc.malloc(bytes) else { return nil }
            TestAllocators.allocations += 1
            TestAllocators.outstanding += 1
            return p
        },
        free: { p in
            guard let p else { return }
            TestAllocators.outstanding -= 1
            Glibc.free(p)
        },
        malloc_atomic: nil) }

    /// A collector's interface (no free) over glibc malloc, counted and refusing like `counting`; the blocks are
    /// kept for `releaseKept`.
    static var collecting: hl_native_allocator { hl_native_allocator(
        malloc: { bytes in
            guard TestAllocators.allocations < TestAllocators.refuseAfter, let p = Glibc.malloc(bytes) else { return nil }
            TestAllocators.allocations += 1
            TestAllocators.kept.append(p)
            return p
        },
        free: nil,
        malloc_atomic: nil) }

    /// Blocks in `ring` used for `reusing`: 16 of 64 bytes.
    static func makeRing() {
        if ring.isEmpty { ring = (0..<16).map { _ in Glibc.malloc(64)! } }
    }

    /// A broken collector: node-sized requests get the blocks of `ring` in turn, whatever still uses them, so a
    /// tree of more than 16 nodes is overwritten by its own later nodes. Larger requests (GCBench's array) get
    /// kept blocks of their own.
    static var reusing: hl_native_allocator { hl_native_allocator(
        malloc: { bytes in
            if bytes > 64 {
                let p = Glibc.malloc(bytes)!
                TestAllocators.kept.append(p)
                return p
            }
            let p = TestAllocators.ring[TestAllocators.allocations % TestAllocators.ring.count]
            TestAllocators.allocations += 1
            return p
        },
        free: nil,
        malloc_atomic: nil) }

    /// glibc's malloc and free as plain function pointers.
    static var glibc: hl_native_allocator { hl_native_allocator(malloc: { Glibc.malloc($0) }, free: { Glibc.free($0) }, malloc_atomic: nil) }
}
