// What the collector needs from C: a prefetch hint and a spin-wait hint, which Swift cannot express.
#ifndef CMARKSWEEPGC_H
#define CMARKSWEEPGC_H

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

#endif
