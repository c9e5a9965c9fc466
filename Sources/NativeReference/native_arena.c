// The bump arena's slow paths: getting, retiring and returning chunks (native_arena.h has the fast path).
#define _GNU_SOURCE
#include "native_arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HL_PAGE_BYTES ((size_t)4096)
#define HL_HUGE_PAGE_BYTES ((size_t)2 << 20)

void hl_arena_init(struct hl_arena *arena, void *(*chunk_malloc)(size_t), void (*chunk_free)(void *)) {
    arena->cursor = NULL;
    arena->limit = NULL;
    arena->current = NULL;
    arena->large = NULL;
    arena->spares = NULL;
    arena->spare_bytes = 0;
    arena->chunk_malloc = chunk_malloc;
    arena->chunk_free = chunk_free;
    arena->failed_chunk_bytes = 0;
}

static char *chunk_start(struct hl_chunk *chunk) { return (char *)chunk + HL_CHUNK_HEADER_BYTES; }
static char *chunk_end(struct hl_chunk *chunk) { return (char *)chunk + chunk->bytes; }
static size_t chunk_usable(const struct hl_chunk *chunk) { return chunk->bytes - HL_CHUNK_HEADER_BYTES; }

/// A new chunk of `bytes` (whole pages) from the source, or NULL. With mmap and `huge`, a chunk of 2 MiB or
/// more starts on a 2 MiB boundary and is advised MADV_HUGEPAGE (advice only: without transparent huge pages it
/// works the same with small pages).
static struct hl_chunk *new_chunk(struct hl_arena *arena, size_t bytes, int huge) {
    struct hl_chunk *chunk;
    if (arena->chunk_malloc) {
        chunk = arena->chunk_malloc(bytes);
        if (!chunk) return NULL;
        chunk->mapping = chunk;
        chunk->mapped_bytes = bytes;
    } else {
        huge = huge && bytes >= HL_HUGE_PAGE_BYTES;
        size_t mapped = bytes + (huge ? HL_HUGE_PAGE_BYTES : 0);
        char *p = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return NULL;
        char *base = p;
        if (huge) {
            base = (char *)(((uintptr_t)p + HL_HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HL_HUGE_PAGE_BYTES - 1));
            size_t head = (size_t)(base - p), tail = mapped - head - bytes;
            // Invariant: head and tail are whole pages outside [base, base + bytes); unmapping them leaves exactly
            // the chunk mapped.
            if (head) munmap(p, head);
            if (tail) munmap(base + bytes, tail);
            p = base;
            mapped = bytes;
            (void)madvise(base, bytes, MADV_HUGEPAGE);
        }
        chunk = (struct hl_chunk *)base;
        chunk->mapping = p;
        chunk->mapped_bytes = mapped;
    }
    // Invariant: the chunk holds `bytes` >= HL_CHUNK_HEADER_BYTES bytes, so the header fits.
    chunk->next = NULL;
    chunk->bytes = bytes;
    return chunk;
}

/// Gives `chunk` back to its source.
static void return_chunk(struct hl_arena *arena, struct hl_chunk *chunk) {
    if (arena->chunk_malloc) {
        arena->chunk_free(chunk);
    } else {
        int failed = munmap(chunk->mapping, chunk->mapped_bytes);
        // munmap of a mapping made here, with its own length, fails only on a corrupt header.
        if (failed) {
            fprintf(stderr, "NativeReference arena: munmap of a chunk failed (header corrupt?)\n");
            abort();
        }
    }
}

/// Keeps `chunk` (off every list) as a spare if there is room, else gives it back.
static void retire(struct hl_arena *arena, struct hl_chunk *chunk) {
    if (arena->spare_bytes + chunk->bytes <= HL_ARENA_SPARE_LIMIT_BYTES) {
        chunk->next = arena->spares;
        arena->spares = chunk;
        arena->spare_bytes += chunk->bytes;
    } else {
        return_chunk(arena, chunk);
    }
}

/// A chunk with at least `usable` usable bytes: the first spare that fits (newest first), else a new chunk of
/// `preferred` bytes or what `usable` needs, whichever is more. NULL when the source refuses.
static struct hl_chunk *obtain_chunk(struct hl_arena *arena, size_t usable, size_t preferred, int huge) {
    struct hl_chunk **link = &arena->spares;
    for (struct hl_chunk *chunk = arena->spares; chunk; link = &chunk->next, chunk = chunk->next) {
        if (chunk_usable(chunk) >= usable) {
            *link = chunk->next;
            arena->spare_bytes -= chunk->bytes;
            chunk->next = NULL;
            return chunk;
        }
    }
    size_t needed = (usable + HL_CHUNK_HEADER_BYTES + HL_PAGE_BYTES - 1) & ~(HL_PAGE_BYTES - 1);
    size_t bytes = needed > preferred ? needed : preferred;
    struct hl_chunk *chunk = new_chunk(arena, bytes, huge);
    arena->failed_chunk_bytes = chunk ? 0 : bytes;
    return chunk;
}

