/*
 * thread.c: starting the library's own threads.
 */
#define _GNU_SOURCE

#include <pthread.h>
#include <signal.h>

#include "util.h"

int
cl_thread_start(pthread_t *thr, void *(*fn)(void *), void *arg,
                const char *name)
{
    sigset_t all;
    sigset_t old;
    int rv;

    /* The thread inherits a full mask: it takes none of the host's signals. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rv = pthread_create(thr, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rv == 0) {
        (void)pthread_setname_np(*thr, name);
    }
    return rv;
}
