/*
 * bench.h: what the files of the benchmark driver share.
 *
 * A job is one workload measured on one implementation: libclaude,
 * the bare C ceiling or the TypeScript SDK.  Each run of a job fills a
 * figures struct; the driver keeps the median of the runs.
 */
#ifndef BENCH_H
#define BENCH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#define BENCH_FIGURES 4

/* Sessions opened one after the other by one run of a startup job. */
#define BENCH_STARTS 11

/* Room for a path under the output folder. */
#define BENCH_PATH (PATH_MAX + 128)

/* What one run of a job measured, in the units of its row. */
typedef struct figures {
    double v[BENCH_FIGURES];
    long rss_kb; /* the peak resident set of the measuring process */
    int ok;
    char why[200]; /* what went wrong, when !ok */
} figures;

typedef struct job job;
typedef int (*job_fn)(const job *j, figures *out);

struct job {
    const char *label;    /* for the progress lines */
    job_fn fn;            /* NULL for a TypeScript job */
    const char *workload; /* the mock's BENCH_WORKLOAD */
    long n;               /* messages, requests or lines per thread */
    int typed;            /* read every message's text */
    int threads;          /* consumer or writer threads */
    long inflight;        /* control requests in flight */
    long sleep_us;        /* in each permission callback */
    int version_check;    /* startup: run the CLI's -v probe */
    int is_ts;            /* runs in node, through the SDK */
    int measured;         /* the runs are done */
    figures result;       /* the median of the runs */
};

/* A mock CLI started by hand, with pipes to its stdin and stdout. */
typedef struct mock {
    pid_t pid;
    int in;  /* the write end of its stdin */
    int out; /* the read end of its stdout */
} mock;

uint64_t bench_now_ns(void);
/* The absolute path of the mock CLI. */
const char *bench_mock_path(void);
/* A fresh report file name for this process, removed if present. */
void bench_report_path(char *buf, size_t size);
/* Fill out->why, clear out->ok, and return -1. */
int bench_fail(figures *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The environment of a child: extra ("NAME=value", NULL-ended) first,
 * then ours without the names extra sets.  Free with free(). */
char **bench_env(const char *const *extra);
/* Start the mock with one argument (or none: arg NULL). */
int bench_spawn_mock(mock *m, const char *arg, const char *const *extra,
                     figures *out);
/* Close the mock's stdin, drain its stdout and reap it. */
int bench_mock_finish(mock *m);
int bench_write_all(int fd, const char *p, size_t n);
/* The mock's report, or NULL with out filled. */
json_t *bench_read_report(const char *path, figures *out);
/* Sort v and return its median. */
double bench_median(double *v, size_t n);
/* Sort v and return its q-quantile (0 <= q < 1). */
uint64_t bench_quantile(uint64_t *v, size_t n, double q);

/* The bare C ceilings, in ceiling.c. */
int ceil_flood(const job *j, figures *out);
int ceil_control(const job *j, figures *out);
int ceil_startup(const job *j, figures *out);
int ceil_write(const job *j, figures *out);

/* The line every writer of the write-lock workloads sends. */
const char *bench_write_line(size_t *len);

#endif /* BENCH_H */
