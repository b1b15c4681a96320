/*
 * transport.c: one child process and its three pipes.
 *
 * Design notes.
 *
 * - One mutex, mtx, guards the state, every write to the child's stdin,
 *   end_input and the part of close that ends stdin.  Every check a
 *   write makes (open, not closed, input not ended, no earlier failure)
 *   happens inside it, and what it writes goes out whole before it is
 *   released, so two lines never interleave and no write races a close.
 *   A child that has exited is found by the write's EPIPE rather than
 *   asked about before every write.
 * - Replies gather.  A writer that must know its fate takes mtx and
 *   writes its line straight from the caller's buffer.  A reply to the
 *   CLI need not: when another writer holds mtx or waits for it, the
 *   reply is appended to a gather buffer (out_mtx, a leaf below mtx)
 *   and the call returns, and the writer in mtx writes the gathered
 *   lines, batch after batch, before it lets go; one that takes mtx
 *   writes the lines handed over before its own, so no line overtakes
 *   one whose call returned first.  Under load one writev(2) then
 *   carries many replies, and the child wakes once for them.
 * - stdin is non-blocking.  A writer facing a full pipe waits in poll(2)
 *   on the pipe and on wake_rd.  close() raises the closing flag and
 *   makes wake_rd readable before it takes mtx, so a writer stuck on a
 *   child that stopped reading returns CLAUDE_ECLOSED at once, and
 *   close never waits on it.  A reader blocked in read_line wakes the
 *   same way.
 * - Readers never take mtx; the state is an atomic written under it.  A
 *   writer blocked on a full stdin holds mtx, and the child it waits for
 *   may itself be blocked on a full stdout that only a reader can empty.
 * - SIGPIPE is blocked in the writing thread for the length of a write
 *   and a SIGPIPE the write raised is consumed before the mask is
 *   restored: the host's process-wide signal state is never touched.
 *   The library's own threads block every signal from birth, so their
 *   writes skip the two mask changes.
 * - The stderr thread drains the child's stderr from open until close,
 *   so the child never blocks on it, keeps the last bytes in a ring and
 *   hands each line to the stderr callback.
 * - Descriptors that another thread may be polling (stdout, stderr, the
 *   wake pipes) are closed only by free, when no call can be running.
 *
 * Lock order: mtx or read_mtx (never both), then the leaves out_mtx,
 * proc.mtx and tail_mtx, under which no other lock is taken.  close_mtx is a
 * leaf too: it only guards who runs close.  No user callback runs with
 * any of them held.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "claude.h"
#include "error.h"
#include "framer.h"
#include "process.h"
#include "transport.h"
#include "util.h"

#define STDERR_TAIL_SIZE (64 * 1024)
#define STDERR_LINE_MAX (64 * 1024)
#define READ_CHUNK (256 * 1024)

/*
 * The size asked for the child's stdout pipe.  A 64 KiB pipe (Linux's
 * default) makes the reader and the child take turns every 16 pages;
 * at 1 MiB, the most an unprivileged process may ask for by default,
 * a flood moves several times faster.  The buffer is kernel memory, not
 * ours, and a refusal leaves the default in place.
 */
#define STDOUT_PIPE_SIZE (1024 * 1024)

/* Writers wait once this much is gathered and not yet written. */
#define WRITE_GATHER_MAX (1024 * 1024)

/* How long an error report waits for the end of a dead child's stderr. */
#define STDERR_SETTLE_MS 200

/* How long end of output waits for the child's exit status. */
#define EXIT_SETTLE_MS 200

/* How much stderr close drains after the child is gone. */
#define STDERR_FINAL_DRAIN (1024 * 1024)

enum state { STATE_NEW, STATE_OPEN, STATE_CLOSED };

struct claude_transport {
    /* Copied from the options by new; read-only afterwards. */
    char **argv;
    char **envp;
    char *cwd;
    unsigned int close_grace_ms;
    unsigned int term_grace_ms;
    size_t max_line;
    claude_stderr_cb stderr_cb;
    void *stderr_user;
    cl_logger log;

    pthread_mutex_t mtx;
    atomic_int state; /* written under mtx; read anywhere */
    int stdin_fd;     /* protected by mtx; -1 once input ended */
    bool input_ended; /* protected by mtx */
    int write_error;  /* protected by mtx: first failed write's code */
    /* Written under mtx, read anywhere. */
    atomic_ullong bytes_out;
    atomic_ullong max_wait_ns; /* the longest wait for mtx */
    atomic_ullong noise;       /* output lines skipped as not JSON */
    atomic_bool closing;       /* set by close before it takes mtx */

    /* Made by new; readable once close begins; closed by free. */
    int wake_rd;
    int wake_wr;
    /* Made by new; tells the stderr thread to finish; closed by free. */
    int stop_rd;
    int stop_wr;
    /* Set by open under mtx; closed only by free. */
    int stdout_fd;
    int stderr_fd;

    cl_process proc;

    /*
     * Lines gathered for the writer that holds mtx.  A writer that
     * finds mtx taken adds its line here and the holder writes it with
     * its own, so 64 threads answering at once cost a few writes, not
     * 64.  Taken after mtx, never before it.
     */
    pthread_mutex_t out_mtx;
    pthread_cond_t out_cv;        /* announces progress, or a leader leaving */
    char *out_buf;                /* protected by out_mtx: not yet taken */
    size_t out_len;               /* protected by out_mtx */
    size_t out_cap;               /* protected by out_mtx */
    bool leading;                 /* protected by out_mtx: a writer writes */
    unsigned long long out_added; /* protected by out_mtx: bytes added */
    unsigned long long out_done;  /* protected by out_mtx: settled */
    unsigned long long out_ok;    /* protected by out_mtx: written */
    claude_error out_err;         /* protected by out_mtx: why a batch failed */
    char *spare_buf;  /* protected by mtx: the batch being written */
    size_t spare_cap; /* protected by mtx */

