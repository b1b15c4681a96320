/*
 * bench.c: the benchmark driver behind make bench.
 *
 * It runs each workload of the mock CLI (mock-cli.c) through
 * libclaude, through bare C (ceiling.c) and through the TypeScript SDK
 * (ts-bench.mjs, when node and the SDK are there), takes the median of
 * BENCH_RUNS runs (default 5) of each, and prints one table, notes,
 * and the targets, each judged "holds" or "misses" on the figures of
 * the same run; it also writes all three as markdown to
 * OUT_DIR/results.md.
 *
 *   bench MOCK OUT_DIR TS_SCRIPT
 *
 * Every C run happens in a forked child, so that its peak resident set
 * (VmHWM, read by the child just before it exits) is the workload's
 * own.  The environment tunes the sizes for quick runs: BENCH_RUNS,
 * BENCH_FLOOD_N (300000 messages of about 1 KB, the published flood),
 * BENCH_CONTROL_N (20000), BENCH_WRITE_N (2000 lines per writer);
 * BENCH_ONLY runs only the jobs whose label holds its text;
 * BENCH_CPUS="0" pins the whole run to CPU 0.
 * BENCH_TS_SDK names the SDK's package folder; without it, BENCH_TS_NA
 * says why the TypeScript column is empty.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "claude.h"
#include "bench.h"

extern char **environ;

/* How long one run may take before it counts as hung. */
#define RUN_LIMIT_S 240

static char mock_path[PATH_MAX];
static char out_dir[PATH_MAX];
static char ts_script[PATH_MAX];
static const char *ts_sdk;  /* the SDK's package folder, or NULL */
static char ts_why[256];    /* why there is no TypeScript column */
static char ts_version[64]; /* the SDK's version */
static char node_version[64];
static unsigned int report_seq;
static char write_line[1024];
static size_t write_len;

/* The text of every user message of the write-lock workloads. */
static const char write_text[] =
    "Please look at the failing test in test/check_parser.c and tell me "
    "why the second assertion fails when the input has a trailing "
    "comment. I think the tokenizer keeps the comment as part of the "
    "value, but I am not sure whether the bug is in the tokenizer or in "
    "the code that trims the value afterwards. Do not change anything "
    "yet; just explain what you find and point me to the lines involved "
    "so that I can decide how to fix it myself.";

/*
 * Helpers shared with ceiling.c
 */

uint64_t
bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *
bench_mock_path(void)
{
    return mock_path;
}

void
bench_report_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s/report.%ld.%u.json", out_dir, (long)getpid(),
             report_seq++);
    (void)unlink(buf);
}

int
bench_fail(figures *out, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out->why, sizeof(out->why), fmt, ap);
    va_end(ap);
    out->ok = 0;
    return -1;
}

const char *
bench_write_line(size_t *len)
{
    *len = write_len;
    return write_line;
}

char **
bench_env(const char *const *extra)
{
    size_t nextra = 0;
    size_t nenv = 0;
    size_t k = 0;
    size_t i;
    size_t e;
    size_t name;
    char **env;
    int shadowed;

    while (extra[nextra] != NULL) {
        nextra++;
    }
    while (environ[nenv] != NULL) {
        nenv++;
    }
    env = calloc(nextra + nenv + 1, sizeof(*env));
    if (env == NULL) {
        return NULL;
    }
    for (i = 0; i < nextra; i++) {
        env[k++] = (char *)extra[i];
    }
    for (i = 0; i < nenv; i++) {
        shadowed = 0;
        for (e = 0; e < nextra && !shadowed; e++) {
            name = strcspn(extra[e], "=") + 1;
            shadowed = strncmp(environ[i], extra[e], name) == 0;
        }
        if (!shadowed) {
            env[k++] = environ[i];
        }
    }
    return env;
}

/* Start path with argv, its stdin and stdout on pipes (either may be
 * left alone: in or out NULL), its stderr ours. */
