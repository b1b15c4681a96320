/*
 * stress.c: many sessions opened and closed at once against the fake
 * CLI, then a count of what they left behind.
 *
 *   stress [-f FAKE_CLI] [-n SESSIONS] [-t THREADS] [-c CONCURRENT]
 *
 * THREADS driver threads (default 8) keep CONCURRENT sessions (default
 * 32) open at once, SESSIONS (default 1000) in all; STRESS_SESSIONS,
 * STRESS_THREADS, STRESS_CONCURRENT and FAKE_CLI set the same.  Each
 * driver polls the descriptors of its sessions (claude_client_fd) and
 * steps each session through its script.  One claude_mcp_server serves
 * every session.  Sessions come in six kinds, by their index:
 *
 *   normal        (the rest) the child checks it inherited no
 *                 descriptor; a message and its reply, set_model, two
 *                 permission checks and two MCP tool calls answered at
 *                 once on workers, a prompt read to its result, close;
 *   closed early  (index % 10 == 3) a flood fills the queue past
 *                 max_buffered; closed with the flood unread, two
 *                 permission callbacks waiting for a cancel and a
 *                 control request of ours unanswered, whose thread
 *                 closes too, at the same time; half are then read to
 *                 the end, half freed unread;
 *   killed        (index % 10 == 6) the child is sent SIGKILL with the
 *                 same requests pending;
 *   stuck         (index % 20 == 9) the child ignores its input and
 *                 SIGTERM, so close must end it with SIGKILL;
 *   refused       (index % 40 == 19) the child exits 7 before it
 *                 answers initialize: the open fails and says why;
 *   silent        (index % 40 == 39) the child never answers: the open
 *                 times out.
 *
 * At the end, one line per check: every session opened, closed and
 * scripted as planned, every request answered or cancelled as planned,
 * nothing logged at error level, no descriptor, thread or child left
 * over.  Then "N passed, N failed"; the exit status is 1 on any
 * failure.  When nothing moves for STRESS_STALL_S seconds (default
 * 120), the run stops as a deadlock, naming the sessions that hang.
 *
 * STRESS_SABOTAGE=fd, thread, zombie or child leaks one of those on
 * purpose, to show that the check guarding against it fails.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "claude.h"

#define MAX_THREADS 256
#define MAX_FDS 4096
#define SPEC_MAX 4096
#define FAILURES_SHOWN 20

/* What separates the fake CLI's actions in FAKE_CLI_ARGS. */
#define SEP "\x1f"

/* How long a permission callback waits for the cancel it expects. */
#define BLOCK_LIMIT_MS 60000

/* How often a driver looks at sessions it does not poll. */
#define TICK_MS 10

/* Flood lines a session closed early leaves unread, about 1 KiB each,
 * and the unread bytes at which its reader pauses. */
#define FLOOD_LINES 20
#define EARLY_MAX_BUFFERED 4096

/* Grace periods of a stuck session: short, so close escalates soon. */
#define STUCK_GRACE_MS 100

/* How long a silent session waits for its initialize reply. */
#define SILENT_INIT_MS 300

enum kind {
    KIND_NORMAL,
    KIND_EARLY,
    KIND_KILLED,
    KIND_STUCK,
    KIND_REFUSED,
    KIND_SILENT,
    KINDS
};

static const char *const kind_names[KINDS] = {
    "normal", "closed early", "killed", "stuck", "refused", "silent"};

/* Where a session is in its script. */
enum step {
    STEP_SYSTEM,  /* killed: the child's pid first, then system */
    STEP_FDS,     /* normal: what the child inherited */
    STEP_HELLO,   /* normal: the reply to "hello" */
    STEP_BURST,   /* normal: the permission burst's report */
    STEP_MCP,     /* normal: the MCP burst's report */
    STEP_ANSWER,  /* normal: the reply to the prompt */
    STEP_RESULT,  /* normal: the result */
    STEP_END,     /* every kind: the end of the session */
    STEP_BLOCKED, /* early and killed: until both callbacks wait */
    STEP_DONE
};

typedef struct session {
    int index;
    enum kind kind;
    _Atomic enum step step; /* atomic for the watchdog's report */
    claude_client *c;
    pid_t pid;            /* killed: the child, as it reported itself */
    atomic_llong last_ms; /* when it last moved */
    atomic_int blocked;   /* permission callbacks waiting for a cancel */
    pthread_t pending;    /* a control request the CLI never answers */
    bool pending_started;
    int pending_rv;
    int pending_close_rv;
    atomic_bool stderr_seen; /* refused: its last words reached us */
    int flood_seen;          /* closed early: flood lines read after close */
    bool report_seen;        /* closed early: the fake's burst report, too */
    bool failed;
} session;

/* What every session adds up to. */
static struct totals {
    atomic_int opened;
    atomic_int closed;
    atomic_int failed;
    atomic_int by_kind[KINDS];
    atomic_int permission_calls;
    atomic_int permission_cancelled;
    atomic_int tool_calls;
    atomic_int cli_answered;      /* CLI requests the fake saw answered */
    atomic_int control_answered;  /* our control requests answered */
    atomic_int pending_completed; /* unanswered ones that still ended */
    atomic_int messages;
    atomic_int errors_logged;
    atomic_int progress;
} totals;

static const char *fake_path;
static int nsessions = 1000;
static int nthreads = 8;
static int nconcurrent = 32;
static int per_thread;
static atomic_int next_index;
static claude_mcp_server *server;

static pthread_mutex_t print_mtx = PTHREAD_MUTEX_INITIALIZER;
static int failures_printed;