    pthread_mutex_t read_mtx;
    cl_framer framer; /* protected by read_mtx */

    /* Set by open under mtx; used by the one thread that runs close. */
    pthread_t stderr_thread;
    bool stderr_started;

    pthread_mutex_t tail_mtx;
    pthread_cond_t stderr_done_cv; /* announces stderr_done */
    bool stderr_done;              /* protected by tail_mtx */
    bool tail_wrapped;             /* protected by tail_mtx */
    char tail[STDERR_TAIL_SIZE];   /* protected by tail_mtx: a ring */
    size_t tail_len;               /* protected by tail_mtx */
    size_t tail_pos;               /* protected by tail_mtx: next write */

    pthread_mutex_t close_mtx;
    pthread_cond_t close_cv; /* announces close_done */
    bool close_running;      /* protected by close_mtx */
    pthread_t close_thread;  /* protected by close_mtx: who runs it */
    bool close_done;         /* protected by close_mtx */
};

static void
free_strv(char **v)
{
    size_t i;

    if (v == NULL) {
        return;
    }
    for (i = 0; v[i] != NULL; i++) {
        free(v[i]);
    }
    free(v);
}

/* A deep copy of a NULL-terminated array; NULL stays NULL. */
static int
copy_strv(char ***out, const char *const *v)
{
    size_t n = 0;
    size_t i;
    char **copy;

    *out = NULL;
    if (v == NULL) {
        return 0;
    }
    while (v[n] != NULL) {
        n++;
    }
    copy = calloc(n + 1, sizeof(*copy));
    if (copy == NULL) {
        return CLAUDE_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        copy[i] = strdup(v[i]);
        if (copy[i] == NULL) {
            free_strv(copy);
            return CLAUDE_ENOMEM;
        }
    }
    *out = copy;
    return 0;
}

static void
close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* A close-on-exec pipe whose ends are above stdio. */
static int
make_pipe(int fds[2])
{
    int moved;
    int i;

    if (pipe2(fds, O_CLOEXEC) != 0) {
        return -1;
    }
    for (i = 0; i < 2; i++) {
        if (fds[i] > 2) {
            continue;
        }
        /* Our own stdio was closed; keep clear of the child's 0-2. */
        moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (moved < 0) {
            close(fds[0]);
            close(fds[1]);
            return -1;
        }
        close(fds[i]);
        fds[i] = moved;
    }
    return 0;
}

static int
set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return -1;
    }
    return 0;
}

int
claude_transport_new(claude_transport **out,
                     const claude_transport_options *opts)
{
    claude_transport *t;
    int wake[2];
    int stop[2];

    if (out == NULL) {
        return CLAUDE_EINVAL;
    }
    *out = NULL;
    if (opts == NULL || opts->version < 1 ||
        opts->version > CLAUDE_TRANSPORT_OPTIONS_VERSION ||
        opts->argv == NULL || opts->argv[0] == NULL ||
        opts->argv[0][0] == '\0') {
        return CLAUDE_EINVAL;
    }

    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return CLAUDE_ENOMEM;
    }
    if (make_pipe(wake) != 0) {
        free(t);
        return CLAUDE_ESYS;
    }
    if (make_pipe(stop) != 0) {
        close(wake[0]);
        close(wake[1]);
        free(t);
        return CLAUDE_ESYS;
    }
    t->wake_rd = wake[0];
    t->wake_wr = wake[1];
    t->stop_rd = stop[0];
    t->stop_wr = stop[1];
    if (copy_strv(&t->argv, opts->argv) != 0 ||
        copy_strv(&t->envp, opts->envp) != 0 ||
        (opts->cwd != NULL && (t->cwd = strdup(opts->cwd)) == NULL)) {
        free_strv(t->argv);
        free_strv(t->envp);
        close(wake[0]);
        close(wake[1]);
        close(stop[0]);
        close(stop[1]);
        free(t);
        return CLAUDE_ENOMEM;
    }

    t->close_grace_ms = opts->close_grace_ms;
    t->term_grace_ms = opts->term_grace_ms;
    t->max_line = opts->max_line_size ? opts->max_line_size
                                      : CLAUDE_MAX_LINE_SIZE_DEFAULT;
    t->stderr_cb = opts->stderr_cb;
    t->stderr_user = opts->stderr_user;
    t->log.cb = opts->log_cb;
    t->log.user = opts->log_user;
    t->log.level = opts->log_level;

    cl_mutex_init(&t->mtx);
    cl_mutex_init(&t->out_mtx);
    pthread_cond_init(&t->out_cv, NULL);
    cl_mutex_init(&t->read_mtx);
    cl_mutex_init(&t->tail_mtx);
    cl_cond_init(&t->stderr_done_cv);
    cl_mutex_init(&t->close_mtx);
    cl_cond_init(&t->close_cv);
    atomic_init(&t->state, STATE_NEW);
    t->stdin_fd = -1;
    atomic_init(&t->closing, false);
    atomic_init(&t->bytes_out, 0);
    atomic_init(&t->max_wait_ns, 0);
    t->stdout_fd = t->stderr_fd = -1;
    cl_process_init(&t->proc);
    cl_framer_init(&t->framer, t->max_line);

    *out = t;
    return 0;
}

