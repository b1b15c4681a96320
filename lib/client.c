/*
 * client.c: one Claude Code session over a transport.
 *
 * Design notes.
 *
 * - The reader thread reads every line of the child's stdout and routes
 *   it by its keys alone (scan.c): replies to our control requests wake
 *   their waiters, the CLI's control requests go to the worker pool,
 *   cancels mark a request cancelled, and everything else is queued for
 *   the application as a message, unparsed.  The reader never runs user
 *   code and never parses a whole message.
 * - Every control request we send completes exactly once: with its
 *   reply, with CLAUDE_ETIMEDOUT at its deadline (a late reply is then
 *   dropped), or with the session's cause of death when the reader
 *   stops.  The waiter registers before it writes, so a reply can never
 *   arrive unmatched because it was quick.
 * - Every control request from the CLI is answered exactly once, on a
 *   worker, unless the CLI cancels it first: a cancel that arrives before
 *   the reply is written suppresses the reply; one that arrives after is
 *   ignored.  Cancel and completion race on one atomic word, and
 *   whichever moves it first wins.  A callback sees the cancellation
 *   through claude_request_cancelled() and may return early.
 * - A permission check is answered from its text: its members are
 *   found by the scanner, its input checked and echoed, and its reply
 *   written without jansson.  The line is parsed only when a callback
 *   asks for its JSON.
 * - The pool keeps one awake worker free whenever work is queued: a
 *   worker that takes a request wakes (or starts) another if none is
 *   free, up to the maximum; beyond it, requests wait in arrival order.
 *   Quick callbacks are thus served by the few workers already awake,
 *   and a callback that blocks never holds up the requests behind it.
 * - When the reader stops (end of output, a read error or close), the
 *   session is dead: every pending and later control request fails with
 *   the cause, and receive returns the queued messages, then the cause.
 * - Memory that runs out where no caller can be told (a line the reader
 *   cannot keep, an answer to the CLI that cannot be written) ends the
 *   session the same way, with CLAUDE_ENOMEM as the cause, rather than
 *   lose the line or leave the CLI waiting for ever.  The first cause
 *   recorded is the one every caller sees.
 *
 * Locks: q_mtx guards the message queue and the cause of death; ctl_mtx
 * the pending control requests, and is taken before q_mtx when both are
 * needed; pool_mtx the work queue, the in-flight list and the workers,
 * and nests with no other; close_mtx says whether close has begun, which
 * thread runs it and whether it is done, and nests with no other either.
 * No user callback runs with any of them held.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "claude.h"
#include "client.h"
#include "discover.h"
#include "error.h"
#include "mcp.h"
#include "message.h"
#include "json.h"
#include "options.h"
#include "scan.h"
#include "transport.h"
#include "util.h"

/* How long a session that lost its child waits for the exit status. */
#define EXIT_STATUS_WAIT_MS 1000

/* One control request of ours, waiting for its reply. */
typedef struct pending {
    char id[48];
    char *reply; /* the whole control_response line, once it came */
    size_t reply_len;
    bool done;
    struct pending *next;
} pending;

/*
 * A request is answered or cancelled, never both: whichever moves fate
 * away from FATE_OPEN first wins, without a lock.
 */
enum { FATE_OPEN, FATE_REPLIED, FATE_CANCELLED };

/*
 * One control request of the CLI's, queued or running on a worker.  It
 * is one allocation: the struct, then the line, then the decoded id and
 * subtype.  Nothing is parsed until a callback asks for the JSON.
 */
struct claude_request {
    const char *line; /* in data, NUL-terminated */
    size_t len;
    cl_slice key;           /* the request id as it stands in the line */
    cl_slice span;          /* the "request" object in the line */
    const char *id;         /* decoded, in data; NULL when there is none */
    const char *subtype;    /* decoded, in data; NULL when there is none */
    _Atomic(json_t *) root; /* the parsed line, once asked for */
    char *error_text;       /* set by claude_request_set_error */
    atomic_bool cancelled;
    atomic_int fate;             /* FATE_*: how the request ended */
    struct claude_request *next; /* protected by pool_mtx: work queue */
    struct claude_request *inflight_next; /* protected by pool_mtx */
    struct claude_request *inflight_prev; /* protected by pool_mtx */
    char data[];
};

struct claude_client {
    claude_options *opts;
    claude_transport *tp;
    cl_mcp_session *mcp; /* tool calls in flight */
    cl_logger log;
    long long control_timeout_ms;
    bool init_written;

    pthread_t reader;
    bool reader_started;

    /* The message queue and the cause of death. */
    pthread_mutex_t q_mtx;
    pthread_cond_t q_cv;     /* announces a message, or the end */
    pthread_cond_t room_cv;  /* announces room in the queue */
    pthread_cond_t end_cv;   /* announces the end */
    claude_message *q_head;  /* protected by q_mtx */
    claude_message *q_tail;  /* protected by q_mtx */
    size_t q_bytes;          /* protected by q_mtx: lines queued */
    size_t max_buffered;     /* 0: no limit */
    unsigned int q_waiters;  /* protected by q_mtx: in receive */
    bool reader_paused;      /* protected by q_mtx */
    bool q_unbounded;        /* protected by q_mtx: closing */
    atomic_uint ctl_waiting; /* our control requests awaiting replies */
    bool ended;              /* protected by q_mtx: the reader stopped */
    int end_code;            /* protected by q_mtx */
    claude_error end_err;    /* protected by q_mtx */
    char *last_result;       /* protected by q_mtx: last result line */
    bool notify_armed;       /* protected by q_mtx: a byte is in the pipe */
    bool notify_used;        /* protected by q_mtx: claude_client_fd called */
    int notify_rd;
    int notify_wr;

    /* Our control requests. */
    pthread_mutex_t ctl_mtx;
    pthread_cond_t ctl_cv; /* announces a reply, or the end */
    pending *pending;      /* protected by ctl_mtx */
    unsigned long next_id; /* protected by ctl_mtx */
    unsigned int id_salt;

    /* The CLI's control requests. */
    pthread_mutex_t pool_mtx;
    pthread_cond_t work_cv;    /* announces a wake token, or stopping */
    pthread_cond_t idle_cv;    /* announces no request queued or running */
    claude_request *work_head; /* protected by pool_mtx */
    claude_request *work_tail; /* protected by pool_mtx */
    claude_request *inflight;  /* protected by pool_mtx */
    unsigned int queued;       /* protected by pool_mtx: not started */
    pthread_t *workers;        /* protected by pool_mtx */
    unsigned int nworkers;     /* protected by pool_mtx */
    unsigned int nidle;        /* protected by pool_mtx: asleep */
    unsigned int nlooking;     /* protected by pool_mtx: awake, no work */
    unsigned int tokens;       /* protected by pool_mtx: wakes not taken */
    unsigned int max_workers;
    unsigned int in_flight; /* protected by pool_mtx */
    bool stopping;          /* protected by pool_mtx */

    /* Figures. */
    atomic_ullong st_can_use_tool;
    atomic_ullong st_hook_callback;
    atomic_ullong st_mcp_message;
    atomic_ullong st_other;
    atomic_ullong st_cancelled;
    atomic_uint st_peak;
    atomic_ullong st_bytes_in;
    atomic_ullong st_messages;
    atomic_ullong st_bad_lines;

    pthread_mutex_t close_mtx;
    pthread_cond_t close_cv; /* announces closed */
    bool close_running;      /* protected by close_mtx */
    pthread_t close_thread;  /* protected by close_mtx: who runs it */
    bool closed;             /* protected by close_mtx */
};

/* The client whose reader or worker this thread is, if it is one. */
static _Thread_local claude_client *thread_of;

static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void
seed_jansson(void)
{
    /* Seed jansson's hash function once; later calls do nothing. */
    json_object_seed(0);
}

/*
 * Lines out
 */

static int session_cause(claude_client *c, int rv, claude_error *err);

static int
write_json(claude_client *c, json_t *j, claude_error *err)
{
    char *text = cl_json_dumps(j);
    int rv;

    if (text == NULL) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    rv = claude_transport_write(c->tp, text, strlen(text), err);
    free(text);
    return session_cause(c, rv, err);
}

/*
 * The message queue
 */

/*
 * Keep the descriptor readable exactly while messages wait or the
 * session has ended.  Until claude_client_fd() is first called nobody
 * can watch it, so the two system calls per message are saved.  Call
 * with q_mtx held.
 */
static void
notify_locked(claude_client *c, bool readable)
{
    char byte;
    ssize_t n;

    if (!c->notify_used) {
        return;
    }
    if (readable && !c->notify_armed) {
        do {
            n = write(c->notify_wr, "", 1);
        } while (n < 0 && errno == EINTR);
        c->notify_armed = true;
    } else if (!readable && c->notify_armed) {
        do {
            n = read(c->notify_rd, &byte, 1);
        } while (n < 0 && errno == EINTR);
        c->notify_armed = false;
    }
}

