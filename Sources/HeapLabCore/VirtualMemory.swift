#if canImport(Glibc)
import Glibc
#endif

/// The operating system's virtual memory, as the heaps built here use it: map zeroed memory at an alignment,
/// give its physical pages back, unmap it. The collector's regions and the arena's chunks both come from here.
public enum VirtualMemory {
    /// The system page size in bytes (4096 on x86-64 Linux).
    public static let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps `bytes` of fresh zeroed memory whose address is a multiple of `alignment`, or returns nil when the
    /// system refuses (or `bytes + alignment` overflows).
    ///
    /// mmap only promises page alignment, so for a larger alignment this maps `bytes + alignment`, then unmaps
    /// the misaligned head and the unused tail: what stays mapped is exactly `[result, result + bytes)`.
    ///
    /// - Parameters:
    ///   - bytes: a positive multiple of the page size.
    ///   - alignment: a power of two; at most the page size means page alignment.
    ///   - reserve: false to map with `MAP_NORESERVE` (no swap reserved up front: for heaps that map far more
    ///     than they touch).
    /// - Precondition: `bytes` is a positive multiple of the page size and `alignment` a power of two.
    public static func mapAligned(bytes: Int, alignment: Int, reserve: Bool = true) -> UnsafeMutableRawPointer? {
        precondition(bytes > 0 && bytes % pageBytes == 0, "VirtualMemory: bytes (\(bytes)) must be a positive multiple of the page size")
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "VirtualMemory: alignment \(alignment) is not a power of two")
        let extra = alignment > pageBytes ? alignment : 0
        let (total, overflow) = bytes.addingReportingOverflow(extra)
        guard !overflow else { return nil }
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | (reserve ? 0 : MAP_NORESERVE)
        guard let raw = mmap(nil, total, PROT_READ | PROT_WRITE, flags, -1, 0), raw != MAP_FAILED else { return nil }
        guard extra > 0 else { return raw }
        let start = UInt(bitPattern: raw)
        let aligned = (start + UInt(alignment) - 1) & ~UInt(alignment - 1)
        let head = Int(aligned - start)
        let tail = total - head - bytes
        // Invariant: head and tail are whole pages (start, aligned and bytes are) outside
        // [aligned, aligned + bytes), so unmapping them leaves exactly that range mapped.
        if head > 0 { munmap(raw, head) }
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + UInt(bytes))!, tail) }
        return UnsafeMutableRawPointer(bitPattern: aligned)!
    }

    /// Unmaps memory returned by `mapAligned` (the whole range, or any page-aligned part of it).
    /// - Precondition: the range was mapped by `mapAligned` and nothing uses it any more; a failing munmap
    ///   (a range that was not mapped) traps.
    public static func unmap(_ address: UnsafeMutableRawPointer, bytes: Int) {
        let result = munmap(address, bytes)
        precondition(result == 0, "VirtualMemory: munmap(\(address), \(bytes)) failed (errno \(errno))")
    }

    /// Gives the physical pages of `[address, address + bytes)` back to the system while keeping the range
    /// mapped. The next touch of a page faults in a fresh zero page.
    public static func release(_ address: UnsafeMutableRawPointer, bytes: Int) {
        let result = madvise(address, bytes, Int32(MADV_DONTNEED))
        assert(result == 0, "VirtualMemory: madvise(MADV_DONTNEED) failed (errno \(errno))")
    }
}
