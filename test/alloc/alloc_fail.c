/*
 * alloc_fail.c: allocation-failure testing, as SQLite and curl do it.
 *
 * One scripted session against the fake CLI is run over and over, each
 * time in a forked child, with the N-th fault point failing, for every
 * N from 1 to K (the number of fault points a clean run reaches) and a
 * few beyond.  Only that one fault point fails in a run; every other
 * allocation succeeds.  Each run must end in success or in a clean
 * error, and free everything it allocated: a crash, a hang, a leak, a
 * wrong answer or an error code that does not come from the failure is
 * a failed test.
 *
 * How the faults get in.
 *
 * - The program is linked against libclaude.a with --wrap for malloc,
 *   calloc, realloc, free, strdup, strndup, newlocale, freelocale and
 *   pthread_create, so every call the library's objects make goes
 *   through the wrappers below.
 *   jansson is a shared library, which --wrap does not reach; the same
 *   wrappers are installed into it with json_set_alloc_funcs(), so its
 *   allocations count and fail the same way.  The build checks that
 *   the library calls no other allocating function (alloc.mk).
 * - A fault point is one call of an allocating function, or one
 *   pthread_create, which fails with EAGAIN.  They share one counter,
 *   so N names either.  The counter is atomic: the reader, the workers
 *   and the stderr thread allocate too, so N follows the global order
 *   of the calls, which differs a little from run to run when threads
 *   race.  What a given N hits is therefore not fixed; every N from 1
 *   to K is still tried, K is the largest count of three clean runs,
 *   and N runs ALLOC_EXTRA (20) past it, where nothing may fail.
 * - Every block allocated through the wrappers while a run is armed is
 *   kept in a table.  A free of a pointer the table does not hold is
 *   memory that libc or the parent allocated: it is passed to the real
 *   free, and counted while a run is armed, never treated as an error
 *   (the library makes none today).  After the session,
 *   the client, the options and the server are freed, the table must be
 *   empty: what is left leaked.  A leak is reported with its size and
 *   sequence number, and the run is repeated once with a backtrace kept
 *   for every block, to show where the leaked ones came from.
 * - The wrappers call the real allocator, so the build works under
 *   AddressSanitizer as well (make check-alloc-asan), which then also
 *   catches a use after free on an error path.
 * - Each run has ALLOC_TIMEOUT seconds (an alarm); a child killed by a
 *   signal crashed or hung.  The step it was in and the backtrace of
 *   the failed allocation are in memory the parent shares, and are
 *   printed with N.
 *
 * What a run may end in.  A library call that fails must return
 * CLAUDE_ENOMEM, or CLAUDE_ESYS with ENOMEM or EAGAIN as its errno
 * (a thread that could not start).  An answer the CLI gets (seen in the
 * fake's reports) must be right, or an error saying "out of memory", or
 * the refusal the library sends when no worker thread can run.  An
 * accessor may return NULL when memory runs out, and its man page then
 * promises that a later call tries again: each is called a second time
 * before its value is judged.
 *
 * Environment: FAKE_CLI (required), ALLOC_JOBS (runs at once, 2),
 * ALLOC_TIMEOUT (seconds per run, 20), ALLOC_EXTRA (20), ALLOC_ONLY=N
 * (run only N, and say what the run did).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <jansson.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "claude.h"

#define TRACE_DEPTH 24
#define TABLE_SIZE 4096
#define MAX_JOBS 16
#define MAX_LEAKS 8
#define CLEAN_RUNS 3

/*
 * The wrappers
 */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_pthread_create(pthread_t *thr, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg);
locale_t __real_newlocale(int mask, const char *name, locale_t base);
void __real_freelocale(locale_t loc);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_pthread_create(pthread_t *thr, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg);
locale_t __wrap_newlocale(int mask, const char *name, locale_t base);
void __wrap_freelocale(locale_t loc);

typedef enum fault_kind {
    FAULT_MALLOC,
    FAULT_CALLOC,
    FAULT_REALLOC,
    FAULT_STRDUP,
    FAULT_STRNDUP,
    FAULT_JANSSON,
    FAULT_LOCALE,
    FAULT_THREAD
} fault_kind;

static const char *const kind_names[] = {
    "malloc",  "calloc",           "realloc",   "strdup",
    "strndup", "jansson's malloc", "newlocale", "pthread_create",
};

/* One live block allocated through the wrappers. */
typedef struct block {
    struct block *next;
    void *p;
    size_t size;
    unsigned long seq;
    fault_kind kind;
    int ntrace;
    void *trace[TRACE_DEPTH];
} block;

/* Outcomes of a run, as the parent counts them. */
typedef enum verdict {
    V_SUCCESS, /* the whole session went as scripted */
    V_CODE,    /* a call failed with an accepted code */
    V_ANSWER,  /* the CLI was told of the failure */
    V_WRONG,   /* a call failed with another code, or a check failed */
    V_LEAK,    /* blocks were left after everything was freed */
} verdict;

/*
 * What a child reports to the parent: in memory they share, so that a
 * crash or a hang still leaves the step it was in.
 */
typedef struct report {
    verdict verdict;
    bool ended;
    char step[96];  /* the step running */
    char where[96]; /* the step the verdict came from */
    char detail[256];
    int code;
    int sys_errno;
    unsigned long points;
    unsigned long threads;
    unsigned long foreign_frees;
    unsigned int retries;
    bool hit;
    fault_kind kind;
    size_t size;
    bool on_main;
    int ntrace;
    void *trace[TRACE_DEPTH];
    unsigned long nleaks;
    unsigned long leak_seq[MAX_LEAKS];
    size_t leak_size[MAX_LEAKS];
    fault_kind leak_kind[MAX_LEAKS];
} report;

