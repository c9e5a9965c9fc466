// The machine's own ceiling for allocation scaling: each thread bumps through a private 4 MiB buffer writing
// 32-byte "objects" (a header word and three zero words, as the collector's allocator writes a GCBench node),
// with no heap, no lock and nothing shared. Prints objects per second with 1 and with 2 threads, 5 rounds.
// What `heaplab-timing alloc-scaling` gets is compared with this (Docs/Internals.md, "Many mutator threads").
//
//   gcc -O2 -pthread scripts/scaling-ceiling.c -o /tmp/scaling-ceiling && /tmp/scaling-ceiling
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { OBJECTS = 20000000, BUFFER_BYTES = 4 << 20 };

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *allocate(void *unused) {
    (void)unused;
    char *buffer = aligned_alloc(64, BUFFER_BYTES);
    if (buffer == NULL) abort();
    memset(buffer, 0, BUFFER_BYTES);
    size_t offset = 0;
    for (long i = 0; i < OBJECTS; i++) {
        if (offset + 32 > BUFFER_BYTES) offset = 0;
        uint64_t *object = (uint64_t *)(buffer + offset);
        object[1] = 0; object[2] = 0; object[3] = 0;
        object[0] = 0x1234 | (uint64_t)i;
        offset += 32;
        __asm__ volatile("" : : "r"(object) : "memory");  // the stores must happen
    }
    free(buffer);
    return NULL;
}

int main(void) {
    for (int round = 1; round <= 5; round++) {
        double rate[3] = {0, 0, 0};
        for (int threads = 1; threads <= 2; threads++) {
            pthread_t thread[2];
            double start = seconds();
            for (int t = 0; t < threads; t++) pthread_create(&thread[t], NULL, allocate, NULL);
            for (int t = 0; t < threads; t++) pthread_join(thread[t], NULL);
            rate[threads] = threads * (double)OBJECTS / (seconds() - start) / 1e6;
        }
        printf("round %d: 1 thread %.1f M objects/s, 2 threads %.1f M objects/s, ratio %.2f\n",
               round, rate[1], rate[2], rate[2] / rate[1]);
    }
    return 0;
}