/*
 * stderr
 */

static void
tail_append(claude_transport *t, const char *data, size_t n)
{
    size_t room;

    cl_lock(&t->tail_mtx);
    if (n >= STDERR_TAIL_SIZE) {
        data += n - STDERR_TAIL_SIZE;
        n = STDERR_TAIL_SIZE;
    }
    while (n > 0) {
        room = STDERR_TAIL_SIZE - t->tail_pos;
        if (room > n) {
            room = n;
        }
        memcpy(t->tail + t->tail_pos, data, room);
        t->tail_pos = (t->tail_pos + room) % STDERR_TAIL_SIZE;
        data += room;
        n -= room;
        t->tail_len += room;
    }
    if (t->tail_len > STDERR_TAIL_SIZE) {
        t->tail_len = STDERR_TAIL_SIZE;
        t->tail_wrapped = true;
    }
    cl_unlock(&t->tail_mtx);
}

size_t
claude_transport_stderr_tail(claude_transport *t, char *buf, size_t size)
{
    size_t n;
    size_t first;
    size_t from;
    bool cut;

    if (t == NULL || buf == NULL || size == 0) {
        return 0;
    }
    cl_lock(&t->tail_mtx);
    n = t->tail_len < size - 1 ? t->tail_len : size - 1;
    cut = n < t->tail_len || t->tail_wrapped;
    from = (t->tail_pos + STDERR_TAIL_SIZE - n) % STDERR_TAIL_SIZE;
    first = STDERR_TAIL_SIZE - from;
    if (first > n) {
        first = n;
    }
    memcpy(buf, t->tail + from, first);
    memcpy(buf + first, t->tail, n - first);
    cl_unlock(&t->tail_mtx);

    /* Where the tail was cut, do not start inside a UTF-8 sequence. */
    from = 0;
    while (cut && from < n && from < 3 &&
           ((unsigned char)buf[from] & 0xc0) == 0x80) {
        from++;
    }
    if (from > 0) {
        memmove(buf, buf + from, n - from);
        n -= from;
    }
    buf[n] = '\0';
    return n;
}

/* The transport whose stderr this thread drains, if it is one. */
static _Thread_local claude_transport *stderr_owner;

static void
deliver_stderr(claude_transport *t, cl_framer *f)
{
    const char *line;
    size_t len;
    cl_frame kind;

    while ((kind = cl_framer_next(f, &line, &len)) != CL_FRAME_NONE &&
           kind != CL_FRAME_END) {
        if (kind == CL_FRAME_TOOLONG) {
            cl_log(&t->log, CLAUDE_LOG_DEBUG,
                   "stderr line over %d bytes not passed to the callback",
                   STDERR_LINE_MAX);
            continue;
        }
        if (t->stderr_cb != NULL) {
            t->stderr_cb(line, len, t->stderr_user);
        }
    }
}

/* Read what stderr has; returns false at end of file or on error. */
static bool
read_stderr(claude_transport *t, cl_framer *f, size_t *total)
{
    char *ptr;
    size_t avail;
    ssize_t n;

    if (cl_framer_reserve(f, READ_CHUNK, &ptr, &avail) != 0) {
        return false;
    }
    do {
        n = read(t->stderr_fd, ptr, avail);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    if (n == 0) {
        return false;
    }
    tail_append(t, ptr, (size_t)n);
    cl_framer_commit(f, (size_t)n);
    deliver_stderr(t, f);
    if (total != NULL) {
        *total += (size_t)n;
    }
    return true;
}

static void *
stderr_main(void *arg)
{
    claude_transport *t = arg;
    struct pollfd pfd[2];
    cl_framer f;
    size_t drained = 0;
    bool more = true;

    stderr_owner = t;
    cl_framer_init(&f, STDERR_LINE_MAX);
    pfd[0].fd = t->stderr_fd;
    pfd[0].events = POLLIN;
    pfd[1].fd = t->stop_rd;
    pfd[1].events = POLLIN;

    while (more) {
        if (cl_poll(pfd, 2, -1) < 0) {
            break;
        }
        if (pfd[0].revents != 0) {
            more = read_stderr(t, &f, NULL);
        }
        if (more && pfd[1].revents != 0) {
            /* Close asked us to stop: take what is left, then go. */
            while (drained < STDERR_FINAL_DRAIN &&
                   read_stderr(t, &f, &drained)) {
                pfd[0].revents = 0;
                if (cl_poll(pfd, 1, 0) <= 0) {
                    break;
                }
            }
            more = false;
        }
    }

    cl_framer_finish(&f);
    deliver_stderr(t, &f);
    cl_framer_destroy(&f);

    cl_lock(&t->tail_mtx);
    t->stderr_done = true;
    pthread_cond_broadcast(&t->stderr_done_cv);
    cl_unlock(&t->tail_mtx);
    return NULL;
}

/*
 * open
 */

/* Kill and reap a child that open cannot finish setting up. */
static void
abandon_child(claude_transport *t)
{
    cl_process_signal_group(&t->proc, SIGKILL);
    (void)cl_process_wait(&t->proc, -1, NULL);
    cl_process_reap(&t->proc);
    cl_process_forget(&t->proc);
}

/* Call with t->mtx held. */
static int
open_locked(claude_transport *t, claude_error *err)
{
    int in[2] = {-1, -1};
    int out[2] = {-1, -1};
    int errp[2] = {-1, -1};
    int child_fds[3];
    int rv;

    if (make_pipe(in) != 0 || make_pipe(out) != 0 || make_pipe(errp) != 0 ||
        set_nonblock(in[1]) != 0 || set_nonblock(out[0]) != 0 ||
        set_nonblock(errp[0]) != 0) {
        rv = cl_error_sys(err, CLAUDE_ESYS, errno, "cannot create pipes");
        goto out_close;
    }

    child_fds[0] = in[0];
    child_fds[1] = out[1];
    child_fds[2] = errp[1];
    rv = cl_process_spawn(&t->proc, t->argv, t->envp, t->cwd, child_fds, err);
    if (rv != 0) {
        goto out_close;
    }
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&errp[1]);

    t->stdin_fd = in[1];
    t->stdout_fd = out[0];
    t->stderr_fd = errp[0];
#ifdef F_SETPIPE_SZ
    (void)fcntl(t->stdout_fd, F_SETPIPE_SZ, STDOUT_PIPE_SIZE);
#endif
    rv = cl_thread_start(&t->stderr_thread, stderr_main, t, "claude-stderr");
    if (rv != 0) {
        abandon_child(t);
        rv = cl_error_sys(err, CLAUDE_ESYS, rv, "cannot start a thread");
        in[1] = t->stdin_fd;
        out[0] = t->stdout_fd;
        errp[0] = t->stderr_fd;
        t->stdin_fd = t->stdout_fd = t->stderr_fd = -1;
        goto out_close;
    }
    t->stderr_started = true;
    atomic_store(&t->state, STATE_OPEN);
    return 0;

out_close:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&errp[0]);
    close_fd(&errp[1]);
    return rv;
}

