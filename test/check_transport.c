/*
 * check_transport.c: the transport against the fake CLI.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests.h"

#define START(o, ...) (fake_options(&(o), __VA_ARGS__, NULL), fake_open(&(o)))

/* Read one line, which must come within 10 s. */
static const char *
read_ok(claude_transport *t, size_t *len)
{
    const char *line = NULL;
    size_t n = 0;
    claude_error err;
    int rv;

    rv = claude_transport_read_line(t, &line, &n, 10000, &err);
    ck_assert_msg(rv == 0, "read_line: %s (%s)", claude_strerror(rv),
                  err.message);
    if (len != NULL) {
        *len = n;
    }
    return line;
}

static json_t *
read_json(claude_transport *t)
{
    json_error_t jerr;
    size_t n;
    const char *line = read_ok(t, &n);
    json_t *j = json_loadb(line, n, 0, &jerr);

    ck_assert_msg(j != NULL, "not JSON: %s", line);
    return j;
}

static void
write_ok(claude_transport *t, const char *s)
{
    claude_error err;
    int rv = claude_transport_write(t, s, strlen(s), &err);

    ck_assert_msg(rv == 0, "write: %s (%s)", claude_strerror(rv), err.message);
}

static void
data_path(char *buf, size_t size, const char *name)
{
    const char *dir = getenv("TEST_DATA");

    ck_assert_msg(dir != NULL, "TEST_DATA is not set; run through make");
    snprintf(buf, size, "%s/%s", dir, name);
}

/*
 * Writing and reading
 */

START_TEST(writes_reach_the_child_byte_for_byte)
{
    claude_transport_options o;
    claude_transport *t;
    char path[PATH_MAX];
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    size_t len;
    const char *got;
    FILE *f;
    int status;

    /* The fake answers in random pieces; we write what it expects. */
    data_path(path, sizeof(path), "handshake.jsonl");
    t = START(o, "chunks", "42", "transcript", path);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while ((n = getline(&line, &cap, f)) > 0) {
        line[n - 1] = '\0';
        if (line[0] == '<') {
            write_ok(t, line + 2);
        } else if (line[0] == '>') {
            got = read_ok(t, &len);
            ck_assert_str_eq(got, line + 2);
            ck_assert_uint_eq(len, (size_t)n - 3);
        }
    }
    free(line);
    fclose(f);

    ck_assert_int_eq(claude_transport_wait(t, 10000, &status), 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    claude_transport_free(t);
}
END_TEST

#define WRITERS 64
#define LINES_EACH 500

typedef struct writer {
    claude_transport *t;
    int id;
    int lines;
    int ok;
    int failed;
    int bad_code;
    size_t bytes;
    int over_4k; /* lines longer than 4 KiB */
} writer;

/*
 * Payload lengths from 1 byte to 256 KiB, a ninth of them over 4 KiB,
 * spread over the octaves between 8 KiB and 256 KiB.
 */
static size_t
payload_size(unsigned int *seed)
{
    size_t upper;

    if (rand_r(seed) % 9 == 0) {
        upper = (size_t)8192 << (rand_r(seed) % 6);
        return 4097 + (size_t)rand_r(seed) % (upper - 4097 - 64);
    }
    return 1 + (size_t)rand_r(seed) % 4096;
}

static void *
writer_main(void *arg)
{
    writer *w = arg;
    unsigned int seed = (unsigned int)w->id * 7919u + 1;
    size_t cap = 256 * 1024 + 64;
    char *buf = malloc(cap);
    size_t n;
    size_t head;
    int i;
    int rv;

    ck_assert_ptr_nonnull(buf);
    for (i = 0; i < w->lines; i++) {
        n = payload_size(&seed);
        head = (size_t)snprintf(
            buf, cap, "{\"t\":%d,\"i\":%d,\"n\":%zu,\"p\":\"", w->id, i, n);
        memset(buf + head, 'a' + (char)(w->id % 26), n);
        memcpy(buf + head + n, "\"}", 2);
        rv = claude_transport_write(w->t, buf, head + n + 2, NULL);
        if (head + n + 3 > 4096) {
            w->over_4k++;
        }
        if (rv == 0) {
            w->ok++;
            w->bytes += head + n + 3;
        } else {
            w->failed++;
            if (rv != CLAUDE_ECLOSED && rv != CLAUDE_EINPUTENDED) {
                w->bad_code = rv;
            }
        }
    }
    free(buf);
    return NULL;
}

START_TEST(sixty_four_threads_write_whole_lines)
{
    claude_transport_options o;
    claude_transport *t;
    pthread_t thr[WRITERS];
    writer w[WRITERS];
    long long sum = 0;
    size_t bytes = 0;
    int over_4k = 0;
    int64_t start;
    int64_t took;
    json_t *report;
    int i;
    int j;

    t = START(o, "count", "-");
    start = test_now_ms();
    for (i = 0; i < WRITERS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].t = t;
        w[i].id = i;
        w[i].lines = LINES_EACH;
        ck_assert_int_eq(pthread_create(&thr[i], NULL, writer_main, &w[i]), 0);
    }
    for (i = 0; i < WRITERS; i++) {
        pthread_join(thr[i], NULL);
        ck_assert_int_eq(w[i].ok, LINES_EACH);
        bytes += w[i].bytes;
        over_4k += w[i].over_4k;
        for (j = 0; j < LINES_EACH; j++) {
            sum += (long long)i * 1000000 + j;
        }
    }
    ck_assert_int_eq(claude_transport_end_input(t), 0);
    report = read_json(t);
    took = test_now_ms() - start;

    ck_assert_int_eq(json_integer_value(json_object_get(report, "lines")),
                     WRITERS * LINES_EACH);
    ck_assert_int_eq(json_integer_value(json_object_get(report, "invalid")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(report, "tail")), 0);
    ck_assert(json_integer_value(json_object_get(report, "sum")) == sum);
    json_decref(report);
    claude_transport_free(t);
    ck_assert_int_ge(over_4k, WRITERS * LINES_EACH / 10);

    if (test_figures()) {
        fprintf(stderr,
                "        figure: %d lines, %.1f MB in %lld ms: "
                "%.0f lines/s, %.1f MB/s\n",
                WRITERS * LINES_EACH, (double)bytes / 1e6, (long long)took,
                WRITERS * LINES_EACH * 1000.0 / (double)(took ? took : 1),
                (double)bytes / 1e3 / (double)(took ? took : 1));
    }
}
END_TEST