/*
 * Would the reader wait for room now?  Not while one of our control
 * requests waits for its reply, which may lie behind the messages, and
 * not once the session closes, when only the end of output matters.
 * Call with q_mtx held.
 */
static bool
queue_full_locked(claude_client *c)
{
    return c->max_buffered != 0 && c->q_bytes > c->max_buffered &&
           !c->q_unbounded && atomic_load(&c->ctl_waiting) == 0;
}

/* Messages the reader has made and not yet queued. */
typedef struct batch {
    claude_message *head;
    claude_message *tail;
    size_t bytes;
    unsigned int count;
} batch;

/* Flush a batch once it holds this much, so that a long run of lines
 * does not keep the first of them from the application. */
#define BATCH_BYTES (64 * 1024)

/*
 * Queue a batch of messages for receive, under one lock and with one
 * wake-up.  When the unread lines weigh more than the limit, the reader
 * waits here, and so stops reading the child's output, until the
 * application has taken half of them.
 */
static void
queue_push(claude_client *c, batch *b)
{
    claude_message *m;

    if (b->head == NULL) {
        return;
    }
    cl_lock(&c->q_mtx);
    if (c->ended) {
        /* The session failed while these were read: they come after
         * its end, which receive has already reported. */
        cl_unlock(&c->q_mtx);
        while ((m = b->head) != NULL) {
            b->head = *cl_message_link(m);
            claude_message_free(m);
        }
        memset(b, 0, sizeof(*b));
        return;
    }
    if (c->q_tail != NULL) {
        *cl_message_link(c->q_tail) = b->head;
    } else {
        c->q_head = b->head;
    }
    c->q_tail = b->tail;
    c->q_bytes += b->bytes;
    notify_locked(c, true);
    if (c->q_waiters > 0) {
        pthread_cond_signal(&c->q_cv);
    }
    while (queue_full_locked(c)) {
        c->reader_paused = true;
        pthread_cond_wait(&c->room_cv, &c->q_mtx);
    }
    c->reader_paused = false;
    cl_unlock(&c->q_mtx);
    atomic_fetch_add(&c->st_messages, b->count);
    memset(b, 0, sizeof(*b));
}

/* Let a paused reader go on, whatever the queue holds. */
static void
queue_unbound(claude_client *c)
{
    cl_lock(&c->q_mtx);
    c->q_unbounded = true;
    pthread_cond_signal(&c->room_cv);
    cl_unlock(&c->q_mtx);
}

/*
 * The text that best says why a session ended, from its last error
 * result: the errors, else the result text, else the subtype.
 */
static void
describe_result(const char *line, char *buf, size_t size)
{
    json_t *root = cl_json_load(line, strlen(line), 0, NULL, NULL);
    json_t *errors;
    const char *text = NULL;

    buf[0] = '\0';
    if (root == NULL) {
        return;
    }
    if (json_is_true(json_object_get(root, "is_error"))) {
        errors = json_object_get(root, "errors");
        if (json_is_array(errors) && json_array_size(errors) > 0) {
            text = json_string_value(json_array_get(errors, 0));
        }
        if (text == NULL) {
            text = json_string_value(json_object_get(root, "result"));
        }
        if (text == NULL) {
            text = json_string_value(json_object_get(root, "subtype"));
        }
    }
    if (text != NULL) {
        snprintf(buf, size, "%s", text);
    }
    json_decref(root);
}

/* Cancel req unless it was answered; true if this call cancelled it. */
static bool
cancel_once(claude_request *req)
{
    int open = FATE_OPEN;

    atomic_store(&req->cancelled, true);
    return atomic_compare_exchange_strong(&req->fate, &open, FATE_CANCELLED);
}

/*
 * The reader stopped: record why, fail every waiter, and let receive
 * return the cause once the queue is empty.
 */
static void
session_ended(claude_client *c, int code, const claude_error *cause)
{
    claude_request *req;
    char last[160];
    int status;
    claude_error e = *cause;

    /* At end of output, wait briefly for the exit and describe it. */
    if (code == CLAUDE_EEOF &&
        claude_transport_wait(c->tp, EXIT_STATUS_WAIT_MS, &status) == 0) {
        cl_lock(&c->q_mtx);
        last[0] = '\0';
        if (c->last_result != NULL) {
            describe_result(c->last_result, last, sizeof(last));
        }
        cl_unlock(&c->q_mtx);
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            code = CLAUDE_ECHILDEXIT;
            snprintf(e.message, sizeof(e.message),
                     "the CLI exited with status %d%s%s", WEXITSTATUS(status),
                     last[0] ? ": " : "", last);
        } else if (WIFSIGNALED(status)) {
            code = CLAUDE_ECHILDEXIT;
            snprintf(e.message, sizeof(e.message),
                     "the CLI was killed by signal %d%s%s", WTERMSIG(status),
                     last[0] ? ": " : "", last);
        }
        e.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        e.exit_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        claude_transport_stderr_tail(c->tp, e.stderr_tail,
                                     sizeof(e.stderr_tail));
    }
    e.code = code;

    cl_lock(&c->ctl_mtx);
    cl_lock(&c->q_mtx);
    if (!c->ended) {
        c->ended = true;
        c->end_code = code;
        c->end_err = e;
    }
    notify_locked(c, true);
    pthread_cond_broadcast(&c->q_cv);
    pthread_cond_broadcast(&c->end_cv);
    cl_unlock(&c->q_mtx);
    pthread_cond_broadcast(&c->ctl_cv);
    cl_unlock(&c->ctl_mtx);

    /* No answer can reach the CLI now: callbacks may stop early. */
    cl_lock(&c->pool_mtx);
    for (req = c->inflight; req != NULL; req = req->inflight_next) {
        (void)cancel_once(req);
    }
    cl_unlock(&c->pool_mtx);
}

/*
 * Memory ran out on the reader or a worker, where no caller can be
 * told: end the session with CLAUDE_ENOMEM, and stop the transport so
 * that the reader stops at once; close still reaps the child.
 */
static void
session_failed(claude_client *c, const char *what)
{
    claude_error e;

    cl_log(&c->log, CLAUDE_LOG_ERROR, "out of memory: %s; the session ends",
           what);
    cl_error_set(&e, CLAUDE_ENOMEM, "out of memory: %s", what);
    session_ended(c, CLAUDE_ENOMEM, &e);
    cl_transport_abort(c->tp);
}

/*
 * Our control requests
 */

/* Call with ctl_mtx held. */
static pending *
find_pending_locked(claude_client *c, cl_slice id)
{
    pending *p;

    for (p = c->pending; p != NULL; p = p->next) {
        if (cl_slice_eq(id, p->id)) {
            return p;
        }
    }
    return NULL;
}

static void
route_response(claude_client *c, const char *line, size_t len,
               const cl_route *r)
{
    pending *p;
    char *copy;

    cl_lock(&c->ctl_mtx);
    p = find_pending_locked(c, r->response_request_id);
    if (p == NULL || p->done) {
        cl_unlock(&c->ctl_mtx);
        cl_log(&c->log, CLAUDE_LOG_DEBUG,
               "dropped a reply to no pending request: %.*s",
               (int)(r->response_request_id.n < 64 ? r->response_request_id.n
                                                   : 64),
               r->response_request_id.p ? r->response_request_id.p : "");
        return;
    }
    copy = malloc(len + 1);
    if (copy != NULL) {
        memcpy(copy, line, len + 1);
    }
    p->reply = copy;
    p->reply_len = len;
    p->done = true;
    atomic_fetch_sub(&c->ctl_waiting, 1);
    pthread_cond_broadcast(&c->ctl_cv);
    cl_unlock(&c->ctl_mtx);
}

/* Turn a control_response line into a result. */
static int
parse_reply(const char *line, json_t **out, claude_error *err)
{
    json_error_t jerr;
    bool nomem;
    json_t *root = cl_json_load(line, strlen(line), 0, &jerr, &nomem);
    json_t *resp;
    json_t *payload;
    const char *sub;
    const char *text;
    int rv = 0;

    if (root == NULL && nomem) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    if (root == NULL) {
        return cl_error_set(err, CLAUDE_EPROTO, "invalid reply: %s", jerr.text);
    }
    resp = json_object_get(root, "response");
    sub = json_string_value(json_object_get(resp, "subtype"));
    if (sub != NULL && strcmp(sub, "error") == 0) {
        text = json_string_value(json_object_get(resp, "error"));
        rv = cl_error_set(err, CLAUDE_ECONTROL, "%s",
                          text ? text : "the CLI refused the request");
    } else if (sub == NULL || strcmp(sub, "success") != 0) {
        rv = cl_error_set(err, CLAUDE_EPROTO,
                          "a control reply with no success or error");
    } else if (out != NULL) {
        payload = json_object_get(resp, "response");
        *out = payload != NULL ? json_incref(payload) : json_object();
        if (*out == NULL) {
            rv = cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
        }
    }
    json_decref(root);
    return rv;
}