static pthread_mutex_t table_mtx = PTHREAD_MUTEX_INITIALIZER;
static block *table[TABLE_SIZE]; /* protected by table_mtx */
static unsigned long live;       /* protected by table_mtx */

static atomic_bool armed;
static atomic_ulong points;
static atomic_ulong threads;
static atomic_ulong foreign_frees;
static unsigned long fail_at; /* 0: nothing fails */
static bool tracing;
static _Thread_local bool on_main_thread;

static report *rep; /* this child's report, in shared memory */

static size_t
slot_of(const void *p)
{
    return ((uintptr_t)p >> 4) % TABLE_SIZE;
}

/* Is this fault point the one that fails?  Records it if so. */
static bool
fault(fault_kind kind, size_t size)
{
    unsigned long n;

    if (!atomic_load(&armed)) {
        return false;
    }
    n = atomic_fetch_add(&points, 1) + 1;
    if (kind == FAULT_THREAD) {
        atomic_fetch_add(&threads, 1);
    }
    if (n != fail_at) {
        return false;
    }
    rep->hit = true;
    rep->kind = kind;
    rep->size = size;
    rep->on_main = on_main_thread;
    rep->ntrace = backtrace(rep->trace, TRACE_DEPTH);
    return true;
}

static void
track(void *p, size_t size, fault_kind kind)
{
    block *b;
    size_t i;

    if (p == NULL || !atomic_load(&armed)) {
        return;
    }
    b = __real_malloc(sizeof(*b));
    if (b == NULL) {
        abort();
    }
    b->p = p;
    b->size = size;
    b->kind = kind;
    b->ntrace = tracing ? backtrace(b->trace, TRACE_DEPTH) : 0;
    i = slot_of(p);
    pthread_mutex_lock(&table_mtx);
    b->seq = atomic_load(&points);
    b->next = table[i];
    table[i] = b;
    live++;
    pthread_mutex_unlock(&table_mtx);
}

/* Forget p; false if the table never held it. */
static bool
untrack(void *p)
{
    block **pp;
    block *b;

    pthread_mutex_lock(&table_mtx);
    for (pp = &table[slot_of(p)]; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->p == p) {
            b = *pp;
            *pp = b->next;
            live--;
            pthread_mutex_unlock(&table_mtx);
            __real_free(b);
            return true;
        }
    }
    pthread_mutex_unlock(&table_mtx);
    return false;
}

void *
__wrap_malloc(size_t size)
{
    void *p;

    if (fault(FAULT_MALLOC, size)) {
        return NULL;
    }
    p = __real_malloc(size);
    track(p, size, FAULT_MALLOC);
    return p;
}

void *
__wrap_calloc(size_t n, size_t size)
{
    void *p;

    if (fault(FAULT_CALLOC, n * size)) {
        return NULL;
    }
    p = __real_calloc(n, size);
    track(p, n * size, FAULT_CALLOC);
    return p;
}

void *
__wrap_realloc(void *p, size_t size)
{
    void *q;
    bool known;

    if (fault(FAULT_REALLOC, size)) {
        return NULL;
    }
    known = p != NULL && untrack(p);
    q = __real_realloc(p, size);
    if (q == NULL && known) {
        /* The old block lives on. */
        track(p, size, FAULT_REALLOC);
    }
    if (p != NULL && !known && atomic_load(&armed)) {
        atomic_fetch_add(&foreign_frees, 1);
    }
    track(q, size, FAULT_REALLOC);
    return q;
}

void
__wrap_free(void *p)
{
    if (p == NULL) {
        return;
    }
    if (!untrack(p) && atomic_load(&armed)) {
        atomic_fetch_add(&foreign_frees, 1);
    }
    __real_free(p);
}

char *
__wrap_strdup(const char *s)
{
    char *p;

    if (fault(FAULT_STRDUP, strlen(s) + 1)) {
        return NULL;
    }
    p = __real_strdup(s);
    track(p, strlen(s) + 1, FAULT_STRDUP);
    return p;
}

char *
__wrap_strndup(const char *s, size_t n)
{
    char *p;

    if (fault(FAULT_STRNDUP, n + 1)) {
        return NULL;
    }
    p = __real_strndup(s, n);
    track(p, n + 1, FAULT_STRNDUP);
    return p;
}

int
__wrap_pthread_create(pthread_t *thr, const pthread_attr_t *attr,
                      void *(*fn)(void *), void *arg)
{
    if (fault(FAULT_THREAD, 0)) {
        return EAGAIN;
    }
    return __real_pthread_create(thr, attr, fn, arg);
}

/* A locale is memory too: it fails like one, and must be freed. */
locale_t
__wrap_newlocale(int mask, const char *name, locale_t base)
{
    locale_t loc;

    if (fault(FAULT_LOCALE, 0)) {
        errno = ENOMEM;
        return (locale_t)0;
    }
    loc = __real_newlocale(mask, name, base);
    track((void *)loc, 0, FAULT_LOCALE);
    return loc;
}

void
__wrap_freelocale(locale_t loc)
{
    if (loc != (locale_t)0) {
        (void)untrack((void *)loc);
    }
    __real_freelocale(loc);
}

/* jansson's allocator: the same table, counted as its own kind. */
static void *
jansson_malloc(size_t size)
{
    void *p;

    if (fault(FAULT_JANSSON, size)) {
        return NULL;
    }
    p = __real_malloc(size);
    track(p, size, FAULT_JANSSON);
    return p;
}

static void
jansson_free(void *p)
{
    __wrap_free(p);
}