typedef struct stopper {
    claude_transport *t;
    int delay_ms;
    int use_close;
} stopper;

static void *
stopper_main(void *arg)
{
    stopper *s = arg;

    test_sleep_ms(s->delay_ms);
    if (s->use_close) {
        ck_assert_int_eq(claude_transport_close(s->t), 0);
    } else {
        ck_assert_int_eq(claude_transport_end_input(s->t), 0);
    }
    return NULL;
}

static json_t *
load_report(const char *path)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);

    ck_assert_msg(j != NULL, "no report at %s: %s", path, jerr.text);
    return j;
}

START_TEST(writes_racing_end_input_and_close_land_whole_or_fail)
{
    enum { THREADS = 16, EACH = 150, ROUNDS = 8 };
    claude_transport_options o;
    claude_transport *t;
    pthread_t thr[THREADS];
    pthread_t stop_thr;
    writer w[THREADS];
    stopper s;
    char dir[64];
    char report_path[128];
    json_t *report;
    unsigned int seed = 99;
    int ok;
    int round;
    int i;

    make_temp_dir(dir, sizeof(dir));
    snprintf(report_path, sizeof(report_path), "%s/report.json", dir);
    for (round = 0; round < ROUNDS; round++) {
        unlink(report_path);
        t = START(o, "count", report_path);
        s.t = t;
        s.delay_ms = rand_r(&seed) % 40;
        s.use_close = round % 2;
        for (i = 0; i < THREADS; i++) {
            memset(&w[i], 0, sizeof(w[i]));
            w[i].t = t;
            w[i].id = i;
            w[i].lines = EACH;
            ck_assert_int_eq(pthread_create(&thr[i], NULL, writer_main, &w[i]),
                             0);
        }
        ck_assert_int_eq(pthread_create(&stop_thr, NULL, stopper_main, &s), 0);
        ok = 0;
        for (i = 0; i < THREADS; i++) {
            pthread_join(thr[i], NULL);
            ck_assert_msg(w[i].bad_code == 0, "a write failed with %s",
                          claude_strerror(w[i].bad_code));
            ok += w[i].ok;
        }
        pthread_join(stop_thr, NULL);
        ck_assert_int_eq(claude_transport_close(t), 0);

        /* Every write that succeeded arrived whole, and nothing else. */
        report = load_report(report_path);
        ck_assert_int_eq(json_integer_value(json_object_get(report, "invalid")),
                         0);
        ck_assert_int_eq(json_integer_value(json_object_get(report, "lines")),
                         ok);
        if (!s.use_close) {
            ck_assert_int_eq(
                json_integer_value(json_object_get(report, "tail")), 0);
        }
        json_decref(report);
        claude_transport_free(t);
    }
    unlink(report_path);
    rmdir(dir);
}
END_TEST

START_TEST(a_flood_of_stdout_lines_is_read_whole)
{
    claude_transport_options o;
    claude_transport *t;
    const char *line;
    size_t len;
    char want[64];
    int i;

    t = START(o, "flood-stdout", "20000");
    for (i = 0; i < 20000; i++) {
        line = read_ok(t, &len);
        snprintf(want, sizeof(want), "{\"type\":\"flood\",\"i\":%d,", i);
        ck_assert_int_eq(strncmp(line, want, strlen(want)), 0);
        ck_assert_str_eq(line + len - 11, "\"end\":true}");
    }
    claude_transport_free(t);
}
END_TEST

START_TEST(a_multi_megabyte_line_arrives_whole)
{
    claude_transport_options o;
    claude_transport *t;
    const char *line;
    size_t len;
    size_t i;

    t = START(o, "chunks", "5", "bigline", "8388608", "send", "{\"after\":1}");
    line = read_ok(t, &len);
    ck_assert_uint_eq(len, 8388608);
    ck_assert_int_eq(strncmp(line, "{\"big\":\"", 8), 0);
    for (i = 8; i < len - 2; i++) {
        if (line[i] != 'x') {
            ck_abort_msg("byte %zu is %d", i, line[i]);
        }
    }
    ck_assert_str_eq(read_ok(t, NULL), "{\"after\":1}");
    claude_transport_free(t);
}
END_TEST

START_TEST(a_line_over_the_maximum_is_an_error_then_the_next_arrives)
{
    claude_transport_options o;
    claude_transport *t;
    const char *line;
    size_t len;
    claude_error err;

    fake_options(&o, "bigline", "2097152", "send", "{\"after\":1}", NULL);
    o.max_line_size = 1024 * 1024;
    t = fake_open(&o);
    ck_assert_int_eq(claude_transport_read_line(t, &line, &len, 10000, &err),
                     CLAUDE_ETOOLONG);
    ck_assert_int_eq(err.code, CLAUDE_ETOOLONG);
    ck_assert_int_eq(strncmp(err.line, "{\"big\":\"xxxx", 12), 0);
    ck_assert_uint_gt(err.line_len, 1024 * 1024);
    ck_assert_ptr_nonnull(strstr(err.message, "1048576"));
    ck_assert_str_eq(read_ok(t, NULL), "{\"after\":1}");
    claude_transport_free(t);
}
END_TEST

typedef struct log_record {
    pthread_mutex_t mtx;
    int count;
    int level;
    char last[1024];
} log_record;

static void
record_log(int level, const char *msg, void *user)
{
    log_record *r = user;

    pthread_mutex_lock(&r->mtx);
    r->count++;
    r->level = level;
    snprintf(r->last, sizeof(r->last), "%s", msg);
    pthread_mutex_unlock(&r->mtx);
}

