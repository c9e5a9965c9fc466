// What SystemHeaps needs from C: a malloc whose result the optimizer can not see through.
#ifndef CSYSTEMHEAPS_H
#define CSYSTEMHEAPS_H

#include <stdlib.h>

/// glibc's `malloc(bytes)`, with its result hidden from the optimizer by an empty `asm` (no instruction is
/// emitted). Without it, LLVM turns a `malloc` followed by zeroing stores (a new object's nil slots) into one
/// `calloc`, which in glibc 2.36 skips the thread cache (tcache) and takes the slower `_int_malloc` path on every
/// call; gcc -O2 makes no such change to a C program that fills a struct after `malloc`, so the `malloc`
/// manager would pay for a compiler's choice that the C programs it is compared with do not. Stores that a
/// later store overwrites are still removed (they go through the same pointer value).
static inline void *heaplab_malloc(size_t bytes) {
    void *block = malloc(bytes);
    __asm__("" : "+r"(block));
    return block;
}

#endif