static int
spawn_piped(const char *path, char *const argv[], char **env, pid_t *pid,
            int *in, int *out)
{
    posix_spawn_file_actions_t fa;
    int pin[2] = {-1, -1};
    int pout[2] = {-1, -1};
    int rv;

    if ((in != NULL && pipe2(pin, O_CLOEXEC) != 0) ||
        (out != NULL && pipe2(pout, O_CLOEXEC) != 0)) {
        return errno;
    }
    posix_spawn_file_actions_init(&fa);
    if (in != NULL) {
        posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
    } else {
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    }
    if (out != NULL) {
        posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
    }
    rv = posix_spawnp(pid, path, &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    if (in != NULL) {
        close(pin[0]);
        *in = pin[1];
    }
    if (out != NULL) {
        close(pout[1]);
        *out = pout[0];
    }
    if (rv != 0) {
        if (in != NULL) {
            close(*in);
        }
        if (out != NULL) {
            close(*out);
        }
    }
    return rv;
}

int
bench_spawn_mock(mock *m, const char *arg, const char *const *extra,
                 figures *out)
{
    char *argv[3];
    char **env = bench_env(extra);
    int rv;

    if (env == NULL) {
        return bench_fail(out, "out of memory");
    }
    argv[0] = mock_path;
    argv[1] = (char *)arg;
    argv[2] = NULL;
    rv = spawn_piped(mock_path, argv, env, &m->pid, &m->in, &m->out);
    free(env);
    if (rv != 0) {
        return bench_fail(out, "cannot start %s: %s", mock_path, strerror(rv));
    }
    return 0;
}

int
bench_mock_finish(mock *m)
{
    char buf[64 * 1024];
    int status = 0;

    close(m->in);
    while (read(m->out, buf, sizeof(buf)) > 0) {
    }
    close(m->out);
    while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

int
bench_write_all(int fd, const char *p, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

json_t *
bench_read_report(const char *path, figures *out)
{
    json_error_t jerr;
    json_t *rep = json_load_file(path, 0, &jerr);

    if (rep == NULL) {
        bench_fail(out, "no report from the mock (%s)", jerr.text);
        return NULL;
    }
    (void)unlink(path);
    return rep;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

uint64_t
bench_quantile(uint64_t *v, size_t n, double q)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    return v[(size_t)((double)n * q)];
}

/*
 * libclaude
 */

/* Options that run the mock with the workload of j. */
static claude_options *
lib_options(const job *j, const char *report)
{
    claude_options *o;
    char num[32];
    int rv;

    if (claude_options_new(&o) != 0) {
        return NULL;
    }
    rv = claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, mock_path);
    rv |= claude_options_set_env(o, "BENCH_WORKLOAD", j->workload);
    rv |= claude_options_set_env(o, "BENCH_REPORT", report);
    if (!j->version_check) {
        rv |= claude_options_set_int(o, CLAUDE_OPT_VERSION_CHECK_MS, 0);
    }
    if (j->n > 0) {
        snprintf(num, sizeof(num), "%ld", j->n);
        rv |= claude_options_set_env(o, "BENCH_N", num);
    }
    if (j->inflight > 0) {
        snprintf(num, sizeof(num), "%ld", j->inflight);
        rv |= claude_options_set_env(o, "BENCH_INFLIGHT", num);
    }
    if (rv != 0) {
        claude_options_free(o);
        return NULL;
    }
    return o;
}

static int
lib_open(const job *j, claude_options *o, claude_client **c, figures *out)
{
    claude_error err;
    int rv;

    if (o == NULL) {
        return bench_fail(out, "cannot set the options");
    }
    rv = claude_client_new(c, o, &err);
    claude_options_free(o);
    if (rv != 0) {
        return bench_fail(out, "%s: claude_client_new: %s", j->label,
                          err.message);
    }
    return 0;
}

/* What the consumers of a flood share. */
typedef struct flood {
    claude_client *c;
    int typed;
    int multi;           /* more than one consumer */
    _Atomic uint64_t t0; /* the first message's arrival */
    pthread_mutex_t mtx;
    pthread_cond_t done_cv; /* announces done */
    int done;               /* protected by mtx: the result came */
} flood;

/* One consumer's counts. */
typedef struct consumer {
    pthread_t thread;
    flood *f;
    unsigned long long bytes;
    unsigned long long messages;
    unsigned long long chars;
    uint64_t t_last; /* when it finished its last message */
    int error;
} consumer;

static void
flood_done(flood *f)
{
    pthread_mutex_lock(&f->mtx);
    f->done = 1;
    pthread_cond_signal(&f->done_cv);
    pthread_mutex_unlock(&f->mtx);
}

/*
 * Receive until the result, or until the session ends once another
 * consumer took it.  The clock is read once per message only with
 * several consumers, to find which of them finished last.
 */
static void *
consume(void *arg)
{
    consumer *k = arg;
    flood *f = k->f;
    claude_message *m;
    const char *text;
    uint64_t zero;
    size_t len;
    int is_result;
    int rv;

    for (;;) {
        rv = claude_client_receive(f->c, &m, -1, NULL);
        if (rv != 0) {
            k->error = rv;
            break;
        }
        if (atomic_load(&f->t0) == 0) {
            zero = 0;
            atomic_compare_exchange_strong(&f->t0, &zero, bench_now_ns());
        }
        (void)claude_message_line(m, &len);
        k->bytes += len + 1;
        k->messages++;
        if (f->typed) {
            text = claude_message_text(m);
            if (text != NULL) {
                k->chars += strlen(text);
            }
        }
        is_result = strcmp(claude_message_type(m), "result") == 0;
        claude_message_free(m);
        if (f->multi || is_result) {
            k->t_last = bench_now_ns();
        }
        if (is_result) {
            break;
        }
    }
    flood_done(f);
    return NULL;
}

/*
 * A flood read through claude_client_receive by j->threads consumers,
 * raw (the line only) or typed (claude_message_text on each).  The
 * clock runs from the first message to the last one handled.
 */
static int
lib_flood(const job *j, figures *out)
{
    char report[BENCH_PATH];
    claude_client *c;
    consumer k[8];
    flood f;
    unsigned long long bytes = 0;
    unsigned long long messages = 0;
    unsigned long long want;
    uint64_t t_end = 0;
    json_t *rep;
    int error = 0;
    int i;

    bench_report_path(report, sizeof(report));
    if (lib_open(j, lib_options(j, report), &c, out) != 0) {
        return -1;
    }
    memset(k, 0, sizeof(k));
    f.c = c;
    f.typed = j->typed;
    f.multi = j->threads > 1;
    f.done = 0;
    atomic_init(&f.t0, 0);
    pthread_mutex_init(&f.mtx, NULL);
    pthread_cond_init(&f.done_cv, NULL);
    for (i = 0; i < j->threads; i++) {
        k[i].f = &f;
        pthread_create(&k[i].thread, NULL, consume, &k[i]);
    }

    /* Closing ends the receives of the consumers that did not get it. */
    pthread_mutex_lock(&f.mtx);
    while (!f.done) {
        pthread_cond_wait(&f.done_cv, &f.mtx);
    }
    pthread_mutex_unlock(&f.mtx);
    (void)claude_client_close(c);
    for (i = 0; i < j->threads; i++) {
        pthread_join(k[i].thread, NULL);
        bytes += k[i].bytes;
        messages += k[i].messages;
        t_end = k[i].t_last > t_end ? k[i].t_last : t_end;
    }
    claude_client_free(c);
    pthread_cond_destroy(&f.done_cv);
    pthread_mutex_destroy(&f.mtx);

    rep = bench_read_report(report, out);
    if (rep == NULL) {
        return -1;
    }
    want = (unsigned long long)json_integer_value(
        json_object_get(rep, "messages"));
    json_decref(rep);
    for (i = 0; i < j->threads && messages != want; i++) {
        error = error ? error : k[i].error;
    }
    if (messages != want) {
        return bench_fail(out, "%llu messages, not %llu (%s)", messages, want,
                          error ? claude_strerror(error) : "no error");
    }
    out->v[0] = (double)bytes / 1e6 / ((double)(t_end - f.t0) / 1e9);
    out->v[1] = (double)messages / ((double)(t_end - f.t0) / 1e9);
    return 0;
}

/* How long the permission callbacks' sleeps lasted, in all. */
static atomic_ullong slept_ns;
static atomic_ullong sleeps;

/*
 * A permission callback that allows everything, after j->sleep_us.
 * The sleep is timed: the system wakes a sleeper late, by a margin
 * that differs from machine to machine, and the bound on requests in
 * flight is set by how long the callbacks really take.
 */
static int
allow_all(claude_request *req, const claude_permission *perm,
          claude_permission_result *result, void *user)
{
    const job *j = user;
    struct timespec ts;
    uint64_t t0;

    (void)req;
    (void)perm;
    if (j->sleep_us > 0) {
        ts.tv_sec = j->sleep_us / 1000000;
        ts.tv_nsec = (j->sleep_us % 1000000) * 1000;
        t0 = bench_now_ns();
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        atomic_fetch_add(&slept_ns, bench_now_ns() - t0);
        atomic_fetch_add(&sleeps, 1);
    }
    result->allow = 1;
    return 0;
}

/*
 * The mock's can_use_tool requests, answered by the permission
 * callback; the figures are the mock's: req/s, p50 and p99 in us; and,
 * when the callbacks sleep, how long a sleep lasted on average, in us.
 */
static int
lib_control(const job *j, figures *out)
{
    char report[BENCH_PATH];
    claude_options *o;
    claude_client *c;
    claude_message *m;
    claude_error err;
    json_t *rep;
    int is_result = 0;
    int rv = 0;

    bench_report_path(report, sizeof(report));
    o = lib_options(j, report);
    if (o != NULL &&
        claude_options_set_permission_cb(o, allow_all, (void *)j) != 0) {
        claude_options_free(o);
        o = NULL;
    }
    if (lib_open(j, o, &c, out) != 0) {
        return -1;
    }
    while (!is_result) {
        rv = claude_client_receive(c, &m, 120000, &err);
        if (rv != 0) {
            break;
        }
        is_result = strcmp(claude_message_type(m), "result") == 0;
        claude_message_free(m);
    }
    claude_client_free(c);
    if (rv != 0) {
        return bench_fail(out, "receive: %s", err.message);
    }
    rep = bench_read_report(report, out);
    if (rep == NULL) {
        return -1;
    }
    if (json_integer_value(json_object_get(rep, "errors")) != 0) {
        json_decref(rep);
        return bench_fail(out, "the mock got answers that are not allows");
    }
    out->v[0] = json_real_value(json_object_get(rep, "rps"));
    out->v[1] = json_real_value(json_object_get(rep, "p50_us"));
    out->v[2] = json_real_value(json_object_get(rep, "p99_us"));
    if (atomic_load(&sleeps) > 0) {
        out->v[3] =
            (double)atomic_load(&slept_ns) / 1e3 / (double)atomic_load(&sleeps);
    }
    json_decref(rep);
    return 0;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return x < y ? -1 : x > y;
}

double
bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * claude_client_new and the first claude_client_receive, in ms: the
 * median of BENCH_STARTS sessions opened one after the other.
 */
static int
lib_startup(const job *j, figures *out)
{
    char report[BENCH_PATH];
    double ms[BENCH_STARTS];
    claude_options *o;
    claude_client *c;
    claude_message *m;
    claude_error err;
    uint64_t t0;
    uint64_t t1;
    int rv;
    int i;

    bench_report_path(report, sizeof(report));
    for (i = 0; i < BENCH_STARTS; i++) {
        o = lib_options(j, report);
        m = NULL;
        t0 = bench_now_ns();
        if (lib_open(j, o, &c, out) != 0) {
            return -1;
        }
        rv = claude_client_receive(c, &m, 10000, &err);
        t1 = bench_now_ns();
        claude_message_free(m);
        claude_client_free(c);
        if (rv != 0) {
            return bench_fail(out, "receive: %s", err.message);
        }
        ms[i] = (double)(t1 - t0) / 1e6;
    }
    out->v[0] = bench_median(ms, BENCH_STARTS);
    return 0;
}

/* What the writers of a write-lock workload share. */
typedef struct writers {
    claude_transport *tp; /* the transport workload */
    claude_client *c;     /* the client workload */
    pthread_barrier_t go;
    long n;
    uint64_t *lat; /* n per writer */
    atomic_int failed;
} writers;

typedef struct writer_arg {
    pthread_t thread;
    writers *w;
    int index;
} writer_arg;

static void *
write_lines(void *arg)
{
    writer_arg *a = arg;
    writers *w = a->w;
    uint64_t *lat = w->lat + (long)a->index * w->n;
    uint64_t t;
    long i;
    int rv;

    pthread_barrier_wait(&w->go);
    for (i = 0; i < w->n; i++) {
        t = bench_now_ns();
        if (w->tp != NULL) {
            rv = claude_transport_write(w->tp, write_line, write_len, NULL);
        } else {
            rv = claude_client_send(w->c, write_text, NULL);
        }
        lat[i] = bench_now_ns() - t;
        if (rv != 0) {
            atomic_store(&w->failed, rv);
            break;
        }
    }
    return NULL;
}

/* Run j->threads writers; fill v[0] (lines/s) and v[1] (call p99). */
static int
run_writers(const job *j, writers *w, figures *out)
{
    writer_arg *a = calloc((size_t)j->threads, sizeof(*a));
    long total = (long)j->threads * j->n;
    uint64_t t0;
    uint64_t t1;
    int i;

    w->n = j->n;
    w->lat = malloc((size_t)total * sizeof(*w->lat));
    atomic_init(&w->failed, 0);
    if (a == NULL || w->lat == NULL) {
        free(a);
        return bench_fail(out, "out of memory");
    }
    pthread_barrier_init(&w->go, NULL, (unsigned)j->threads + 1);
    for (i = 0; i < j->threads; i++) {
        a[i].w = w;
        a[i].index = i;
        pthread_create(&a[i].thread, NULL, write_lines, &a[i]);
    }
    pthread_barrier_wait(&w->go);
    t0 = bench_now_ns();
    for (i = 0; i < j->threads; i++) {
        pthread_join(a[i].thread, NULL);
    }
    t1 = bench_now_ns();
    pthread_barrier_destroy(&w->go);
    free(a);
    if (atomic_load(&w->failed) != 0) {
        return bench_fail(out, "a write failed: %s",
                          claude_strerror(atomic_load(&w->failed)));
    }
    out->v[0] = (double)total / ((double)(t1 - t0) / 1e9);
    out->v[1] = (double)bench_quantile(w->lat, (size_t)total, 0.99) / 1e3;
    out->v[2] = (double)w->lat[total - 1] / 1e3;
    return 0;
}

/* Check that the sink's report counts want lines. */
static int
check_sink(const char *report, long want, figures *out)
{
    json_t *rep = bench_read_report(report, out);
    long got;

    if (rep == NULL) {
        return -1;
    }
    got = (long)json_integer_value(json_object_get(rep, "lines"));
    json_decref(rep);
    if (got != want) {
        return bench_fail(out, "the sink got %ld lines, not %ld", got, want);
    }
    return 0;
}

/*
 * j->threads threads writing through one claude_transport to the sink.
 * v[1] is the p99 of a whole claude_transport_write call: the wait for
 * the lock and the write itself.
 */
static int
lib_write_transport(const job *j, figures *out)
{
    claude_transport_options to = CLAUDE_TRANSPORT_OPTIONS_INIT;
    const char *argv[2] = {mock_path, NULL};
    char report[BENCH_PATH];
    writers w;
    claude_error err;
    int status;
    int rv;

    /* The child inherits our environment; this process is ours. */
    bench_report_path(report, sizeof(report));
    setenv("BENCH_WORKLOAD", "sink", 1);
    setenv("BENCH_REPORT", report, 1);
    memset(&w, 0, sizeof(w));
    to.argv = argv;
    if (claude_transport_new(&w.tp, &to) != 0) {
        return bench_fail(out, "claude_transport_new failed");
    }
    if (claude_transport_open(w.tp, &err) != 0) {
        claude_transport_free(w.tp);
        return bench_fail(out, "claude_transport_open: %s", err.message);
    }
    rv = run_writers(j, &w, out);
    (void)claude_transport_end_input(w.tp);
    (void)claude_transport_wait(w.tp, 10000, &status);
    claude_transport_free(w.tp);
    free(w.lat);
    if (rv != 0) {
        return rv;
    }
    return check_sink(report, (long)j->threads * j->n, out);
}

/*
 * The same through claude_client_send, which builds each line with
 * jansson; v[3] is the client's max_write_wait_us, the longest wait for
 * the transport's lock.
 */
static int
lib_write_client(const job *j, figures *out)
{
    char report[BENCH_PATH];
    claude_client *c;
    claude_message *m;
    claude_stats st;
    writers w;
    int rv;

    bench_report_path(report, sizeof(report));
    if (lib_open(j, lib_options(j, report), &c, out) != 0) {
        return -1;
    }
    memset(&w, 0, sizeof(w));
    w.c = c;
    rv = run_writers(j, &w, out);
    (void)claude_client_stats(c, &st);
    (void)claude_client_end_input(c);
    while (claude_client_receive(c, &m, 10000, NULL) == 0) {
        claude_message_free(m);
    }
    claude_client_free(c);
    free(w.lat);
    if (rv != 0) {
        return rv;
    }
    out->v[3] = (double)st.max_write_wait_us;

    /* The sink also counted initialize. */
    return check_sink(report, (long)j->threads * j->n + 1, out);
}

/*
 * The TypeScript SDK
 */

static void
ts_fill_versions(void)
{
    char path[PATH_MAX];
    json_t *pkg;

    snprintf(path, sizeof(path), "%s/package.json", ts_sdk);
    pkg = json_load_file(path, 0, NULL);
    snprintf(ts_version, sizeof(ts_version), "%s",
             pkg ? json_string_value(json_object_get(pkg, "version")) : "?");
    json_decref(pkg);
}

/* Run ts-bench.mjs for j; it prints one JSON line of figures. */
static int
ts_job(const job *j, figures *out)
{
    char args[6][BENCH_PATH + 16];
    char mock_env[PATH_MAX + 16];
    char *argv[10];
    const char *extra[2];
    char buf[4096];
    size_t len = 0;
    char **env;
    json_t *res;
    json_t *v;
    char *last;
    ssize_t n;
    pid_t pid;
    int fd;
    int status;
    size_t i;
    int rv;

    snprintf(args[0], sizeof(args[0]), "workload=%s", j->workload);
    snprintf(args[1], sizeof(args[1]), "n=%ld", j->n);
    snprintf(args[2], sizeof(args[2]), "typed=%d", j->typed);
    snprintf(args[3], sizeof(args[3]), "inflight=%ld", j->inflight);
    snprintf(args[4], sizeof(args[4]), "sleep_us=%ld", j->sleep_us);
    snprintf(args[5], sizeof(args[5]), "report=");
    bench_report_path(args[5] + 7, sizeof(args[5]) - 7);
    argv[0] = (char *)"node";
    argv[1] = ts_script;
    for (i = 0; i < 6; i++) {
        argv[2 + i] = args[i];
    }
    argv[8] = NULL;
    snprintf(mock_env, sizeof(mock_env), "BENCH_MOCK=%s", mock_path);
    extra[0] = mock_env;
    extra[1] = NULL;
    env = bench_env(extra);
    if (env == NULL) {
        return bench_fail(out, "out of memory");
    }
    rv = spawn_piped("node", argv, env, &pid, NULL, &fd);
    free(env);
    if (rv != 0) {
        return bench_fail(out, "cannot start node: %s", strerror(rv));
    }
    while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t)n;
        if (len == sizeof(buf) - 1) {
            len = 0;
        }
    }
    close(fd);
    waitpid(pid, &status, 0);
    buf[len] = '\0';
    while (len > 0 && buf[len - 1] == '\n') {
        buf[--len] = '\0';
    }
    last = strrchr(buf, '\n');
    last = last ? last + 1 : buf;
    res = json_loads(last, 0, NULL);
    if (res == NULL || !json_is_true(json_object_get(res, "ok"))) {
        bench_fail(out, "ts-bench: %s",
                   res ? json_string_value(json_object_get(res, "why"))
                       : "no result");
        json_decref(res);
        return -1;
    }
    v = json_object_get(res, "v");
    for (i = 0; i < BENCH_FIGURES && i < json_array_size(v); i++) {
        out->v[i] = json_number_value(json_array_get(v, i));
    }
    out->rss_kb = (long)json_integer_value(json_object_get(res, "rss_kb"));
    if (node_version[0] == '\0') {
        snprintf(node_version, sizeof(node_version), "%s",
                 json_string_value(json_object_get(res, "node")));
    }
    json_decref(res);
    out->ok = 1;
    return 0;
}

