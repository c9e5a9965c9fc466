// What both programs share: the state of one run, the clock, the hooks, and each family's primitives
// (allocate, free, scope begin and end), as static inline functions that the compiler inlines into each
// instantiation of a program, so that glibc's malloc and the arena's bump are direct calls. Internal.
//
// Every .c file that includes it defines _GNU_SOURCE first (clock_gettime and mmap's flags under -std=c11).
#ifndef NATIVE_RUN_H
#define NATIVE_RUN_H

#include "NativeReference.h"
#include "native_arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/// One run of a program.
struct hl_run {
    /// The caller's hooks (all NULL when it gave none).
    hl_native_hooks hooks;
    /// The allocator's functions (HL_NATIVE_FUNCTIONS, HL_NATIVE_COLLECTOR): `malloc_atomic` is `malloc` when
    /// the caller gave none.
    void *(*malloc)(size_t bytes);
    void (*free)(void *p);
    void *(*malloc_atomic)(size_t bytes);
    /// The arena (HL_NATIVE_ARENA).
    struct hl_arena arena;
    /// Successful allocations of objects and the bytes they asked for (hl_native_result).
    uint64_t allocations;
    uint64_t bytes_requested;
    /// Bytes of the allocation that failed (reported in the out-of-memory message).
    size_t failed_bytes;
    hl_native_result *result;
};

// MARK: clock and hooks

/// Nanoseconds of CLOCK_MONOTONIC, as MonotonicClock.now() reads it (the vDSO: no system call).
static inline uint64_t hl_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/// The start of an operation, or 0 when operations are not timed.
static inline uint64_t hl_operation_begin(const struct hl_run *r) { return r->hooks.operation ? hl_now() : 0; }

static inline void hl_operation_end(const struct hl_run *r, uint64_t start) {
    if (r->hooks.operation) r->hooks.operation(r->hooks.context, hl_now() - start);
}

/// The start of a drop point, or 0 when stalls are not timed.
static inline uint64_t hl_stall_begin(const struct hl_run *r) { return r->hooks.stall ? hl_now() : 0; }

static inline void hl_stall_end(const struct hl_run *r, uint64_t start, const char *label) {
    if (r->hooks.stall) {
        uint64_t end = hl_now();
        r->hooks.stall(r->hooks.context, start, end - start, label);
    }
}

static inline void hl_sample_memory(const struct hl_run *r, int64_t live_bytes, int force) {
    if (r->hooks.sample_memory) r->hooks.sample_memory(r->hooks.context, live_bytes, force);
}

// MARK: results

/// Ends the run with `status` and a printf-formatted message; returns `status`.
static inline int hl_fail(struct hl_run *r, int status, const char *format, ...) __attribute__((format(printf, 3, 4)));
static inline int hl_fail(struct hl_run *r, int status, const char *format, ...) {
    r->result->status = status;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(r->result->message, sizeof r->result->message, format, arguments);
    va_end(arguments);
    return status;
}

/// Ends the run as out of memory, naming the allocation that failed (the chunk, for the arena).
static inline int hl_out_of_memory(struct hl_run *r) {
    return hl_fail(r, HL_NATIVE_OUT_OF_MEMORY, "the system refused %zu bytes", r->failed_bytes);
}

/// Counts an allocation of `bytes` that returned `p`, or records the failure. Returns `p`.
static inline void *hl_counted(struct hl_run *r, void *p, size_t bytes) {
    if (__builtin_expect(p != NULL, 1)) {
        r->allocations += 1;
        r->bytes_requested += bytes;
    } else {
        r->failed_bytes = r->arena.failed_chunk_bytes ? r->arena.failed_chunk_bytes : bytes;
    }
    return p;
}

// MARK: compiled as gcc compiles them
// clang turns a malloc followed by stores of zero to every field (a leaf node) into one calloc; gcc -O2 does not.
// glibc 2.36's calloc skips the thread cache that malloc uses and takes the slower _int_malloc path, so a leaf
// would cost more than the same C program built with gcc, and more than the `malloc` manager, whose malloc is
// opaque to LLVM for the same reason (CSystemHeaps.h). The programs' functions (between HL_PROGRAMS_BEGIN and
// HL_PROGRAMS_END) are compiled with calloc not a builtin, so they call malloc as written.
#if defined(__clang__)
#define HL_PROGRAMS_BEGIN _Pragma("clang attribute push (__attribute__((no_builtin(\"calloc\"))), apply_to = function)")
#define HL_PROGRAMS_END _Pragma("clang attribute pop")
#else
#define HL_PROGRAMS_BEGIN
#define HL_PROGRAMS_END
#endif