/* The sessions each driver holds, for the watchdog's report. */
static session **slots;
static pthread_mutex_t slots_mtx = PTHREAD_MUTEX_INITIALIZER;

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static enum kind
kind_of(int index)
{
    if (index % 10 == 3) {
        return KIND_EARLY;
    }
    if (index % 10 == 6) {
        return KIND_KILLED;
    }
    if (index % 20 == 9) {
        return KIND_STUCK;
    }
    if (index % 40 == 19) {
        return KIND_REFUSED;
    }
    if (index % 40 == 39) {
        return KIND_SILENT;
    }
    return KIND_NORMAL;
}

/* Mark s failed and say why, for the first few failures. */
static void fail(session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(session *s, const char *fmt, ...)
{
    va_list ap;

    if (s->failed) {
        return;
    }
    s->failed = true;
    atomic_fetch_add(&totals.failed, 1);
    pthread_mutex_lock(&print_mtx);
    if (failures_printed++ < FAILURES_SHOWN) {
        printf("        session %d (%s), step %d: ", s->index,
               kind_names[s->kind], (int)s->step);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
    }
    pthread_mutex_unlock(&print_mtx);
}

/* The first line of an error's stderr tail, for a failure report. */
static const char *
first_line(claude_error *err, char *buf, size_t size)
{
    size_t n = strcspn(err->stderr_tail, "\n");

    if (n >= size) {
        n = size - 1;
    }
    memcpy(buf, err->stderr_tail, n);
    buf[n] = '\0';
    return buf;
}

static void
fail_call(session *s, const char *what, int rv, claude_error *err)
{
    char tail[160];

    fail(s, "%s: %s: %s [%s]", what, claude_strerror(rv), err->message,
         first_line(err, tail, sizeof(tail)));
}

/*
 * Callbacks
 */

static void
on_log(int level, const char *msg, void *user)
{
    (void)user;
    if (level <= CLAUDE_LOG_ERROR) {
        atomic_fetch_add(&totals.errors_logged, 1);
        pthread_mutex_lock(&print_mtx);
        printf("        library error: %s\n", msg);
        pthread_mutex_unlock(&print_mtx);
    }
}

/*
 * A normal session's checks are allowed, with their input echoed.  The
 * other kinds keep theirs waiting until close or the child's death
 * cancels them.
 */
static int
on_permission(claude_request *req, const claude_permission *perm,
              claude_permission_result *result, void *user)
{
    session *s = user;
    int64_t limit;

    atomic_fetch_add(&totals.permission_calls, 1);
    if (strcmp(perm->tool_name, "Bash") != 0) {
        (void)claude_request_set_error(req, "unexpected tool");
        return 1;
    }
    if (s->kind == KIND_NORMAL) {
        result->allow = 1;
        return 0;
    }

    atomic_fetch_add(&s->blocked, 1);
    limit = now_ms() + BLOCK_LIMIT_MS;
    while (!claude_request_cancelled(req) && now_ms() < limit) {
        sleep_ms(2);
    }
    if (claude_request_cancelled(req)) {
        atomic_fetch_add(&totals.permission_cancelled, 1);
    }
    result->message = "stopped by the stress test";
    return 0;
}

/* A refused session's child says why on stderr before it exits. */
static void
on_stderr(const char *line, size_t len, void *user)
{
    session *s = user;
    char want[64];
    int n = snprintf(want, sizeof(want), "refusing to start %d", s->index);

    if (len == (size_t)n && memcmp(line, want, len) == 0) {
        atomic_store(&s->stderr_seen, true);
    }
}

/* The shared server's tool: a + b. */
static int
add_tool(claude_mcp_call *call, json_t *args, void *user)
{
    char text[64];

    (void)user;
    atomic_fetch_add(&totals.tool_calls, 1);
    snprintf(text, sizeof(text), "%lld",
             (long long)(json_integer_value(json_object_get(args, "a")) +
                         json_integer_value(json_object_get(args, "b"))));
    return claude_mcp_call_add_text(call, text);
}

/*
 * Opening
 */

/* Append one action to a FAKE_CLI_ARGS list. */
static void spec_add(char *spec, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
spec_add(char *spec, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*used > 0 && *used < SPEC_MAX - 1) {
        spec[(*used)++] = SEP[0];
        spec[*used] = '\0';
    }
    va_start(ap, fmt);
    n = vsnprintf(spec + *used, SPEC_MAX - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= SPEC_MAX - *used) {
        fprintf(stderr, "stress: a fake CLI script is too long\n");
        exit(2);
    }
    *used += (size_t)n;
}

/* The line claude_client_send() writes for text. */
static void
spec_expect_user(char *spec, size_t *used, const char *text)
{
    spec_add(spec, used,
             "expect" SEP "{\"type\":\"user\",\"session_id\":\"\",\"message\":{"
             "\"role\":\"user\",\"content\":\"%s\"},"
             "\"parent_tool_use_id\":null}",
             text);
}

static void
spec_assistant(char *spec, size_t *used, int index, const char *text)
{
    spec_add(spec, used,
             "send" SEP "{\"type\":\"assistant\",\"message\":{\"model\":"
             "\"fake\",\"content\":[{\"type\":\"text\",\"text\":\"%s %d\"}]},"
             "\"session_id\":\"stress-%d\"}",
             text, index, index);
}

/* The fake CLI's script for session s. */
static void
make_script(const session *s, char *spec)
{
    size_t used = 0;
    char text[64];
    int i = s->index;

    spec[0] = '\0';
    if (s->kind == KIND_REFUSED) {
        spec_add(spec, &used, "stderr" SEP "refusing to start %d", i);
        spec_add(spec, &used, "exit" SEP "7");
        return;
    }
    if (s->kind == KIND_SILENT) {
        spec_add(spec, &used, "noread");
        return;
    }
    spec_add(spec, &used, "init");
    if (s->kind == KIND_KILLED) {
        spec_add(spec, &used, "ids");
    }
    spec_add(spec, &used,
             "send" SEP "{\"type\":\"system\",\"subtype\":\"init\","
             "\"session_id\":\"stress-%d\"}",
             i);
    if (s->kind == KIND_NORMAL) {
        spec_add(spec, &used, "fds");
    }

    switch (s->kind) {
    case KIND_NORMAL:
        snprintf(text, sizeof(text), "hello %d", i);
        spec_expect_user(spec, &used, text);
        spec_assistant(spec, &used, i, "hi");
        spec_add(spec, &used,
                 "answer-raw" SEP "set_model" SEP "{\"subtype\":"
                 "\"success\",\"response\":{}}");
        spec_add(spec, &used, "burst" SEP "2");
        spec_add(spec, &used,
                 "mcp-burst" SEP "2" SEP "stress" SEP
                 "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":"
                 "\"tools/call\",\"params\":{\"name\":\"add\",\"arguments\":"
                 "{\"a\":%d,\"b\":1}}}",
                 i);
        snprintf(text, sizeof(text), "prompt %d", i);
        spec_expect_user(spec, &used, text);
        spec_assistant(spec, &used, i, "answer");
        spec_add(spec, &used,
                 "send" SEP "{\"type\":\"result\",\"subtype\":\"success\","
                 "\"is_error\":false,\"result\":\"%d\",\"session_id\":"
                 "\"stress-%d\"}",
                 i + 1, i);
        spec_add(spec, &used, "wait-eof");
        break;
    case KIND_EARLY:
        spec_add(spec, &used, "flood-stdout" SEP "%d", FLOOD_LINES);
        /* fall through */
    case KIND_KILLED:
        spec_add(spec, &used, "burst" SEP "2");
        spec_add(spec, &used, "wait-eof");
        break;
    case KIND_STUCK:
        spec_add(spec, &used, "ignore-term");
        spec_add(spec, &used, "noread");
        break;
    default:
        break;
    }
}

/*
 * A child that exits or stays silent before it answers initialize
 * makes the open fail, with the cause, and its stderr is read to the
 * end before the open returns.  (The error's stderr tail is not
 * checked: it holds what the stderr thread had read within a bounded
 * wait, and under valgrind the thread can be slower than that.)
 * Returns non-zero: there is no session to drive.
 */
static int
refused(session *s, int rv, claude_error *err)
{
    if (rv == 0) {
        fail(s, "opened a session that should have failed");
        claude_client_free(s->c);
        s->c = NULL;
    } else if (s->kind == KIND_REFUSED &&
               (rv != CLAUDE_ECHILDEXIT || err->exit_code != 7 ||
                !atomic_load(&s->stderr_seen))) {
        fail_call(s, "a child that exited 7 was not reported", rv, err);
    } else if (s->kind == KIND_SILENT && rv != CLAUDE_ETIMEDOUT) {
        fail_call(s, "a silent child did not time out", rv, err);
    } else {
        atomic_fetch_add(&totals.by_kind[s->kind], 1);
    }
    return CLAUDE_ECLOSED;
}

static int
open_session(session *s)
{
    claude_options *o = NULL;
    claude_error err;
    char spec[SPEC_MAX];
    int rv;

    make_script(s, spec);
    rv = claude_options_new(&o);
    if (rv == 0) {
        rv = claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, fake_path);
    }
    if (rv == 0) {
        rv = claude_options_set_env(o, "FAKE_CLI_ARGS", spec);
    }
    if (rv == 0) {
        rv = claude_options_set_permission_cb(o, on_permission, s);
    }
    if (rv == 0) {
        rv = claude_options_add_mcp_server(o, server);
    }
    if (rv == 0) {
        rv = claude_options_set_log_cb(o, on_log, NULL);
    }
    if (rv == 0 && s->kind == KIND_REFUSED) {
        rv = claude_options_set_stderr_cb(o, on_stderr, s);
    }
    if (rv == 0 && s->kind == KIND_EARLY) {
        /* The flood fills the queue: the reader must pause, then go on
         * for the control request of ours that waits behind it. */
        rv = claude_options_set_int(o, CLAUDE_OPT_MAX_BUFFERED,
                                    EARLY_MAX_BUFFERED);
    }
    if (rv == 0 && s->kind == KIND_SILENT) {
        rv = claude_options_set_int(o, CLAUDE_OPT_INIT_TIMEOUT_MS,
                                    SILENT_INIT_MS);
    }
    if (rv == 0 && s->kind == KIND_STUCK) {
        rv = claude_options_set_int(o, CLAUDE_OPT_CLOSE_GRACE_MS,
                                    STUCK_GRACE_MS);
        if (rv == 0) {
            rv = claude_options_set_int(o, CLAUDE_OPT_TERM_GRACE_MS,
                                        STUCK_GRACE_MS);
        }
    }
    if (rv != 0) {
        claude_options_free(o);
        fail(s, "options: %s", claude_strerror(rv));
        return rv;
    }

    rv = claude_client_new(&s->c, o, &err);
    claude_options_free(o);
    if (s->kind == KIND_REFUSED || s->kind == KIND_SILENT) {
        return refused(s, rv, &err);
    }
    if (rv != 0) {
        fail_call(s, "claude_client_new", rv, &err);
        return rv;
    }
    atomic_fetch_add(&totals.opened, 1);
    atomic_fetch_add(&totals.control_answered, 1); /* initialize */
    atomic_fetch_add(&totals.by_kind[s->kind], 1);
    atomic_store(&s->last_ms, now_ms());
    return 0;
}

