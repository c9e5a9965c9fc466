// NativeReference: GCBench and binary-trees written in plain C, the reference rows of HeapLab's tables.
//
// Each program is written once, as a C programmer writes it (Boehm's GCBench.c, the Benchmarks Game's C
// binary-trees: a node struct, recursive build, check and free), and compiled once per allocator family:
//
//   HL_NATIVE_MALLOC     glibc malloc and free, called directly; each dead tree freed recursively.
//   HL_NATIVE_ARENA      a bump arena written in C (below); a mark is taken where the Swift workload opens
//                        `withScope` and released where the scope ends; nothing is freed one by one.
//   HL_NATIVE_FUNCTIONS  malloc and free through the function pointers of an `hl_native_allocator` (jemalloc's
//                        or mimalloc's, loaded with dlopen by the caller); each dead tree freed recursively.
//   HL_NATIVE_COLLECTOR  a collector's malloc through function pointers (Boehm GC: GC_malloc for nodes,
//                        GC_malloc_atomic for the array of doubles); nothing is freed; the roots are the C stack
//                        and registers, as a Boehm user relies on.
//
// Parity with the Swift workloads (Sources/Workloads/GCBench.swift and BinaryTrees.swift): the same parameters,
// phases in the same order, checks with the same failure messages, the same checksum, the same operations
// (latency units), the same drop points timed as stalls with the same labels, and memory samples where the
// Swift workload samples. A collector's drops are not stalls (as `dropsStall` is false for Boehm); an arena's
// drops are not either, its scope ends are ("scope"), as `ArenaManager` logs them. What differs is what a C
// program does not need: the nodes are plain structs (24 and 16 bytes) with no 8-byte shape header, memory is not
// cleared (every field is written), and nothing is bounds-checked; that difference is what the rows show.
//
// The arena's chunk policy, the same numbers as ScopedArena's defaults:
// - chunks come from mmap (or from the `hl_native_allocator` given to HL_NATIVE_ARENA: its malloc and free);
//   each starts with a 64-byte header; requests are rounded up to 8 bytes, objects are 8-byte aligned;
// - the first chunk is 64 KiB; each new chunk is twice the size of the current one, at most 8 MiB;
// - a request of more than a quarter of the next chunk's usable bytes gets a chunk of its own (on a separate
//   list, so the current chunk keeps its room); with mmap, such a chunk of 2 MiB or more is mapped on a 2 MiB
//   boundary and advised MADV_HUGEPAGE, as ScopedArena's default `huge-pages=large` does;
// - a mark is the current chunk, its bump pointer and the newest large chunk; releasing it puts the bump pointer
//   back and retires every chunk taken since;
// - retired chunks are kept for reuse (first fit, newest first) up to 64 MiB in all; beyond that they go back
//   to the system; the whole arena goes back when the program returns;
// - unlike ScopedArena: released memory is never poisoned, and a mark taken before the first chunk retires every
//   chunk on release (ScopedArena keeps the first as its current chunk); in both programs only the first scope
//   (the stretch tree) is opened on an empty arena.
//
// Threads: each call runs on the calling thread and keeps no state between calls; calls on different threads
// are independent (the collector family excepted: Boehm must know the thread, see HL_NATIVE_COLLECTOR).
#ifndef NATIVE_REFERENCE_H
#define NATIVE_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

// Nullability qualifiers are a clang extension (Swift imports them as optionals); other compilers ignore them.
#if !defined(__clang__)
#define _Nullable
#define _Nonnull
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// What the program reports while it runs. Every callback may be NULL: that measurement is then off, and the
/// program reads no clock for it (with every callback NULL it reads no clock at all). Callbacks run on the
/// calling thread, inside the program; they must not call back into it.
typedef struct hl_native_hooks {
    /// Passed unchanged as the first argument of every callback.
    void *_Nullable context;
    /// One latency unit finished: `nanoseconds` of CLOCK_MONOTONIC from its start to its end. GCBench: one
    /// temporary tree (build, check, drop, scope end). binary-trees: a tree of depth <= unit_depth (build, check,
    /// drop, scope end), or, in a deeper tree, the build of one subtree of depth unit_depth, or its check.
    void (*_Nullable operation)(void *_Nullable context, uint64_t nanoseconds);
    /// A drop point finished: it started at `start_ns` (CLOCK_MONOTONIC, nanoseconds) and took `duration_ns`.
    /// `label` is a static string: "stretch tree", "tree", "long-lived data" (GCBench) or "long-lived tree"
    /// (binary-trees) for the families that free (malloc, functions); "scope" for an arena's scope end.
    /// A collector reports none.
    void (*_Nullable stall)(void *_Nullable context, uint64_t start_ns, uint64_t duration_ns,
                            const char *_Nonnull label);
    /// A memory sample point (where the Swift workload calls `sampleMemory`). `live_bytes` is the bytes the
    /// program holds live by its own account (binary-trees: nodes times 16), or -1 where the Swift workload
    /// passes none (GCBench). `force` is 1 where the Swift workload forces the sample, else 0 (the callee may
    /// then skip it to limit the sampling rate).
    void (*_Nullable sample_memory)(void *_Nullable context, int64_t live_bytes, int force);
} hl_native_hooks;

