/*
 * ceiling.c: the same workloads in bare C, as the ceilings the library
 * is compared with.
 *
 * Each ceiling talks to the mock CLI through plain pipes on one thread
 * (the write ceiling excepted), with nothing a library adds: no reader
 * thread, no queue, no copies.  They show what the machine and jansson
 * allow, not what a safe library can reach.  The mock's stdout is the
 * pipe the library reads: 1 MiB where the kernel allows, read 256 KiB
 * at a time.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"

/* As much as the library reads from the CLI's stdout at once. */
#define CHUNK (256 * 1024)

/* The size the library asks for the CLI's stdout pipe. */
#define STDOUT_PIPE_SIZE (1024 * 1024)

static const char init_line[] =
    "{\"type\":\"control_request\",\"request_id\":\"req_1_init\","
    "\"request\":{\"subtype\":\"initialize\",\"hooks\":null}}\n";

/* A growable buffer that yields complete lines. */
typedef struct lines {
    char *buf;
    size_t start;
    size_t end;
    size_t cap;
} lines;

/* Read once more from fd; returns the bytes read, 0 at the end. */
static ssize_t
lines_fill(lines *l, int fd)
{
    ssize_t n;

    if (l->start > 0) {
        memmove(l->buf, l->buf + l->start, l->end - l->start);
        l->end -= l->start;
        l->start = 0;
    }
    if (l->cap - l->end < CHUNK) {
        l->cap = l->cap ? l->cap * 2 : CHUNK * 2;
        l->buf = realloc(l->buf, l->cap);
        if (l->buf == NULL) {
            return -1;
        }
    }
    do {
        n = read(fd, l->buf + l->end, l->cap - l->end);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        l->end += (size_t)n;
    }
    return n;
}

static char *
lines_next(lines *l, size_t *len)
{
    char *p = l->buf + l->start;
    char *nl;

    if (l->start == l->end) {
        return NULL;
    }
    nl = memchr(p, '\n', l->end - l->start);
    if (nl == NULL) {
        return NULL;
    }
    *len = (size_t)(nl - p);
    l->start += *len + 1;
    return p;
}

static void
fmt_env(char *buf, size_t size, const char *name, long value)
{
    snprintf(buf, size, "%s=%ld", name, value);
}

/* Start the mock for j, with the library's stdout pipe, and send it
 * initialize. */
static int
start(const job *j, mock *m, char *report, size_t size, figures *out)
{
    char workload[64];
    char n[48];
    char inflight[48];
    char rep[BENCH_PATH + 16];
    const char *env[6];
    int k = 0;

    bench_report_path(report, size);
    snprintf(workload, sizeof(workload), "BENCH_WORKLOAD=%s", j->workload);
    snprintf(rep, sizeof(rep), "BENCH_REPORT=%s", report);
    env[k++] = workload;
    env[k++] = rep;
    if (j->n > 0) {
        fmt_env(n, sizeof(n), "BENCH_N", j->n);
        env[k++] = n;
    }
    if (j->inflight > 0) {
        fmt_env(inflight, sizeof(inflight), "BENCH_INFLIGHT", j->inflight);
        env[k++] = inflight;
    }
    env[k] = NULL;
    if (bench_spawn_mock(m, NULL, env, out) != 0) {
        return -1;
    }

    /* Size the pipe as the library does, so the two read alike. */
#ifdef F_SETPIPE_SZ
    (void)fcntl(m->out, F_SETPIPE_SZ, STDOUT_PIPE_SIZE);
#endif
    if (bench_write_all(m->in, init_line, strlen(init_line)) != 0) {
        bench_mock_finish(m);
        return bench_fail(out, "cannot write initialize to the mock");
    }
    return 0;
}

/*
 * The flood read through a plain pipe: count the newlines, or also
 * parse each line with json_loadb (j->typed).  The clock starts at the
 * first byte and stops at the result line.
 */