/*
 * Runs and medians
 */

static long
vm_hwm_kb(void)
{
    char line[256];
    long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
        }
    }
    fclose(f);
    return kb;
}

/* One run of a C job, in a forked child. */
static void
run_forked(const job *j, figures *f)
{
    figures r;
    size_t got = 0;
    ssize_t n;
    pid_t pid;
    int fds[2];
    int status = 0;

    memset(f, 0, sizeof(*f));
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) != 0) {
        bench_fail(f, "pipe: %s", strerror(errno));
        return;
    }
    pid = fork();
    if (pid < 0) {
        bench_fail(f, "fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        alarm(RUN_LIMIT_S);
        memset(&r, 0, sizeof(r));
        r.ok = j->fn(j, &r) == 0;
        r.rss_kb = vm_hwm_kb();
        (void)bench_write_all(fds[1], (const char *)&r, sizeof(r));
        _exit(0);
    }
    close(fds[1]);
    while (got < sizeof(*f) &&
           (n = read(fds[0], (char *)f + got, sizeof(*f) - got)) > 0) {
        got += (size_t)n;
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != sizeof(*f)) {
        bench_fail(f, "the measuring process died (wait status %d)", status);
    }
}

static void
run_job(job *j, int runs, int index, int njobs)
{
    figures *f = calloc((size_t)runs, sizeof(*f));
    double vals[64];
    uint64_t t0 = bench_now_ns();
    int r;
    int i;

    memset(&j->result, 0, sizeof(j->result));
    if (j->is_ts && ts_sdk == NULL) {
        bench_fail(&j->result, "%s", ts_why);
        j->measured = 1;
        free(f);
        return;
    }
    for (r = 0; r < runs; r++) {
        if (j->is_ts) {
            memset(&f[r], 0, sizeof(f[r]));
            (void)ts_job(j, &f[r]);
        } else {
            run_forked(j, &f[r]);
        }
        if (!f[r].ok) {
            j->result = f[r];
            fprintf(stderr, "bench: [%d/%d] %s: failed: %s\n", index, njobs,
                    j->label, f[r].why);
            j->measured = 1;
            free(f);
            return;
        }
    }

    /* Each figure's median; the largest peak RSS. */
    for (i = 0; i < BENCH_FIGURES; i++) {
        for (r = 0; r < runs; r++) {
            vals[r] = f[r].v[i];
        }
        j->result.v[i] = bench_median(vals, (size_t)runs);
    }
    for (r = 0; r < runs; r++) {
        if (f[r].rss_kb > j->result.rss_kb) {
            j->result.rss_kb = f[r].rss_kb;
        }
    }
    j->result.ok = 1;
    j->measured = 1;
    fprintf(
        stderr, "bench: [%d/%d] %-44s %10.1f %9.1f %9.1f  %6.1f MB  (%.1f s)\n",
        index, njobs, j->label, j->result.v[0], j->result.v[1], j->result.v[2],
        (double)j->result.rss_kb / 1024, (double)(bench_now_ns() - t0) / 1e9);
    free(f);
}

