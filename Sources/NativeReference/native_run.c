// Setting up and ending a run: the family's allocator checked, the arena made and destroyed, counters reported.
#define _GNU_SOURCE
#include "native_run.h"

#include <string.h>

int hl_run_begin(struct hl_run *r, const char *program, hl_native_family family,
                 const hl_native_allocator *allocator, const hl_native_hooks *hooks, hl_native_result *result) {
    memset(result, 0, sizeof *result);
    memset(r, 0, sizeof *r);
    r->result = result;
    if (hooks) r->hooks = *hooks;
    hl_arena_init(&r->arena, NULL, NULL);
    switch (family) {
    case HL_NATIVE_MALLOC:
        return HL_NATIVE_OK;
    case HL_NATIVE_ARENA:
        if (!allocator) return HL_NATIVE_OK;
        if (!allocator->malloc || !allocator->free) {
            return hl_fail(r, HL_NATIVE_INVALID_ARGUMENT, "%s: the arena's chunk source needs both malloc and free", program);
        }
        hl_arena_init(&r->arena, allocator->malloc, allocator->free);
        return HL_NATIVE_OK;
    case HL_NATIVE_FUNCTIONS:
        if (!allocator || !allocator->malloc || !allocator->free) {
            return hl_fail(r, HL_NATIVE_INVALID_ARGUMENT, "%s: HL_NATIVE_FUNCTIONS needs an allocator with malloc and free", program);
        }
        r->malloc = allocator->malloc;
        r->free = allocator->free;
        r->malloc_atomic = allocator->malloc_atomic ? allocator->malloc_atomic : allocator->malloc;
        return HL_NATIVE_OK;
    case HL_NATIVE_COLLECTOR:
        if (!allocator || !allocator->malloc) {
            return hl_fail(r, HL_NATIVE_INVALID_ARGUMENT, "%s: HL_NATIVE_COLLECTOR needs an allocator with malloc", program);
        }
        r->malloc = allocator->malloc;
        r->malloc_atomic = allocator->malloc_atomic ? allocator->malloc_atomic : allocator->malloc;
        return HL_NATIVE_OK;
    }
    return hl_fail(r, HL_NATIVE_INVALID_ARGUMENT, "%s: unknown allocator family %d", program, (int)family);
}

void hl_run_end(struct hl_run *r, hl_native_family family) {
    if (family == HL_NATIVE_ARENA) hl_arena_destroy(&r->arena);
    r->result->allocations = r->allocations;
    r->result->bytes_requested = r->bytes_requested;
}