/*
 * The script, seen from the application
 */

static void *
pending_main(void *arg)
{
    session *s = arg;
    claude_error err;

    s->pending_rv =
        claude_client_control(s->c, "stress_unanswered", NULL, -1, NULL, &err);

    /* Its close may run at the same time as the driver's. */
    s->pending_close_rv = claude_client_close(s->c);
    return NULL;
}

static void
start_pending(session *s)
{
    if (pthread_create(&s->pending, NULL, pending_main, s) != 0) {
        fail(s, "cannot start a thread");
        return;
    }
    s->pending_started = true;
}

/* The unanswered request must have ended with the session. */
static void
join_pending(session *s, int want)
{
    if (!s->pending_started) {
        return;
    }
    pthread_join(s->pending, NULL);
    s->pending_started = false;
    if (s->pending_close_rv != 0) {
        fail(s, "a second close returned %s",
             claude_strerror(s->pending_close_rv));
    } else if (s->pending_rv == 0 || s->pending_rv == CLAUDE_ETIMEDOUT) {
        fail(s, "an unanswered control request ended with %s",
             claude_strerror(s->pending_rv));
    } else if (want != 0 && s->pending_rv != want) {
        fail(s, "an unanswered control request ended with %s, not %s",
             claude_strerror(s->pending_rv), claude_strerror(want));
    } else {
        atomic_fetch_add(&totals.pending_completed, 1);
    }
}