/*
 * The table
 */

enum kind {
    KIND_FLOOD,     /* v: MB/s, msg/s */
    KIND_CONTROL,   /* v: req/s, p50 us, p99 us */
    KIND_MS,        /* v: ms, lower is better */
    KIND_WRITE,     /* v: lines/s, call p99 us */
    KIND_WRITE_WAIT /* the same, and v[3]: max lock wait us */
};

typedef struct row {
    const char *name;
    enum kind kind;
    job *lib;
    job *ceil;
    job *ts;
    double ceil_bound;     /* a ceiling stated rather than measured */
    const char *ceil_note; /* says how the bound is reached */
    const char *ts_note;   /* why TypeScript has no figure here */
} row;

static void
cell(char *buf, size_t size, enum kind kind, const figures *f)
{
    switch (kind) {
    case KIND_FLOOD:
        snprintf(buf, size, "%.0f MB/s (%.0fk msg/s)", f->v[0], f->v[1] / 1e3);
        break;
    case KIND_CONTROL:
        snprintf(buf, size,
                 "%.1fk req/s; p50 %.0f, "
                 "p99 %.0f µs",
                 f->v[0] / 1e3, f->v[1], f->v[2]);
        break;
    case KIND_MS:
        snprintf(buf, size, "%.1f ms", f->v[0]);
        break;
    case KIND_WRITE:
        snprintf(buf, size, "%.0fk lines/s; call p99 %.0f µs", f->v[0] / 1e3,
                 f->v[1]);
        break;
    case KIND_WRITE_WAIT:
        snprintf(buf, size,
                 "%.0fk lines/s; call p99 %.0f µs; max lock wait %.0f µs",
                 f->v[0] / 1e3, f->v[1], f->v[3]);
        break;
    }
}