START_TEST(non_json_output_is_skipped_and_logged)
{
    claude_transport_options o;
    claude_transport *t;
    log_record r = {PTHREAD_MUTEX_INITIALIZER, 0, 0, ""};

    fake_options(&o, "noise", "send", "{\"a\":1}", NULL);
    o.log_cb = record_log;
    o.log_user = &r;
    o.log_level = CLAUDE_LOG_INFO;
    t = fake_open(&o);
    ck_assert_str_eq(read_ok(t, NULL), "{\"a\":1}");
    claude_transport_free(t);

    ck_assert_int_ge(r.count, 2);
    ck_assert_ptr_nonnull(strstr(r.last, "not JSON") ? r.last : NULL);
}
END_TEST

START_TEST(a_child_that_exits_mid_line_gives_its_last_bytes_then_eof)
{
    claude_transport_options o;
    claude_transport *t;
    const char *line;
    size_t len;
    claude_error err;

    t = START(o, "send", "{\"a\":0}", "stderr", "dying now", "partial",
              "{\"a\":1", "exit", "3");
    ck_assert_str_eq(read_ok(t, NULL), "{\"a\":0}");
    ck_assert_str_eq(read_ok(t, NULL), "{\"a\":1");
    ck_assert_int_eq(claude_transport_read_line(t, &line, &len, 10000, &err),
                     CLAUDE_EEOF);
    ck_assert_int_eq(err.exit_code, 3);
    ck_assert_ptr_nonnull(strstr(err.stderr_tail, "dying now"));
    claude_transport_free(t);
}
END_TEST

START_TEST(read_line_times_out)
{
    claude_transport_options o;
    claude_transport *t;
    const char *line;
    size_t len;
    claude_error err;

    fake_options(&o, "sleep", "3000", NULL);
    o.close_grace_ms = 100;
    t = fake_open(&o);
    ck_assert_int_eq(claude_transport_read_line(t, &line, &len, 50, &err),
                     CLAUDE_ETIMEDOUT);
    ck_assert_int_eq(claude_transport_read_line(t, &line, &len, 0, &err),
                     CLAUDE_ETIMEDOUT);
    claude_transport_free(t);
}
END_TEST

/*
 * Errors of write and friends
 */

START_TEST(calls_before_open_return_enotopen)
{
    claude_transport_options o;
    claude_transport *t;
    const char *line;
    size_t len;
    int status;
    claude_error err;

    fake_options(&o, "wait-eof", NULL);
    ck_assert_int_eq(claude_transport_new(&t, &o), 0);
    ck_assert_int_eq(claude_transport_write(t, "{}", 2, &err), CLAUDE_ENOTOPEN);
    ck_assert_int_eq(err.code, CLAUDE_ENOTOPEN);
    ck_assert_int_eq(claude_transport_end_input(t), CLAUDE_ENOTOPEN);
    ck_assert_int_eq(claude_transport_read_line(t, &line, &len, 0, NULL),
                     CLAUDE_ENOTOPEN);
    ck_assert_int_eq(claude_transport_wait(t, 0, &status), CLAUDE_ENOTOPEN);
    ck_assert_int_eq(claude_transport_pid(t), -1);
    claude_transport_free(t);
}
END_TEST

START_TEST(write_after_end_input_returns_einputended)
{
    claude_transport_options o;
    claude_transport *t;
    claude_error err;

    t = START(o, "wait-eof", "sleep", "200");
    write_ok(t, "{\"first\":1}");
    ck_assert_int_eq(claude_transport_end_input(t), 0);
    ck_assert_int_eq(claude_transport_end_input(t), 0);
    ck_assert_int_eq(claude_transport_write(t, "{}", 2, &err),
                     CLAUDE_EINPUTENDED);
    ck_assert_int_eq(err.code, CLAUDE_EINPUTENDED);
    claude_transport_free(t);
}
END_TEST

START_TEST(write_after_close_returns_eclosed)
{
    claude_transport_options o;
    claude_transport *t;
    const char *line;
    size_t len;
    claude_error err;

    t = START(o, "wait-eof");
    ck_assert_int_eq(claude_transport_close(t), 0);
    ck_assert_int_eq(claude_transport_write(t, "{}", 2, &err), CLAUDE_ECLOSED);
    ck_assert_int_eq(err.code, CLAUDE_ECLOSED);
    ck_assert_int_eq(claude_transport_end_input(t), CLAUDE_ECLOSED);
    ck_assert_int_eq(claude_transport_read_line(t, &line, &len, 0, NULL),
                     CLAUDE_ECLOSED);
    ck_assert_int_eq(claude_transport_close(t), 0);
    claude_transport_free(t);
}
END_TEST

START_TEST(write_after_the_child_exited_returns_echildexit)
{
    claude_transport_options o;
    claude_transport *t;
    claude_error err;
    int status;

    t = START(o, "stderr", "fatal: no credentials", "exit", "7");
    ck_assert_int_eq(claude_transport_wait(t, 10000, &status), 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 7);
    ck_assert_int_eq(claude_transport_write(t, "{}", 2, &err),
                     CLAUDE_ECHILDEXIT);
    ck_assert_int_eq(err.code, CLAUDE_ECHILDEXIT);
    ck_assert_int_eq(err.exit_code, 7);
    ck_assert_int_eq(err.exit_signal, 0);
    ck_assert_ptr_nonnull(strstr(err.message, "status 7"));
    ck_assert_ptr_nonnull(strstr(err.stderr_tail, "fatal: no credentials"));
    claude_transport_free(t);
}
END_TEST

START_TEST(a_failed_write_is_epipe_and_later_writes_ebroken)
{
    claude_transport_options o;
    claude_transport *t;
    claude_error err;
    struct sigaction sa;
    sigset_t mask;
    sigset_t pending;
    int rv;
    int i;

    /* No SIGPIPE handler: a raised SIGPIPE would end this process. */
    ck_assert_int_eq(sigaction(SIGPIPE, NULL, &sa), 0);
    ck_assert(sa.sa_handler == SIG_DFL);

    fake_options(&o, "close-stdin", "send", "{\"closed\":1}", "sleep", "10000",
                 NULL);
    o.close_grace_ms = 100;
    t = fake_open(&o);
    ck_assert_str_eq(read_ok(t, NULL), "{\"closed\":1}");
    rv = 0;
    for (i = 0; i < 100 && rv == 0; i++) {
        rv = claude_transport_write(t, "{\"x\":1}", 7, &err);
    }
    ck_assert_int_eq(rv, CLAUDE_EPIPE);
    ck_assert_int_eq(err.code, CLAUDE_EPIPE);
    ck_assert_int_eq(err.exit_code, -1);
    ck_assert_int_eq(claude_transport_write(t, "{}", 2, &err), CLAUDE_EBROKEN);
    ck_assert_int_eq(err.code, CLAUDE_EBROKEN);

    /* The thread's mask is as it was and nothing is left pending. */
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    ck_assert(!sigismember(&mask, SIGPIPE));
    sigpending(&pending);
    ck_assert(!sigismember(&pending, SIGPIPE));
    claude_transport_free(t);
}
END_TEST

