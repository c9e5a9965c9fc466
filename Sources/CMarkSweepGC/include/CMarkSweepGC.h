// What the collector needs from C: a prefetch hint, a spin-wait hint, and atomic operations on heap memory
// (mark bytes, large-object descriptors), which Swift cannot express: Synchronization's `Atomic` is a
// value that owns its storage, it cannot be laid over a word of an mmap'd block.
#ifndef CMARKSWEEPGC_H
#define CMARKSWEEPGC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/// Asks the processor to start loading the cache line at `address` (for reading and writing, keep in all cache
/// levels). A hint only: it never faults, even for an invalid address, and has no effect on program meaning.
static inline void heaplab_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// Tells the processor this thread is in a spin-wait loop (x86 `pause`): the loop then uses less power and
/// yields pipeline resources to the other hyperthread, and leaves the loop without a memory-order mis-speculation.
static inline void heaplab_spin_hint(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}


/// Names `thread` for debuggers and profilers (at most 15 characters; longer names are refused).
/// Returns 0 on success, an error number otherwise.
int heaplab_set_thread_name(pthread_t thread, const char *name);

/// Parallel marking: marks the cell whose mark byte is at `byte` and returns true when it was unmarked (the
/// caller then scans the cell), false when it was marked already. A relaxed atomic load and store, not a
/// read-modify-write: plain moves on x86-64, where an atomic exchange or OR is a locked instruction that stalls
/// the mark loop's overlapping cache misses. Two markers that reach the same unmarked cell at once may both get
/// true; the cell is then scanned twice (harmless: its children are marked once) and counted twice, so a
/// parallel mark recounts live cells from the mark bytes. No other mark can be lost: each cell has its own byte.
///
/// Relaxed ordering: the byte decides only which thread scans the cell. What the scan reads (the object's
/// header and slots) was written before the world stopped and is not written while marking runs, and the
/// sweeper reads the mark bytes after every marker has finished, ordered by the workers' lock.
static inline bool heaplab_test_and_set_mark_byte(uint8_t *byte) {
    if (__atomic_load_n(byte, __ATOMIC_RELAXED) != 0) return false;
    __atomic_store_n(byte, 1, __ATOMIC_RELAXED);
    return true;
}

/// Parallel marking: a large object's 32-bit mark flag set to 1; true when it was 0. An atomic exchange, so
/// exactly one marker gets true (large objects are few: the locked instruction costs nothing that shows).
/// Relaxed, for the reasons above.
static inline bool heaplab_atomic_test_and_set_flag(uint32_t *flag) {
    if (__atomic_load_n(flag, __ATOMIC_RELAXED) != 0) return false;
    return __atomic_exchange_n(flag, 1u, __ATOMIC_RELAXED) == 0;
}

/// A mark byte read while parallel markers may set it (the debug reference check in `markObject`): relaxed,
/// because the reader only needs some value the byte has held (0 or 1), and a plain read racing with the
/// markers' atomic stores is a data race in the C/C++ memory model (ThreadSanitizer reports it).
static inline uint8_t heaplab_load_mark_byte(const uint8_t *byte) {
    return __atomic_load_n(byte, __ATOMIC_RELAXED);
}

/// A large object's mark flag read while parallel markers may exchange it: relaxed, as above.
static inline uint32_t heaplab_load_flag(const uint32_t *flag) {
    return __atomic_load_n(flag, __ATOMIC_RELAXED);
}

/// Concurrent marking: a reference slot read by the marker while mutators may be storing into it. Acquire,
/// pairing with the release store of `GCHeap.store`: a marker that reads a reference to an object allocated
/// since marking began also sees that object's header and its mark (set before the block was handed out), so
/// it finds the object black and never scans a half-written one. A plain `mov` on x86-64.
static inline void *heaplab_load_slot_acquire(void *const *slot) {
    return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

#endif
