// The bump arena of HL_NATIVE_ARENA: chunks, a bump pointer, marks. Its chunk policy is described at the top of
// include/NativeReference.h. Internal to NativeReference.
#ifndef NATIVE_ARENA_H
#define NATIVE_ARENA_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/// Bytes of a chunk's header, before its usable bytes: a cache line, so a chunk's first object is 64-aligned.
#define HL_CHUNK_HEADER_BYTES 64
/// Size of the first chunk, and the smallest a bump chunk gets (whole mapping, header included).
#define HL_CHUNK_INITIAL_BYTES ((size_t)64 << 10)
/// Cap of the doubling of bump chunks.
#define HL_CHUNK_MAXIMUM_BYTES ((size_t)8 << 20)
/// Retired chunks kept for reuse, in bytes of whole chunks; beyond this they go back to their source.
#define HL_ARENA_SPARE_LIMIT_BYTES ((size_t)64 << 20)

/// One chunk; the header sits in the chunk's first HL_CHUNK_HEADER_BYTES bytes.
struct hl_chunk {
    /// The chunk taken before it on the same list (normal, large or spare), or NULL.
    struct hl_chunk *next;
    /// The whole chunk, header included.
    size_t bytes;
    /// Where the mapping starts (mmap source), which a huge-page chunk's header does not; unused otherwise.
    void *mapping;
    /// Bytes mapped from `mapping` (mmap source).
    size_t mapped_bytes;
};

/// The arena. Invariants (checked by hl_arena_check_invariants in debug builds):
/// - cursor <= limit; both NULL while there is no current chunk, else both inside `current`'s usable bytes;
/// - cursor is 8-aligned (every request is rounded up to 8, every chunk's usable bytes start 64-aligned
///   within a chunk that is itself at least 8-aligned);
/// - every byte in [cursor, limit) is unused; every object handed out since the last release lies below the
///   cursor in `current`, in an older chunk of `current`'s list, or in a chunk of the `large` list.
struct hl_arena {
    /// Next free byte, and the end of the current chunk's usable bytes.
    char *cursor;
    char *limit;
    /// The chunk being bumped (newest first, through `next`: the older bump chunks still in use).
    struct hl_chunk *current;
    /// Chunks of one large request each, newest first.
    struct hl_chunk *large;
    /// Retired chunks kept for reuse, newest first, and their bytes.
    struct hl_chunk *spares;
    size_t spare_bytes;
    /// The chunk source: the caller's allocator, or mmap when `chunk_malloc` is NULL.
    void *(*chunk_malloc)(size_t bytes);
    void (*chunk_free)(void *p);
    /// The size of the chunk the last slow path failed to get (for the out-of-memory message), else 0.
    size_t failed_chunk_bytes;
};

/// A position to come back to: the current chunk, its bump pointer, and the newest large chunk.
struct hl_arena_mark {
    struct hl_chunk *chunk;
    char *cursor;
    struct hl_chunk *large;
};

/// An empty arena whose chunks come from `chunk_malloc`/`chunk_free`, or from mmap when both are NULL. Takes no
/// memory until the first allocation.
void hl_arena_init(struct hl_arena *arena, void *(*chunk_malloc)(size_t), void (*chunk_free)(void *));

/// Returns every chunk (in use and spare) to its source. The arena must not be used afterwards except by
/// hl_arena_init.
void hl_arena_destroy(struct hl_arena *arena);

/// The slow path of hl_arena_allocate: a spare chunk that fits, or a new one. NULL when the source refuses
/// (the arena is then unchanged, and `failed_chunk_bytes` says how much was asked for).
void *hl_arena_allocate_slow(struct hl_arena *arena, size_t bytes);

/// Debug builds: aborts with a message when an invariant above does not hold.
void hl_arena_check_invariants(const struct hl_arena *arena);

/// `bytes` (> 0) bytes, 8-aligned, uninitialized; NULL when the chunk source refuses.
static inline void *hl_arena_allocate(struct hl_arena *arena, size_t bytes) {
    assert(bytes > 0);
    bytes = (bytes + 7) & ~(size_t)7;
    char *p = arena->cursor;
    // Unsigned room: limit - cursor >= 0 by the invariant (0 when there is no chunk yet).
    if (bytes <= (size_t)(arena->limit - p)) {
        // Invariant: [p, p + bytes) lies in [cursor, limit), unused bytes of the current chunk.
        arena->cursor = p + bytes;
        return p;
    }
    return hl_arena_allocate_slow(arena, bytes);
}

/// The arena's position now.
static inline struct hl_arena_mark hl_arena_take_mark(const struct hl_arena *arena) {
    struct hl_arena_mark mark = {arena->current, arena->cursor, arena->large};
    return mark;
}

/// Frees everything allocated since `mark` was taken: the bump pointer goes back, and every chunk taken since
/// is retired (kept as a spare or returned). `mark` must be the newest mark not yet released (marks nest).
void hl_arena_release(struct hl_arena *arena, struct hl_arena_mark mark);

#endif