START_TEST(writing_to_an_exited_child_never_raises_sigpipe)
{
    claude_transport_options o;
    claude_transport *t;
    struct sigaction sa;
    int rv;
    int round;

    ck_assert_int_eq(sigaction(SIGPIPE, NULL, &sa), 0);
    ck_assert(sa.sa_handler == SIG_DFL);

    /* Write as the child dies: each write succeeds or fails cleanly. */
    for (round = 0; round < 20; round++) {
        t = START(o, "exit", "0");
        do {
            rv = claude_transport_write(t, "{\"x\":1}", 7, NULL);
        } while (rv == 0);
        ck_assert_msg(rv == CLAUDE_ECHILDEXIT || rv == CLAUDE_EPIPE,
                      "write failed with %s", claude_strerror(rv));
        claude_transport_free(t);
    }
}
END_TEST

START_TEST(new_refuses_bad_options)
{
    claude_transport_options o = CLAUDE_TRANSPORT_OPTIONS_INIT;
    claude_transport *t = (claude_transport *)&o;
    const char *no_program[] = {NULL};
    const char *empty_program[] = {"", NULL};

    ck_assert_int_eq(claude_transport_new(NULL, &o), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_transport_new(&t, NULL), CLAUDE_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(claude_transport_new(&t, &o), CLAUDE_EINVAL);
    o.argv = no_program;
    ck_assert_int_eq(claude_transport_new(&t, &o), CLAUDE_EINVAL);
    o.argv = empty_program;
    ck_assert_int_eq(claude_transport_new(&t, &o), CLAUDE_EINVAL);
    fake_options(&o, NULL);
    o.version = 0;
    ck_assert_int_eq(claude_transport_new(&t, &o), CLAUDE_EINVAL);
    o.version = CLAUDE_TRANSPORT_OPTIONS_VERSION + 1;
    ck_assert_int_eq(claude_transport_new(&t, &o), CLAUDE_EINVAL);

    /* Bad lines are refused before anything is written. */
    fake_options(&o, "wait-eof", NULL);
    t = fake_open(&o);
    ck_assert_int_eq(claude_transport_write(t, NULL, 2, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_transport_write(t, "{}", 0, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_transport_write(t, "{\n}", 3, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_transport_write(NULL, "{}", 2, NULL),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_transport_close(NULL), CLAUDE_EINVAL);
    claude_transport_free(NULL);
    claude_transport_free(t);
}
END_TEST

START_TEST(open_twice_is_ealready_and_after_close_eclosed)
{
    claude_transport_options o;
    claude_transport *t;
    claude_error err;

    t = START(o, "wait-eof");
    ck_assert_int_eq(claude_transport_open(t, &err), CLAUDE_EALREADY);
    ck_assert_int_eq(err.code, CLAUDE_EALREADY);
    ck_assert_int_eq(claude_transport_close(t), 0);
    ck_assert_int_eq(claude_transport_open(t, &err), CLAUDE_ECLOSED);
    claude_transport_free(t);
}
END_TEST

/*
 * Spawning
 */

START_TEST(a_missing_cwd_gives_enocwd_naming_it)
{
    claude_transport_options o;
    claude_transport *t;
    claude_error err;

    fake_options(&o, "wait-eof", NULL);
    o.cwd = "/nonexistent/claude-test-dir";
    ck_assert_int_eq(claude_transport_new(&t, &o), 0);
    ck_assert_int_eq(claude_transport_open(t, &err), CLAUDE_ENOCWD);
    ck_assert_int_eq(err.code, CLAUDE_ENOCWD);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/claude-test-dir"));
    ck_assert_int_eq(claude_transport_pid(t), -1);
    claude_transport_free(t);
}
END_TEST

START_TEST(a_missing_program_gives_enoprogram_naming_it)
{
    static const char *by_path[] = {"/nonexistent/bin/claude", NULL};
    static const char *by_name[] = {"claude-test-no-such-program", NULL};
    claude_transport_options o = CLAUDE_TRANSPORT_OPTIONS_INIT;
    claude_transport *t;
    claude_error err;
    int fds = count_open_fds();

    o.argv = by_path;
    ck_assert_int_eq(claude_transport_new(&t, &o), 0);
    ck_assert_int_eq(claude_transport_open(t, &err), CLAUDE_ENOPROGRAM);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/bin/claude"));
    claude_transport_free(t);

    o.argv = by_name;
    ck_assert_int_eq(claude_transport_new(&t, &o), 0);
    ck_assert_int_eq(claude_transport_open(t, &err), CLAUDE_ENOPROGRAM);
    ck_assert_ptr_nonnull(strstr(err.message, "claude-test-no-such-program"));
    claude_transport_free(t);
    ck_assert_int_eq(count_open_fds(), fds);
}
END_TEST

START_TEST(running_out_of_descriptors_gives_esys)
{
    claude_transport_options o;
    claude_transport *t;
    struct rlimit old;
    struct rlimit low;
    claude_error err;
    int fds;

    fake_options(&o, "wait-eof", NULL);
    ck_assert_int_eq(claude_transport_new(&t, &o), 0);

    /* Room for two more descriptors: open needs six. */
    fds = count_open_fds();
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = (rlim_t)fds + 2;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    ck_assert_int_eq(claude_transport_open(t, &err), CLAUDE_ESYS);
    ck_assert_int_eq(err.code, CLAUDE_ESYS);
    ck_assert_int_eq(err.sys_errno, EMFILE);
    ck_assert_int_eq(count_open_fds(), fds);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);

    /* Nothing was left half-open: the transport opens now. */
    ck_assert_int_eq(claude_transport_open(t, &err), 0);
    ck_assert_int_eq(claude_transport_end_input(t), 0);
    claude_transport_free(t);
}
END_TEST

START_TEST(the_child_gets_the_environment_and_cwd_asked_for)
{
    static const char *env[] = {"CLAUDE_TEST_VAR=hello there", NULL};
    claude_transport_options o;
    claude_transport *t;
    char dir[64];
    char real[PATH_MAX];
    json_t *j;

    make_temp_dir(dir, sizeof(dir));
    ck_assert_ptr_nonnull(realpath(dir, real));
    fake_options(&o, "env", "CLAUDE_TEST_VAR", "env", "HOME", "cwd", NULL);
    o.envp = env;
    o.cwd = dir;
    t = fake_open(&o);

    j = read_json(t);
    ck_assert_str_eq(json_string_value(json_object_get(j, "env")),
                     "hello there");
    json_decref(j);
    j = read_json(t);
    ck_assert(json_is_null(json_object_get(j, "env")));
    json_decref(j);
    j = read_json(t);
    ck_assert_str_eq(json_string_value(json_object_get(j, "cwd")), real);
    json_decref(j);
    claude_transport_free(t);
    rmdir(dir);
}
END_TEST

START_TEST(the_child_leads_its_own_process_group)
{
    claude_transport_options o;
    claude_transport *t;
    char dir[64];
    char pidfile[128];
    long grandchild = 0;
    json_t *j;
    FILE *f;
    int i;

    make_temp_dir(dir, sizeof(dir));
    snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
    t = START(o, "ids", "grandchild", pidfile, "send", "{\"ready\":1}",
              "wait-eof");
    j = read_json(t);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "pid")),
                     claude_transport_pid(t));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "pgid")),
                     claude_transport_pid(t));
    ck_assert_int_ne(claude_transport_pid(t), getpgrp());
    json_decref(j);
    ck_assert_str_eq(read_ok(t, NULL), "{\"ready\":1}");

    f = fopen(pidfile, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%ld", &grandchild), 1);
    fclose(f);
    ck_assert(process_alive(grandchild));

    /* What the child leaves in its group goes when it does. */
    ck_assert_int_eq(claude_transport_close(t), 0);
    for (i = 0; i < 100 && process_alive(grandchild); i++) {
        test_sleep_ms(10);
    }
    ck_assert(!process_alive(grandchild));
    claude_transport_free(t);
    unlink(pidfile);
    rmdir(dir);
}
END_TEST