/* A job's cell: its figures, or why it has none. */
static void
job_cell(char *buf, size_t size, enum kind kind, const job *j, const char *note)
{
    if (j == NULL) {
        snprintf(buf, size, "n/a%s%s", note ? ": " : "", note ? note : "");
    } else if (!j->result.ok) {
        snprintf(buf, size, "n/a: %s", j->result.why);
    } else {
        cell(buf, size, kind, &j->result);
    }
}

/* How fast libclaude is against another: above 1, libclaude is faster. */
static void
ratio(char *buf, size_t size, enum kind kind, const job *lib, double other)
{
    double mine;

    if (lib == NULL || !lib->result.ok || other <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    mine = lib->result.v[0];
    snprintf(buf, size, "%.2f", kind == KIND_MS ? other / mine : mine / other);
}

static double
figure(const job *j)
{
    return j != NULL && j->result.ok ? j->result.v[0] : 0;
}

/* How long libclaude's callbacks slept on average, in us; 0: unknown. */
static double
slept_us(const row *w)
{
    return w->lib != NULL && w->lib->result.ok ? w->lib->result.v[3] : 0;
}

/*
 * A stated bound: requests in flight over the time each takes.  When
 * the callbacks timed their sleeps, the time is what they lasted, not
 * what they asked for.
 */
static double
bound_of(const row *w)
{
    if (slept_us(w) > 0) {
        return (double)w->lib->inflight * 1e6 / slept_us(w);
    }
    return w->ceil_bound;
}

static void
rss(char *buf, size_t size, const job *lib, const job *ts)
{
    char a[32];
    char b[32];

    snprintf(a, sizeof(a), "-");
    snprintf(b, sizeof(b), "-");
    if (lib != NULL && lib->result.ok) {
        snprintf(a, sizeof(a), "%.0f", (double)lib->result.rss_kb / 1024);
    }
    if (ts != NULL && ts->result.ok) {
        snprintf(b, sizeof(b), "%.0f", (double)ts->result.rss_kb / 1024);
    }
    snprintf(buf, size, "%s / %s MiB", a, b);
}

static void
print_table(FILE *f, const row *rows, size_t nrows)
{
    char c[5][256];
    char r[96];
    const row *w;
    size_t i;

    fprintf(f, "| workload | libclaude | bare C ceiling | TypeScript SDK "
               "| vs ceiling | vs TS | peak RSS lib / TS |\n");
    fprintf(f, "|---|---|---|---|---|---|---|\n");
    for (i = 0; i < nrows; i++) {
        w = &rows[i];
        job_cell(c[0], sizeof(c[0]), w->kind, w->lib, NULL);
        if (w->ceil_bound > 0 && slept_us(w) > 0) {
            snprintf(c[1], sizeof(c[1]),
                     "%.1fk req/s (bound: %ld / %.2f ms, the callbacks' "
                     "sleeps as they lasted; %s: %.1fk)",
                     bound_of(w) / 1e3, w->lib->inflight, slept_us(w) / 1e3,
                     w->ceil_note, w->ceil_bound / 1e3);
        } else if (w->ceil_bound > 0) {
            snprintf(c[1], sizeof(c[1]), "%.1fk req/s (bound: %s)",
                     w->ceil_bound / 1e3, w->ceil_note);
        } else {
            /* The ceiling has no lock-wait figure of its own. */
            job_cell(c[1], sizeof(c[1]),
                     w->kind == KIND_WRITE_WAIT ? KIND_WRITE : w->kind, w->ceil,
                     w->ceil_note);
        }
        job_cell(c[2], sizeof(c[2]), w->kind, w->ts, w->ts_note);
        ratio(c[3], sizeof(c[3]), w->kind, w->lib,
              w->ceil_bound > 0 ? bound_of(w) : figure(w->ceil));
        ratio(c[4], sizeof(c[4]), w->kind, w->lib, figure(w->ts));
        rss(r, sizeof(r), w->lib, w->ts);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", w->name, c[0],
                c[1], c[2], c[3], c[4], r);
    }
}

/*
 * The targets
 */

/* The rows the targets read; the peak RSS target reads every row. */
typedef struct targets {
    const row *flood_raw;
    const row *typed_one;
    const row *typed_two;
    const row *control;       /* 64 in flight */
    const row *control_sleep; /* 64 in flight, callbacks sleep 5 ms */
    const row *startup;       /* with the version probe */
    const row *rows;
    size_t nrows;
} targets;

static int
has(const job *j)
{
    return j != NULL && j->result.ok;
}