static json_t *
member(json_t *j, const char *key)
{
    return json_object_get(j, key);
}

static long long
int_member(json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

/* Is m an assistant message whose text is "word index"? */
static bool
is_reply(session *s, claude_message *m, const char *word)
{
    char want[64];
    const char *text = claude_message_text(m);

    snprintf(want, sizeof(want), "%s %d", word, s->index);
    return strcmp(claude_message_type(m), "assistant") == 0 && text != NULL &&
           strcmp(text, want) == 0;
}

static void
send_text(session *s, const char *word)
{
    claude_error err;
    char text[64];
    int rv;

    snprintf(text, sizeof(text), "%s %d", word, s->index);
    rv = claude_client_send(s->c, text, &err);
    if (rv != 0) {
        fail_call(s, "claude_client_send", rv, &err);
    }
}

static void
normal_step(session *s, claude_message *m)
{
    json_t *j = claude_message_json(m);
    claude_error err;
    char want[32];
    int rv;

    switch (s->step) {
    case STEP_FDS:
        /* Another session's pipes, open as this child started, must
         * not have reached it. */
        if (!json_is_integer(member(j, "fds")) || int_member(j, "fds") != 0) {
            fail(s, "the child inherited descriptors: %s",
                 claude_message_line(m, NULL));
            return;
        }
        send_text(s, "hello");
        s->step = STEP_HELLO;
        return;
    case STEP_HELLO:
        if (!is_reply(s, m, "hi")) {
            fail(s, "expected the reply to hello, got %s",
                 claude_message_line(m, NULL));
            return;
        }
        rv = claude_client_set_model(s->c, "stress-model", &err);
        if (rv != 0) {
            fail_call(s, "claude_client_set_model", rv, &err);
            return;
        }
        atomic_fetch_add(&totals.control_answered, 1);
        s->step = STEP_BURST;
        return;
    case STEP_BURST:
        if (strcmp(claude_message_type(m), "burst_report") != 0 ||
            int_member(j, "answered") != 2 || int_member(j, "allowed") != 2 ||
            int_member(j, "twice") != 0 || int_member(j, "stray") != 0) {
            fail(s, "bad permission burst: %s", claude_message_line(m, NULL));
            return;
        }
        atomic_fetch_add(&totals.cli_answered, 2);
        s->step = STEP_MCP;
        return;
    case STEP_MCP:
        if (strcmp(claude_message_type(m), "mcp_burst_report") != 0 ||
            int_member(j, "answered") != 2 || int_member(j, "ok") != 2 ||
            int_member(j, "twice") != 0) {
            fail(s, "bad MCP burst: %s", claude_message_line(m, NULL));
            return;
        }
        atomic_fetch_add(&totals.cli_answered, 2);
        send_text(s, "prompt");
        s->step = STEP_ANSWER;
        return;
    case STEP_ANSWER:
        if (!is_reply(s, m, "answer")) {
            fail(s, "expected the answer, got %s",
                 claude_message_line(m, NULL));
            return;
        }
        s->step = STEP_RESULT;
        return;
    case STEP_RESULT:
        snprintf(want, sizeof(want), "%d", s->index + 1);
        if (strcmp(claude_message_type(m), "result") != 0 ||
            claude_message_is_error(m) || claude_message_result(m) == NULL ||
            strcmp(claude_message_result(m), want) != 0) {
            fail(s, "expected the result, got %s",
                 claude_message_line(m, NULL));
            return;
        }
        s->step = STEP_END;
        return;
    default:
        fail(s, "unexpected message %s", claude_message_line(m, NULL));
        return;
    }
}

/* The first messages: a killed child's pid, then system init. */
static void
first_step(session *s, claude_message *m)
{
    json_t *j = claude_message_json(m);
    json_t *pid = member(j, "pid");

    if (s->kind == KIND_KILLED && s->pid <= 0) {
        if (!json_is_integer(pid) || json_integer_value(pid) <= 1 ||
            int_member(j, "pgid") != json_integer_value(pid)) {
            fail(s, "expected the child's ids, got %s",
                 claude_message_line(m, NULL));
            return;
        }
        s->pid = (pid_t)json_integer_value(pid);
        return;
    }
    if (strcmp(claude_message_type(m), "system") != 0 ||
        claude_message_subtype(m) == NULL ||
        strcmp(claude_message_subtype(m), "init") != 0) {
        fail(s, "expected system init, got %s", claude_message_line(m, NULL));
        return;
    }

    switch (s->kind) {
    case KIND_NORMAL:
        s->step = STEP_FDS;
        break;
    case KIND_EARLY:
    case KIND_KILLED:
        start_pending(s);
        s->step = STEP_BLOCKED;
        break;
    case KIND_STUCK:
        /* The child reads nothing more: close must kill it. */
        (void)claude_client_close(s->c);
        s->step = STEP_END;
        break;
    default:
        break;
    }
}

/*
 * After close, a session closed early still gives every line the CLI
 * wrote: the flood it had left unread, then the burst report the fake
 * wrote when its input ended, which no answer can have reached.
 */
static void
early_message(session *s, claude_message *m)
{
    json_t *j = claude_message_json(m);

    if (strcmp(claude_message_type(m), "flood") == 0 &&
        int_member(j, "i") == s->flood_seen && !s->report_seen) {
        s->flood_seen++;
    } else if (strcmp(claude_message_type(m), "burst_report") == 0 &&
               int_member(j, "answered") == 0 && !s->report_seen) {
        s->report_seen = true;
    } else {
        fail(s, "after %d flood lines: %s", s->flood_seen,
             claude_message_line(m, NULL));
    }
}

static void
on_message(session *s, claude_message *m)
{
    atomic_fetch_add(&totals.messages, 1);
    if (s->step == STEP_SYSTEM) {
        first_step(s, m);
    } else if (s->kind == KIND_EARLY && s->step == STEP_END) {
        early_message(s, m);
    } else if (s->kind == KIND_NORMAL) {
        normal_step(s, m);
    } else {
        fail(s, "unexpected message %s", claude_message_line(m, NULL));
    }
    claude_message_free(m);
}

/* The session ended with rv: was that the plan? */
static void
on_end(session *s, int rv, claude_error *err)
{
    if (s->step != STEP_END) {
        fail_call(s, "the session ended early", rv, err);
    } else if (s->kind == KIND_NORMAL && rv != CLAUDE_EEOF) {
        fail_call(s, "a finished session did not end cleanly", rv, err);
    } else if (s->kind == KIND_KILLED &&
               (rv != CLAUDE_ECHILDEXIT || err->exit_signal != SIGKILL)) {
        fail_call(s, "a killed child was not reported killed", rv, err);
    } else if (s->kind == KIND_EARLY &&
               (s->flood_seen != FLOOD_LINES || !s->report_seen)) {
        fail_call(s, "lines were lost at close", rv, err);
    }
    join_pending(s, s->kind == KIND_KILLED ? CLAUDE_ECHILDEXIT : 0);
    s->step = STEP_DONE;
}

/*
 * Sessions waiting for both permission callbacks to block are not
 * polled; once they block, the session is closed or its child killed.
 */
static void
tick(session *s)
{
    if (s->step != STEP_BLOCKED) {
        return;
    }
    if (atomic_load(&s->blocked) < 2) {
        return;
    }
    atomic_store(&s->last_ms, now_ms());
    s->step = STEP_END;
    if (s->kind == KIND_KILLED) {
        if (kill(s->pid, SIGKILL) != 0) {
            fail(s, "cannot kill the child: %d", errno);
        }
        return;
    }
    (void)claude_client_close(s->c);
    /* Every other such session is freed with its messages unread. */
    if (s->index % 20 == 13) {
        join_pending(s, 0);
        s->step = STEP_DONE;
    }
}

/* Read what s has; false once it is done. */
static bool
pump(session *s)
{
    claude_message *m;
    claude_error err;
    int rv;

    while (s->step != STEP_DONE && s->step != STEP_BLOCKED && !s->failed) {
        rv = claude_client_receive(s->c, &m, 0, &err);
        if (rv == CLAUDE_ETIMEDOUT) {
            break;
        }
        atomic_store(&s->last_ms, now_ms());
        atomic_fetch_add(&totals.progress, 1);
        if (rv != 0) {
            on_end(s, rv, &err);
            break;
        }
        on_message(s, m);
        /* A normal session closes once it has its result. */
        if (s->kind == KIND_NORMAL && s->step == STEP_END) {
            (void)claude_client_close(s->c);
        }
    }
    return s->step != STEP_DONE && !s->failed;
}

static void
finish(session *s)
{
    claude_stats st;
    int rv;

    if (s->c != NULL && s->kind == KIND_NORMAL && !s->failed &&
        claude_client_stats(s->c, &st) == 0 &&
        (st.can_use_tool != 2 || st.mcp_message != 2)) {
        fail(s, "stats: %llu permission checks, %llu MCP messages, not 2",
             st.can_use_tool, st.mcp_message);
    }
    /* Closing again is allowed, and must say so. */
    if (s->c != NULL && (rv = claude_client_close(s->c)) != 0) {
        fail(s, "claude_client_close: %s", claude_strerror(rv));
    } else if (s->c != NULL) {
        atomic_fetch_add(&totals.closed, 1);
    }
    join_pending(s, 0);
    claude_client_free(s->c);
    s->c = NULL;
    atomic_fetch_add(&totals.progress, 1);
}

/*
 * Drivers
 */

static session *
take_session(void)
{
    int index = atomic_fetch_add(&next_index, 1);
    session *s;

    if (index >= nsessions) {
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        fprintf(stderr, "stress: out of memory\n");
        exit(2);
    }
    s->index = index;
    s->kind = kind_of(index);
    s->step = STEP_SYSTEM;
    atomic_init(&s->blocked, 0);
    atomic_init(&s->stderr_seen, false);
    if (open_session(s) != 0) {
        s->step = STEP_DONE;
    }
    return s;
}

static void
set_slot(int base, int i, session *s)
{
    pthread_mutex_lock(&slots_mtx);
    slots[base + i] = s;
    pthread_mutex_unlock(&slots_mtx);
}

static void *
driver_main(void *arg)
{
    int base = (int)(intptr_t)arg * per_thread;
    session *mine[64] = {NULL};
    struct pollfd pfd[64];
    int who[64];
    bool more = true;
    int active;
    int n;
    int i;

    for (;;) {
        /* Fill the free slots while sessions remain. */
        for (i = 0; i < per_thread && more; i++) {
            if (mine[i] == NULL) {
                mine[i] = take_session();
                more = mine[i] != NULL;
                set_slot(base, i, mine[i]);
            }
        }

        /* Poll the sessions that are reading. */
        n = 0;
        active = 0;
        for (i = 0; i < per_thread; i++) {
            if (mine[i] == NULL) {
                continue;
            }
            active++;
            tick(mine[i]);
            if (mine[i]->c != NULL && mine[i]->step != STEP_BLOCKED &&
                mine[i]->step != STEP_DONE && !mine[i]->failed) {
                pfd[n].fd = claude_client_fd(mine[i]->c);
                pfd[n].events = POLLIN;
                pfd[n].revents = 0;
                who[n++] = i;
            }
        }
        if (active == 0 && !more) {
            break;
        }
        if (poll(pfd, (nfds_t)n, TICK_MS) < 0 && errno != EINTR) {
            perror("stress: poll");
            exit(2);
        }
        for (i = 0; i < n; i++) {
            if (pfd[i].revents != 0) {
                (void)pump(mine[who[i]]);
            }
        }

        /* Free the sessions that are done. */
        for (i = 0; i < per_thread; i++) {
            if (mine[i] != NULL &&
                (mine[i]->step == STEP_DONE || mine[i]->failed)) {
                set_slot(base, i, NULL);
                finish(mine[i]);
                free(mine[i]);
                mine[i] = NULL;
            }
        }
    }
    return NULL;
}

/*
 * The watchdog: a run that stops moving is a deadlock.  It names the
 * sessions that hang and ends the process.
 */
static pthread_mutex_t watch_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cv = PTHREAD_COND_INITIALIZER;
static bool watch_stop;
static int stall_ms = 120000;

static void
report_stall(void)
{
    int64_t now = now_ms();
    session *s;
    int i;

    pthread_mutex_lock(&print_mtx);
    printf("FAIL  no deadlock: nothing moved for %d s\n", stall_ms / 1000);
    pthread_mutex_lock(&slots_mtx);
    for (i = 0; i < nthreads * per_thread; i++) {
        s = slots[i];
        if (s != NULL) {
            printf("        session %d (%s): step %d, %lld ms idle, "
                   "%d callbacks blocked\n",
                   s->index, kind_names[s->kind], (int)s->step,
                   (long long)(now - atomic_load(&s->last_ms)),
                   atomic_load(&s->blocked));
        }
    }
    pthread_mutex_unlock(&slots_mtx);
    printf("0 passed, 1 failed\n");
    fflush(stdout);
    _exit(1);
}

static void *
watchdog_main(void *arg)
{
    struct timespec ts;
    int64_t still_since = now_ms();
    int last = -1;
    int now;

    (void)arg;
    pthread_mutex_lock(&watch_mtx);
    while (!watch_stop) {
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&watch_cv, &watch_mtx, &ts);
        now = atomic_load(&totals.progress) + atomic_load(&totals.opened);
        if (now != last) {
            last = now;
            still_since = now_ms();
        } else if (now_ms() - still_since > stall_ms) {
            report_stall();
        }
    }
    pthread_mutex_unlock(&watch_mtx);
    return NULL;
}

