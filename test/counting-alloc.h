/*
 * counting-alloc.h: an allocator for jansson that counts and fails.
 *
 * For the test programs that check what a parse does when memory runs
 * out.  Every block it gives out is counted in live_blocks until it is
 * freed; allocations counts the calls, and the fail_at-th call returns
 * NULL (0: none fails).  Install it with
 *
 *     json_set_alloc_funcs(counting_malloc, counting_free);
 *
 * and reset the three counters before each parse.  The definitions are
 * static: include this header from one file of a program.
 */
#ifndef COUNTING_ALLOC_H
#define COUNTING_ALLOC_H

#include <stdlib.h>

static long live_blocks;
static long allocations;
static long fail_at;

static void *
counting_malloc(size_t size)
{
    void *p;

    if (++allocations == fail_at) {
        return NULL;
    }
    p = malloc(size);
    if (p != NULL) {
        live_blocks++;
    }
    return p;
}

static void
counting_free(void *p)
{
    if (p != NULL) {
        live_blocks--;
    }
    free(p);
}

#endif
