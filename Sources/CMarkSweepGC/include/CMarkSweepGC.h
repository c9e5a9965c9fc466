// The one thing the collector needs from C: a prefetch hint, which Swift cannot express.
#ifndef CMARKSWEEPGC_H
#define CMARKSWEEPGC_H

/// Asks the processor to start loading the cache line at `address` (for reading and writing, keep in all cache
/// levels). A hint only: it never faults, even for an invalid address, and has no effect on program meaning.
static inline void heaplab_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