/* Call with ctl_mtx held. */
static int
dead_error_locked(claude_client *c, claude_error *err)
{
    int code;

    cl_lock(&c->q_mtx);
    code = c->end_code;
    if (err != NULL) {
        *err = c->end_err;
    }
    cl_unlock(&c->q_mtx);
    return code;
}

static bool
is_ended(claude_client *c)
{
    bool ended;

    cl_lock(&c->q_mtx);
    ended = c->ended;
    cl_unlock(&c->q_mtx);
    return ended;
}

/*
 * The error of a write the transport refused.  Refused as closed after
 * session_failed() stopped it, the session's cause, CLAUDE_ENOMEM, says
 * why; refused as ended while claude_client_close() runs, it is closed.
 */
static int
session_cause(claude_client *c, int rv, claude_error *err)
{
    bool closing;

    /* Close ends input before it closes: a write in between is late
     * for the close, not refused by an end_input of the caller's. */
    if (rv == CLAUDE_EINPUTENDED) {
        cl_lock(&c->close_mtx);
        closing = c->close_running || c->closed;
        cl_unlock(&c->close_mtx);
        if (closing) {
            rv = cl_error_set(err, CLAUDE_ECLOSED, "client closed");
        }
    }
    if (rv != CLAUDE_ECLOSED) {
        return rv;
    }
    cl_lock(&c->q_mtx);
    if (c->ended && c->end_code == CLAUDE_ENOMEM) {
        rv = c->end_code;
        if (err != NULL) {
            *err = c->end_err;
        }
    }
    cl_unlock(&c->q_mtx);
    return rv;
}

/*
 * Send a control request and wait for its reply.  request is the inner
 * "request" object, which this call takes.
 */
static int
control(claude_client *c, json_t *request, long long timeout_ms, json_t **out,
        claude_error *err)
{
    pending p;
    pending **pp;
    json_t *frame;
    int64_t deadline;
    unsigned long n;
    int rv;

    if (out != NULL) {
        *out = NULL;
    }
    if (request == NULL) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    memset(&p, 0, sizeof(p));

    /* Register before writing: the reply may come at once. */
    cl_lock(&c->ctl_mtx);
    n = ++c->next_id;
    snprintf(p.id, sizeof(p.id), "req_%lu_%08x", n,
             c->id_salt ^ (unsigned int)(n * 2654435761u));
    if (is_ended(c)) {
        rv = dead_error_locked(c, err);
        cl_unlock(&c->ctl_mtx);
        json_decref(request);
        return rv;
    }
    p.next = c->pending;
    c->pending = &p;
    atomic_fetch_add(&c->ctl_waiting, 1);
    cl_unlock(&c->ctl_mtx);

    /* The reply may lie behind messages nobody reads: read on. */
    cl_lock(&c->q_mtx);
    pthread_cond_signal(&c->room_cv);
    cl_unlock(&c->q_mtx);

    frame = json_pack("{s:s,s:s,s:o}", "type", "control_request", "request_id",
                      p.id, "request", request);
    rv = frame ? write_json(c, frame, err)
               : cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    json_decref(frame);

    deadline = cl_deadline(timeout_ms < 0 ? -1 : (int)timeout_ms);
    cl_lock(&c->ctl_mtx);
    while (rv == 0 && !p.done && !is_ended(c) &&
           cl_cond_wait_until(&c->ctl_cv, &c->ctl_mtx, deadline)) {
    }

    /*
     * A write that failed because the child is gone: the reader is about
     * to say why, with the child's last words, which tell more.
     */
    if (rv == CLAUDE_ECHILDEXIT || rv == CLAUDE_EPIPE || rv == CLAUDE_EBROKEN) {
        deadline = cl_deadline(EXIT_STATUS_WAIT_MS * 2);
        while (!is_ended(c) &&
               cl_cond_wait_until(&c->ctl_cv, &c->ctl_mtx, deadline)) {
        }
        if (is_ended(c)) {
            rv = dead_error_locked(c, err);
        }
    }
    if (rv == 0 && !p.done) {
        if (is_ended(c)) {
            rv = dead_error_locked(c, err);
        } else {
            rv =
                cl_error_set(err, CLAUDE_ETIMEDOUT,
                             "no reply to %s within %lld ms", p.id, timeout_ms);
        }
    }
    for (pp = &c->pending; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == &p) {
            *pp = p.next;
            break;
        }
    }
    if (!p.done) {
        atomic_fetch_sub(&c->ctl_waiting, 1);
    }
    cl_unlock(&c->ctl_mtx);

    if (rv == 0) {
        rv = p.reply != NULL
                 ? parse_reply(p.reply, out, err)
                 : cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    free(p.reply);
    return rv;
}

/*
 * The CLI's control requests
 */

static void
request_free(claude_request *req)
{
    if (req == NULL) {
        return;
    }
    json_decref(atomic_load(&req->root));
    free(req->error_text);
    free(req);
}

/*
 * The line is parsed the first time a callback asks, on its thread; a
 * thread that loses the race to install its tree frees it and uses the
 * winner's, as messages do.  A NULL answer with *nomem set means that
 * memory ran out, and a later call tries again.
 */
static json_t *
request_object(claude_request *r, bool *nomem)
{
    json_t *root = atomic_load(&r->root);
    json_t *expected = NULL;

    *nomem = false;
    if (root == NULL) {
        root = cl_json_load(r->line, r->len, 0, NULL, nomem);
        if (root == NULL) {
            return NULL;
        }
        if (!atomic_compare_exchange_strong(&r->root, &expected, root)) {
            json_decref(root);
            root = expected;
        }
    }
    return json_object_get(root, "request");
}

/* Call with pool_mtx held. */
static void
inflight_remove_locked(claude_client *c, claude_request *req)
{
    if (req->inflight_prev != NULL) {
        req->inflight_prev->inflight_next = req->inflight_next;
    } else {
        c->inflight = req->inflight_next;
    }
    if (req->inflight_next != NULL) {
        req->inflight_next->inflight_prev = req->inflight_prev;
    }
    req->inflight_next = req->inflight_prev = NULL;
}

static void
cancel_request(claude_client *c, const char *line, size_t len,
               const cl_route *r)
{
    claude_request *req;

    (void)line;
    (void)len;
    /* A cancel without an id names no request, not one whose id is "". */
    if (r->request_id.p == NULL) {
        return;
    }
    cl_lock(&c->pool_mtx);
    for (req = c->inflight; req != NULL; req = req->inflight_next) {
        if (req->key.p != NULL && req->key.n == r->request_id.n &&
            memcmp(req->key.p, r->request_id.p, req->key.n) == 0) {
            if (atomic_load(&req->fate) == FATE_OPEN && cancel_once(req)) {
                atomic_fetch_add(&c->st_cancelled, 1);
            }
            break;
        }
    }
    cl_unlock(&c->pool_mtx);
}

/*
 * Replies are written as text, not built as jansson trees: a
 * permission check answered with its own input echoes the bytes the
 * CLI sent.
 */

/* May req be answered?  True once, unless it was cancelled. */
static bool
claim_reply(claude_client *c, claude_request *req)
{
    int open = FATE_OPEN;

    (void)c;
    return atomic_compare_exchange_strong(&req->fate, &open, FATE_REPLIED) &&
           req->id != NULL;
}

/* Begin a control_response to req: everything before its body. */
static void
frame_begin(cl_out *o, const claude_request *req, const char *subtype)
{
    cl_out_str(o, "{\"type\":\"control_response\",\"response\":{"
                  "\"subtype\":\"");
    cl_out_str(o, subtype);
    cl_out_str(o, "\",\"request_id\":");
    cl_out_quoted(o, req->id);
}

/*
 * Write a reply.  One that could not be built for lack of memory goes
 * as a short error reply instead, which fits in the buffer's own
 * storage; when not even that can be written, the CLI would wait for
 * ever, so the session ends.
 */