int
claude_transport_open(claude_transport *t, claude_error *err)
{
    int rv;

    if (t == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no transport");
    }
    cl_lock(&t->mtx);
    if (atomic_load(&t->state) == STATE_OPEN) {
        rv = cl_error_set(err, CLAUDE_EALREADY, "transport already open");
    } else if (atomic_load(&t->state) == STATE_CLOSED ||
               atomic_load(&t->closing)) {
        rv = cl_error_set(err, CLAUDE_ECLOSED, "transport closed");
    } else {
        rv = open_locked(t, err);
    }
    cl_unlock(&t->mtx);
    if (rv == 0) {
        cl_log(&t->log, CLAUDE_LOG_DEBUG, "started %s as pid %ld", t->argv[0],
               (long)claude_transport_pid(t));
    }
    return rv;
}

/*
 * write
 */

/*
 * Fill err with how the child ended, and its last stderr.  The child
 * has exited, so its stderr is about to end: give the stderr thread a
 * moment to take the last words, which are usually the reason.
 */
static void
describe_exit(claude_transport *t, claude_error *err, int status)
{
    int64_t deadline = cl_deadline(STDERR_SETTLE_MS);

    if (err == NULL) {
        return;
    }
    cl_error_status(err, status);

    cl_lock(&t->tail_mtx);
    while (!t->stderr_done &&
           cl_cond_wait_until(&t->stderr_done_cv, &t->tail_mtx, deadline)) {
    }
    cl_unlock(&t->tail_mtx);
    claude_transport_stderr_tail(t, err->stderr_tail, sizeof(err->stderr_tail));
}

/* The message for a child that is gone; describe_exit adds the rest. */
static int
child_exit_error(claude_error *err, int status)
{
    if (status == CL_STATUS_LOST) {
        cl_error_set(err, CLAUDE_ECHILDEXIT,
                     "the child process exited; its status was collected "
                     "by another part of the program");
    } else if (WIFSIGNALED(status)) {
        cl_error_set(err, CLAUDE_ECHILDEXIT,
                     "the child process was killed by signal %d",
                     WTERMSIG(status));
    } else {
        cl_error_set(err, CLAUDE_ECHILDEXIT,
                     "the child process exited with status %d",
                     WEXITSTATUS(status));
    }
    return CLAUDE_ECHILDEXIT;
}

/*
 * Call with t->mtx held.  When the child is found gone, *exited is set
 * and *status holds how it ended, for the caller to describe once mtx
 * is released.
 */
static int
check_writable_locked(claude_transport *t, claude_error *err, int *status,
                      bool *exited)
{
    if (atomic_load(&t->state) == STATE_CLOSED || atomic_load(&t->closing)) {
        return cl_error_set(err, CLAUDE_ECLOSED, "transport closed");
    }
    if (atomic_load(&t->state) == STATE_NEW) {
        return cl_error_set(err, CLAUDE_ENOTOPEN, "transport not open");
    }
    if (t->write_error != 0) {
        return cl_error_set(err, CLAUDE_EBROKEN, "an earlier write failed: %s",
                            claude_strerror(t->write_error));
    }
    if (t->input_ended) {
        return cl_error_set(err, CLAUDE_EINPUTENDED, "input already ended");
    }
    /* A child that has exited is found by the write's EPIPE, which
     * saves a system call on every write. */
    (void)status;
    (void)exited;
    return 0;
}

typedef struct sigpipe_guard {
    sigset_t old;
    bool was_pending;
    bool own; /* a library thread: every signal is blocked already */
} sigpipe_guard;

