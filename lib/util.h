/*
 * util.h: small helpers shared by the library's files: the monotonic
 * clock, deadlines and mutexes that report misuse.
 */
#ifndef CL_UTIL_H
#define CL_UTIL_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Copy src into dst of size bytes, always NUL-terminated, cut if need be. */
static inline void
cl_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);

    if (size == 0) {
        return;
    }
    if (n >= size) {
        n = size - 1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Milliseconds on the monotonic clock. */
static inline int64_t
cl_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Nanoseconds on the monotonic clock. */
static inline unsigned long long
cl_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull +
           (unsigned long long)ts.tv_nsec;
}

/* The deadline for a timeout in ms; -1 stays -1 (no deadline). */
static inline int64_t
cl_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : cl_now_ms() + timeout_ms;
}

/* What is left of a deadline, as a poll(2) timeout. */
static inline int
cl_remaining(int64_t deadline)
{
    int64_t left;

    if (deadline < 0) {
        return -1;
    }
    left = deadline - cl_now_ms();
    if (left <= 0) {
        return 0;
    }
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

/*
 * Mutexes are error-checking: a lock the thread already holds, or an
 * unlock of one it does not, is a broken invariant and aborts.
 */
static inline void
cl_mutex_init(pthread_mutex_t *m)
{
    pthread_mutexattr_t attr;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    if (pthread_mutex_init(m, &attr) != 0) {
        abort();
    }
    pthread_mutexattr_destroy(&attr);
}

static inline void
cl_lock(pthread_mutex_t *m)
{
    if (pthread_mutex_lock(m) != 0) {
        abort();
    }
}

static inline void
cl_unlock(pthread_mutex_t *m)
{
    if (pthread_mutex_unlock(m) != 0) {
        abort();
    }
}

/* A condition variable whose timed waits use the monotonic clock. */
static inline void
cl_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (pthread_cond_init(cv, &attr) != 0) {
        abort();
    }
    pthread_condattr_destroy(&attr);
}

/*
 * Wait on cv until the deadline (-1: none).  Returns 0 once the
 * deadline has passed, 1 otherwise; the caller rechecks its predicate.
 */
static inline int
cl_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *m, int64_t deadline)
{
    struct timespec ts;

    if (deadline < 0) {
        pthread_cond_wait(cv, m);
        return 1;
    }
    if (cl_now_ms() >= deadline) {
        return 0;
    }
    ts.tv_sec = (time_t)(deadline / 1000);
    ts.tv_nsec = (long)(deadline % 1000) * 1000000L;
    return pthread_cond_timedwait(cv, m, &ts) != ETIMEDOUT;
}

/*
 * Start a library thread named name (where the system allows), with
 * every signal blocked, so the host's signals go to its own threads.
 * name is kept, not copied: a string literal.  Returns 0 or the
 * pthread_create error.
 */
int cl_thread_start(pthread_t *thr, void *(*fn)(void *), void *arg,
                    const char *name);

/* Is the calling thread one that cl_thread_start() started? */
bool cl_thread_is_own(void);

/* poll(2), restarted after EINTR with what is left of the timeout. */
static inline int
cl_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    int64_t deadline = cl_deadline(timeout_ms);
    int rv;

    for (;;) {
        rv = poll(fds, n, cl_remaining(deadline));
        if (rv >= 0 || errno != EINTR) {
            return rv;
        }
    }
}

#endif /* CL_UTIL_H */