static const char *
verdict(int holds)
{
    return holds ? "holds" : "misses";
}

/* The target's line when a or b has no figure, saying which and why. */
static void
not_measured(FILE *f, const char *target, const job *a, const job *b)
{
    const job *j = has(a) ? b : a;

    fprintf(f, "- %s: not measured (%s: %s).\n", target, j->label,
            j->result.why);
}

/* A flood row's libclaude MB/s against at least want × other's. */
static void
flood_target(FILE *f, const char *target, const job *lib, const job *other,
             const char *other_name, double want)
{
    double r;

    if (!has(lib) || !has(other)) {
        not_measured(f, target, lib, other);
        return;
    }
    r = lib->result.v[0] / other->result.v[0];
    fprintf(f,
            "- %s: libclaude %.0f MB/s, %s %.0f MB/s: %.2f ×, "
            "target ≥ %.2f ×: %s.\n",
            target, lib->result.v[0], other_name, other->result.v[0], r, want,
            verdict(r >= want));
}

/* The worst ratio of libclaude's peak RSS to TypeScript's, by row. */
static void
rss_target(FILE *f, const targets *t)
{
    const row *worst = NULL;
    double worst_r = 0;
    double r;
    int compared = 0;
    int lacking = 0;
    size_t i;

    for (i = 0; i < t->nrows; i++) {
        const row *w = &t->rows[i];

        if (!has(w->ts) || w->ts->result.rss_kb <= 0) {
            continue;
        }
        if (!has(w->lib)) {
            lacking++;
            continue;
        }
        compared++;
        r = (double)w->lib->result.rss_kb / (double)w->ts->result.rss_kb;
        if (worst == NULL || r > worst_r) {
            worst = w;
            worst_r = r;
        }
    }
    if (worst == NULL) {
        fprintf(f, "- peak RSS: not measured (no row has both a libclaude "
                   "and a TypeScript figure).\n");
        return;
    }
    fprintf(f,
            "- peak RSS: worst libclaude / TS ratio %.3f (%.0f / %.0f MiB, "
            "\"%s\") over %d row%s with both figures%s, target ≤ 0.10: "
            "%s.\n",
            worst_r, (double)worst->lib->result.rss_kb / 1024,
            (double)worst->ts->result.rss_kb / 1024, worst->name, compared,
            compared == 1 ? "" : "s",
            lacking > 0 ? " (some TS rows lack a libclaude figure)" : "",
            verdict(worst_r <= 0.10));
}

/* Each target, from the figures of this run. */
static void
print_targets(FILE *f, const targets *t)
{
    const job *lib;
    const job *other;
    double rps;
    double p99;
    double bound;
    double over;

    fprintf(f, "\nTargets, judged on the figures above:\n\n");
    flood_target(f, "flood raw vs TS", t->flood_raw->lib, t->flood_raw->ts,
                 "TS", 5.0);
    flood_target(f, "flood typed, 1 consumer vs json_loadb ceiling",
                 t->typed_one->lib, t->typed_one->ceil, "ceiling", 0.90);
    flood_target(f, "flood typed, 2 consumers vs json_loadb ceiling",
                 t->typed_two->lib, t->typed_two->ceil, "ceiling", 1.6);

    /* Both halves must hold: throughput and tail latency. */
    lib = t->control->lib;
    other = t->control->ts;
    if (!has(lib) || !has(other)) {
        not_measured(f, "control, 64 in flight vs TS", lib, other);
    } else {
        rps = lib->result.v[0] / other->result.v[0];
        p99 = lib->result.v[2] / other->result.v[2];
        fprintf(f,
                "- control, 64 in flight vs TS: libclaude %.1fk req/s, "
                "p99 %.0f µs; TS %.1fk req/s, p99 %.0f µs: %.2f × the "
                "req/s (target ≥ 3 ×), %.3f of the p99 (target ≤ 0.20): "
                "%s.\n",
                lib->result.v[0] / 1e3, lib->result.v[2],
                other->result.v[0] / 1e3, other->result.v[2], rps, p99,
                verdict(rps >= 3.0 && p99 <= 0.20));
    }

    lib = t->control_sleep->lib;
    bound = bound_of(t->control_sleep);
    if (!has(lib)) {
        not_measured(f, "control, 64 in flight, 5 ms callbacks", lib, lib);
    } else {
        fprintf(f,
                "- control, 64 in flight, 5 ms callbacks (default "
                "options): libclaude %.1fk req/s; the callbacks' sleeps "
                "lasted %.3f ms on average, so 64 in flight allow %.1fk "
                "req/s: %.3f of that bound (%.3f of 64 / 5 ms), target "
                "≥ 0.95: %s.\n",
                lib->result.v[0] / 1e3, lib->result.v[3] / 1e3, bound / 1e3,
                lib->result.v[0] / bound,
                lib->result.v[0] / t->control_sleep->ceil_bound,
                verdict(lib->result.v[0] >= 0.95 * bound));
    }

    rss_target(f, t);

    /* The ceiling pays the same spawns; the rest is the library's. */
    lib = t->startup->lib;
    other = t->startup->ceil;
    if (!has(lib) || !has(other)) {
        not_measured(f, "startup", lib, other);
    } else {
        over = lib->result.v[0] - other->result.v[0];
        fprintf(f,
                "- startup (\"%s\", with the -v probe): libclaude %.1f "
                "ms, ceiling %.1f ms: %.1f ms of library overhead, target "
                "< 5 ms: %s.\n",
                t->startup->name, lib->result.v[0], other->result.v[0], over,
                verdict(over < 5.0));
    }
}

static void *
spin(void *arg)
{
    volatile unsigned long x = 0;
    unsigned long i;

    for (i = 0; i < 400000000ul; i++) {
        x += i;
    }
    return arg;
}

/*
 * How many times faster two busy threads get through the same work as
 * one: about 2 on two free cores, about 1 when they share one.
 */
static double
parallel_speedup(void)
{
    pthread_t t;
    uint64_t t0;
    uint64_t one;
    uint64_t two;

    t0 = bench_now_ns();
    spin(NULL);
    one = bench_now_ns() - t0;
    t0 = bench_now_ns();
    pthread_create(&t, NULL, spin, NULL);
    spin(NULL);
    pthread_join(t, NULL);
    two = bench_now_ns() - t0;
    return 2.0 * (double)one / (double)two;
}

static long
env_long(const char *name, long fallback)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? strtol(v, NULL, 10) : fallback;
}

/* The line of the transport write workload: a user message. */
static void
build_write_line(void)
{
    snprintf(write_line, sizeof(write_line),
             "{\"type\":\"user\",\"session_id\":\"\",\"message\":{\"role\":"
             "\"user\",\"content\":\"%s\"},\"parent_tool_use_id\":null}",
             write_text);
    write_len = strlen(write_line);
}