/*
 * What the process holds: descriptors, threads, children
 */

typedef struct fd_set_list {
    int n;
    int fd[MAX_FDS];
} fd_set_list;

static void
list_fds(fd_set_list *l)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    l->n = 0;
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL && l->n < MAX_FDS) {
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d)) {
            l->fd[l->n++] = atoi(e->d_name);
        }
    }
    closedir(d);
}

static bool
has_fd(const fd_set_list *l, int fd)
{
    int i;

    for (i = 0; i < l->n; i++) {
        if (l->fd[i] == fd) {
            return true;
        }
    }
    return false;
}

/*
 * What this process inherited (from make, say) stays out of the
 * children, so that a child that finds a descriptor above 2 found one
 * the library let through.
 */
static void
keep_fds_from_children(const fd_set_list *l)
{
    int i;

    for (i = 0; i < l->n; i++) {
        if (l->fd[i] > 2) {
            (void)fcntl(l->fd[i], F_SETFD, FD_CLOEXEC);
        }
    }
}

static int
count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;

    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n;
}

/* Processes whose parent is this one, from /proc. */
static int
count_children(char *names, size_t size)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[300];
    char buf[512];
    char state;
    long ppid;
    size_t used = 0;
    FILE *f;
    char *p;
    int n = 0;

    names[0] = '\0';
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') {
            continue;
        }
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (f == NULL) {
            continue;
        }
        p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
        fclose(f);
        if (p != NULL && sscanf(p + 1, " %c %ld", &state, &ppid) == 2 &&
            ppid == (long)getpid()) {
            n++;
            if (used < size) {
                used += (size_t)snprintf(names + used, size - used, " %s(%c)",
                                         e->d_name, state);
            }
        }
    }
    closedir(d);
    return n;
}