static void
send_frame(claude_client *c, claude_request *req, cl_out *o)
{
    claude_error err;
    cl_out brief;
    int rv;

    if (cl_out_failed(o)) {
        cl_log(&c->log, CLAUDE_LOG_ERROR,
               "out of memory: %s is answered with an error", req->id);
        cl_out_init(&brief);
        frame_begin(&brief, req, "error");
        cl_out_str(&brief, ",\"error\":\"out of memory\"}}");
        rv = cl_out_failed(&brief)
                 ? cl_error_set(&err, CLAUDE_ENOMEM, "out of memory")
                 : cl_transport_send(c->tp, brief.p, brief.len, &err);
        cl_out_free(&brief);
    } else {
        rv = cl_transport_send(c->tp, o->p, o->len, &err);
    }
    if (rv == CLAUDE_ENOMEM) {
        session_failed(c, "an answer to the CLI was not written");
    } else if (rv != 0) {
        /* At the end of a session, late answers are expected to fail. */
        cl_log(&c->log,
               rv == CLAUDE_EINPUTENDED || rv == CLAUDE_ECLOSED
                   ? CLAUDE_LOG_DEBUG
                   : CLAUDE_LOG_WARNING,
               "cannot answer %s: %s", req->id, err.message);
    }
}

/* Answer with success and payload, JSON text; exactly once. */
static void
reply_success_text(claude_client *c, claude_request *req, const cl_out *body)
{
    cl_out o;

    if (!claim_reply(c, req)) {
        return;
    }
    cl_out_init(&o);
    frame_begin(&o, req, "success");
    cl_out_str(&o, ",\"response\":");
    if (cl_out_failed(body)) {
        o.failed = true;
    }
    cl_out_raw(&o, body->p, body->len);
    cl_out_str(&o, "}}");
    send_frame(c, req, &o);
    cl_out_free(&o);
}

/* Answer with success and payload (taken; NULL: {}); exactly once. */
static void
reply_success(claude_client *c, claude_request *req, json_t *payload)
{
    cl_out body;

    cl_out_init(&body);
    if (payload != NULL) {
        cl_out_json(&body, payload);
    } else {
        cl_out_str(&body, "{}");
    }
    json_decref(payload);
    reply_success_text(c, req, &body);
    cl_out_free(&body);
}

static void
reply_error(claude_client *c, claude_request *req, const char *text,
            const char *code)
{
    cl_out o;

    if (!claim_reply(c, req)) {
        return;
    }
    cl_out_init(&o);
    frame_begin(&o, req, "error");
    cl_out_str(&o, ",\"error\":");
    cl_out_quoted(&o, text);
    if (code != NULL) {
        cl_out_str(&o, ",\"error_code\":");
        cl_out_quoted(&o, code);
    }
    cl_out_str(&o, "}}");
    send_frame(c, req, &o);
    cl_out_free(&o);
}

/*
 * Answer with an error whose text is prefix and then what, whole: the
 * CLI's own strings are never cut, so none ends inside a character.
 */
static void
reply_error_about(claude_client *c, claude_request *req, const char *prefix,
                  const char *what, const char *code)
{
    cl_out text;

    cl_out_init(&text);
    cl_out_str(&text, prefix);
    cl_out_str(&text, what);
    reply_error(c, req, cl_out_failed(&text) ? "out of memory" : text.p, code);
    cl_out_free(&text);
}