START_TEST(a_sibling_child_does_not_hold_our_pipes)
{
    claude_transport_options o1;
    claude_transport_options o2;
    claude_transport *t1;
    claude_transport *t2;

    /* If the second child held t1's stdin, the first never sees EOF. */
    t1 = START(o1, "wait-eof", "send", "{\"eof\":1}");
    fake_options(&o2, "noread", NULL);
    o2.close_grace_ms = 100;
    t2 = fake_open(&o2);
    ck_assert_int_eq(claude_transport_end_input(t1), 0);
    ck_assert_str_eq(read_ok(t1, NULL), "{\"eof\":1}");
    claude_transport_free(t1);
    claude_transport_free(t2);
}
END_TEST

/*
 * stderr
 */

typedef struct stderr_record {
    pthread_mutex_t mtx;
    int lines;
    char first[64];
    char last[128];
    claude_transport *t;
    int close_rv;
} stderr_record;

static void
record_stderr(const char *line, size_t len, void *user)
{
    stderr_record *r = user;

    pthread_mutex_lock(&r->mtx);
    ck_assert_uint_eq(strlen(line), len);
    if (r->lines == 0) {
        snprintf(r->first, sizeof(r->first), "%s", line);
    }
    snprintf(r->last, sizeof(r->last), "%s", line);
    r->lines++;
    pthread_mutex_unlock(&r->mtx);
}

START_TEST(stderr_lines_reach_the_callback)
{
    claude_transport_options o;
    claude_transport *t;
    stderr_record r = {PTHREAD_MUTEX_INITIALIZER, 0, "", "", NULL, 0};
    char tail[256];

    fake_options(&o, "stderr", "one", "stderr", "two\r", "stderr", "", "stderr",
                 "three", "send", "{\"x\":1}", "wait-eof", NULL);
    o.stderr_cb = record_stderr;
    o.stderr_user = &r;
    t = fake_open(&o);
    ck_assert_str_eq(read_ok(t, NULL), "{\"x\":1}");
    ck_assert_int_eq(claude_transport_close(t), 0);

    /* After close returns, every line has been delivered. */
    ck_assert_int_eq(r.lines, 3);
    ck_assert_str_eq(r.first, "one");
    ck_assert_str_eq(r.last, "three");
    ck_assert_uint_eq(claude_transport_stderr_tail(t, tail, sizeof(tail)),
                      strlen("one\ntwo\r\n\nthree\n"));
    ck_assert_str_eq(tail, "one\ntwo\r\n\nthree\n");
    ck_assert_uint_eq(claude_transport_stderr_tail(t, tail, 5), 4);
    ck_assert_str_eq(tail, "ree\n");
    claude_transport_free(t);
}
END_TEST

START_TEST(stderr_is_drained_while_the_child_floods_it)
{
    claude_transport_options o;
    claude_transport *t;
    stderr_record r = {PTHREAD_MUTEX_INITIALIZER, 0, "", "", NULL, 0};
    char *tail = malloc(200 * 1024);
    size_t n;

    ck_assert_ptr_nonnull(tail);
    fake_options(&o, "flood-stderr", "4000000", "stderr", "the end", "send",
                 "{\"done\":1}", "wait-eof", NULL);
    o.stderr_cb = record_stderr;
    o.stderr_user = &r;
    t = fake_open(&o);

    /* Four megabytes of stderr would block a child nobody drains. */
    ck_assert_str_eq(read_ok(t, NULL), "{\"done\":1}");
    ck_assert_int_eq(claude_transport_close(t), 0);
    ck_assert_int_gt(r.lines, 100000);
    ck_assert_str_eq(r.last, "the end");

    n = claude_transport_stderr_tail(t, tail, 200 * 1024);
    ck_assert_uint_le(n, 64 * 1024);
    ck_assert_uint_gt(n, 60 * 1024);
    ck_assert_str_eq(tail + n - 8, "the end\n");
    free(tail);
    claude_transport_free(t);
}
END_TEST