static void print_trace(void *const *trace, int n);

/* Record the blocks still live, and print their origins if traced. */
static void
collect_leaks(void)
{
    block *leaked[MAX_LEAKS];
    block *b;
    size_t n = 0;
    size_t i;

    /* The table stays as it is: nothing allocates through it now. */
    pthread_mutex_lock(&table_mtx);
    rep->nleaks = live;
    for (i = 0; i < TABLE_SIZE; i++) {
        for (b = table[i]; b != NULL && n < MAX_LEAKS; b = b->next) {
            leaked[n++] = b;
        }
    }
    pthread_mutex_unlock(&table_mtx);

    for (i = 0; i < n; i++) {
        rep->leak_seq[i] = leaked[i]->seq;
        rep->leak_size[i] = leaked[i]->size;
        rep->leak_kind[i] = leaked[i]->kind;
        if (leaked[i]->ntrace > 0) {
            printf("alloc-fail: leaked %zu bytes (%s, fault point %lu), "
                   "allocated at:\n",
                   leaked[i]->size, kind_names[leaked[i]->kind],
                   leaked[i]->seq);
            print_trace(leaked[i]->trace, leaked[i]->ntrace);
        }
    }
}

/*
 * The session
 */

#define PROMPT_LINE                                                            \
    "{\"type\":\"user\",\"session_id\":\"\",\"message\":{\"role\":\"user\","   \
    "\"content\":\"Add two and three.\"},\"parent_tool_use_id\":null}"

#define CONTENT "[{\"type\":\"text\",\"text\":\"And show it.\"}]"

#define CONTENT_LINE                                                           \
    "{\"type\":\"user\",\"session_id\":\"\",\"message\":{\"role\":\"user\","   \
    "\"content\":" CONTENT "},\"parent_tool_use_id\":null}"

/* What the fake CLI does in the session, in order. */
static const char *const session_actions[] = {
    "init",
    "stderr",
    "a line of the CLI's stderr",
    "expect",
    PROMPT_LINE,
    "noise",
    "send",
    "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s1\","
    "\"model\":\"m\",\"tools\":[\"Bash\"]}",
    "ask",
    "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":"
    "{\"command\":\"ls\"},\"tool_use_id\":\"tu1\"}",
    "ask",
    "{\"subtype\":\"hook_callback\",\"callback_id\":\"hook_0\",\"input\":"
    "{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\"}}",
    "ask",
    "{\"subtype\":\"mcp_message\",\"server_name\":\"calc\",\"message\":"
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}}",
    "ask",
    "{\"subtype\":\"mcp_message\",\"server_name\":\"calc\",\"message\":"
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
    "{\"name\":\"add\",\"arguments\":{\"a\":2,\"b\":3}}}}",
    "send",
    "{\"type\":\"assistant\",\"message\":{\"model\":\"m\",\"content\":["
    "{\"type\":\"text\",\"text\":\"Two and three\"},"
    "{\"type\":\"text\",\"text\":\"make five.\"},"
    "{\"type\":\"tool_use\",\"id\":\"tu2\",\"name\":\"mcp__calc__add\","
    "\"input\":{\"a\":2,\"b\":3}}]},\"session_id\":\"s1\"}",
    "expect",
    CONTENT_LINE,
    "answer-raw",
    "interrupt",
    "{\"subtype\":\"success\",\"response\":{}}",
    "answer-raw",
    "set_model",
    "{\"subtype\":\"success\",\"response\":{}}",
    "answer-raw",
    "mcp_status",
    "{\"subtype\":\"success\",\"response\":{\"mcpServers\":[{\"name\":"
    "\"calc\",\"status\":\"connected\"}]}}",
    "send",
    "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
    "\"result\":\"five\",\"session_id\":\"s1\",\"duration_ms\":12,"
    "\"total_cost_usd\":0.25,\"usage\":{\"input_tokens\":3}}",
    "wait-eof",
    NULL,
};

/* What the fake CLI does for claude_query: a background task, which
 * its ledger keeps, then the result and the idle report. */
static const char *const query_actions[] = {
    "init",
    "send",
    "{\"type\":\"system\",\"subtype\":\"task_started\","
    "\"task_id\":\"t1\",\"task_type\":\"local_agent\"}",
    "send",
    "{\"type\":\"system\",\"subtype\":\"task_notification\","
    "\"task_id\":\"t1\",\"status\":\"completed\"}",
    "send",
    "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
    "\"result\":\"ok\",\"session_id\":\"s2\"}",
    "send",
    "{\"type\":\"system\",\"subtype\":\"session_state_changed\","
    "\"state\":\"idle\"}",
    "wait-eof",
    NULL,
};

static const char *fake_path;

/* Callbacks that met a failure they then reported to the CLI. */
static atomic_int callback_failures;
static atomic_int log_lines;
static atomic_int stderr_lines;

static void
step(const char *what)
{
    snprintf(rep->step, sizeof(rep->step), "%s", what);
}

/* Note how the run went, unless something came first. */
static void
conclude(verdict v, const char *fmt, ...)
{
    va_list ap;

    if (rep->verdict != V_SUCCESS) {
        return;
    }
    rep->verdict = v;
    snprintf(rep->where, sizeof(rep->where), "%s", rep->step);
    va_start(ap, fmt);
    vsnprintf(rep->detail, sizeof(rep->detail), fmt, ap);
    va_end(ap);
}