// MARK: the families' primitives
// For family F: hl_allocate_F (an object that may hold pointers), hl_allocate_atomic_F (one that holds none),
// hl_free_F (one object), HL_FREES_F (whether dead structures are freed object by object, and those drops are
// timed as stalls), hl_scope_begin_F and hl_scope_end_F (where the Swift workload opens and ends `withScope`).

static inline void *hl_allocate_malloc(struct hl_run *r, size_t bytes) { return hl_counted(r, malloc(bytes), bytes); }
static inline void *hl_allocate_atomic_malloc(struct hl_run *r, size_t bytes) { return hl_counted(r, malloc(bytes), bytes); }
static inline void hl_free_malloc(struct hl_run *r, void *p) { (void)r; free(p); }
enum { HL_FREES_malloc = 1 };

static inline void *hl_allocate_arena(struct hl_run *r, size_t bytes) {
    return hl_counted(r, hl_arena_allocate(&r->arena, bytes), bytes);
}
static inline void *hl_allocate_atomic_arena(struct hl_run *r, size_t bytes) { return hl_allocate_arena(r, bytes); }
static inline void hl_free_arena(struct hl_run *r, void *p) { (void)r; (void)p; }
enum { HL_FREES_arena = 0 };

static inline void *hl_allocate_functions(struct hl_run *r, size_t bytes) { return hl_counted(r, r->malloc(bytes), bytes); }
static inline void *hl_allocate_atomic_functions(struct hl_run *r, size_t bytes) { return hl_counted(r, r->malloc(bytes), bytes); }
static inline void hl_free_functions(struct hl_run *r, void *p) { r->free(p); }
enum { HL_FREES_functions = 1 };

static inline void *hl_allocate_collector(struct hl_run *r, size_t bytes) { return hl_counted(r, r->malloc(bytes), bytes); }
static inline void *hl_allocate_atomic_collector(struct hl_run *r, size_t bytes) {
    return hl_counted(r, r->malloc_atomic(bytes), bytes);
}
static inline void hl_free_collector(struct hl_run *r, void *p) { (void)r; (void)p; }
enum { HL_FREES_collector = 0 };

/// Scopes: only the arena does anything. Its scope end is its bulk free, timed as a "scope" stall.
static inline struct hl_arena_mark hl_scope_begin_arena(struct hl_run *r) { return hl_arena_take_mark(&r->arena); }
static inline void hl_scope_end_arena(struct hl_run *r, struct hl_arena_mark mark) {
    uint64_t start = hl_stall_begin(r);
    hl_arena_release(&r->arena, mark);
    hl_stall_end(r, start, "scope");
}
static inline struct hl_arena_mark hl_scope_begin_none(struct hl_run *r) {
    (void)r;
    struct hl_arena_mark mark = {NULL, NULL, NULL};
    return mark;
}
static inline void hl_scope_end_none(struct hl_run *r, struct hl_arena_mark mark) { (void)r; (void)mark; }
#define hl_scope_begin_malloc hl_scope_begin_none
#define hl_scope_end_malloc hl_scope_end_none
#define hl_scope_begin_functions hl_scope_begin_none
#define hl_scope_end_functions hl_scope_end_none
#define hl_scope_begin_collector hl_scope_begin_none
#define hl_scope_end_collector hl_scope_end_none

// MARK: instantiation

#define HL_PASTE2(a, b) a##b
#define HL_PASTE(a, b) HL_PASTE2(a, b)
/// `name` for the family being instantiated (HL_FAMILY): HL_FN(make_tree) is make_tree_malloc, ...
#define HL_FN(name) HL_PASTE(name, HL_PASTE(_, HL_FAMILY))
#define HL_ALLOCATE(r, bytes) HL_PASTE(hl_allocate_, HL_FAMILY)(r, bytes)
#define HL_ALLOCATE_ATOMIC(r, bytes) HL_PASTE(hl_allocate_atomic_, HL_FAMILY)(r, bytes)
#define HL_FREE(r, p) HL_PASTE(hl_free_, HL_FAMILY)(r, p)
#define HL_FREES HL_PASTE(HL_FREES_, HL_FAMILY)
#define HL_SCOPE_BEGIN(r) HL_PASTE(hl_scope_begin_, HL_FAMILY)(r)
#define HL_SCOPE_END(r, mark) HL_PASTE(hl_scope_end_, HL_FAMILY)(r, mark)

// MARK: setting up a run

/// Fills `r` for `family` and checks the allocator the family needs. Returns HL_NATIVE_OK, or
/// HL_NATIVE_INVALID_ARGUMENT with the result's message set. `program` names the program in messages.
int hl_run_begin(struct hl_run *r, const char *program, hl_native_family family,
                 const hl_native_allocator *allocator, const hl_native_hooks *hooks, hl_native_result *result);

/// Returns what the run holds for good (the arena's chunks) and copies the counters into the result.
void hl_run_end(struct hl_run *r, hl_native_family family);

#endif
