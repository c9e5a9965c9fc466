// pthread_setname_np is a GNU extension: Swift's Glibc module does not declare it, so it is reached from here.
// (The rest of CMarkSweepGC is inline functions in include/CMarkSweepGC.h.)
#define _GNU_SOURCE
#include <pthread.h>
#include "CMarkSweepGC.h"

int heaplab_set_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