/* Judge the result of a call; true when it succeeded. */
static bool
called(int rv, const claude_error *err)
{
    bool thread = rv == CLAUDE_ESYS && err != NULL &&
                  (err->sys_errno == ENOMEM || err->sys_errno == EAGAIN);

    if (rv == 0) {
        return true;
    }
    rep->code = rv;
    rep->sys_errno = err != NULL ? err->sys_errno : 0;
    conclude(rv == CLAUDE_ENOMEM || thread ? V_CODE : V_WRONG, "%s: %s",
             claude_strerror(rv), err != NULL ? err->message : "");
    return false;
}

static bool
check(bool ok, const char *what)
{
    if (!ok) {
        conclude(V_WRONG, "%s", what);
    }
    return ok;
}

static bool
contains(const char *s, const char *part)
{
    return s != NULL && strstr(s, part) != NULL;
}

/* The actions joined by 0x1f, as the fake reads them from its env. */
static void
join_actions(char *buf, size_t size, const char *const *actions)
{
    size_t used = 0;
    int i;

    buf[0] = '\0';
    for (i = 0; actions[i] != NULL; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 i > 0 ? "\x1f" : "", actions[i]);
        if (used >= size) {
            abort();
        }
    }
}

static void
on_log(int level, const char *msg, void *user)
{
    (void)level;
    (void)msg;
    (void)user;
    atomic_fetch_add(&log_lines, 1);
}

static void
on_stderr(const char *line, size_t len, void *user)
{
    (void)line;
    (void)len;
    (void)user;
    atomic_fetch_add(&stderr_lines, 1);
}

/* Allow, echoing the input, once the request's JSON has been read. */
static int
on_permission(claude_request *req, const claude_permission *perm,
              claude_permission_result *result, void *user)
{
    json_t *input = claude_request_input(req);

    (void)user;
    if (input == NULL) {
        /* Memory ran out while parsing; a second call parses again. */
        input = claude_request_input(req);
    }
    if (strcmp(perm->tool_name, "Bash") != 0 || perm->input_len == 0 ||
        strcmp(perm->tool_use_id, "tu1") != 0 ||
        !json_is_string(json_object_get(input, "command"))) {
        return 1;
    }
    result->allow = 1;
    return 0;
}

static int
on_hook(claude_request *req, json_t *input, json_t **output, void *user)
{
    (void)user;
    if (!json_is_object(input)) {
        return 1;
    }
    *output =
        json_pack("{s:b,s:{s:s,s:s}}", "continue", 1, "hookSpecificOutput",
                  "hookEventName", "PreToolUse", "permissionDecision", "allow");
    if (*output == NULL) {
        atomic_fetch_add(&callback_failures, 1);
        (void)claude_request_set_error(req, "hook: out of memory");
        return 1;
    }
    return 0;
}

static int
add_tool(claude_mcp_call *call, json_t *args, void *user)
{
    char text[32];
    int rv;

    (void)user;
    snprintf(text, sizeof(text), "%lld",
             (long long)(json_integer_value(json_object_get(args, "a")) +
                         json_integer_value(json_object_get(args, "b"))));
    rv = claude_mcp_call_add_text(call, text);
    if (rv != 0) {
        atomic_fetch_add(&callback_failures, 1);
        (void)claude_mcp_call_set_error(call, "add: out of memory");
    }
    return rv;
}

/* Options every session shares: the fake CLI and short grace periods. */
static bool
base_options(claude_options *o, const char *const *actions)
{
    static char spec[8192];

    join_actions(spec, sizeof(spec), actions);
    return called(claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, fake_path),
                  NULL) &&
           called(claude_options_set_env(o, "FAKE_CLI_ARGS", spec), NULL) &&
           called(claude_options_set_int(o, CLAUDE_OPT_CLOSE_GRACE_MS, 2000),
                  NULL) &&
           called(claude_options_set_int(o, CLAUDE_OPT_TERM_GRACE_MS, 1000),
                  NULL);
}

static bool
session_options(claude_options *o, claude_mcp_server *srv)
{
    step("setting the options");
    return base_options(o, session_actions) &&
           called(claude_options_set_string(o, CLAUDE_OPT_MODEL, "m"), NULL) &&
           called(claude_options_set_string(o, CLAUDE_OPT_SYSTEM_PROMPT,
                                            "You add numbers."),
                  NULL) &&
           called(claude_options_set_string(
                      o, CLAUDE_OPT_AGENTS,
                      "{\"checker\":{\"description\":\"Checks sums.\","
                      "\"prompt\":\"Check the sum.\"}}"),
                  NULL) &&
           called(claude_options_add(o, CLAUDE_OPT_ALLOWED_TOOLS, "Read"),
                  NULL) &&
           called(claude_options_add(o, CLAUDE_OPT_ALLOWED_TOOLS,
                                     "mcp__calc__add"),
                  NULL) &&
           called(claude_options_set_int(o, CLAUDE_OPT_MAX_TURNS, 3), NULL) &&
           called(claude_options_set_double(o, CLAUDE_OPT_MAX_BUDGET_USD, 1.5),
                  NULL) &&
           called(claude_options_set_env(o, "ALLOC_FAIL_RUN", "1"), NULL) &&
           called(claude_options_add_extra_arg(o, "verbose", NULL), NULL) &&
           called(claude_options_set_log_cb(o, on_log, NULL), NULL) &&
           called(claude_options_set_stderr_cb(o, on_stderr, NULL), NULL) &&
           called(claude_options_set_permission_cb(o, on_permission, NULL),
                  NULL) &&
           called(claude_options_add_hook(o, "PreToolUse", "Bash", 30, on_hook,
                                          NULL),
                  NULL) &&
           called(claude_options_add_mcp_server(o, srv), NULL);
}

