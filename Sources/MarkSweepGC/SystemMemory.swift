#if canImport(Glibc)
import Glibc
#endif

/// The collector's only contact with the operating system's virtual memory: map aligned, zeroed memory,
/// give its physical pages back, unmap it.
///
/// Everything the heap owns comes from here: regions of blocks and large objects. Nothing in the heap uses
/// malloc for object memory (the side tables -- root stack, mark stack, block lists -- are ordinary Swift or
/// malloc memory).
@usableFromInline
enum SystemMemory {
    /// The system page size in bytes (4096 on x86-64 Linux).
    @usableFromInline static let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps `bytes` of fresh zeroed memory whose address is a multiple of `alignment`, or returns nil when the
    /// system refuses.
    ///
    /// - Precondition: `bytes` and `alignment` are positive multiples of the page size, `alignment` a power of two.
    ///
    /// mmap only promises page alignment, so this maps `bytes + alignment`, then unmaps the misaligned head and
    /// the unused tail: what stays mapped is exactly `[result, result + bytes)`.
    static func mapAligned(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        precondition(bytes > 0 && bytes % pageBytes == 0, "SystemMemory: bytes (\(bytes)) must be a positive multiple of the page size")
        precondition(alignment >= pageBytes && alignment & (alignment - 1) == 0, "SystemMemory: bad alignment \(alignment)")
        let (total, overflow) = bytes.addingReportingOverflow(alignment)
        guard !overflow else { return nil }
        let raw = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let raw, raw != MAP_FAILED else { return nil }
        let start = UInt(bitPattern: raw)
        let aligned = (start + UInt(alignment) - 1) & ~UInt(alignment - 1)
        let head = Int(aligned - start)
        let tail = total - head - bytes
        // Invariant: head and tail are page multiples (start, aligned and bytes are), so munmap accepts them.
        if head > 0 { munmap(raw, head) }
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + UInt(bytes))!, tail) }
        return UnsafeMutableRawPointer(bitPattern: aligned)!
    }

    /// Unmaps memory returned by `mapAligned` (the whole range, or any page-aligned part of it).
    static func unmap(_ address: UnsafeMutableRawPointer, bytes: Int) {
        let result = munmap(address, bytes)
        assert(result == 0, "SystemMemory: munmap failed (errno \(errno))")
    }

    /// Gives the physical pages of `[address, address + bytes)` back to the system while keeping the range
    /// mapped. The next touch of a page faults in a fresh zero page.
    static func release(_ address: UnsafeMutableRawPointer, bytes: Int) {
        let result = madvise(address, bytes, Int32(MADV_DONTNEED))
        assert(result == 0, "SystemMemory: madvise(MADV_DONTNEED) failed (errno \(errno))")
    }
}