void *hl_arena_allocate_slow(struct hl_arena *arena, size_t bytes) {
    // Requests are multiples of 8 (hl_arena_allocate rounds them) and far below SIZE_MAX / 2: the programs ask
    // for nodes and for at most 800 MB of doubles.
    size_t next = HL_CHUNK_INITIAL_BYTES;
    if (arena->current) {
        next = arena->current->bytes >= HL_CHUNK_MAXIMUM_BYTES / 2 ? HL_CHUNK_MAXIMUM_BYTES : arena->current->bytes * 2;
        if (next < HL_CHUNK_INITIAL_BYTES) next = HL_CHUNK_INITIAL_BYTES;
    }
    if (bytes > (next - HL_CHUNK_HEADER_BYTES) / 4) {
        // Large: a chunk of its own, so the current chunk keeps its room and the chunk sizes do not inflate.
        struct hl_chunk *chunk = obtain_chunk(arena, bytes, 0, 1);
        if (!chunk) return NULL;
        chunk->next = arena->large;
        arena->large = chunk;
        return chunk_start(chunk);
    }
    struct hl_chunk *chunk = obtain_chunk(arena, bytes, next, 0);
    if (!chunk) return NULL;
    // The rest of the current chunk stays unused until a release goes back into it.
    chunk->next = arena->current;
    arena->current = chunk;
    char *p = chunk_start(chunk);
    arena->cursor = p + bytes;
    arena->limit = chunk_end(chunk);
#ifndef NDEBUG
    hl_arena_check_invariants(arena);
#endif
    return p;
}

void hl_arena_release(struct hl_arena *arena, struct hl_arena_mark mark) {
    while (arena->large != mark.large) {
        struct hl_chunk *chunk = arena->large;
        // A mark's large chunk is still on the list (marks nest): the loop ends before the list does.
        assert(chunk && "hl_arena_release: mark not on the large list (released out of order?)");
        arena->large = chunk->next;
        retire(arena, chunk);
    }
    while (arena->current != mark.chunk) {
        struct hl_chunk *chunk = arena->current;
        assert(chunk && "hl_arena_release: mark not on the chunk list (released out of order?)");
        arena->current = chunk->next;
        retire(arena, chunk);
    }
    if (mark.chunk) {
        // Everything after mark.cursor in the mark's chunk was allocated after the mark, or is unused.
        arena->cursor = mark.cursor;
        arena->limit = chunk_end(mark.chunk);
    } else {
        arena->cursor = NULL;
        arena->limit = NULL;
    }
#ifndef NDEBUG
    hl_arena_check_invariants(arena);
#endif
}

void hl_arena_destroy(struct hl_arena *arena) {
    struct hl_chunk *lists[3] = {arena->current, arena->large, arena->spares};
    for (int i = 0; i < 3; i++) {
        for (struct hl_chunk *chunk = lists[i]; chunk;) {
            struct hl_chunk *next = chunk->next;
            return_chunk(arena, chunk);
            chunk = next;
        }
    }
    hl_arena_init(arena, arena->chunk_malloc, arena->chunk_free);
}

static void invariant(int holds, const char *what) {
    if (!holds) {
        fprintf(stderr, "NativeReference arena: invariant violated: %s\n", what);
        abort();
    }
}

void hl_arena_check_invariants(const struct hl_arena *arena) {
    invariant(arena->cursor <= arena->limit, "cursor <= limit");
    invariant(((uintptr_t)arena->cursor & 7) == 0, "cursor is 8-aligned");
    if (arena->current) {
        invariant(arena->cursor >= chunk_start(arena->current) && arena->limit == chunk_end(arena->current),
                  "cursor and limit lie in the current chunk");
    } else {
        invariant(arena->cursor == NULL && arena->limit == NULL, "no chunk: cursor and limit are NULL");
    }
    size_t spare = 0;
    for (const struct hl_chunk *chunk = arena->spares; chunk; chunk = chunk->next) spare += chunk->bytes;
    invariant(spare == arena->spare_bytes && spare <= HL_ARENA_SPARE_LIMIT_BYTES, "spare bytes add up, within the limit");
}