static bool
make_server(claude_mcp_server **srv)
{
    claude_mcp_annotations ann = CLAUDE_MCP_ANNOTATIONS_INIT;

    step("making the MCP server");
    ann.read_only = 1;
    ann.title = "Add two numbers";
    return called(claude_mcp_server_new(srv, "calc", "1.0.0"), NULL) &&
           called(claude_mcp_server_add_tool(
                      *srv, "add", "Add a and b.",
                      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
                      "\"integer\"},\"b\":{\"type\":\"integer\"}},"
                      "\"required\":[\"a\",\"b\"]}",
                      &ann, add_tool, NULL),
                  NULL);
}

/* The message's JSON, asking twice: the first parse may run out. */
static json_t *
json_of(claude_message *m)
{
    json_t *j = claude_message_json(m);

    if (j == NULL) {
        rep->retries++;
        j = claude_message_json(m);
    }
    return j;
}

static bool
next_message(claude_client *c, claude_message **m, const char *type,
             const char *what)
{
    claude_error err;

    step(what);
    if (!called(claude_client_receive(c, m, -1, &err), &err)) {
        return false;
    }
    return check(strcmp(claude_message_type(*m), type) == 0,
                 "a message of another type came");
}

/*
 * Was this answer to the CLI an error caused by running out of memory
 * (or by a thread that could not start)?
 */
static bool
answer_failed_cleanly(json_t *resp)
{
    json_t *mcp =
        json_object_get(json_object_get(resp, "response"), "mcp_response");
    json_t *result = json_object_get(mcp, "result");
    const char *sub = json_string_value(json_object_get(resp, "subtype"));
    const char *text;

    if (sub != NULL && strcmp(sub, "error") == 0) {
        text = json_string_value(json_object_get(resp, "error"));
        return contains(text, "out of memory") ||
               contains(text, "cannot run a worker thread");
    }
    text = json_string_value(
        json_object_get(json_object_get(mcp, "error"), "message"));
    if (contains(text, "out of memory")) {
        return true;
    }
    text = json_string_value(json_object_get(
        json_array_get(json_object_get(result, "content"), 0), "text"));
    return json_is_true(json_object_get(result, "isError")) &&
           contains(text, "out of memory");
}

/*
 * Read the fake's next ask_report and judge the answer it carries:
 * right, a clean failure, or wrong.  False ends the session.
 */
static bool
judge_answer(claude_client *c, const char *what, bool (*right)(json_t *payload))
{
    claude_message *m = NULL;
    json_t *resp;
    bool ok = false;

    if (!next_message(c, &m, "ask_report", what)) {
        claude_message_free(m);
        return false;
    }
    resp = json_object_get(json_of(m), "response");
    if (resp == NULL) {
        check(false, "an ask_report without its response");
    } else if (right(json_object_get(resp, "response"))) {
        ok = true;
    } else if (answer_failed_cleanly(resp)) {
        conclude(V_ANSWER, "%s: %s", what,
                 json_string_value(json_object_get(resp, "error"))
                     ? json_string_value(json_object_get(resp, "error"))
                     : "an MCP error result");
        ok = true;
    } else {
        check(false, "a wrong answer reached the CLI");
    }
    claude_message_free(m);
    return ok;
}

static bool
permission_right(json_t *p)
{
    const char *behavior = json_string_value(json_object_get(p, "behavior"));

    return behavior != NULL && strcmp(behavior, "allow") == 0 &&
           json_is_string(
               json_object_get(json_object_get(p, "updatedInput"), "command"));
}

static bool
hook_right(json_t *p)
{
    return json_is_true(json_object_get(p, "continue"));
}

static bool
tools_list_right(json_t *p)
{
    json_t *tools = json_object_get(
        json_object_get(json_object_get(p, "mcp_response"), "result"), "tools");

    return json_array_size(tools) == 1 &&
           json_is_object(
               json_object_get(json_array_get(tools, 0), "annotations"));
}

static bool
tool_call_right(json_t *p)
{
    json_t *result =
        json_object_get(json_object_get(p, "mcp_response"), "result");
    const char *text = json_string_value(json_object_get(
        json_array_get(json_object_get(result, "content"), 0), "text"));

    return text != NULL && strcmp(text, "5") == 0 &&
           !json_is_true(json_object_get(result, "isError"));
}

static bool
check_init(claude_client *c)
{
    claude_message *m = NULL;
    const char *id;
    bool ok;

    if (!next_message(c, &m, "system", "receiving system/init")) {
        claude_message_free(m);
        return false;
    }
    id = claude_message_session_id(m);
    if (id == NULL) {
        rep->retries++;
        id = claude_message_session_id(m);
    }
    ok = check(contains(claude_message_subtype(m), "init"),
               "system/init lost its subtype") &&
         check(contains(id, "s1"), "system/init lost its session id");
    claude_message_free(m);
    return ok;
}

static bool
check_assistant(claude_client *c)
{
    claude_message *m = NULL;
    const char *text;
    const char *id = NULL;
    const char *name = NULL;
    json_t *input = NULL;
    size_t n;
    int rv;
    bool ok;

    if (!next_message(c, &m, "assistant", "receiving the assistant message")) {
        claude_message_free(m);
        return false;
    }
    step("reading the assistant message");
    text = claude_message_text(m);
    if (text == NULL) {
        rep->retries++;
        text = claude_message_text(m);
    }
    n = claude_message_tool_use_count(m);
    if (n != 1) {
        rep->retries++;
        n = claude_message_tool_use_count(m);
    }
    rv = claude_message_tool_use(m, 0, &id, &name, &input);
    if (rv == CLAUDE_ENOMEM) {
        rep->retries++;
        rv = claude_message_tool_use(m, 0, &id, &name, &input);
    }
    ok = check(text != NULL && strcmp(text, "Two and three\nmake five.") == 0,
               "the assistant text is lost or wrong") &&
         check(n == 1, "the tool_use count is wrong") &&
         check(rv == 0 && strcmp(id, "tu2") == 0 &&
                   strcmp(name, "mcp__calc__add") == 0 &&
                   json_integer_value(json_object_get(input, "b")) == 3,
               "the tool_use block is wrong");
    claude_message_free(m);
    return ok;
}