/*
 * Pin this process, and so every process and thread it starts, to the
 * CPUs listed in BENCH_CPUS ("0" or "0,1"); returns 0 when it is unset.
 */
static int
pin_cpus(const char *list)
{
    cpu_set_t set;
    const char *p = list;
    char *end;
    long cpu;

    if (list == NULL || list[0] == '\0') {
        return 0;
    }
    CPU_ZERO(&set);
    while (*p != '\0') {
        cpu = strtol(p, &end, 10);
        if (end == p || cpu < 0 || cpu >= CPU_SETSIZE) {
            return -1;
        }
        CPU_SET((int)cpu, &set);
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0') {
            return -1;
        }
    }
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? 1 : -1;
}

/* Where the TypeScript SDK is, or why it cannot be used. */
static void
find_ts(void)
{
    const char *sdk = getenv("BENCH_TS_SDK");
    const char *why = getenv("BENCH_TS_NA");
    char path[PATH_MAX];
    struct stat st;

    if (sdk != NULL && sdk[0] != '\0') {
        snprintf(path, sizeof(path), "%s/sdk.mjs", sdk);
        if (stat(path, &st) == 0) {
            ts_sdk = sdk;
            ts_fill_versions();
            return;
        }
        snprintf(ts_why, sizeof(ts_why), "no sdk.mjs in %s", sdk);
        return;
    }
    snprintf(ts_why, sizeof(ts_why), "%s",
             why && why[0] ? why : "BENCH_TS_SDK is not set");
}