static void
sigpipe_block(sigpipe_guard *g)
{
    sigset_t set;
    sigset_t pending;

    g->own = cl_thread_is_own();
    if (g->own) {
        g->was_pending = false;
        return;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
}

static void
sigpipe_restore(sigpipe_guard *g, bool raised)
{
    sigset_t set;
    struct timespec zero = {0, 0};

    /* Take the SIGPIPE our write raised, and only that one. */
    if (raised && !g->was_pending) {
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    if (!g->own) {
        pthread_sigmask(SIG_SETMASK, &g->old, NULL);
    }
}

/* Wait until stdin takes more or close begins.  Call with mtx held. */
static int
wait_writable_locked(claude_transport *t)
{
    struct pollfd pfd[2];

    pfd[0].fd = t->stdin_fd;
    pfd[0].events = POLLOUT;
    pfd[1].fd = t->wake_rd;
    pfd[1].events = POLLIN;
    if (cl_poll(pfd, 2, -1) < 0) {
        return CLAUDE_ESYS;
    }
    if (pfd[1].revents != 0 || atomic_load(&t->closing)) {
        return CLAUDE_ECLOSED;
    }
    return 0;
}

/*
 * Write the buffers whole.  Call with t->mtx held and SIGPIPE blocked;
 * *raised tells that a write raised it.  Sets *status and *exited when
 * the write finds the child gone.  *written grows by what went out,
 * also when the write fails part way.
 */
static int
write_iov_locked(claude_transport *t, struct iovec *v, int cnt,
                 claude_error *err, int *status, bool *exited, bool *raised,
                 size_t *written)
{
    ssize_t n;
    int rv = 0;

    while (cnt > 0) {
        n = writev(t->stdin_fd, v, cnt);
        if (n > 0) {
            *written += (size_t)n;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                rv = wait_writable_locked(t);
                if (rv == CLAUDE_ECLOSED) {
                    cl_error_set(err, rv, "transport closed during a write");
                    break;
                }
                if (rv != 0) {
                    rv = cl_error_sys(err, CLAUDE_EIO, errno,
                                      "cannot wait for the child's stdin");
                    t->write_error = rv;
                    break;
                }
                continue;
            }
            if (errno == EPIPE) {
                *raised = true;
                *exited = cl_process_exited(&t->proc, status);
                rv = *exited ? child_exit_error(err, *status)
                             : cl_error_set(err, CLAUDE_EPIPE,
                                            "the child stopped reading its "
                                            "input");
                t->write_error = CLAUDE_EPIPE;
                break;
            }
            rv = cl_error_sys(err, CLAUDE_EIO, errno,
                              "cannot write to the child");
            t->write_error = rv;
            break;
        }

        /* Step over what was written; a partial write resumes. */
        while (cnt > 0 && (size_t)n >= v->iov_len) {
            n -= (ssize_t)v->iov_len;
            v++;
            cnt--;
        }
        if (cnt > 0) {
            v->iov_base = (char *)v->iov_base + n;
            v->iov_len -= (size_t)n;
        }
    }
    return rv;
}

/* Check, then write.  Call with t->mtx held and SIGPIPE blocked. */
static int
write_checked_locked(claude_transport *t, struct iovec *v, int cnt,
                     claude_error *err, int *status, bool *exited, bool *raised,
                     size_t *written)
{
    int rv = check_writable_locked(t, err, status, exited);

    *written = 0;
    if (rv == 0) {
        rv = write_iov_locked(t, v, cnt, err, status, exited, raised, written);
    }
    atomic_fetch_add(&t->bytes_out, *written);
    return rv;
}

/* Room for n more gathered bytes.  Call with out_mtx held. */
static int
out_reserve(claude_transport *t, size_t n)
{
    size_t cap = t->out_cap ? t->out_cap : 4096;
    char *buf;

    if (t->out_cap - t->out_len >= n) {
        return 0;
    }
    if (n > SIZE_MAX / 4 - t->out_len) {
        return CLAUDE_ENOMEM;
    }
    while (cap - t->out_len < n) {
        cap *= 2;
    }
    buf = realloc(t->out_buf, cap);
    if (buf == NULL) {
        return CLAUDE_ENOMEM;
    }
    t->out_buf = buf;
    t->out_cap = cap;
    return 0;
}

/*
 * With mtx held: write the handed-over lines, batch after batch, until
 * none are left.  To finish leading, clear leading in the same breath
 * as the last look, so that a line handed over later finds no leader
 * and leads.  Their failures are nobody's to report; they leave
 * write_error set for the writers that come next.
 */
static void
lead_locked(claude_transport *t, bool finish, int *status, bool *exited,
            bool *raised)
{
    claude_error err;
    struct iovec v;
    char *buf;
    size_t cap;
    size_t written;
    size_t n;

    for (;;) {
        cl_lock(&t->out_mtx);
        n = t->out_len;
        if (n == 0) {
            if (finish) {
                t->leading = false;
            }
            pthread_cond_broadcast(&t->out_cv);
            cl_unlock(&t->out_mtx);
            break;
        }
        /* Take the batch: swap buffers, so handing over goes on. */
        buf = t->out_buf;
        cap = t->out_cap;
        t->out_buf = t->spare_buf;
        t->out_cap = t->spare_cap;
        t->out_len = 0;
        t->spare_buf = buf;
        t->spare_cap = cap;
        pthread_cond_broadcast(&t->out_cv);
        cl_unlock(&t->out_mtx);

        v.iov_base = t->spare_buf;
        v.iov_len = n;
        (void)write_checked_locked(t, &v, 1, &err, status, exited, raised,
                                   &written);

        /* A long line's buffer is not kept for the short ones. */
        if (t->spare_cap > WRITE_GATHER_MAX) {
            free(t->spare_buf);
            t->spare_buf = NULL;
            t->spare_cap = 0;
        }
    }
}

/*
 * Write a line.  leading is set while some writer holds mtx, or is
 * about to take it, and will write the handed-over lines before it
 * lets go.  A writer that must know its fate always takes mtx itself,
 * as writers always did, and writes its own line straight from the
 * caller's buffer; one that need not know it hands its line over when
 * a leader is there, and otherwise leads.
 */
static int
write_line(claude_transport *t, const char *json, size_t len, bool wait,
           claude_error *err)
{
    struct iovec iov[2];
    sigpipe_guard guard;
    unsigned long long start = cl_now_ns();
    unsigned long long waited;
    size_t written;
    int status = 0;
    bool exited = false;
    bool raised = false;
    int rv;

    cl_lock(&t->out_mtx);
    /* A child that stops reading must not make us gather without end. */
    while (!wait && t->leading && t->out_len > WRITE_GATHER_MAX &&
           !atomic_load(&t->closing)) {
        pthread_cond_wait(&t->out_cv, &t->out_mtx);
    }
    if (atomic_load(&t->closing)) {
        cl_unlock(&t->out_mtx);
        return cl_error_set(err, CLAUDE_ECLOSED, "transport closed");
    }
    if (!wait && t->leading) {
        if (out_reserve(t, len + 1) != 0) {
            cl_unlock(&t->out_mtx);
            return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
        }
        memcpy(t->out_buf + t->out_len, json, len);
        t->out_buf[t->out_len + len] = '\n';
        t->out_len += len + 1;
        cl_unlock(&t->out_mtx);
        return 0;
    }
    t->leading = true;
    cl_unlock(&t->out_mtx);

    cl_lock(&t->mtx);
    waited = cl_now_ns() - start;
    if (waited > atomic_load(&t->max_wait_ns)) {
        atomic_store(&t->max_wait_ns, waited);
    }
    iov[0].iov_base = (void *)json;
    iov[0].iov_len = len;
    iov[1].iov_base = (void *)"\n";
    iov[1].iov_len = 1;
    sigpipe_block(&guard);
    /* Lines handed over before this call began go out before it. */
    lead_locked(t, false, &status, &exited, &raised);
    rv = write_checked_locked(t, iov, 2, err, &status, &exited, &raised,
                              &written);
    lead_locked(t, true, &status, &exited, &raised);
    sigpipe_restore(&guard, raised);
    cl_unlock(&t->mtx);

    /* Waiting for the child's last stderr must not hold up writers. */
    if (exited && rv != 0) {
        describe_exit(t, err, status);
    }
    return rv;
}

int
claude_transport_write(claude_transport *t, const char *json, size_t len,
                       claude_error *err)
{
    if (t == NULL || json == NULL || len == 0) {
        return cl_error_set(err, CLAUDE_EINVAL, "no line to write");
    }
    if (memchr(json, '\n', len) != NULL) {
        return cl_error_set(err, CLAUDE_EINVAL,
                            "a line to write contains a newline");
    }
    return write_line(t, json, len, true, err);
}

int
cl_transport_send(claude_transport *t, const char *json, size_t len,
                  claude_error *err)
{
    return write_line(t, json, len, false, err);
}

/* Call with t->mtx held. */
static int
end_input_locked(claude_transport *t)
{
    if (atomic_load(&t->state) == STATE_NEW) {
        return CLAUDE_ENOTOPEN;
    }
    if (atomic_load(&t->state) == STATE_CLOSED) {
        return CLAUDE_ECLOSED;
    }
    if (!t->input_ended) {
        close_fd(&t->stdin_fd);
        t->input_ended = true;
    }
    return 0;
}

int
claude_transport_end_input(claude_transport *t)
{
    int rv;

    if (t == NULL) {
        return CLAUDE_EINVAL;
    }
    cl_lock(&t->mtx);
    rv = end_input_locked(t);
    cl_unlock(&t->mtx);
    return rv;
}

/*
 * read
 */

/*
 * Read what stdout holds, waiting for it or for close only when there
 * is nothing: while the child keeps the pipe full, a read is the one
 * system call per chunk.  Call with read_mtx held.
 */
static int
fill_locked(claude_transport *t, int64_t deadline, claude_error *err)
{
    struct pollfd pfd[2];
    char *ptr;
    size_t avail;
    ssize_t n;
    int rv;

    if (cl_framer_reserve(&t->framer, READ_CHUNK, &ptr, &avail) != 0) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    for (;;) {
        do {
            n = read(t->stdout_fd, ptr, avail);
        } while (n < 0 && errno == EINTR);
        if (n > 0) {
            cl_framer_commit(&t->framer, (size_t)n);
            return 0;
        }
        if (n == 0) {
            cl_framer_finish(&t->framer);
            return 0;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return cl_error_sys(err, CLAUDE_EIO, errno,
                                "cannot read the child's output");
        }

        pfd[0].fd = t->stdout_fd;
        pfd[0].events = POLLIN;
        pfd[1].fd = t->wake_rd;
        pfd[1].events = POLLIN;
        rv = cl_poll(pfd, 2, cl_remaining(deadline));
        if (rv < 0) {
            return cl_error_sys(err, CLAUDE_ESYS, errno, "poll failed");
        }
        if (pfd[1].revents != 0) {
            return cl_error_set(err, CLAUDE_ECLOSED, "transport closed");
        }
        if (rv == 0) {
            return cl_error_set(err, CLAUDE_ETIMEDOUT,
                                "no line from the child in time");
        }
    }
}

/* Log with read_mtx released: the callback may call into the transport. */
static void
log_outside_read_lock(claude_transport *t, int level, const char *msg)
{
    cl_unlock(&t->read_mtx);
    t->log.cb(level, msg, t->log.user);
    cl_lock(&t->read_mtx);
}

/* Call with read_mtx held. */
static int
too_long_error(claude_transport *t, claude_error *err, const char *line,
               size_t len)
{
    char msg[128];
    size_t head;

    if (err != NULL) {
        cl_error_set(err, CLAUDE_ETOOLONG,
                     "a line of the child's output is longer than %zu bytes",
                     t->max_line);
        head = len < sizeof(err->line) - 1 ? len : sizeof(err->line) - 1;
        memcpy(err->line, line, head);
        err->line[head] = '\0';
        err->line_len = len;
    }
    if (cl_log_format(&t->log, CLAUDE_LOG_WARNING, msg, sizeof(msg),
                      "dropped a line of the child's output longer than "
                      "%zu bytes",
                      t->max_line)) {
        log_outside_read_lock(t, CLAUDE_LOG_WARNING, msg);
    }
    return CLAUDE_ETOOLONG;
}

static int
read_line_locked(claude_transport *t, const char **line, size_t *len,
                 int64_t deadline, claude_error *err)
{
    char msg[300];
    const char *l;
    size_t n;
    int status;
    int rv;

    for (;;) {
        if (atomic_load(&t->closing)) {
            return cl_error_set(err, CLAUDE_ECLOSED, "transport closed");
        }
        switch (cl_framer_next(&t->framer, &l, &n)) {
        case CL_FRAME_LINE:
            *line = l;
            *len = n;
            return 0;
        case CL_FRAME_NOISE:
            atomic_fetch_add(&t->noise, 1);
            if (cl_log_format(&t->log, CLAUDE_LOG_INFO, msg, sizeof(msg),
                              "skipped a line of the child's output that "
                              "is not JSON: %.200s",
                              l)) {
                log_outside_read_lock(t, CLAUDE_LOG_INFO, msg);
            }
            continue;
        case CL_FRAME_TOOLONG:
            return too_long_error(t, err, l, n);
        case CL_FRAME_END:
            rv = cl_error_set(err, CLAUDE_EEOF, "the child closed its output");
            if (cl_process_wait(&t->proc, EXIT_SETTLE_MS, &status) == 0) {
                describe_exit(t, err, status);
            }
            return rv;
        case CL_FRAME_NONE:
            break;
        }
        rv = fill_locked(t, deadline, err);
        if (rv != 0) {
            return rv;
        }
    }
}

int
claude_transport_read_line(claude_transport *t, const char **line, size_t *len,
                           int timeout_ms, claude_error *err)
{
    int64_t deadline = cl_deadline(timeout_ms);
    int st;
    int rv;

    if (t == NULL || line == NULL || len == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "missing argument");
    }
    st = atomic_load(&t->state);
    if (st == STATE_NEW) {
        return cl_error_set(err, CLAUDE_ENOTOPEN, "transport not open");
    }
    if (st == STATE_CLOSED) {
        return cl_error_set(err, CLAUDE_ECLOSED, "transport closed");
    }

    cl_lock(&t->read_mtx);
    rv = read_line_locked(t, line, len, deadline, err);
    cl_unlock(&t->read_mtx);
    return rv;
}

