#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HeapLabCore

/// One chunk: a page-aligned region mapped from the system, with its header in its first bytes.
///
/// Layout:
///
///     +0   previous: the chunk mapped before it in the same list (nil for the first)
///     +8   byteCount: the whole mapping, header included, a multiple of the page size
///     +16  (padding up to `Chunk.headerBytes`)
///     +64  usable bytes, up to base + byteCount
///
/// The header sits in the chunk itself, as a C arena would keep it, so the chunk lists cost no allocation.
/// A chunk is on exactly one list at a time: the arena's normal list (bump allocation), its large list (one
/// big request each), or its spare list (released, kept for reuse).
@frozen @usableFromInline
struct Chunk: Equatable {
    /// Base address of the mapping; the header lives here.
    @usableFromInline let base: UnsafeMutableRawPointer

    @inlinable init(_ base: UnsafeMutableRawPointer) { self.base = base }

    /// Bytes of header before the usable memory: a cache line, so usable memory is 64-byte aligned.
    @inlinable static var headerBytes: Int { 64 }

    /// The page size chunks are rounded to, and the largest alignment a request may ask for.
    @inlinable static var pageBytes: Int { 4096 }

    @inlinable var previous: Chunk? {
        get { base.load(as: UnsafeMutableRawPointer?.self).map(Chunk.init) }
        nonmutating set { base.storeBytes(of: newValue?.base, as: UnsafeMutableRawPointer?.self) }
    }

    @inlinable var byteCount: Int { base.load(fromByteOffset: 8, as: Int.self) }

    /// First usable byte.
    @inlinable var start: UnsafeMutableRawPointer { base + Chunk.headerBytes }
    /// One past the last usable byte.
    @inlinable var end: UnsafeMutableRawPointer { base + byteCount }
    /// Usable bytes.
    @inlinable var usableBytes: Int { byteCount &- Chunk.headerBytes }

    /// Whole-mapping size for a chunk whose usable part holds at least `usableBytes`, or nil when that
    /// overflows. Page-rounded.
    @usableFromInline static func mappingBytes(usable usableBytes: Int) -> Int? {
        let (total, o1) = usableBytes.addingReportingOverflow(headerBytes + pageBytes - 1)
        guard !o1 else { return nil }
        return total & ~(pageBytes - 1)
    }

    /// With `hugePages`, chunks of at least this many bytes are aligned to it and offered to the kernel as
    /// transparent huge pages (`MADV_HUGEPAGE`): one fault instead of 512 per 2 MiB, and far fewer TLB misses
    /// when a workload walks what it built. Smaller chunks use plain pages.
    @inlinable static var hugePageBytes: Int { 2 << 20 }

    /// Maps a fresh zero-filled chunk of `byteCount` bytes (a multiple of the page size), or nil when the
    /// system refuses. With `hugePages` (see `HugePagePolicy`), a chunk of `hugePageBytes` or
    /// more starts on a huge-page boundary and is advised `MADV_HUGEPAGE`.
    @usableFromInline static func map(byteCount: Int, hugePages: Bool) -> Chunk? {
        assert(byteCount > headerBytes && byteCount % pageBytes == 0, "Chunk.map: byteCount must be whole pages")
        let huge = hugePages && byteCount >= hugePageBytes
        // A huge-page chunk starts on a 2 MiB boundary (VirtualMemory maps a huge page more and trims).
        guard let base = VirtualMemory.mapAligned(bytes: byteCount, alignment: huge ? hugePageBytes : pageBytes) else {
            return nil
        }
        if huge {
            // Advice only: without transparent huge pages the chunk works the same with small pages.
            _ = madvise(base, byteCount, MADV_HUGEPAGE)
        }
        // Invariant: the mapping is byteCount bytes, page-aligned, so the 16 header bytes are in bounds.
        let chunk = Chunk(base)
        chunk.previous = nil
        base.storeBytes(of: byteCount, toByteOffset: 8, as: Int.self)
        return chunk
    }

    /// Returns the chunk to the system. The chunk must be on no list any more; its memory must not be used.
    @usableFromInline func unmap() {
        // munmap of a mapping we made, with its own length, can only fail on a corrupt header.
        VirtualMemory.unmap(base, bytes: byteCount)
    }

    /// Fills `[from, to)` with `Arena.poisonByte`.
    @usableFromInline static func poison(from: UnsafeMutableRawPointer, to: UnsafeMutableRawPointer) {
        guard to > from else { return }
        memset(from, Int32(Arena.poisonByte), to - from)
    }
}