static bool
check_result(claude_client *c)
{
    claude_message *m = NULL;
    size_t len = 0;
    int is_error;
    bool ok;

    if (!next_message(c, &m, "result", "receiving the result")) {
        claude_message_free(m);
        return false;
    }
    step("reading the result");
    is_error = claude_message_is_error(m);
    if (is_error != 0) {
        /* A result that could not be parsed reads as an error. */
        rep->retries++;
        is_error = claude_message_is_error(m);
    }
    ok = check(is_error == 0, "the result reads as an error") &&
         check(contains(claude_message_result(m), "five"),
               "the result text is lost") &&
         check(claude_message_cost_usd(m) == 0.25, "the cost is lost") &&
         check(claude_message_duration_ms(m) == 12, "the duration is lost") &&
         check(json_integer_value(json_object_get(claude_message_usage(m),
                                                  "input_tokens")) == 3,
               "the usage is lost") &&
         check(claude_message_line(m, &len) != NULL && len > 0,
               "the line is lost");
    claude_message_free(m);
    return ok;
}

/* After the result, input ends and the CLI says no more. */
static bool
check_end(claude_client *c)
{
    claude_message *m = NULL;
    claude_error err;
    int rv;

    step("ending the input");
    if (!called(claude_client_end_input(c), NULL)) {
        return false;
    }
    step("receiving the end of the session");
    rv = claude_client_receive(c, &m, -1, &err);
    claude_message_free(m);
    if (rv == CLAUDE_EEOF) {
        return true;
    }
    if (rv == 0) {
        return check(false, "a message came after the result");
    }
    return called(rv, &err);
}

static bool
controls(claude_client *c)
{
    claude_error err;
    json_t *status = NULL;
    bool ok;

    step("sending content");
    if (!called(claude_client_send_content(c, CONTENT, &err), &err)) {
        return false;
    }
    step("claude_client_interrupt");
    if (!called(claude_client_interrupt(c, &err), &err)) {
        return false;
    }
    step("claude_client_set_model");
    if (!called(claude_client_set_model(c, "m2", &err), &err)) {
        return false;
    }
    step("claude_client_mcp_status");
    if (!called(claude_client_mcp_status(c, &status, &err), &err)) {
        return false;
    }
    ok = check(json_array_size(json_object_get(status, "mcpServers")) == 1,
               "mcp_status lost its reply");
    json_decref(status);
    return ok;
}

static bool
converse(claude_client *c)
{
    claude_error err;
    claude_stats st;

    step("sending the prompt");
    return called(claude_client_send(c, "Add two and three.", &err), &err) &&
           check(claude_client_fd(c) >= 0, "no descriptor") && check_init(c) &&
           judge_answer(c, "the permission check", permission_right) &&
           judge_answer(c, "the hook", hook_right) &&
           judge_answer(c, "tools/list", tools_list_right) &&
           judge_answer(c, "tools/call", tool_call_right) &&
           check_assistant(c) && controls(c) && check_result(c) &&
           check_end(c) &&
           check(claude_client_stats(c, &st) == 0 && st.can_use_tool == 1 &&
                     st.hook_callback == 1 && st.mcp_message == 2,
                 "the figures are wrong");
}

static int
on_query_message(claude_message *m, void *user)
{
    int *results = user;

    if (strcmp(claude_message_type(m), "result") == 0) {
        (*results)++;
    }
    claude_message_free(m);
    return 0;
}

static void
query_once(void)
{
    claude_options *o = NULL;
    claude_error err;
    int results = 0;

    step("claude_options_new for the query");
    if (!called(claude_options_new(&o), NULL)) {
        return;
    }
    if (base_options(o, query_actions)) {
        step("claude_query");
        if (called(claude_query(o, "Say ok.", on_query_message, &results, &err),
                   &err)) {
            check(results == 1, "claude_query lost the result");
        }
    }
    claude_options_free(o);
}

static void
run_session(void)
{
    claude_options *o = NULL;
    claude_mcp_server *srv = NULL;
    claude_client *c = NULL;
    claude_error err;

    step("claude_options_new");
    if (called(claude_options_new(&o), NULL) && make_server(&srv) &&
        session_options(o, srv)) {
        step("claude_client_new");
        if (called(claude_client_new(&c, o, &err), &err)) {
            (void)converse(c);
        }
    }
    step("claude_client_free");
    claude_client_free(c);
    claude_options_free(o);
    claude_mcp_server_free(srv);

    /* The one-shot path, unless the session already failed. */
    if (rep->verdict == V_SUCCESS) {
        query_once();
    }
}

/* One run in this (child) process; its report is in *rep. */
static void
child_run(unsigned long n, bool trace)
{
    fail_at = n;
    tracing = trace;
    on_main_thread = true;
    json_set_alloc_funcs(jansson_malloc, jansson_free);

    atomic_store(&armed, true);
    run_session();
    atomic_store(&armed, false);

    step("counting what is left");
    rep->points = atomic_load(&points);
    rep->threads = atomic_load(&threads);
    rep->foreign_frees = atomic_load(&foreign_frees);
    collect_leaks();
    if (rep->nleaks > 0 && rep->verdict != V_WRONG) {
        rep->verdict = V_SUCCESS;
        conclude(V_LEAK, "%lu blocks leaked", rep->nleaks);
    }
    rep->ended = true;
}