static void
close_from_stderr(const char *line, size_t len, void *user)
{
    stderr_record *r = user;

    (void)line;
    (void)len;
    pthread_mutex_lock(&r->mtx);
    r->close_rv = claude_transport_close(r->t);
    r->lines++;
    pthread_mutex_unlock(&r->mtx);
}

START_TEST(close_from_the_stderr_callback_is_erecursive)
{
    claude_transport_options o;
    claude_transport *t;
    stderr_record r = {PTHREAD_MUTEX_INITIALIZER, 0, "", "", NULL, 0};
    int i;

    fake_options(&o, "stderr", "hello", "wait-eof", NULL);
    o.stderr_cb = close_from_stderr;
    o.stderr_user = &r;
    ck_assert_int_eq(claude_transport_new(&t, &o), 0);
    r.t = t;
    ck_assert_int_eq(claude_transport_open(t, NULL), 0);
    for (i = 0; i < 500; i++) {
        pthread_mutex_lock(&r.mtx);
        if (r.lines > 0) {
            pthread_mutex_unlock(&r.mtx);
            break;
        }
        pthread_mutex_unlock(&r.mtx);
        test_sleep_ms(10);
    }
    ck_assert_int_eq(r.lines, 1);
    ck_assert_int_eq(r.close_rv, CLAUDE_ERECURSIVE);
    claude_transport_free(t);
}
END_TEST

typedef struct reentrant_log {
    claude_transport *t;
    int read_rv;
    int close_rv;
    int calls;
} reentrant_log;

/* Calls back into the transport from inside the log callback. */
static void
reenter_from_log(int level, const char *msg, void *user)
{
    reentrant_log *r = user;
    const char *line;
    size_t len;

    (void)level;
    r->calls++;
    if (strstr(msg, "not JSON") != NULL) {
        r->read_rv = claude_transport_read_line(r->t, &line, &len, 0, NULL);
    } else if (strstr(msg, "SIGTERM") != NULL) {
        r->close_rv = claude_transport_close(r->t);
    }
}

START_TEST(the_log_callback_may_call_into_the_transport)
{
    claude_transport_options o;
    claude_transport *t;
    reentrant_log r = {NULL, 1, 1, 0};

    fake_options(&o, "noise", "sleep", "300", "send", "{\"a\":1}", "noread",
                 NULL);
    o.log_cb = reenter_from_log;
    o.log_user = &r;
    o.log_level = CLAUDE_LOG_DEBUG;
    o.close_grace_ms = 100;
    ck_assert_int_eq(claude_transport_new(&t, &o), 0);
    r.t = t;
    ck_assert_int_eq(claude_transport_open(t, NULL), 0);

    /* Inside read_line: no lock is held, so reading again just works. */
    ck_assert_str_eq(read_ok(t, NULL), "{\"a\":1}");
    ck_assert_int_eq(r.read_rv, CLAUDE_ETIMEDOUT);

    /* Inside close: closing again would wait for itself. */
    ck_assert_int_eq(claude_transport_close(t), 0);
    ck_assert_int_eq(r.close_rv, CLAUDE_ERECURSIVE);
    ck_assert_int_gt(r.calls, 3);
    claude_transport_free(t);
}
END_TEST

START_TEST(a_status_collected_elsewhere_is_enostatus)
{
    claude_transport_options o;
    claude_transport *t;
    claude_error err;
    int status;

    t = START(o, "stderr", "last words", "exit", "4");
    ck_assert_int_eq(waitpid(claude_transport_pid(t), &status, 0),
                     claude_transport_pid(t));
    ck_assert_int_eq(claude_transport_wait(t, 1000, &status), CLAUDE_ENOSTATUS);
    ck_assert_int_eq(claude_transport_write(t, "{}", 2, &err),
                     CLAUDE_ECHILDEXIT);
    ck_assert_int_eq(err.exit_code, -1);
    ck_assert_int_eq(err.exit_signal, 0);
    ck_assert_ptr_nonnull(strstr(err.message, "collected"));
    ck_assert_ptr_nonnull(strstr(err.stderr_tail, "last words"));
    claude_transport_free(t);
}
END_TEST

START_TEST(wait_on_a_transport_closed_unopened_is_enotopen)
{
    claude_transport_options o;
    claude_transport *t;
    int status;

    fake_options(&o, "wait-eof", NULL);
    ck_assert_int_eq(claude_transport_new(&t, &o), 0);
    ck_assert_int_eq(claude_transport_close(t), 0);
    ck_assert_int_eq(claude_transport_wait(t, -1, &status), CLAUDE_ENOTOPEN);
    claude_transport_free(t);
}
END_TEST

/*
 * Closing
 */

typedef struct blocked_writer {
    claude_transport *t;
    atomic_int writes;
    int rv;
    int64_t returned_at;
} blocked_writer;

static void *
blocked_writer_main(void *arg)
{
    blocked_writer *b = arg;
    size_t n = 256 * 1024;
    char *buf = malloc(n);

    ck_assert_ptr_nonnull(buf);
    memset(buf, ' ', n);
    buf[0] = '{';
    buf[n - 1] = '}';
    do {
        b->rv = claude_transport_write(b->t, buf, n, NULL);
        atomic_fetch_add(&b->writes, 1);
    } while (b->rv == 0);
    b->returned_at = test_now_ms();
    free(buf);
    return NULL;
}