static const char *
opt_string(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The members of a can_use_tool request that the callback gets. */
enum {
    PERM_TOOL_NAME,
    PERM_INPUT,
    PERM_TOOL_USE_ID,
    PERM_AGENT_ID,
    PERM_BLOCKED_PATH,
    PERM_DECISION_REASON,
    PERM_KEYS
};

static const char *const perm_keys[PERM_KEYS] = {
    "tool_name", "input",        "tool_use_id",
    "agent_id",  "blocked_path", "decision_reason",
};

/*
 * Decode the string member raw into *at and return it, or NULL when
 * raw is absent or not a string.  *at moves past the copy.
 */
static const char *
take_string(cl_slice raw, char **at)
{
    cl_slice body = cl_json_string_body(raw);
    char *s = *at;

    if (body.p == NULL) {
        return NULL;
    }
    *at += cl_slice_decode(body, s) + 1;
    return s;
}

/*
 * Answer a permission check.  Only the request's own members are read,
 * without a parse tree; the input is checked and, unless the callback
 * replaces it, echoed back as the CLI wrote it.
 */
static void
handle_can_use_tool(claude_client *c, claude_request *req)
{
    claude_permission perm;
    claude_permission_result res;
    cl_slice v[PERM_KEYS];
    char small[256];
    char *names = small;
    char *at;
    cl_out body;
    int rv;

    atomic_fetch_add(&c->st_can_use_tool, 1);
    if (c->opts->permission_cb == NULL) {
        reply_error(c, req, "canUseTool callback is not provided", NULL);
        return;
    }
    if (cl_json_members(req->span.p, req->span.n, perm_keys, v, PERM_KEYS) !=
            0 ||
        v[PERM_INPUT].p == NULL || v[PERM_INPUT].p[0] != '{' ||
        !cl_json_check(v[PERM_INPUT].p, v[PERM_INPUT].n) ||
        cl_json_string_body(v[PERM_TOOL_NAME]).p == NULL) {
        reply_error(c, req, "can_use_tool without tool_name or input", NULL);
        return;
    }

    /* The decoded strings never outgrow the request they came from. */
    if (req->span.n + PERM_KEYS > sizeof(small)) {
        names = malloc(req->span.n + PERM_KEYS);
        if (names == NULL) {
            reply_error(c, req, "out of memory", NULL);
            return;
        }
    }
    at = names;
    memset(&perm, 0, sizeof(perm));
    perm.tool_name = take_string(v[PERM_TOOL_NAME], &at);
    perm.input_json = v[PERM_INPUT].p;
    perm.input_len = v[PERM_INPUT].n;
    perm.tool_use_id = take_string(v[PERM_TOOL_USE_ID], &at);
    perm.agent_id = take_string(v[PERM_AGENT_ID], &at);
    perm.blocked_path = take_string(v[PERM_BLOCKED_PATH], &at);
    perm.decision_reason = take_string(v[PERM_DECISION_REASON], &at);

    memset(&res, 0, sizeof(res));
    rv = c->opts->permission_cb(req, &perm, &res, c->opts->permission_user);
    if (rv != 0) {
        json_decref(res.updated_input);
        json_decref(res.updated_permissions);
        reply_error(c, req,
                    req->error_text ? req->error_text
                                    : "the permission callback failed",
                    NULL);
        goto out;
    }

    cl_out_init(&body);
    if (res.allow) {
        /* updatedInput always goes: older CLIs require it. */
        cl_out_str(&body, "{\"behavior\":\"allow\",\"updatedInput\":");
        if (res.updated_input != NULL) {
            cl_out_json(&body, res.updated_input);
        } else {
            cl_out_raw(&body, perm.input_json, perm.input_len);
        }
        if (res.updated_permissions != NULL) {
            cl_out_str(&body, ",\"updatedPermissions\":");
            cl_out_json(&body, res.updated_permissions);
        }
    } else {
        cl_out_str(&body, "{\"behavior\":\"deny\",\"message\":");
        cl_out_quoted(&body,
                      res.message ? res.message : "denied by the application");
        if (res.interrupt) {
            cl_out_str(&body, ",\"interrupt\":true");
        }
    }
    json_decref(res.updated_input);
    json_decref(res.updated_permissions);
    if (perm.tool_use_id != NULL) {
        cl_out_str(&body, ",\"toolUseID\":");
        cl_out_quoted(&body, perm.tool_use_id);
    }
    cl_out_str(&body, "}");
    reply_success_text(c, req, &body);
    cl_out_free(&body);

out:
    if (names != small) {
        free(names);
    }
}

static void
handle_hook_callback(claude_client *c, claude_request *req)
{
    bool nomem;
    json_t *request = request_object(req, &nomem);
    const char *id = opt_string(request, "callback_id");
    json_t *output = NULL;
    char *end;
    unsigned long index = 0;
    cl_hook *hook = NULL;
    int rv;

    atomic_fetch_add(&c->st_hook_callback, 1);
    if (nomem) {
        reply_error(c, req, "out of memory", NULL);
        return;
    }
    if (id != NULL && strncmp(id, "hook_", 5) == 0 && id[5] != '\0') {
        errno = 0;
        index = strtoul(id + 5, &end, 10);
        if (errno == 0 && *end == '\0' && index < c->opts->nhooks) {
            hook = &c->opts->hooks[index];
        }
    }
    if (hook == NULL) {
        reply_error_about(c, req,
                          "No hook callback found for ID: ", id ? id : "(none)",
                          NULL);
        return;
    }

    rv = hook->cb(req, json_object_get(request, "input"), &output, hook->user);
    if (rv != 0) {
        json_decref(output);
        reply_error(c, req,
                    req->error_text ? req->error_text
                                    : "the hook callback failed",
                    NULL);
        return;
    }
    if (output != NULL && !json_is_object(output)) {
        json_decref(output);
        reply_error(c, req, "the hook callback returned a non-object", NULL);
        return;
    }
    reply_success(c, req, output);
}

static void
handle_mcp_message(claude_client *c, claude_request *req)
{
    bool nomem;
    json_t *request = request_object(req, &nomem);
    const char *name = opt_string(request, "server_name");
    json_t *message = json_object_get(request, "message");
    claude_mcp_server *server = NULL;
    json_t *resp;
    json_t *payload;
    size_t i;

    atomic_fetch_add(&c->st_mcp_message, 1);
    if (nomem) {
        reply_error(c, req, "out of memory", NULL);
        return;
    }
    if (name == NULL || !json_is_object(message)) {
        reply_error(c, req, "mcp_message without server_name or message", NULL);
        return;
    }
    for (i = 0; i < c->opts->nmcp && server == NULL; i++) {
        if (strcmp(cl_mcp_server_name(c->opts->mcp[i]), name) == 0) {
            server = c->opts->mcp[i];
        }
    }
    if (server == NULL) {
        reply_error_about(c, req, "SDK MCP server not found: ", name, NULL);
        return;
    }

    /* A notification has no JSON-RPC answer; the request is acked. */
    resp = cl_mcp_handle(server, c->mcp, message, &req->cancelled);
    if (resp == NULL && !cl_mcp_is_request(message)) {
        resp = json_pack("{s:s,s:{},s:i}", "jsonrpc", "2.0", "result", "id", 0);
    }
    payload = resp != NULL ? json_pack("{s:o}", "mcp_response", resp) : NULL;
    if (payload == NULL) {
        reply_error(c, req, "out of memory", NULL);
        return;
    }
    reply_success(c, req, payload);
}

static void
handle_request(claude_client *c, claude_request *req)
{
    if (req->id == NULL || req->span.p == NULL || req->subtype == NULL) {
        atomic_fetch_add(&c->st_bad_lines, 1);
        cl_log(&c->log, CLAUDE_LOG_WARNING,
               "a control request without id or subtype: %.200s", req->line);
        reply_error(c, req, "malformed control request", NULL);
        return;
    }

    if (strcmp(req->subtype, "can_use_tool") == 0) {
        handle_can_use_tool(c, req);
    } else if (strcmp(req->subtype, "hook_callback") == 0) {
        handle_hook_callback(c, req);
    } else if (strcmp(req->subtype, "mcp_message") == 0) {
        handle_mcp_message(c, req);
    } else {
        atomic_fetch_add(&c->st_other, 1);
        reply_error_about(c, req,
                          "Unsupported control request subtype: ", req->subtype,
                          "unsupported_request");
    }
}

static void *worker_main(void *arg);

/*
 * Is every request the CLI sent answered, or dropped, and released,
 * with every worker asleep?  Call with pool_mtx held.
 */
static bool
idle_locked(claude_client *c)
{
    return c->in_flight == 0 && c->nidle == c->nworkers;
}

/*
 * Wake a worker, or start one, when work waits and no worker is awake
 * to take it.  One awake worker at a time is enough: each one that
 * takes a request calls this again, so a run of requests behind a
 * callback that blocks still finds workers, one after another, while
 * quick callbacks are served by the few workers already awake instead
 * of a wake-up each.  Call with pool_mtx held.
 */
static void
staff_locked(claude_client *c)
{
    int rv;

    if (c->queued == 0 || c->nlooking + c->tokens > 0) {
        return;
    }
    if (c->nidle > c->tokens) {
        c->tokens++;
        pthread_cond_signal(&c->work_cv);
        return;
    }
    if (c->nworkers < c->max_workers) {
        rv = cl_thread_start(&c->workers[c->nworkers], worker_main, c,
                             "claude-worker");
        if (rv == 0) {
            c->nworkers++;
            c->nlooking++; /* it looks for work as soon as it runs */
        } else {
            cl_log(&c->log, CLAUDE_LOG_ERROR,
                   "cannot start a worker thread (error %d)", rv);
        }
    }
}

static void *
worker_main(void *arg)
{
    claude_client *c = arg;
    claude_request *req;
    claude_request *done = NULL;

    thread_of = c;
    cl_lock(&c->pool_mtx);
    for (;;) {
        if (done != NULL) {
            inflight_remove_locked(c, done);
            c->in_flight--;
        }
        if (c->work_head == NULL) {
            if (done != NULL) {
                cl_unlock(&c->pool_mtx);
                request_free(done);
                done = NULL;
                cl_lock(&c->pool_mtx);
                continue;
            }
            if (c->stopping) {
                break;
            }
            c->nlooking--;
            c->nidle++;
            if (idle_locked(c)) {
                pthread_cond_broadcast(&c->idle_cv);
            }
            while (c->tokens == 0 && !c->stopping) {
                pthread_cond_wait(&c->work_cv, &c->pool_mtx);
            }
            if (c->tokens > 0) {
                c->tokens--;
            }
            c->nidle--;
            c->nlooking++;
            continue;
        }
        req = c->work_head;
        c->queued--;
        c->work_head = req->next;
        if (c->work_head == NULL) {
            c->work_tail = NULL;
        }
        c->nlooking--;
        staff_locked(c);
        cl_unlock(&c->pool_mtx);

        request_free(done);
        /* A request cancelled while it queued is never started. */
        if (!atomic_load(&req->cancelled)) {
            handle_request(c, req);
        }
        done = req;

        cl_lock(&c->pool_mtx);
        c->nlooking++;
    }
    c->nlooking--;
    cl_unlock(&c->pool_mtx);
    return NULL;
}

/* Answer with an error without running any callback. */
static void
refuse_request(claude_client *c, claude_request *req)
{
    reply_error(c, req, "the application cannot run a worker thread", NULL);
    request_free(req);
}

/* Where slice s of line lies in copy, a copy of line. */
static cl_slice
rebase(cl_slice s, const char *line, const char *copy)
{
    if (s.p != NULL) {
        s.p = copy + (s.p - line);
    }
    return s;
}

static void
queue_request(claude_client *c, const char *line, size_t len, const cl_route *r)
{
    claude_request *req;
    size_t size =
        sizeof(*req) + len + 1 + r->request_id.n + 1 + r->request_subtype.n + 1;
    unsigned int now;
    unsigned int peak;
    char *at;

    req = malloc(size);
    if (req == NULL) {
        session_failed(c, "a control request from the CLI was not kept");
        return;
    }
    memset(req, 0, sizeof(*req));
    memcpy(req->data, line, len + 1);
    req->line = req->data;
    req->len = len;
    req->key = rebase(r->request_id, line, req->data);
    req->span = rebase(r->request, line, req->data);
    at = req->data + len + 1;
    if (r->request_id.p != NULL) {
        req->id = at;
        at += cl_slice_decode(r->request_id, at) + 1;
    }
    if (r->request_subtype.p != NULL) {
        req->subtype = at;
        cl_slice_decode(r->request_subtype, at);
    }
    atomic_init(&req->root, NULL);
    atomic_init(&req->cancelled, false);
    atomic_init(&req->fate, FATE_OPEN);

    cl_lock(&c->pool_mtx);
    if (c->stopping) {
        cl_unlock(&c->pool_mtx);
        request_free(req);
        return;
    }
    if (c->work_tail != NULL) {
        c->work_tail->next = req;
    } else {
        c->work_head = req;
    }
    c->work_tail = req;
    req->inflight_next = c->inflight;
    if (c->inflight != NULL) {
        c->inflight->inflight_prev = req;
    }
    c->inflight = req;
    now = ++c->in_flight;
    c->queued++;
    staff_locked(c);
    if (c->nworkers == 0) {
        /* No worker at all: refuse rather than leave the CLI waiting. */
        c->work_head = c->work_tail = NULL;
        c->queued = 0;
        c->in_flight--;
        inflight_remove_locked(c, req);
        cl_unlock(&c->pool_mtx);
        refuse_request(c, req);
        return;
    }
    cl_unlock(&c->pool_mtx);

    peak = atomic_load(&c->st_peak);
    while (now > peak &&
           !atomic_compare_exchange_weak(&c->st_peak, &peak, now)) {
    }
}

/*
 * The reader
 */

/* Add m, of len bytes, to the batch, pushing a full batch. */
static void
batch_add(claude_client *c, batch *b, claude_message *m, size_t len)
{
    if (b->tail != NULL) {
        *cl_message_link(b->tail) = m;
    } else {
        b->head = m;
    }
    b->tail = m;
    b->bytes += len;
    b->count++;
    if (b->bytes >= BATCH_BYTES) {
        queue_push(c, b);
    }
}

static void
queue_message(claude_client *c, batch *b, const char *line, size_t len,
              const cl_route *r)
{
    claude_message *m;
    int rv;

    /* Keep the last result: it explains a death that may follow. */
    if (cl_slice_eq(r->type, "result")) {
        char *keep = strdup(line);

        cl_lock(&c->q_mtx);
        free(c->last_result);
        c->last_result = keep;
        cl_unlock(&c->q_mtx);
    }
    rv = cl_message_new(&m, line, len, r);
    if (rv == CLAUDE_ENOMEM) {
        session_failed(c, "a message from the CLI was not kept");
        return;
    }
    if (rv != 0) {
        atomic_fetch_add(&c->st_bad_lines, 1);
        cl_log(&c->log, CLAUDE_LOG_ERROR, "message dropped: %s",
               claude_strerror(rv));
        return;
    }
    batch_add(c, b, m, len);
}

/*
 * A line too long to keep leaves a stand-in in the queue, so that
 * claude_client_receive reports the loss in its place in the stream.
 */
static void
queue_dropped(claude_client *c, batch *b, const claude_error *err)
{
    claude_message *m;
    size_t head = strlen(err->line);

    atomic_fetch_add(&c->st_bad_lines, 1);
    if (cl_message_new_dropped(&m, err->line, head, err->line_len) != 0) {
        session_failed(c, "a line too long to keep could not be noted");
        return;
    }
    batch_add(c, b, m, head);
}

/*
 * Route one line of the child's output by its keys.  Application
 * messages gather in b; a control request sends b on first, so that
 * its callback sees the messages that came before it.
 */
static void
route_line(claude_client *c, batch *b, const char *line, size_t len)
{
    cl_route r;

    atomic_fetch_add(&c->st_bytes_in, len + 1);
    if (cl_scan_route(line, len, &r) != 0) {
        atomic_fetch_add(&c->st_bad_lines, 1);
        cl_log(&c->log, CLAUDE_LOG_WARNING,
               "skipped a line that is not a JSON object: %.200s", line);
        return;
    }
    if (cl_slice_eq(r.type, "control_response")) {
        route_response(c, line, len, &r);
    } else if (cl_slice_eq(r.type, "control_request")) {
        queue_push(c, b);
        queue_request(c, line, len, &r);
    } else if (cl_slice_eq(r.type, "control_cancel_request")) {
        cancel_request(c, line, len, &r);
    } else if (!cl_slice_eq(r.type, "keep_alive")) {
        queue_message(c, b, line, len, &r);
    }
}

void
cl_client_route_line(claude_client *c, const char *line, size_t len)
{
    batch b;

    memset(&b, 0, sizeof(b));
    route_line(c, &b, line, len);
    queue_push(c, &b);
}

/*
 * Application messages are queued in batches: while more lines can be
 * had without waiting, they gather, and the batch goes to the queue
 * before the reader would block, when it grows large, and before a
 * control request, so that callbacks see the messages that came first.
 */
static void *
reader_main(void *arg)
{
    claude_client *c = arg;
    const char *line;
    size_t len;
    claude_error err;
    batch b;
    int rv;

    thread_of = c;
    memset(&b, 0, sizeof(b));
    for (;;) {
        rv = claude_transport_read_line(c->tp, &line, &len,
                                        b.head != NULL ? 0 : -1, &err);
        if (rv == CLAUDE_ETIMEDOUT && b.head != NULL) {
            queue_push(c, &b);
            continue;
        }
        if (rv == CLAUDE_ETOOLONG) {
            queue_dropped(c, &b, &err);
            continue;
        }
        if (rv != 0) {
            break;
        }
        route_line(c, &b, line, len);
    }
    queue_push(c, &b);
    session_ended(c, rv, &err);
    return NULL;
}

/*
 * Opening
 */

static int
build_transport(claude_client *c, const char *cli, claude_error *err)
{
    claude_transport_options to = CLAUDE_TRANSPORT_OPTIONS_INIT;
    char **argv = NULL;
    char **envp = NULL;
    int rv;

    rv = cl_options_argv(c->opts, cli, &argv, err);
    if (rv == 0) {
        rv = cl_options_envp(c->opts, &envp, err);
    }
    if (rv == 0) {
        to.argv = (const char *const *)argv;
        to.envp = (const char *const *)envp;
        to.cwd = cl_options_string(c->opts, CLAUDE_OPT_CWD);
        /* The client waits out the grace itself, reading meanwhile. */
        to.close_grace_ms = 0;
        to.term_grace_ms =
            (unsigned int)cl_options_int(c->opts, CLAUDE_OPT_TERM_GRACE_MS);
        to.max_line_size =
            (size_t)cl_options_int(c->opts, CLAUDE_OPT_MAX_LINE_SIZE);
        to.stderr_cb = c->opts->stderr_cb;
        to.stderr_user = c->opts->stderr_user;
        to.log_cb = c->log.cb;
        to.log_user = c->log.user;
        to.log_level = c->log.level;
        rv = claude_transport_new(&c->tp, &to);
        if (rv != 0) {
            cl_error_set(err, rv, "cannot create the transport");
        }
    }
    cl_strv_free(argv);
    cl_strv_free(envp);
    if (rv == 0) {
        rv = claude_transport_open(c->tp, err);
    }
    return rv;
}

static int
initialize(claude_client *c, claude_error *err)
{
    json_t *reply = NULL;
    int rv;

    rv = control(c, cl_options_init_request(c->opts),
                 cl_options_int(c->opts, CLAUDE_OPT_INIT_TIMEOUT_MS), &reply,
                 err);
    json_decref(reply);
    if (rv == CLAUDE_EEOF && err != NULL) {
        snprintf(err->message, sizeof(err->message),
                 "the CLI ended before it answered initialize");
    }
    if (rv == CLAUDE_ETIMEDOUT) {
        cl_error_set(err, rv,
                     "the CLI did not answer initialize within %lld ms",
                     cl_options_int(c->opts, CLAUDE_OPT_INIT_TIMEOUT_MS));
    }
    return rv;
}

static void client_destroy(claude_client *c, bool graceful);

int
claude_client_new(claude_client **out, const claude_options *opts,
                  claude_error *err)
{
    claude_client *c;
    char *cli = NULL;
    int fds[2];
    int rv;

    if (out == NULL || opts == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no options");
    }
    *out = NULL;
    pthread_once(&seed_once, seed_jansson);
    rv = cl_options_validate(opts, err);
    if (rv != 0) {
        return rv;
    }

    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        free(c);
        return cl_error_sys(err, CLAUDE_ESYS, errno, "cannot create a pipe");
    }
    c->notify_rd = fds[0];
    c->notify_wr = fds[1];
    cl_mutex_init(&c->q_mtx);
    cl_cond_init(&c->q_cv);
    cl_cond_init(&c->end_cv);
    pthread_cond_init(&c->room_cv, NULL);
    cl_mutex_init(&c->ctl_mtx);
    cl_cond_init(&c->ctl_cv);
    cl_mutex_init(&c->pool_mtx);
    pthread_cond_init(&c->work_cv, NULL);
    cl_cond_init(&c->idle_cv);
    cl_mutex_init(&c->close_mtx);
    cl_cond_init(&c->close_cv);
    c->id_salt = (unsigned int)getpid() ^ (unsigned int)cl_now_ns() ^
                 (unsigned int)(uintptr_t)c;

    rv = cl_options_copy(&c->opts, opts);
    if (rv == 0) {
        rv = cl_mcp_session_new(&c->mcp);
    }
    if (rv != 0) {
        cl_error_set(err, rv, "out of memory");
        goto out_destroy;
    }
    c->log.cb = c->opts->log_cb;
    c->log.user = c->opts->log_user;
    c->log.level = (int)cl_options_int(c->opts, CLAUDE_OPT_LOG_LEVEL);
    c->control_timeout_ms =
        cl_options_int(c->opts, CLAUDE_OPT_CONTROL_TIMEOUT_MS);
    c->max_workers =
        (unsigned int)cl_options_int(c->opts, CLAUDE_OPT_MAX_WORKERS);
    c->max_buffered = (size_t)cl_options_int(c->opts, CLAUDE_OPT_MAX_BUFFERED);
    atomic_init(&c->ctl_waiting, 0);
    c->workers = calloc(c->max_workers, sizeof(*c->workers));
    if (c->workers == NULL) {
        rv = cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
        goto out_destroy;
    }

    rv = cl_find_cli(cl_options_string(c->opts, CLAUDE_OPT_CLI_PATH),
                     getenv("PATH"), getenv("HOME"), &cli, err);
    if (rv != 0) {
        goto out_destroy;
    }
    cl_check_cli_version(
        cli, (int)cl_options_int(c->opts, CLAUDE_OPT_VERSION_CHECK_MS),
        &c->log);
    rv = build_transport(c, cli, err);
    free(cli);
    if (rv != 0) {
        goto out_destroy;
    }

    rv = cl_thread_start(&c->reader, reader_main, c, "claude-reader");
    if (rv != 0) {
        rv = cl_error_sys(err, CLAUDE_ESYS, rv, "cannot start a thread");
        goto out_destroy;
    }
    c->reader_started = true;

    rv = initialize(c, err);
    if (rv != 0) {
        goto out_destroy;
    }
    *out = c;
    return 0;

out_destroy:
    client_destroy(c, false);
    return rv;
}