/*
 * status
 */

int
claude_transport_wait(claude_transport *t, int timeout_ms, int *status)
{
    int st;
    int rv;

    if (t == NULL) {
        return CLAUDE_EINVAL;
    }
    /* A transport closed before it was opened has no child. */
    st = atomic_load(&t->state);
    if (st == STATE_NEW || claude_transport_pid(t) < 0) {
        return CLAUDE_ENOTOPEN;
    }
    rv = cl_process_wait(&t->proc, timeout_ms, &st);
    if (rv == 0 && st == CL_STATUS_LOST) {
        return CLAUDE_ENOSTATUS;
    }
    if (rv == 0 && status != NULL) {
        *status = st;
    }
    return rv;
}

pid_t
claude_transport_pid(claude_transport *t)
{
    pid_t pid;

    if (t == NULL) {
        return -1;
    }
    cl_lock(&t->proc.mtx);
    pid = t->proc.pid;
    cl_unlock(&t->proc.mtx);
    return pid;
}

void
cl_transport_counters(claude_transport *t, unsigned long long *bytes_out,
                      unsigned long long *max_wait_ns,
                      unsigned long long *noise)
{
    /* No lock: a writer blocked on a full pipe may hold it for long. */
    *bytes_out = atomic_load(&t->bytes_out);
    *max_wait_ns = atomic_load(&t->max_wait_ns);
    *noise = atomic_load(&t->noise);
}

