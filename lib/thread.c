/*
 * thread.c: starting the library's own threads.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util.h"

/* Set on the library's own threads, which block every signal. */
static _Thread_local bool own_thread;

typedef struct start {
    void *(*fn)(void *);
    void *arg;
    const char *name; /* a literal: it outlives the thread */
} start;

static void *
thread_main(void *p)
{
    start s = *(start *)p;

    free(p);
    own_thread = true;

    /*
     * The thread names itself.  Naming another thread writes its name
     * through a file in /proc that glibc opens without close-on-exec,
     * so a child spawned meanwhile by any thread would inherit it.
     */
    (void)pthread_setname_np(pthread_self(), s.name);
    return s.fn(s.arg);
}

bool
cl_thread_is_own(void)
{
    return own_thread;
}

int
cl_thread_start(pthread_t *thr, void *(*fn)(void *), void *arg,
                const char *name)
{
    sigset_t all;
    sigset_t old;
    start *s = malloc(sizeof(*s));
    int rv;

    if (s == NULL) {
        return ENOMEM;
    }
    s->fn = fn;
    s->arg = arg;
    s->name = name;

    /* The thread inherits a full mask: it takes none of the host's signals. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rv = pthread_create(thr, NULL, thread_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rv != 0) {
        free(s);
    }
    return rv;
}