START_TEST(close_wakes_a_writer_blocked_on_a_child_that_stopped_reading)
{
    claude_transport_options o;
    claude_transport *t;
    blocked_writer b;
    pthread_t thr;
    int64_t close_at;
    int64_t closed_at;
    int seen;

    fake_options(&o, "noread", NULL);
    o.close_grace_ms = 500;
    o.term_grace_ms = 500;
    t = fake_open(&o);
    b.t = t;
    atomic_init(&b.writes, 0);
    b.rv = 0;
    ck_assert_int_eq(pthread_create(&thr, NULL, blocked_writer_main, &b), 0);

    /* The pipe holds 64 KiB: the writer blocks in its first line. */
    do {
        seen = atomic_load(&b.writes);
        test_sleep_ms(200);
    } while (atomic_load(&b.writes) != seen);

    close_at = test_now_ms();
    ck_assert_int_eq(claude_transport_close(t), 0);
    closed_at = test_now_ms();
    pthread_join(thr, NULL);

    ck_assert_int_eq(b.rv, CLAUDE_ECLOSED);
    ck_assert_int_lt(b.returned_at - close_at, 100);
    ck_assert_int_lt(closed_at - close_at, 500 + 1000);
    if (test_figures()) {
        fprintf(stderr,
                "        figure: writer woken %lld ms after close; close "
                "took %lld ms with a 500 ms grace\n",
                (long long)(b.returned_at - close_at),
                (long long)(closed_at - close_at));
    }
    claude_transport_free(t);
}
END_TEST

typedef struct bulk_writer {
    claude_transport *t;
    int lines;
    int rv;
} bulk_writer;

static void *
bulk_writer_main(void *arg)
{
    bulk_writer *b = arg;
    size_t n = 256 * 1024;
    char *buf = malloc(n);
    int i;

    ck_assert_ptr_nonnull(buf);
    memset(buf, ' ', n);
    buf[0] = '{';
    buf[n - 1] = '}';
    for (i = 0; i < b->lines && b->rv == 0; i++) {
        b->rv = claude_transport_write(b->t, buf, n, NULL);
    }
    free(buf);
    return NULL;
}

START_TEST(a_writer_blocked_on_stdin_never_holds_up_the_reader)
{
    claude_transport_options o;
    claude_transport *t;
    bulk_writer b;
    pthread_t thr;
    int i;

    /*
     * The child floods stdout before it reads stdin: the writer
     * blocks with the transport mutex held, and only the reader can
     * let the child go on.
     */
    t = START(o, "flood-stdout", "5000", "wait-eof", "send", "{\"eof\":1}");
    b.t = t;
    b.lines = 20;
    b.rv = 0;
    ck_assert_int_eq(pthread_create(&thr, NULL, bulk_writer_main, &b), 0);
    test_sleep_ms(100);
    for (i = 0; i < 5000; i++) {
        (void)read_ok(t, NULL);
    }
    pthread_join(thr, NULL);
    ck_assert_int_eq(b.rv, 0);
    ck_assert_int_eq(claude_transport_end_input(t), 0);
    ck_assert_str_eq(read_ok(t, NULL), "{\"eof\":1}");
    claude_transport_free(t);
}
END_TEST

START_TEST(close_wakes_a_blocked_reader)
{
    claude_transport_options o;
    claude_transport *t;
    const char *line;
    size_t len;
    claude_error err;
    pthread_t thr;
    stopper s;

    t = START(o, "wait-eof");
    s.t = t;
    s.delay_ms = 100;
    s.use_close = 1;
    ck_assert_int_eq(pthread_create(&thr, NULL, stopper_main, &s), 0);
    ck_assert_int_eq(claude_transport_read_line(t, &line, &len, -1, &err),
                     CLAUDE_ECLOSED);
    pthread_join(thr, NULL);
    claude_transport_free(t);
}
END_TEST

START_TEST(close_kills_and_reaps_a_child_that_ignores_sigterm)
{
    claude_transport_options o;
    claude_transport *t;
    int status;
    int zombies;
    pid_t pid;

    fake_options(&o, "ignore-term", "send", "{\"ready\":1}", "noread", NULL);
    o.close_grace_ms = 100;
    o.term_grace_ms = 200;
    t = fake_open(&o);
    pid = claude_transport_pid(t);
    ck_assert_str_eq(read_ok(t, NULL), "{\"ready\":1}");
    ck_assert_int_eq(claude_transport_close(t), 0);

    ck_assert_int_eq(claude_transport_wait(t, 0, &status), 0);
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGKILL);
    ck_assert(!process_alive(pid));
    ck_assert_int_eq(count_children(&zombies), 0);
    claude_transport_free(t);
}
END_TEST

START_TEST(close_lets_a_child_finish_after_end_of_input)
{
    claude_transport_options o;
    claude_transport *t;
    char dir[64];
    char marker[128];
    int status;

    make_temp_dir(dir, sizeof(dir));
    snprintf(marker, sizeof(marker), "%s/flushed", dir);
    t = START(o, "wait-eof", "sleep", "300", "marker", marker, "exit", "0");
    ck_assert_int_eq(claude_transport_close(t), 0);
    ck_assert_int_eq(access(marker, F_OK), 0);
    ck_assert_int_eq(claude_transport_wait(t, 0, &status), 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    claude_transport_free(t);
    unlink(marker);
    rmdir(dir);
}
END_TEST

static void *
close_main(void *arg)
{
    ck_assert_int_eq(claude_transport_close(arg), 0);
    return NULL;
}

START_TEST(close_from_many_threads_at_once)
{
    enum { CLOSERS = 8, WRITING = 4 };
    claude_transport_options o;
    claude_transport *t;
    pthread_t closers[CLOSERS];
    pthread_t writers[WRITING];
    writer w[WRITING];
    int zombies;
    int i;

    t = START(o, "count", "/dev/null");
    for (i = 0; i < WRITING; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].t = t;
        w[i].id = i;
        w[i].lines = 2000;
        ck_assert_int_eq(pthread_create(&writers[i], NULL, writer_main, &w[i]),
                         0);
    }
    test_sleep_ms(20);
    for (i = 0; i < CLOSERS; i++) {
        ck_assert_int_eq(pthread_create(&closers[i], NULL, close_main, t), 0);
    }
    for (i = 0; i < CLOSERS; i++) {
        pthread_join(closers[i], NULL);
    }
    for (i = 0; i < WRITING; i++) {
        pthread_join(writers[i], NULL);
        ck_assert_int_eq(w[i].bad_code, 0);
        ck_assert_int_eq(w[i].ok + w[i].failed, 2000);
    }
    ck_assert_int_eq(count_children(&zombies), 0);
    claude_transport_free(t);
}
END_TEST