int
ceil_flood(const job *j, figures *out)
{
    char report[BENCH_PATH];
    lines l = {0};
    mock m;
    json_error_t jerr;
    json_t *root;
    json_t *rep;
    unsigned long long bytes = 0;
    unsigned long long count = 0;
    unsigned long long want;
    uint64_t t0 = 0;
    uint64_t t1 = 0;
    char *line;
    size_t len;
    char *p;
    char *nl;
    ssize_t n;
    int rv = 0;

    if (start(j, &m, report, sizeof(report), out) != 0) {
        return -1;
    }

    /* The reply to initialize, the messages and the result. */
    want = (unsigned long long)j->n + 2;
    if (strcmp(j->workload, "flood-big") == 0) {
        want += 80;
    }
    while (count < want) {
        if (!j->typed) {
            if (l.buf == NULL && (l.buf = malloc(CHUNK)) == NULL) {
                rv = bench_fail(out, "out of memory");
                break;
            }
            do {
                n = read(m.out, l.buf, CHUNK);
            } while (n < 0 && errno == EINTR);
            if (n <= 0) {
                break;
            }
            if (t0 == 0) {
                t0 = bench_now_ns();
            }
            bytes += (size_t)n;
            p = l.buf;
            while ((nl = memchr(p, '\n', (size_t)(l.buf + n - p))) != NULL) {
                count++;
                p = nl + 1;
            }
            continue;
        }
        n = lines_fill(&l, m.out);
        if (n <= 0) {
            break;
        }
        if (t0 == 0) {
            t0 = bench_now_ns();
        }
        bytes += (size_t)n;
        while ((line = lines_next(&l, &len)) != NULL) {
            root = json_loadb(line, len, 0, &jerr);
            if (root == NULL) {
                rv = bench_fail(out, "json_loadb: %s", jerr.text);
                break;
            }
            json_decref(root);
            count++;
        }
        if (rv != 0) {
            break;
        }
    }
    t1 = bench_now_ns();
    free(l.buf);
    bench_mock_finish(&m);
    if (rv != 0) {
        return rv;
    }
    if (count != want) {
        return bench_fail(out, "%llu lines, not %llu", count, want);
    }
    rep = bench_read_report(report, out);
    if (rep == NULL) {
        return -1;
    }
    json_decref(rep);
    out->v[0] = (double)bytes / 1e6 / ((double)(t1 - t0) / 1e9);
    out->v[1] = (double)count / ((double)(t1 - t0) / 1e9);
    return 0;
}

/* Answer one can_use_tool line with an allow that echoes the input. */
static int
answer(int fd, json_t *root)
{
    json_t *request = json_object_get(root, "request");
    json_t *reply;
    char *text;
    struct iovec iov[2];
    int rv;

    reply = json_pack(
        "{s:s,s:{s:s,s:s,s:{s:s,s:O,s:s}}}", "type", "control_response",
        "response", "subtype", "success", "request_id",
        json_string_value(json_object_get(root, "request_id")), "response",
        "behavior", "allow", "updatedInput", json_object_get(request, "input"),
        "toolUseID",
        json_string_value(json_object_get(request, "tool_use_id")));
    if (reply == NULL) {
        return -1;
    }
    text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (text == NULL) {
        return -1;
    }
    iov[0].iov_base = text;
    iov[0].iov_len = strlen(text);
    iov[1].iov_base = (void *)"\n";
    iov[1].iov_len = 1;

    /* The reply is small: one writev takes it whole. */
    rv = writev(fd, iov, 2) == (ssize_t)(iov[0].iov_len + 1) ? 0 : -1;
    free(text);
    return rv;
}

/*
 * The control workload answered by one thread that parses each request
 * with jansson and writes its reply at once.
 */
int
ceil_control(const job *j, figures *out)
{
    char report[BENCH_PATH];
    lines l = {0};
    mock m;
    json_error_t jerr;
    json_t *root;
    json_t *rep;
    const char *type;
    char *line;
    size_t len;
    int done = 0;
    int rv = 0;

    if (start(j, &m, report, sizeof(report), out) != 0) {
        return -1;
    }
    while (!done && rv == 0) {
        if (lines_fill(&l, m.out) <= 0) {
            rv = bench_fail(out, "the mock ended early");
            break;
        }
        while (rv == 0 && (line = lines_next(&l, &len)) != NULL) {
            root = json_loadb(line, len, 0, &jerr);
            if (root == NULL) {
                rv = bench_fail(out, "json_loadb: %s", jerr.text);
                break;
            }
            type = json_string_value(json_object_get(root, "type"));
            if (type != NULL && strcmp(type, "control_request") == 0) {
                if (answer(m.in, root) != 0) {
                    rv = bench_fail(out, "cannot answer a request");
                }
            } else if (type != NULL && strcmp(type, "result") == 0) {
                done = 1;
            }
            json_decref(root);
        }
    }
    free(l.buf);
    bench_mock_finish(&m);
    if (rv != 0) {
        return rv;
    }
    rep = bench_read_report(report, out);
    if (rep == NULL) {
        return -1;
    }
    out->v[0] = json_real_value(json_object_get(rep, "rps"));
    out->v[1] = json_real_value(json_object_get(rep, "p50_us"));
    out->v[2] = json_real_value(json_object_get(rep, "p99_us"));
    json_decref(rep);
    return 0;
}

/* Run "mock -v" to its end, as the library's version check does. */
static int
version_probe(figures *out)
{
    static const char *const none[] = {NULL};
    char buf[256];
    mock m;
    int status;

    if (bench_spawn_mock(&m, "-v", none, out) != 0) {
        return -1;
    }
    close(m.in);
    while (read(m.out, buf, sizeof(buf)) > 0) {
    }
    close(m.out);
    waitpid(m.pid, &status, 0);
    return 0;
}

/*
 * Start the mock, initialize, and read the first message: the least a
 * session's start can cost.  With j->version_check, a "-v" probe runs
 * first, as in the library.  The median of BENCH_STARTS, in ms.
 */