/*
 * The parent
 */

typedef struct tally {
    unsigned long passed;
    unsigned long failed;
    unsigned long success;
    unsigned long success_hit; /* the fault was injected and absorbed */
    unsigned long answer;
    unsigned long by_code[32]; /* by -code */
    unsigned long esys_thread;
    unsigned long retries; /* runs where an accessor needed a second call */
    unsigned long on_threads;
    unsigned long thread_faults;
} tally;

typedef struct job {
    pid_t pid;
    unsigned long n;
    bool trace;
} job;

static report *reports;
static int timeout_s = 20;

/* The slot of a run in the foreground, beside the sweep's. */
#define FOREGROUND MAX_JOBS

static pid_t
start_run(int slot, unsigned long n, bool trace)
{
    pid_t pid;

    memset(&reports[slot], 0, sizeof(reports[slot]));
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        perror("alloc-fail: fork");
        exit(2);
    }
    if (pid == 0) {
        rep = &reports[slot];
        alarm((unsigned int)timeout_s);
        child_run(n, trace);
        _exit(0);
    }
    return pid;
}

/*
 * Print a backtrace taken in a child.  The child is a fork of this
 * process, so its addresses mean the same here; frames in this program
 * are named by addr2line, which knows the static functions too.
 */
static void
print_trace(void *const *trace, int n)
{
    char cmd[2048];
    char line[512];
    size_t used;
    Dl_info self;
    Dl_info info;
    FILE *p;
    int i;

    if (dladdr((void *)print_trace, &self) == 0) {
        backtrace_symbols_fd(trace, n, 1);
        return;
    }
    for (i = 0; i < n; i++) {
        if (dladdr(trace[i], &info) == 0 || info.dli_fbase != self.dli_fbase) {
            fflush(stdout);
            backtrace_symbols_fd(&trace[i], 1, 1);
            continue;
        }
        /* The return address is past the call; name the call. */
        used = (size_t)snprintf(
            cmd, sizeof(cmd), "addr2line -f -p -s -e /proc/%ld/exe %#lx",
            (long)getpid(),
            (unsigned long)((char *)trace[i] - (char *)self.dli_fbase - 1));
        p = used < sizeof(cmd) ? popen(cmd, "r") : NULL;
        if (p != NULL && fgets(line, sizeof(line), p) != NULL) {
            printf("      %s", line);
        } else {
            fflush(stdout);
            backtrace_symbols_fd(&trace[i], 1, 1);
        }
        if (p != NULL) {
            pclose(p);
        }
    }
    fflush(stdout);
}

/* Print the report of a run that failed, with what failed in it. */
static void
print_failure(unsigned long n, int status, const report *r, const char *why)
{
    unsigned long i;

    printf("alloc-fail: N=%lu FAILED: %s, in step \"%s\"%s%s\n", n, why,
           r->where[0] ? r->where : r->step, r->detail[0] ? ": " : "",
           r->detail);
    if (r->hit) {
        printf("    the fault: %s(%zu) on %s, from:\n", kind_names[r->kind],
               r->size, r->on_main ? "the main thread" : "a library thread");
        print_trace(r->trace, r->ntrace);
    } else {
        printf("    the fault point was not reached\n");
    }
    for (i = 0; i < r->nleaks && i < MAX_LEAKS; i++) {
        printf("    leaked: %zu bytes (%s) at fault point %lu\n",
               r->leak_size[i], kind_names[r->leak_kind[i]], r->leak_seq[i]);
    }
    (void)status;
    fflush(stdout);
}

/* Why a run failed, or NULL when it ended as a run may. */
static const char *
failure_of(int status, const report *r, char *why, size_t size)
{
    if (WIFSIGNALED(status)) {
        snprintf(why, size, "%s (signal %d)",
                 WTERMSIG(status) == SIGALRM ? "hung" : "crashed",
                 WTERMSIG(status));
        return why;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !r->ended) {
        snprintf(why, size, "exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return why;
    }
    if (r->verdict == V_LEAK) {
        return "leaked";
    }
    if (r->verdict == V_WRONG) {
        return "wrong outcome";
    }
    if (!r->hit && r->verdict != V_SUCCESS) {
        return "failed with nothing failing";
    }
    return NULL;
}

static bool
judge_run(unsigned long n, int status, const report *r, tally *t)
{
    char why[64];
    const char *failure = failure_of(status, r, why, sizeof(why));

    if (failure != NULL) {
        print_failure(n, status, r, failure);
        return false;
    }
    switch (r->verdict) {
    case V_SUCCESS:
        t->success++;
        t->success_hit += r->hit;
        break;
    case V_CODE:
        if (r->code == CLAUDE_ESYS) {
            t->esys_thread++;
        } else if (-r->code < 32) {
            t->by_code[-r->code]++;
        }
        break;
    default:
        t->answer++;
        break;
    }
    if (r->hit && !r->on_main) {
        t->on_threads++;
    }
    if (r->hit && r->kind == FAULT_THREAD) {
        t->thread_faults++;
    }
    t->retries += r->retries > 0;
    return true;
}

/* Run one N in the foreground and wait for it. */
static int
run_one(unsigned long n, bool trace, report *out)
{
    int status;
    pid_t pid = start_run(FOREGROUND, n, trace);

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    *out = reports[FOREGROUND];
    return status;
}

static void
sweep(unsigned long last, int jobs, tally *t)
{
    job running[MAX_JOBS];
    unsigned long next = 1;
    int active = 0;
    int status;
    int i;
    pid_t pid;
    report r;

    memset(running, 0, sizeof(running));
    while (next <= last || active > 0) {
        while (next <= last && active < jobs) {
            for (i = 0; running[i].pid != 0; i++) {
            }
            running[i].n = next;
            running[i].pid = start_run(i, next, false);
            active++;
            next++;
        }
        pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("alloc-fail: waitpid");
            exit(2);
        }
        for (i = 0; i < jobs && running[i].pid != pid; i++) {
        }
        if (i == jobs) {
            continue;
        }
        r = reports[i];
        running[i].pid = 0;
        active--;
        if (judge_run(running[i].n, status, &r, t)) {
            t->passed++;
            continue;
        }
        t->failed++;
        if (r.verdict == V_LEAK && r.nleaks > 0) {
            /* Once more with a backtrace per block, to show the leak. */
            printf("    running N=%lu again to show where the leaked "
                   "blocks came from:\n",
                   running[i].n);
            fflush(stdout);
            (void)run_one(running[i].n, true, &r);
        }
    }
}