bool
cl_transport_on_own_thread(const claude_transport *t)
{
    return stderr_owner == t;
}

int
cl_transport_end_input_within(claude_transport *t, int timeout_ms)
{
    struct timespec ts;
    int rv;

    /* A writer blocked on a child that stopped reading holds mtx. */
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    do {
        rv = pthread_mutex_timedlock(&t->mtx, &ts);
    } while (rv == EINTR);
    if (rv == ETIMEDOUT) {
        return CLAUDE_ETIMEDOUT;
    }
    if (rv != 0) {
        abort();
    }
    rv = end_input_locked(t);
    cl_unlock(&t->mtx);
    return rv;
}

/*
 * close and free
 */

static void
wake_all(claude_transport *t)
{
    ssize_t n;

    /* The wake pipe lives from new to free, so no lock is needed. */
    atomic_store(&t->closing, true);
    do {
        n = write(t->wake_wr, "", 1);
    } while (n < 0 && errno == EINTR);
    cl_lock(&t->out_mtx);
    pthread_cond_broadcast(&t->out_cv);
    cl_unlock(&t->out_mtx);
}

void
cl_transport_abort(claude_transport *t)
{
    wake_all(t);
}

/* End the child: grace, SIGTERM, SIGKILL; then reap it. */
static int
as_timeout(unsigned int ms)
{
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void
stop_child(claude_transport *t)
{
    int status;

    if (cl_process_wait(&t->proc, as_timeout(t->close_grace_ms), NULL) != 0) {
        cl_log(&t->log, CLAUDE_LOG_INFO,
               "child did not exit within %u ms; sending SIGTERM",
               t->close_grace_ms);
        cl_process_signal_group(&t->proc, SIGTERM);
        if (cl_process_wait(&t->proc, as_timeout(t->term_grace_ms), NULL) !=
            0) {
            cl_log(&t->log, CLAUDE_LOG_WARNING,
                   "child ignored SIGTERM for %u ms; sending SIGKILL",
                   t->term_grace_ms);
            cl_process_signal_group(&t->proc, SIGKILL);
            (void)cl_process_wait(&t->proc, -1, NULL);
        }
    }

    /*
     * The leader is a zombie, so its group id is still ours: whatever
     * it left running in the group goes with it.
     */
    cl_process_signal_group(&t->proc, SIGKILL);
    if (cl_process_exited(&t->proc, &status)) {
        if (status == CL_STATUS_LOST) {
            cl_log(&t->log, CLAUDE_LOG_DEBUG,
                   "child ended; its status was collected elsewhere");
        } else {
            cl_log(&t->log, CLAUDE_LOG_DEBUG, "child ended with wait status %d",
                   status);
        }
    }
    cl_process_reap(&t->proc);
}

static void
join_stderr(claude_transport *t)
{
    ssize_t n;

    if (!t->stderr_started) {
        return;
    }
    do {
        n = write(t->stop_wr, "", 1);
    } while (n < 0 && errno == EINTR);
    pthread_join(t->stderr_thread, NULL);
    t->stderr_started = false;
}

int
claude_transport_close(claude_transport *t)
{
    int prev;

    if (t == NULL) {
        return CLAUDE_EINVAL;
    }
    if (stderr_owner == t) {
        return CLAUDE_ERECURSIVE;
    }

    wake_all(t);

    /*
     * One thread runs the close; the others wait for it to finish.  No
     * lock is held while it runs, so the log callback may call in; a
     * close from inside that callback would wait for itself.
     */
    cl_lock(&t->close_mtx);
    if (t->close_running && !t->close_done &&
        pthread_equal(t->close_thread, pthread_self())) {
        cl_unlock(&t->close_mtx);
        return CLAUDE_ERECURSIVE;
    }
    while (t->close_running && !t->close_done) {
        cl_cond_wait_until(&t->close_cv, &t->close_mtx, -1);
    }
    if (t->close_done) {
        cl_unlock(&t->close_mtx);
        return 0;
    }
    t->close_running = true;
    t->close_thread = pthread_self();
    cl_unlock(&t->close_mtx);

    /* Blocked writers have been woken; end stdin under the lock. */
    cl_lock(&t->mtx);
    prev = atomic_load(&t->state);
    atomic_store(&t->state, STATE_CLOSED);
    close_fd(&t->stdin_fd);
    t->input_ended = true;
    cl_unlock(&t->mtx);

    if (prev == STATE_OPEN) {
        stop_child(t);
        join_stderr(t);
    }

    cl_lock(&t->close_mtx);
    t->close_done = true;
    pthread_cond_broadcast(&t->close_cv);
    cl_unlock(&t->close_mtx);
    return 0;
}

void
claude_transport_free(claude_transport *t)
{
    if (t == NULL) {
        return;
    }
    if (claude_transport_close(t) == CLAUDE_ERECURSIVE) {
        /* Freeing from the stderr callback would join its own thread. */
        cl_log(&t->log, CLAUDE_LOG_ERROR,
               "claude_transport_free called from inside one of the "
               "transport's own callbacks; the transport is not freed");
        return;
    }

    close_fd(&t->stdout_fd);
    close_fd(&t->stderr_fd);
    close_fd(&t->wake_rd);
    close_fd(&t->wake_wr);
    close_fd(&t->stop_rd);
    close_fd(&t->stop_wr);
    cl_framer_destroy(&t->framer);
    cl_process_destroy(&t->proc);
    free(t->out_buf);
    free(t->spare_buf);
    pthread_cond_destroy(&t->out_cv);
    pthread_mutex_destroy(&t->out_mtx);
    pthread_cond_destroy(&t->close_cv);
    pthread_mutex_destroy(&t->close_mtx);
    pthread_cond_destroy(&t->stderr_done_cv);
    pthread_mutex_destroy(&t->tail_mtx);
    pthread_mutex_destroy(&t->read_mtx);
    pthread_mutex_destroy(&t->mtx);
    free_strv(t->argv);
    free_strv(t->envp);
    free(t->cwd);
    free(t);
}