/*
 * Talking
 */

static int
send_user(claude_client *c, json_t *content, claude_error *err)
{
    json_t *frame;
    int rv;

    if (content == NULL) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    frame = json_pack("{s:s,s:s,s:{s:s,s:o},s:n}", "type", "user", "session_id",
                      "", "message", "role", "user", "content", content,
                      "parent_tool_use_id");
    if (frame == NULL) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    rv = write_json(c, frame, err);
    json_decref(frame);
    return rv;
}

int
claude_client_send(claude_client *c, const char *text, claude_error *err)
{
    cl_out o;
    int rv;

    if (c == NULL || text == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no client or no text");
    }
    if (!cl_utf8_valid(text, strlen(text))) {
        return cl_error_set(err, CLAUDE_EINVAL, "the text is not UTF-8");
    }

    /* Written as text: the common message needs no jansson tree. */
    cl_out_init(&o);
    cl_out_str(&o, "{\"type\":\"user\",\"session_id\":\"\",\"message\":{"
                   "\"role\":\"user\",\"content\":");
    cl_out_quoted(&o, text);
    cl_out_str(&o, "},\"parent_tool_use_id\":null}");
    rv = cl_out_failed(&o) ? cl_error_set(err, CLAUDE_ENOMEM, "out of memory")
                           : claude_transport_write(c->tp, o.p, o.len, err);
    cl_out_free(&o);
    return session_cause(c, rv, err);
}