static long
env_number(const char *name, long fallback)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? strtol(v, NULL, 10) : fallback;
}

static const char *
code_name(int code)
{
    switch (code) {
#define CODE_NAME_(name, value, text)                                          \
    case CLAUDE_##name:                                                        \
        return "CLAUDE_" #name;
        CLAUDE_ERRNO_MAP(CODE_NAME_)
#undef CODE_NAME_
    default:
        return "an unknown code";
    }
}

static void
print_tally(const tally *t)
{
    int code;

    printf("alloc-fail: outcomes: %lu success (%lu of them absorbed the "
           "failure)",
           t->success, t->success_hit);
    for (code = 1; code < 32; code++) {
        if (t->by_code[code] > 0) {
            printf(", %lu %s", t->by_code[code], code_name(-code));
        }
    }
    if (t->esys_thread > 0) {
        printf(", %lu CLAUDE_ESYS for a thread that could not start",
               t->esys_thread);
    }
    printf(", %lu answered the CLI with an error\n", t->answer);
    printf("alloc-fail: %lu faults hit a library thread, %lu were thread "
           "starts; %lu runs read an accessor twice\n",
           t->on_threads, t->thread_faults, t->retries);
}

int
main(void)
{
    tally t;
    report r;
    unsigned long k = 0;
    unsigned long kmin = (unsigned long)-1;
    unsigned long extra;
    long only;
    int jobs;
    int status;
    int i;
    void *warm[1];
    time_t start = time(NULL);

    fake_path = getenv("FAKE_CLI");
    if (fake_path == NULL) {
        fprintf(stderr, "alloc-fail: FAKE_CLI is not set; run through make\n");
        return 2;
    }
    jobs = (int)env_number("ALLOC_JOBS", 2);
    jobs = jobs < 1 ? 1 : jobs > MAX_JOBS ? MAX_JOBS : jobs;
    timeout_s = (int)env_number("ALLOC_TIMEOUT", 20);
    extra = (unsigned long)env_number("ALLOC_EXTRA", 20);
    only = env_number("ALLOC_ONLY", 0);
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* backtrace() loads its unwinder on first use; not inside a run. */
    (void)backtrace(warm, 1);
    reports = mmap(NULL, sizeof(*reports) * (MAX_JOBS + 1),
                   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (reports == MAP_FAILED) {
        perror("alloc-fail: mmap");
        return 2;
    }
    memset(&t, 0, sizeof(t));

    if (only > 0) {
        status = run_one((unsigned long)only, false, &r);
        if (judge_run((unsigned long)only, status, &r, &t)) {
            printf("alloc-fail: N=%ld: %s, in step \"%s\"%s%s (%lu fault "
                   "points)\n",
                   only, r.hit ? "fault injected" : "fault not reached",
                   r.where[0] ? r.where : r.step, r.detail[0] ? ": " : "",
                   r.detail, r.points);
            if (r.hit) {
                printf("    the fault: %s(%zu) on %s, from:\n",
                       kind_names[r.kind], r.size,
                       r.on_main ? "the main thread" : "a library thread");
                print_trace(r.trace, r.ntrace);
            }
            printf("1 passed, 0 failed\n");
            return 0;
        }
        printf("0 passed, 1 failed\n");
        return 1;
    }

    /* Clean runs: they must succeed, and they tell K. */
    for (i = 0; i < CLEAN_RUNS; i++) {
        status = run_one(0, false, &r);
        if (!judge_run(0, status, &r, &t) || r.verdict != V_SUCCESS) {
            printf("alloc-fail: a run with no fault failed\n");
            printf("0 passed, 1 failed\n");
            return 1;
        }
        k = r.points > k ? r.points : k;
        kmin = r.points < kmin ? r.points : kmin;
    }
    printf("alloc-fail: K = %lu fault points in a clean run (%lu to %lu "
           "over %d runs; %lu thread starts; %lu frees of memory the "
           "wrappers never gave out)\n",
           k, kmin, k, CLEAN_RUNS, r.threads, r.foreign_frees);
    printf("alloc-fail: failing each N in 1..%lu, one failure per run\n",
           k + extra);

    memset(&t, 0, sizeof(t));
    sweep(k + extra, jobs, &t);
    print_tally(&t);
    printf("alloc-fail: %ld s with %d runs at once\n",
           (long)(time(NULL) - start), jobs);
    printf("%lu passed, %lu failed\n", t.passed, t.failed);
    return t.failed > 0;
}