int
main(int argc, char **argv)
{
    long flood_n = env_long("BENCH_FLOOD_N", 300000);
    long control_n = env_long("BENCH_CONTROL_N", 20000);
    long write_n = env_long("BENCH_WRITE_N", 2000);
    int runs = (int)env_long("BENCH_RUNS", 5);
    const char *only = getenv("BENCH_ONLY");
    double speedup;
    double speedup_end;
    int pinned;
    uint64_t t0 = bench_now_ns();
    char path[PATH_MAX + 32];
    char when[64];
    time_t now = time(NULL);
    FILE *md;
    size_t i;

    if (argc != 4) {
        fprintf(stderr, "usage: bench MOCK OUT_DIR TS_SCRIPT\n");
        return 2;
    }
    if (realpath(argv[1], mock_path) == NULL ||
        realpath(argv[2], out_dir) == NULL ||
        realpath(argv[3], ts_script) == NULL) {
        fprintf(stderr, "bench: %s\n", strerror(errno));
        return 2;
    }
    if (runs < 1 || runs > 64) {
        runs = 5;
    }
    signal(SIGPIPE, SIG_IGN);
    pinned = pin_cpus(getenv("BENCH_CPUS"));
    if (pinned < 0) {
        fprintf(stderr, "bench: BENCH_CPUS: a list of CPU numbers\n");
        return 2;
    }
    build_write_line();
    find_ts();

    /* Every measurement, in the order it runs. */
    job jobs[] = {
        {.label = "flood raw, libclaude",
         .fn = lib_flood,
         .workload = "flood",
         .n = flood_n,
         .threads = 1},
        {.label = "flood raw, ceiling",
         .fn = ceil_flood,
         .workload = "flood",
         .n = flood_n},
        {.label = "flood raw, TS",
         .workload = "flood",
         .n = flood_n,
         .is_ts = 1},
        {.label = "flood typed 1 thread, libclaude",
         .fn = lib_flood,
         .workload = "flood",
         .n = flood_n,
         .typed = 1,
         .threads = 1},
        {.label = "flood typed 2 threads, libclaude",
         .fn = lib_flood,
         .workload = "flood",
         .n = flood_n,
         .typed = 1,
         .threads = 2},
        {.label = "flood + json_loadb, ceiling",
         .fn = ceil_flood,
         .workload = "flood",
         .n = flood_n,
         .typed = 1},
        {.label = "flood typed, TS",
         .workload = "flood",
         .n = flood_n,
         .typed = 1,
         .is_ts = 1},
        {.label = "flood-big raw, libclaude",
         .fn = lib_flood,
         .workload = "flood-big",
         .n = 2000,
         .threads = 1},
        {.label = "flood-big raw, ceiling",
         .fn = ceil_flood,
         .workload = "flood-big",
         .n = 2000},
        {.label = "flood-big raw, TS",
         .workload = "flood-big",
         .n = 2000,
         .is_ts = 1},
        {.label = "control K=1, libclaude",
         .fn = lib_control,
         .workload = "control",
         .n = control_n,
         .inflight = 1},
        {.label = "control K=1, ceiling",
         .fn = ceil_control,
         .workload = "control",
         .n = control_n,
         .inflight = 1},
        {.label = "control K=1, TS",
         .workload = "control",
         .n = control_n,
         .inflight = 1,
         .is_ts = 1},
        {.label = "control K=8, libclaude",
         .fn = lib_control,
         .workload = "control",
         .n = control_n,
         .inflight = 8},
        {.label = "control K=8, ceiling",
         .fn = ceil_control,
         .workload = "control",
         .n = control_n,
         .inflight = 8},
        {.label = "control K=8, TS",
         .workload = "control",
         .n = control_n,
         .inflight = 8,
         .is_ts = 1},
        {.label = "control K=64, libclaude",
         .fn = lib_control,
         .workload = "control",
         .n = control_n,
         .inflight = 64},
        {.label = "control K=64, ceiling",
         .fn = ceil_control,
         .workload = "control",
         .n = control_n,
         .inflight = 64},
        {.label = "control K=64, TS",
         .workload = "control",
         .n = control_n,
         .inflight = 64,
         .is_ts = 1},
        {.label = "control K=64 5 ms, libclaude",
         .fn = lib_control,
         .workload = "control",
         .n = control_n,
         .inflight = 64,
         .sleep_us = 5000},
        {.label = "control K=64 5 ms, TS",
         .workload = "control",
         .n = control_n,
         .inflight = 64,
         .sleep_us = 5000,
         .is_ts = 1},
        {.label = "startup, libclaude",
         .fn = lib_startup,
         .workload = "startup",
         .version_check = 1},
        {.label = "startup, ceiling",
         .fn = ceil_startup,
         .workload = "startup",
         .version_check = 1},
        {.label = "startup no version check, libclaude",
         .fn = lib_startup,
         .workload = "startup"},
        {.label = "startup no version check, ceiling",
         .fn = ceil_startup,
         .workload = "startup"},
        {.label = "startup, TS", .workload = "startup", .is_ts = 1},
        {.label = "write 64 threads transport, libclaude",
         .fn = lib_write_transport,
         .workload = "sink",
         .n = write_n,
         .threads = 64},
        {.label = "write 64 threads client_send, libclaude",
         .fn = lib_write_client,
         .workload = "sink",
         .n = write_n,
         .threads = 64},
        {.label = "write 64 threads mutex, ceiling",
         .fn = ceil_write,
         .workload = "sink",
         .n = write_n,
         .threads = 64},
    };
    size_t njobs = sizeof(jobs) / sizeof(jobs[0]);
    char flood_name[96];
    char control_name[4][96];

    snprintf(flood_name, sizeof(flood_name), "flood raw: %ldk × 1 KB",
             flood_n / 1000);
    snprintf(control_name[0], sizeof(control_name[0]),
             "control, %ldk can_use_tool, 1 in flight", control_n / 1000);
    snprintf(control_name[1], sizeof(control_name[1]), "control, 8 in flight");
    snprintf(control_name[2], sizeof(control_name[2]), "control, 64 in flight");
    snprintf(control_name[3], sizeof(control_name[3]),
             "control, 64 in flight, callbacks sleep 5 ms");
    const row rows[] = {
        {flood_name, KIND_FLOOD, &jobs[0], &jobs[1], &jobs[2], 0, NULL, NULL},
        {"flood typed, 1 consumer (claude_message_text)", KIND_FLOOD, &jobs[3],
         &jobs[5], &jobs[6], 0, NULL, NULL},
        {"flood typed, 2 consumers", KIND_FLOOD, &jobs[4], &jobs[5], NULL, 0,
         NULL, "one JS thread"},
        {"flood-big raw: 2000 × 1 KB + 80 × 4 MB", KIND_FLOOD, &jobs[7],
         &jobs[8], &jobs[9], 0, NULL, NULL},
        {control_name[0], KIND_CONTROL, &jobs[10], &jobs[11], &jobs[12], 0,
         NULL, NULL},
        {control_name[1], KIND_CONTROL, &jobs[13], &jobs[14], &jobs[15], 0,
         NULL, NULL},
        {control_name[2], KIND_CONTROL, &jobs[16], &jobs[17], &jobs[18], 0,
         NULL, NULL},
        {control_name[3], KIND_CONTROL, &jobs[19], NULL, &jobs[20], 12800,
         "64 / 5 ms", NULL},
        {"startup: client_new + first message", KIND_MS, &jobs[21], &jobs[22],
         &jobs[25], 0, NULL, NULL},
        {"startup, CLAUDE_OPT_VERSION_CHECK_MS 0", KIND_MS, &jobs[23],
         &jobs[24], &jobs[25], 0, NULL, NULL},
        {"write lock: 64 threads, claude_transport_write", KIND_WRITE,
         &jobs[26], &jobs[28], NULL, 0, NULL, "no threads"},
        {"write lock: 64 threads, claude_client_send", KIND_WRITE_WAIT,
         &jobs[27], &jobs[28], NULL, 0, NULL, "no threads"},
    };
    size_t nrows = sizeof(rows) / sizeof(rows[0]);
    const targets tgt = {.flood_raw = &rows[0],
                         .typed_one = &rows[1],
                         .typed_two = &rows[2],
                         .control = &rows[6],
                         .control_sleep = &rows[7],
                         .startup = &rows[8],
                         .rows = rows,
                         .nrows = nrows};

    speedup = parallel_speedup();
    fprintf(stderr, "bench: two threads run %.2f times as fast as one\n",
            speedup);
    fprintf(stderr, "bench: %d run%s of each; TypeScript SDK: %s\n", runs,
            runs == 1 ? "" : "s", ts_sdk ? ts_version : ts_why);
    fprintf(stderr, "bench: figures per job are v[0] v[1] v[2], peak RSS\n");
    for (i = 0; i < njobs; i++) {
        if (only != NULL && strstr(jobs[i].label, only) == NULL) {
            bench_fail(&jobs[i].result, "not run (BENCH_ONLY)");
            continue;
        }
        run_job(&jobs[i], runs, (int)i + 1, (int)njobs);
    }

    speedup_end = parallel_speedup();
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&now));
    snprintf(path, sizeof(path), "%s/results.md", out_dir);
    md = fopen(path, "w");
    for (i = 0; i < 2; i++) {
        FILE *f = i == 0 ? stdout : md;

        if (f == NULL) {
            continue;
        }
        fprintf(f, "\n## libclaude %s benchmarks (%s)\n\n", claude_version(),
                when);
        print_table(f, rows, nrows);
        fprintf(f,
                "\nMedian of %d run%s; the whole run took %.0f s. "
                "TypeScript: %s%s%s%s.\n\n",
                runs, runs == 1 ? "" : "s", (double)(bench_now_ns() - t0) / 1e9,
                ts_sdk ? "@anthropic-ai/claude-agent-sdk " : "n/a (",
                ts_sdk ? ts_version : ts_why, ts_sdk ? " on node " : ")",
                ts_sdk ? node_version : "");
        fprintf(f,
                "- Machine: %ld CPUs online; two busy threads ran %.2f "
                "times as fast as one before the run and %.2f times "
                "after it: that is how many cores the threads (the "
                "library's reader and workers, the consumers, the mock) "
                "had to share.\n",
                sysconf(_SC_NPROCESSORS_ONLN), speedup, speedup_end);
        if (pinned) {
            fprintf(f,
                    "- Pinned to CPUs %s (BENCH_CPUS): every process "
                    "and thread of the run shares them.\n",
                    getenv("BENCH_CPUS"));
        }
        fprintf(f, "- \"vs\" columns: libclaude's speed over the other's "
                   "(throughput ratio, or inverse time ratio for ms rows); "
                   "above 1 means libclaude is faster.\n");
        fprintf(f, "- Floods are timed by the consumer, from the first "
                   "message to the last one handled. Control figures are "
                   "the mock's own: send to reply on CLOCK_MONOTONIC.\n");
        fprintf(f, "- Ceilings, one thread each, read the mock's stdout "
                   "as the library does: a pipe raised to 1 MiB with "
                   "F_SETPIPE_SZ and read(2) of 256 KiB. Floods count "
                   "newlines, typed rows also json_loadb each "
                   "line; control parses each request with json_loadb and "
                   "writes a json_dumps reply; startup is posix_spawn, the "
                   "initialize line and two lines read (after a -v probe "
                   "in the first row); write lock is 64 threads with a "
                   "plain mutex around writev(2) of the finished line, so "
                   "claude_client_send, which also builds its JSON, is "
                   "compared with a ceiling that does not.\n");
        fprintf(f, "- Write lock: \"call p99\" times whole write calls, "
                   "lock wait included; \"max lock wait\" is "
                   "claude_client_stats() max_write_wait_us.\n");
        fprintf(f, "- Peak RSS: VmHWM of the process that ran the workload, "
                   "largest of the runs; TS: process.resourceUsage()"
                   ".maxRSS of node.\n");
        print_targets(f, &tgt);
    }
    if (md != NULL) {
        fclose(md);

        /* After the table, not in the middle of its buffered lines. */
        fflush(stdout);
        fprintf(stderr, "bench: wrote %s\n", path);
    }
    return 0;
}