int
claude_client_send_content(claude_client *c, const char *content_json,
                           claude_error *err)
{
    json_error_t jerr;
    json_t *content;
    bool nomem;

    if (c == NULL || content_json == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no client or no content");
    }
    content =
        cl_json_load(content_json, strlen(content_json), 0, &jerr, &nomem);
    if (nomem) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    if (!json_is_array(content)) {
        json_decref(content);
        return cl_error_set(err, CLAUDE_EINVAL,
                            "content must be a JSON array of blocks%s%s",
                            content ? "" : ": ", content ? "" : jerr.text);
    }
    return send_user(c, content, err);
}

int
claude_client_receive(claude_client *c, claude_message **out, int timeout_ms,
                      claude_error *err)
{
    int64_t deadline = cl_deadline(timeout_ms);
    claude_message *dropped = NULL;
    claude_message *m;
    int rv = 0;

    if (c == NULL || out == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "missing argument");
    }
    *out = NULL;
    cl_lock(&c->q_mtx);
    c->q_waiters++;
    while (c->q_head == NULL && !c->ended &&
           cl_cond_wait_until(&c->q_cv, &c->q_mtx, deadline)) {
    }
    c->q_waiters--;
    m = c->q_head;
    if (m != NULL) {
        c->q_head = *cl_message_link(m);
        *cl_message_link(m) = NULL;
        if (c->q_head == NULL) {
            c->q_tail = NULL;
            notify_locked(c, c->ended);
        }
        c->q_bytes -= cl_message_size(m);
        /* Wake a paused reader once half the limit is free, not at
         * every message, so that it reads in long runs. */
        if (c->reader_paused && c->q_bytes <= c->max_buffered / 2) {
            pthread_cond_signal(&c->room_cv);
        }
        /* Another message for another waiting consumer. */
        if (c->q_head != NULL && c->q_waiters > 0) {
            pthread_cond_signal(&c->q_cv);
        }
        if (cl_message_dropped(m) > 0) {
            dropped = m;
        } else {
            *out = m;
        }
    } else if (c->ended) {
        rv = c->end_code;
        if (err != NULL) {
            *err = c->end_err;
        }
    } else {
        rv = cl_error_set(err, CLAUDE_ETIMEDOUT, "no message in time");
    }
    cl_unlock(&c->q_mtx);
    if (dropped != NULL) {
        rv = cl_error_set(err, CLAUDE_ETOOLONG,
                          "the CLI wrote a line of %zu bytes, longer than "
                          "the maximum line size, and it was dropped",
                          cl_message_dropped(dropped));
        if (err != NULL) {
            cl_strlcpy(err->line, claude_message_line(dropped, NULL),
                       sizeof(err->line));
            err->line_len = cl_message_dropped(dropped);
        }
        claude_message_free(dropped);
    }
    return rv;
}

int
claude_client_fd(claude_client *c)
{
    if (c == NULL) {
        return CLAUDE_EINVAL;
    }
    cl_lock(&c->q_mtx);
    if (!c->notify_used) {
        c->notify_used = true;
        notify_locked(c, c->q_head != NULL || c->ended);
    }
    cl_unlock(&c->q_mtx);
    return c->notify_rd;
}

int
claude_client_end_input(claude_client *c)
{
    if (c == NULL) {
        return CLAUDE_EINVAL;
    }
    return claude_transport_end_input(c->tp);
}

/*
 * Controls
 */

static int
simple_control(claude_client *c, json_t *request, json_t **out,
               claude_error *err)
{
    if (c == NULL) {
        json_decref(request);
        return cl_error_set(err, CLAUDE_EINVAL, "no client");
    }
    return control(c, request, c->control_timeout_ms, out, err);
}

int
claude_client_interrupt(claude_client *c, claude_error *err)
{
    return simple_control(c, json_pack("{s:s}", "subtype", "interrupt"), NULL,
                          err);
}

int
claude_client_set_permission_mode(claude_client *c, const char *mode,
                                  claude_error *err)
{
    if (mode == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no mode");
    }
    return simple_control(
        c,
        json_pack("{s:s,s:s}", "subtype", "set_permission_mode", "mode", mode),
        NULL, err);
}

int
claude_client_set_model(claude_client *c, const char *model, claude_error *err)
{
    json_t *req = json_pack("{s:s,s:o}", "subtype", "set_model", "model",
                            model ? json_string(model) : json_null());

    return simple_control(c, req, NULL, err);
}

int
claude_client_set_max_thinking_tokens(claude_client *c, long long tokens,
                                      claude_error *err)
{
    json_t *req =
        json_pack("{s:s,s:o}", "subtype", "set_max_thinking_tokens",
                  "max_thinking_tokens",
                  tokens < 0 ? json_null() : json_integer((json_int_t)tokens));

    return simple_control(c, req, NULL, err);
}

int
claude_client_mcp_status(claude_client *c, json_t **out, claude_error *err)
{
    return simple_control(c, json_pack("{s:s}", "subtype", "mcp_status"), out,
                          err);
}

int
claude_client_context_usage(claude_client *c, json_t **out, claude_error *err)
{
    return simple_control(c, json_pack("{s:s}", "subtype", "get_context_usage"),
                          out, err);
}

int
claude_client_rewind_files(claude_client *c, const char *user_message_id,
                           int dry_run, json_t **out, claude_error *err)
{
    if (user_message_id == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no user message id");
    }
    return simple_control(c,
                          json_pack("{s:s,s:s,s:b}", "subtype", "rewind_files",
                                    "user_message_id", user_message_id,
                                    "dry_run", dry_run),
                          out, err);
}

int
claude_client_stop_task(claude_client *c, const char *task_id,
                        claude_error *err)
{
    if (task_id == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no task id");
    }
    return simple_control(
        c, json_pack("{s:s,s:s}", "subtype", "stop_task", "task_id", task_id),
        NULL, err);
}

int
claude_client_mcp_reconnect(claude_client *c, const char *server,
                            claude_error *err)
{
    if (server == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no server name");
    }
    return simple_control(c,
                          json_pack("{s:s,s:s}", "subtype", "mcp_reconnect",
                                    "serverName", server),
                          NULL, err);
}

int
claude_client_mcp_toggle(claude_client *c, const char *server, int enabled,
                         claude_error *err)
{
    if (server == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no server name");
    }
    return simple_control(c,
                          json_pack("{s:s,s:s,s:b}", "subtype", "mcp_toggle",
                                    "serverName", server, "enabled", enabled),
                          NULL, err);
}