static void *
warm_up(void *arg)
{
    return arg;
}

/*
 * Leaks on purpose, so that a check can be seen to fail.
 */
static void *
sabotage_thread(void *arg)
{
    (void)arg;
    for (;;) {
        pause();
    }
    return NULL;
}

static void
sabotage(const char *what)
{
    pthread_t t;
    pid_t pid;

    if (what == NULL || what[0] == '\0') {
        return;
    }
    printf("stress: leaking a %s on purpose (STRESS_SABOTAGE)\n", what);
    if (strcmp(what, "fd") == 0) {
        (void)open("/dev/null", O_RDONLY);
    } else if (strcmp(what, "thread") == 0) {
        if (pthread_create(&t, NULL, sabotage_thread, NULL) == 0) {
            pthread_detach(t);
        }
    } else if (strcmp(what, "zombie") == 0 || strcmp(what, "child") == 0) {
        pid = fork();
        if (pid == 0) {
            /* A live child lets go of our output, and goes in time. */
            if (strcmp(what, "child") == 0) {
                close(1);
                close(2);
                sleep_ms(60000);
            }
            _exit(0);
        }
        sleep_ms(100);
    }
}

/*
 * Checks
 */

static int npassed;
static int nfailed;

static void check(bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
check(bool ok, const char *name, const char *fmt, ...)
{
    va_list ap;

    printf("%s  %s: ", ok ? "pass" : "FAIL", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (ok) {
        npassed++;
    } else {
        nfailed++;
    }
}

static void
check_fds(const fd_set_list *before)
{
    fd_set_list after;
    char target[256];
    char path[64];
    char extra[1024];
    size_t used = 0;
    ssize_t n;
    int leaked = 0;
    int i;

    list_fds(&after);
    extra[0] = '\0';
    for (i = 0; i < after.n; i++) {
        if (has_fd(before, after.fd[i])) {
            continue;
        }
        leaked++;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", after.fd[i]);
        n = readlink(path, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        if (used < sizeof(extra)) {
            used += (size_t)snprintf(extra + used, sizeof(extra) - used,
                                     " %d->%s", after.fd[i], target);
        }
    }
    check(leaked == 0 && after.n == before->n, "no descriptor leaked",
          "%d open before, %d after%s%s", before->n, after.n,
          leaked ? "; new:" : "", extra);
}

static void
check_threads(int before)
{
    int64_t limit = now_ms() + 2000;
    int after = count_tasks();

    /* A joined thread may linger in /proc for a moment as it exits. */
    while (after > before && now_ms() < limit) {
        sleep_ms(10);
        after = count_tasks();
    }
    check(after == before, "no thread leaked", "%d threads before, %d after",
          before, after);
}

static void
check_children(void)
{
    char names[512];
    int status;
    pid_t pid;
    int left;
    int zombies = 0;

    left = count_children(names, sizeof(names));
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        zombies++;
    }
    check(pid < 0 && errno == ECHILD && zombies == 0 && left == 0,
          "no child left", "%d children remain%s, %d zombies reaped here", left,
          names, zombies);
}

int
main(int argc, char **argv)
{
    pthread_t drivers[MAX_THREADS];
    pthread_t watchdog;
    fd_set_list fds_before;
    int planned[KINDS] = {0};
    int threads_before;
    int64_t start;
    double secs;
    int expect_cli;
    int expect_perm;
    int expect_pending;
    int expect_open;
    int opt;
    int i;

    fake_path = getenv("FAKE_CLI");
    if (getenv("STRESS_SESSIONS") != NULL) {
        nsessions = atoi(getenv("STRESS_SESSIONS"));
    }
    if (getenv("STRESS_THREADS") != NULL) {
        nthreads = atoi(getenv("STRESS_THREADS"));
    }
    if (getenv("STRESS_CONCURRENT") != NULL) {
        nconcurrent = atoi(getenv("STRESS_CONCURRENT"));
    }
    if (getenv("STRESS_STALL_S") != NULL) {
        stall_ms = atoi(getenv("STRESS_STALL_S")) * 1000;
    }
    while ((opt = getopt(argc, argv, "f:n:t:c:")) != -1) {
        switch (opt) {
        case 'f':
            fake_path = optarg;
            break;
        case 'n':
            nsessions = atoi(optarg);
            break;
        case 't':
            nthreads = atoi(optarg);
            break;
        case 'c':
            nconcurrent = atoi(optarg);
            break;
        default:
            fprintf(stderr,
                    "usage: %s [-f FAKE_CLI] [-n SESSIONS] "
                    "[-t THREADS] [-c CONCURRENT]\n",
                    argv[0]);
            return 2;
        }
    }
    if (fake_path == NULL || nsessions < 1 || nthreads < 1 ||
        nthreads > MAX_THREADS || nconcurrent < nthreads ||
        nconcurrent % nthreads != 0 || nconcurrent / nthreads > 64 ||
        stall_ms <= 0) {
        fprintf(stderr, "stress: needs the fake CLI (-f or FAKE_CLI), "
                        "sessions >= 1, and a concurrency that is a "
                        "multiple of the threads, at most 64 each\n");
        return 2;
    }
    per_thread = nconcurrent / nthreads;
    for (i = 0; i < nsessions; i++) {
        planned[kind_of(i)]++;
    }

    /*
     * The figures the end is compared with, before anything starts,
     * but after one thread has come and gone: ThreadSanitizer starts a
     * thread of its own with the first one, and keeps it.
     */
    if (pthread_create(&watchdog, NULL, warm_up, NULL) != 0 ||
        pthread_join(watchdog, NULL) != 0) {
        fprintf(stderr, "stress: cannot start a thread\n");
        return 2;
    }
    list_fds(&fds_before);
    threads_before = count_tasks();
    keep_fds_from_children(&fds_before);
    sabotage(getenv("STRESS_SABOTAGE"));

    if (claude_mcp_server_new(&server, "stress", "1.0.0") != 0 ||
        claude_mcp_server_add_tool(
            server, "add", "Add a and b.",
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
            "\"integer\"},\"b\":{\"type\":\"integer\"}},\"required\":[\"a\","
            "\"b\"]}",
            NULL, add_tool, NULL) != 0) {
        fprintf(stderr, "stress: cannot make the MCP server\n");
        return 2;
    }
    slots = calloc((size_t)(nthreads * per_thread), sizeof(*slots));
    if (slots == NULL) {
        fprintf(stderr, "stress: out of memory\n");
        return 2;
    }

    printf("stress: %d sessions (%d normal, %d closed early, %d killed, "
           "%d stuck, %d refused, %d silent), %d threads, %d at once\n",
           nsessions, planned[KIND_NORMAL], planned[KIND_EARLY],
           planned[KIND_KILLED], planned[KIND_STUCK], planned[KIND_REFUSED],
           planned[KIND_SILENT], nthreads, nconcurrent);
    fflush(stdout);
    start = now_ms();
    pthread_create(&watchdog, NULL, watchdog_main, NULL);
    for (i = 0; i < nthreads; i++) {
        if (pthread_create(&drivers[i], NULL, driver_main,
                           (void *)(intptr_t)i) != 0) {
            fprintf(stderr, "stress: cannot start a driver thread\n");
            return 2;
        }
    }
    for (i = 0; i < nthreads; i++) {
        pthread_join(drivers[i], NULL);
    }
    secs = (double)(now_ms() - start) / 1000.0;
    pthread_mutex_lock(&watch_mtx);
    watch_stop = true;
    pthread_cond_signal(&watch_cv);
    pthread_mutex_unlock(&watch_mtx);
    pthread_join(watchdog, NULL);
    claude_mcp_server_free(server);
    free(slots);

    /* Normal sessions answer 2 + 2 requests; the others cancel 2. */
    expect_cli = planned[KIND_NORMAL] * 4;
    expect_perm = planned[KIND_NORMAL] * 2 +
                  (planned[KIND_EARLY] + planned[KIND_KILLED]) * 2;
    expect_pending = planned[KIND_EARLY] + planned[KIND_KILLED];
    expect_open = nsessions - planned[KIND_REFUSED] - planned[KIND_SILENT];

    printf("stress: %.1f s; %d opened, %d closed; %d CLI requests answered, "
           "%d cancelled; %d control requests answered, %d left unanswered "
           "ended with their session; %d messages\n",
           secs, atomic_load(&totals.opened), atomic_load(&totals.closed),
           atomic_load(&totals.cli_answered),
           atomic_load(&totals.permission_cancelled),
           atomic_load(&totals.control_answered),
           atomic_load(&totals.pending_completed),
           atomic_load(&totals.messages));

    check(atomic_load(&totals.failed) == 0, "every session ran its script",
          "%d of %d failed", atomic_load(&totals.failed), nsessions);
    check(atomic_load(&totals.opened) == expect_open &&
              atomic_load(&totals.closed) == expect_open,
          "every session opened and closed", "%d opened, %d closed of %d",
          atomic_load(&totals.opened), atomic_load(&totals.closed),
          expect_open);
    for (i = 0; i < KINDS; i++) {
        if (atomic_load(&totals.by_kind[i]) != planned[i]) {
            break;
        }
    }
    check(i == KINDS, "every kind of session ran",
          "%d normal, %d closed early, %d killed, %d stuck, %d refused, "
          "%d silent",
          atomic_load(&totals.by_kind[KIND_NORMAL]),
          atomic_load(&totals.by_kind[KIND_EARLY]),
          atomic_load(&totals.by_kind[KIND_KILLED]),
          atomic_load(&totals.by_kind[KIND_STUCK]),
          atomic_load(&totals.by_kind[KIND_REFUSED]),
          atomic_load(&totals.by_kind[KIND_SILENT]));
    check(atomic_load(&totals.cli_answered) == expect_cli &&
              atomic_load(&totals.tool_calls) == planned[KIND_NORMAL] * 2,
          "every CLI request answered",
          "%d of %d answered, %d tool calls on the shared server",
          atomic_load(&totals.cli_answered), expect_cli,
          atomic_load(&totals.tool_calls));
    check(atomic_load(&totals.permission_calls) == expect_perm &&
              atomic_load(&totals.permission_cancelled) ==
                  expect_perm - planned[KIND_NORMAL] * 2,
          "every pending callback cancelled at the end",
          "%d permission callbacks of %d, %d cancelled",
          atomic_load(&totals.permission_calls), expect_perm,
          atomic_load(&totals.permission_cancelled));
    check(atomic_load(&totals.control_answered) ==
                  expect_open + planned[KIND_NORMAL] &&
              atomic_load(&totals.pending_completed) == expect_pending,
          "every control request completed",
          "%d answered, %d of %d unanswered ended with their session",
          atomic_load(&totals.control_answered),
          atomic_load(&totals.pending_completed), expect_pending);
    check(atomic_load(&totals.errors_logged) == 0, "no error logged",
          "%d library errors", atomic_load(&totals.errors_logged));
    check_fds(&fds_before);
    check_threads(threads_before);
    check_children();

    printf("%d passed, %d failed\n", npassed, nfailed);
    return nfailed == 0 ? 0 : 1;
}