/// An allocator reached through function pointers, for HL_NATIVE_FUNCTIONS and HL_NATIVE_COLLECTOR, and
/// optionally for HL_NATIVE_ARENA (as its chunk source). The caller obtains them (dlopen/dlsym) and keeps the
/// library loaded.
typedef struct hl_native_allocator {
    /// Returns `bytes` (> 0) bytes aligned to at least 8, or NULL when it refuses (the program then ends with
    /// status 2). Need not clear the memory: the programs write every field they read.
    void *_Nullable (*_Nullable malloc)(size_t bytes);
    /// Frees a block `malloc` returned. Required for HL_NATIVE_FUNCTIONS and for an arena's chunk source;
    /// ignored (may be NULL) for a collector, which frees nothing.
    void (*_Nullable free)(void *_Nullable p);
    /// Pointer-free memory (a collector never scans it): GCBench's array of doubles. NULL: `malloc` is used.
    void *_Nullable (*_Nullable malloc_atomic)(size_t bytes);
} hl_native_allocator;

/// How the program gets and gives back memory (see the top of this file).
typedef enum hl_native_family {
    HL_NATIVE_MALLOC = 0,
    HL_NATIVE_ARENA = 1,
    HL_NATIVE_FUNCTIONS = 2,
    /// The allocator's memory must be scanned by a collector that finds the calling thread's stack and
    /// registers: for Boehm GC, the calling thread must be registered with it (the thread that called GC_init,
    /// or one registered with GC_register_my_thread).
    HL_NATIVE_COLLECTOR = 3,
} hl_native_family;

/// GCBench's parameters, as GCBench.swift names them; the accepted ranges are the Swift workload's.
typedef struct hl_gcbench_parameters {
    int stretch_depth;      ///< 1...24: depth of the stretch tree; also sets the number of trees per depth
    int long_lived_depth;   ///< 0...24: depth of the long-lived tree
    int array_size;         ///< 2002...100000000: doubles in the long-lived array (the first half is filled)
    int min_depth;          ///< 0...24, <= max_depth: smallest temporary tree depth
    int max_depth;          ///< 0...24: largest temporary tree depth (steps of 2 from min_depth)
    int walk_trees;         ///< 0 or 1: 1 walks every temporary tree checking each node; 0 checks its root
} hl_gcbench_parameters;

/// binary-trees' parameters, as BinaryTrees.swift names them; max depth = max(4 + 2, depth).
typedef struct hl_binary_trees_parameters {
    int depth;              ///< 1...26: maximum tree depth N (the Benchmarks Game uses 21)
    int unit_depth;         ///< 1...26: deepest tree timed as one operation; deeper ones per subtree of this depth
} hl_binary_trees_parameters;

/// Status of a run.
enum {
    HL_NATIVE_OK = 0,
    /// A check failed: a tree or the long-lived data did not read back as built. `message` is the Swift
    /// workload's `WorkloadFailure` message for the same failure.
    HL_NATIVE_CHECK_FAILED = 1,
    /// An allocation returned NULL (malloc, the allocator's malloc, or the arena's chunk source): the program
    /// stopped there and freed what it could. `message` says "the system refused N bytes", as
    /// `AllocationError.systemOutOfMemory` does (for the arena, N is the chunk it could not get).
    HL_NATIVE_OUT_OF_MEMORY = 2,
    /// The call was not made as this header says (an unknown family, a NULL pointer where one is required, a
    /// parameter out of its range); nothing ran. `message` names the argument, as the Swift `ParameterError` does.
    HL_NATIVE_INVALID_ARGUMENT = 3,
};

/// What a run reports.
typedef struct hl_native_result {
    /// The Swift workload's checksum: the sum of the node counts each check returned. Equal to the Swift run's
    /// on every manager.
    uint64_t checksum;
    /// Objects allocated (successful allocation calls for nodes and for GCBench's array): what the Swift
    /// managers count as `statistics().allocations`, and equal to it for the same parameters. Arena chunks are
    /// not objects and not counted.
    uint64_t allocations;
    /// Bytes those allocations asked for: sizeof(struct node) per node (24 for GCBench's two pointers and two
    /// int32_t, 16 for binary-trees' two pointers) plus 8 per double of the array. Equal to the Swift managers'
    /// `bytesRequested` (the sum of `ObjectShape.bytes`, without any manager's header or rounding).
    uint64_t bytes_requested;
    /// HL_NATIVE_OK, HL_NATIVE_CHECK_FAILED, HL_NATIVE_OUT_OF_MEMORY or HL_NATIVE_INVALID_ARGUMENT.
    int status;
    /// Why, when status != HL_NATIVE_OK (NUL-terminated, truncated to fit); empty otherwise.
    char message[256];
} hl_native_result;

/// Runs GCBench (Boehm, Ellis and Kovac) with `family` and fills `result` (every field, whatever the status).
///
/// `allocator`: required for HL_NATIVE_FUNCTIONS (malloc and free) and HL_NATIVE_COLLECTOR (malloc); optional for
/// HL_NATIVE_ARENA (NULL: chunks from mmap); ignored for HL_NATIVE_MALLOC. `hooks` may be NULL (no measurement).
///
/// Memory: on every status but a failed check, everything the program allocated is freed (or, for a collector,
/// unreachable) when it returns. After a failed check the malloc and functions families free nothing more: what
/// failed may be corrupt, and freeing it could corrupt the allocator, so it leaks; the arena still returns its
/// chunks.
///
/// Returns `result->status`.
int hl_native_gcbench(hl_native_family family, const hl_native_allocator *_Nullable allocator,
                      const hl_gcbench_parameters *_Nonnull parameters, const hl_native_hooks *_Nullable hooks,
                      hl_native_result *_Nonnull result);

/// Runs binary-trees (the Computer Language Benchmarks Game) with `family` and fills `result`; arguments, memory
/// and return value as for `hl_native_gcbench`.
int hl_native_binary_trees(hl_native_family family, const hl_native_allocator *_Nullable allocator,
                           const hl_binary_trees_parameters *_Nonnull parameters,
                           const hl_native_hooks *_Nullable hooks, hl_native_result *_Nonnull result);

#ifdef __cplusplus
}
#endif

#endif