int
claude_client_control(claude_client *c, const char *subtype,
                      const char *fields_json, int timeout_ms, json_t **out,
                      claude_error *err)
{
    json_error_t jerr;
    json_t *req;
    bool nomem;

    if (c == NULL || subtype == NULL || subtype[0] == '\0') {
        return cl_error_set(err, CLAUDE_EINVAL, "no client or no subtype");
    }
    if (fields_json != NULL) {
        req = cl_json_load(fields_json, strlen(fields_json), 0, &jerr, &nomem);
        if (nomem) {
            return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
        }
        if (!json_is_object(req)) {
            json_decref(req);
            return cl_error_set(err, CLAUDE_EINVAL,
                                "the fields must be a JSON object");
        }
    } else {
        req = json_object();
    }
    if (req == NULL ||
        json_object_set_new(req, "subtype", json_string(subtype)) != 0) {
        json_decref(req);
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    return control(c, req, timeout_ms < 0 ? c->control_timeout_ms : timeout_ms,
                   out, err);
}

int
claude_client_stats(claude_client *c, claude_stats *out)
{
    unsigned long long wait_ns = 0;
    unsigned long long noise = 0;

    if (c == NULL || out == NULL) {
        return CLAUDE_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    out->can_use_tool = atomic_load(&c->st_can_use_tool);
    out->hook_callback = atomic_load(&c->st_hook_callback);
    out->mcp_message = atomic_load(&c->st_mcp_message);
    out->other_requests = atomic_load(&c->st_other);
    out->cancelled = atomic_load(&c->st_cancelled);
    out->peak_in_flight = atomic_load(&c->st_peak);
    out->bytes_in = atomic_load(&c->st_bytes_in);
    out->messages = atomic_load(&c->st_messages);
    out->bad_lines = atomic_load(&c->st_bad_lines);
    cl_transport_counters(c->tp, &out->bytes_out, &wait_ns, &noise);
    out->max_write_wait_us = wait_ns / 1000;
    out->bad_lines += noise;
    cl_lock(&c->pool_mtx);
    out->in_flight = c->in_flight;
    cl_unlock(&c->pool_mtx);
    return 0;
}

int
cl_client_wait_idle(claude_client *c, int timeout_ms)
{
    int64_t deadline = cl_deadline(timeout_ms);
    bool idle;

    cl_lock(&c->pool_mtx);
    while (!(idle = idle_locked(c)) &&
           cl_cond_wait_until(&c->idle_cv, &c->pool_mtx, deadline)) {
    }
    cl_unlock(&c->pool_mtx);
    return idle ? 0 : CLAUDE_ETIMEDOUT;
}

/*
 * Callbacks' view of a request
 */

const char *
claude_request_subtype(const claude_request *req)
{
    return req ? req->subtype : NULL;
}

const char *
claude_request_id(const claude_request *req)
{
    return req ? req->id : NULL;
}

/*
 * The line is parsed the first time a callback asks, on its thread.
 */
json_t *
claude_request_json(const claude_request *req)
{
    bool nomem;

    if (req == NULL) {
        return NULL;
    }
    return request_object((claude_request *)req, &nomem);
}

json_t *
claude_request_input(const claude_request *req)
{
    return json_object_get(claude_request_json(req), "input");
}

int
claude_request_cancelled(const claude_request *req)
{
    return req != NULL && atomic_load(&req->cancelled);
}

int
claude_request_set_error(claude_request *req, const char *text)
{
    char *copy;

    if (req == NULL || text == NULL) {
        return CLAUDE_EINVAL;
    }
    copy = strdup(text);
    if (copy == NULL) {
        return CLAUDE_ENOMEM;
    }
    free(req->error_text);
    req->error_text = copy;
    return 0;
}

/*
 * Closing
 */

/* Stop the pool: cancel what runs, drop what waits, join. */
static void
stop_workers(claude_client *c)
{
    claude_request *req;
    claude_request *next;
    unsigned int i;
    unsigned int n;

    cl_lock(&c->pool_mtx);
    c->stopping = true;
    for (req = c->inflight; req != NULL; req = req->inflight_next) {
        (void)cancel_once(req);
    }
    for (req = c->work_head; req != NULL; req = next) {
        next = req->next;
        inflight_remove_locked(c, req);
        c->in_flight--;
        request_free(req);
    }
    c->work_head = c->work_tail = NULL;
    c->queued = 0;
    pthread_cond_broadcast(&c->work_cv);
    n = c->nworkers;
    cl_unlock(&c->pool_mtx);

    for (i = 0; i < n; i++) {
        pthread_join(c->workers[i], NULL);
    }
    cl_lock(&c->pool_mtx);
    c->nworkers = 0;
    pthread_cond_broadcast(&c->idle_cv);
    cl_unlock(&c->pool_mtx);
}

/*
 * End input, let the CLI finish and exit within the grace period while
 * the reader goes on reading, then stop whatever is left.  A session
 * that never opened has nothing to finish: it is stopped at once.
 */
static void
shutdown_session(claude_client *c, bool graceful)
{
    int64_t deadline;
    int status;

    if (c->tp == NULL) {
        return;
    }
    /* The reader must reach the end of output, paused or not. */
    queue_unbound(c);
    if (graceful) {
        deadline = cl_deadline(
            (int)cl_options_int(c->opts, CLAUDE_OPT_CLOSE_GRACE_MS));
        (void)cl_transport_end_input_within(c->tp, cl_remaining(deadline));
        if (c->reader_started) {
            cl_lock(&c->q_mtx);
            while (!c->ended &&
                   cl_cond_wait_until(&c->end_cv, &c->q_mtx, deadline)) {
            }
            cl_unlock(&c->q_mtx);
        }
        (void)claude_transport_wait(c->tp, cl_remaining(deadline), &status);
    }
    (void)claude_transport_close(c->tp);
    if (c->reader_started) {
        pthread_join(c->reader, NULL);
        c->reader_started = false;
    }
}

/* Would closing c from this thread wait for the thread itself? */
static bool
own_thread(claude_client *c)
{
    return thread_of == c ||
           (c->tp != NULL && cl_transport_on_own_thread(c->tp));
}

static int
close_session(claude_client *c, bool graceful)
{
    if (own_thread(c)) {
        return CLAUDE_ERECURSIVE;
    }

    /*
     * One thread runs the close, holding no lock, since the log
     * callback may call in while it runs; the others wait for it.
     */
    cl_lock(&c->close_mtx);
    if (c->close_running && !c->closed &&
        pthread_equal(c->close_thread, pthread_self())) {
        cl_unlock(&c->close_mtx);
        return CLAUDE_ERECURSIVE;
    }
    while (c->close_running && !c->closed) {
        cl_cond_wait_until(&c->close_cv, &c->close_mtx, -1);
    }
    if (c->closed) {
        cl_unlock(&c->close_mtx);
        return 0;
    }
    c->close_running = true;
    c->close_thread = pthread_self();
    cl_unlock(&c->close_mtx);

    shutdown_session(c, graceful);
    stop_workers(c);

    cl_lock(&c->close_mtx);
    c->closed = true;
    pthread_cond_broadcast(&c->close_cv);
    cl_unlock(&c->close_mtx);
    return 0;
}

int
claude_client_close(claude_client *c)
{
    if (c == NULL) {
        return CLAUDE_EINVAL;
    }
    return close_session(c, true);
}

static void
client_destroy(claude_client *c, bool graceful)
{
    claude_message *m;
    claude_message *next;

    if (c->opts != NULL) {
        (void)close_session(c, graceful);
    }
    for (m = c->q_head; m != NULL; m = next) {
        next = *cl_message_link(m);
        claude_message_free(m);
    }
    claude_transport_free(c->tp);
    cl_mcp_session_free(c->mcp);
    claude_options_free(c->opts);
    free(c->workers);
    free(c->last_result);
    close(c->notify_rd);
    close(c->notify_wr);
    pthread_cond_destroy(&c->close_cv);
    pthread_mutex_destroy(&c->close_mtx);
    pthread_cond_destroy(&c->idle_cv);
    pthread_cond_destroy(&c->work_cv);
    pthread_mutex_destroy(&c->pool_mtx);
    pthread_cond_destroy(&c->ctl_cv);
    pthread_mutex_destroy(&c->ctl_mtx);
    pthread_cond_destroy(&c->end_cv);
    pthread_cond_destroy(&c->room_cv);
    pthread_cond_destroy(&c->q_cv);
    pthread_mutex_destroy(&c->q_mtx);
    free(c);
}

void
claude_client_free(claude_client *c)
{
    if (c == NULL) {
        return;
    }
    if (claude_client_close(c) == CLAUDE_ERECURSIVE) {
        cl_log(&c->log, CLAUDE_LOG_ERROR,
               "claude_client_free called from a thread of the same "
               "client; the client is not freed");
        return;
    }
    client_destroy(c, true);
}