START_TEST(open_and_close_500_times_leaks_nothing)
{
    claude_transport_options o;
    claude_transport *t;
    int fds_before = count_open_fds();
    int zombies;
    int64_t start;
    int64_t took;
    int i;

    start = test_now_ms();
    for (i = 0; i < 500; i++) {
        t = START(o, "wait-eof");
        ck_assert_int_eq(claude_transport_close(t), 0);
        claude_transport_free(t);
    }
    took = test_now_ms() - start;
    ck_assert_int_eq(count_open_fds(), fds_before);
    ck_assert_int_eq(count_children(&zombies), 0);
    ck_assert_int_eq(zombies, 0);
    if (test_figures()) {
        fprintf(stderr,
                "        figure: 500 open/close cycles in %lld ms, "
                "%.2f ms each\n",
                (long long)took, (double)took / 500.0);
    }
}
END_TEST

void
cl_transport_tests(void)
{
    static const struct {
        const char *name;
        const TTest **fn;
        int timeout;
    } list[] = {
        {"transport: lines written reach the child byte for byte",
         &writes_reach_the_child_byte_for_byte, 20},
        {"transport: 64 threads write 32,000 lines of 1 B to 256 KiB whole",
         &sixty_four_threads_write_whole_lines, 120},
        {"transport: writes racing end_input and close land whole or fail",
         &writes_racing_end_input_and_close_land_whole_or_fail, 120},
        {"transport: a flood of stdout lines is read whole",
         &a_flood_of_stdout_lines_is_read_whole, 60},
        {"transport: an 8 MiB line arrives whole",
         &a_multi_megabyte_line_arrives_whole, 60},
        {"transport: a line over the maximum is an error, then the next "
         "line arrives",
         &a_line_over_the_maximum_is_an_error_then_the_next_arrives, 30},
        {"transport: non-JSON output is skipped and logged",
         &non_json_output_is_skipped_and_logged, 20},
        {"transport: a child that exits mid-line gives its last bytes, "
         "then EOF with its status",
         &a_child_that_exits_mid_line_gives_its_last_bytes_then_eof, 20},
        {"transport: read_line times out", &read_line_times_out, 20},
        {"transport: calls before open return CLAUDE_ENOTOPEN",
         &calls_before_open_return_enotopen, 20},
        {"transport: write after end_input returns CLAUDE_EINPUTENDED",
         &write_after_end_input_returns_einputended, 20},
        {"transport: write after close returns CLAUDE_ECLOSED",
         &write_after_close_returns_eclosed, 20},
        {"transport: write after the child exited returns "
         "CLAUDE_ECHILDEXIT with its status and stderr",
         &write_after_the_child_exited_returns_echildexit, 20},
        {"transport: a failed write is CLAUDE_EPIPE, later writes "
         "CLAUDE_EBROKEN",
         &a_failed_write_is_epipe_and_later_writes_ebroken, 30},
        {"transport: writing to a dying child never raises SIGPIPE",
         &writing_to_an_exited_child_never_raises_sigpipe, 60},
        {"transport: new and write refuse bad arguments",
         &new_refuses_bad_options, 20},
        {"transport: open twice is CLAUDE_EALREADY, after close "
         "CLAUDE_ECLOSED",
         &open_twice_is_ealready_and_after_close_eclosed, 20},
        {"transport: a missing cwd gives CLAUDE_ENOCWD naming it",
         &a_missing_cwd_gives_enocwd_naming_it, 20},
        {"transport: a missing program gives CLAUDE_ENOPROGRAM naming it",
         &a_missing_program_gives_enoprogram_naming_it, 20},
        {"transport: running out of descriptors gives CLAUDE_ESYS",
         &running_out_of_descriptors_gives_esys, 20},
        {"transport: the child gets the environment and cwd asked for",
         &the_child_gets_the_environment_and_cwd_asked_for, 20},
        {"transport: the child leads its own process group, which dies "
         "with it",
         &the_child_leads_its_own_process_group, 30},
        {"transport: a sibling child does not hold our pipes",
         &a_sibling_child_does_not_hold_our_pipes, 30},
        {"transport: stderr lines reach the callback",
         &stderr_lines_reach_the_callback, 20},
        {"transport: stderr is drained while the child floods it",
         &stderr_is_drained_while_the_child_floods_it, 60},
        {"transport: close from the stderr callback is CLAUDE_ERECURSIVE",
         &close_from_the_stderr_callback_is_erecursive, 30},
        {"transport: the log callback may call into the transport",
         &the_log_callback_may_call_into_the_transport, 30},
        {"transport: a status collected elsewhere is CLAUDE_ENOSTATUS",
         &a_status_collected_elsewhere_is_enostatus, 20},
        {"transport: wait on a transport closed unopened is "
         "CLAUDE_ENOTOPEN",
         &wait_on_a_transport_closed_unopened_is_enotopen, 20},
        {"transport: close wakes a writer blocked on a child that stopped "
         "reading",
         &close_wakes_a_writer_blocked_on_a_child_that_stopped_reading, 30},
        {"transport: a writer blocked on stdin never holds up the reader",
         &a_writer_blocked_on_stdin_never_holds_up_the_reader, 30},
        {"transport: close wakes a blocked reader",
         &close_wakes_a_blocked_reader, 20},
        {"transport: close kills and reaps a child that ignores SIGTERM",
         &close_kills_and_reaps_a_child_that_ignores_sigterm, 30},
        {"transport: close lets a child finish after end of input",
         &close_lets_a_child_finish_after_end_of_input, 30},
        {"transport: close from many threads at once",
         &close_from_many_threads_at_once, 60},
        {"transport: 500 open/close cycles leak no descriptor or child",
         &open_and_close_500_times_leaks_nothing, 120},
    };
    size_t i;

    for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
        cl_test_add("transport", list[i].name, *list[i].fn, list[i].timeout);
    }
}