int
ceil_startup(const job *j, figures *out)
{
    char report[BENCH_PATH];
    double ms[BENCH_STARTS];
    lines l;
    mock m;
    uint64_t t0;
    size_t len;
    int got;
    int i;

    for (i = 0; i < BENCH_STARTS; i++) {
        memset(&l, 0, sizeof(l));
        got = 0;
        t0 = bench_now_ns();
        if (j->version_check && version_probe(out) != 0) {
            return -1;
        }
        if (start(j, &m, report, sizeof(report), out) != 0) {
            return -1;
        }

        /* The reply to initialize, then the message. */
        while (got < 2 && lines_fill(&l, m.out) > 0) {
            while (got < 2 && lines_next(&l, &len) != NULL) {
                got++;
            }
        }
        ms[i] = (double)(bench_now_ns() - t0) / 1e6;
        free(l.buf);
        bench_mock_finish(&m);
        if (got < 2) {
            return bench_fail(out, "no first message");
        }
    }
    out->v[0] = bench_median(ms, BENCH_STARTS);
    return 0;
}

/* The writers of the write ceiling. */
typedef struct writer {
    pthread_t thread;
    pthread_mutex_t *mtx;
    pthread_barrier_t *go;
    int fd;
    long n;
    uint64_t *lat;
    int failed;
} writer;

static void *
writer_main(void *arg)
{
    writer *w = arg;
    size_t len;
    const char *line = bench_write_line(&len);
    struct iovec iov[2];
    struct iovec v[2];
    uint64_t t;
    ssize_t n;
    long i;
    int k;
    int cnt;

    iov[0].iov_base = (void *)line;
    iov[0].iov_len = len;
    iov[1].iov_base = (void *)"\n";
    iov[1].iov_len = 1;
    pthread_barrier_wait(w->go);
    for (i = 0; i < w->n && !w->failed; i++) {
        t = bench_now_ns();
        pthread_mutex_lock(w->mtx);
        memcpy(v, iov, sizeof(v));
        cnt = 2;
        k = 0;
        while (cnt > 0) {
            n = writev(w->fd, v + k, cnt);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                w->failed = 1;
                break;
            }
            while (cnt > 0 && (size_t)n >= v[k].iov_len) {
                n -= (ssize_t)v[k].iov_len;
                k++;
                cnt--;
            }
            if (cnt > 0) {
                v[k].iov_base = (char *)v[k].iov_base + n;
                v[k].iov_len -= (size_t)n;
            }
        }
        pthread_mutex_unlock(w->mtx);
        w->lat[i] = bench_now_ns() - t;
    }
    return NULL;
}

/*
 * j->threads threads writing whole lines to the sink under one plain
 * mutex: lines/s and the p99 of one call, lock wait included.
 */
int
ceil_write(const job *j, figures *out)
{
    pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
    pthread_barrier_t go;
    char report[BENCH_PATH];
    writer *w;
    uint64_t *lat;
    uint64_t t0;
    uint64_t t1;
    json_t *rep;
    mock m;
    long total = (long)j->threads * j->n;
    long lines_got;
    int failed = 0;
    int i;

    w = calloc((size_t)j->threads, sizeof(*w));
    lat = malloc((size_t)total * sizeof(*lat));
    if (w == NULL || lat == NULL) {
        free(w);
        free(lat);
        return bench_fail(out, "out of memory");
    }
    if (start(&(job){.workload = "sink"}, &m, report, sizeof(report), out) !=
        0) {
        free(w);
        free(lat);
        return -1;
    }
    pthread_barrier_init(&go, NULL, (unsigned)j->threads + 1);
    for (i = 0; i < j->threads; i++) {
        w[i].mtx = &mtx;
        w[i].go = &go;
        w[i].fd = m.in;
        w[i].n = j->n;
        w[i].lat = lat + (long)i * j->n;
        pthread_create(&w[i].thread, NULL, writer_main, &w[i]);
    }
    pthread_barrier_wait(&go);
    t0 = bench_now_ns();
    for (i = 0; i < j->threads; i++) {
        pthread_join(w[i].thread, NULL);
        failed |= w[i].failed;
    }
    t1 = bench_now_ns();
    pthread_barrier_destroy(&go);
    free(w);
    bench_mock_finish(&m);
    if (failed) {
        free(lat);
        return bench_fail(out, "a write failed");
    }

    rep = bench_read_report(report, out);
    if (rep == NULL) {
        free(lat);
        return -1;
    }
    /* The sink also counted our initialize line. */
    lines_got = (long)json_integer_value(json_object_get(rep, "lines")) - 1;
    json_decref(rep);
    if (lines_got != total) {
        free(lat);
        return bench_fail(out, "the sink got %ld lines, not %ld", lines_got,
                          total);
    }
    out->v[0] = (double)total / ((double)(t1 - t0) / 1e9);
    out->v[1] = (double)bench_quantile(lat, (size_t)total, 0.99) / 1e3;
    out->v[2] = (double)lat[total - 1] / 1e3;
    free(lat);
    return 0;
}
