/*
 * check_faults.c: a client facing a CLI that misbehaves.
 *
 * Each test scripts the fake CLI (see fake-cli.c) into one fault: a
 * child killed with requests pending, one that stops reading, one
 * that ignores SIGTERM and leaves a process of its own behind, noise,
 * a line of 100 MB, 100 MB of stderr, a flood nobody reads, cancels
 * racing their answers, and callbacks that close or free their own
 * client.  Every waiter must complete, with a result or an error that
 * says why, and the session must go on where it can.
 *
 * Memory figures are the growth of VmHWM in the test's process, which
 * Check forks for each test.  They are checked against a bound far
 * from the figure, to show that a line or a flood is never held whole,
 * and only in builds without a sanitizer, whose allocators keep freed
 * memory on purpose.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tests.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MEMORY_CHECKS 0
#else
#define MEMORY_CHECKS 1
#endif

/* This process's peak resident set, in KiB. */
static long
peak_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) {
            break;
        }
    }
    fclose(f);
    ck_assert_int_ge(kib, 0);
    return kib;
}

/* Wait until no CLI request is being handled. */
static void
wait_idle(claude_client *c)
{
    claude_stats st;
    int i;

    for (i = 0; i < 20000; i++) {
        ck_assert_int_eq(claude_client_stats(c, &st), 0);
        if (st.in_flight == 0) {
            return;
        }
        test_sleep_ms(1);
    }
    ck_abort_msg("requests still in flight after 20 s");
}

static long
read_pid_file(const char *path)
{
    FILE *f;
    long pid = 0;
    int i;

    for (i = 0; i < 1000; i++) {
        f = fopen(path, "r");
        if (f != NULL) {
            if (fscanf(f, "%ld", &pid) != 1) {
                pid = 0;
            }
            fclose(f);
            if (pid > 0) {
                return pid;
            }
        }
        test_sleep_ms(5);
    }
    ck_abort_msg("no pid in %s", path);
    return 0;
}

/*
 * A killed child
 */

typedef struct waiter {
    claude_client *c;
    int kind; /* 0: an interrupt, 1: a receive */
    int rv;
    claude_error err;
    int64_t done;
} waiter;

static void *
waiter_main(void *arg)
{
    waiter *w = arg;
    claude_message *m = NULL;

    if (w->kind == 0) {
        w->rv = claude_client_interrupt(w->c, &w->err);
    } else {
        w->rv = claude_client_receive(w->c, &m, -1, &w->err);
        claude_message_free(m);
    }
    w->done = test_now_ms();
    return NULL;
}

typedef struct blocker {
    atomic_int entered;
    atomic_int saw_cancel;
    atomic_llong done; /* when the last callback returned */
} blocker;

/* Hold the request until it is cancelled, or 30 s. */
static int
hold_until_cancelled(claude_request *req, const claude_permission *perm,
                     claude_permission_result *res, void *user)
{
    blocker *b = user;
    int i;

    (void)perm;
    atomic_fetch_add(&b->entered, 1);
    for (i = 0; i < 30000 && !claude_request_cancelled(req); i++) {
        test_sleep_ms(1);
    }
    if (claude_request_cancelled(req)) {
        atomic_fetch_add(&b->saw_cancel, 1);
    }
    res->allow = 1;
    atomic_store(&b->done, test_now_ms());
    return 0;
}

START_TEST(a_killed_child_fails_every_waiter_with_its_signal)
{
    claude_options *o =
        fake_client_options("init", "ids", "requests", "2", "noread", NULL);
    claude_client *c;
    waiter w[4];
    pthread_t thr[4];
    json_t *ids;
    blocker b;
    int64_t killed;
    int64_t slowest = 0;
    long pid;
    int zombies;
    int i;

    atomic_init(&b.entered, 0);
    atomic_init(&b.saw_cancel, 0);
    atomic_init(&b.done, 0);
    ck_assert_int_eq(
        claude_options_set_permission_cb(o, hold_until_cancelled, &b), 0);
    c = test_open_client(o);
    ids = test_next_json(c, "");
    pid = (long)json_integer_value(json_object_get(ids, "pid"));
    json_decref(ids);

    /* Three control requests, a receive and two callbacks wait. */
    memset(w, 0, sizeof(w));
    for (i = 0; i < 4; i++) {
        w[i].c = c;
        w[i].kind = i == 3;
        ck_assert_int_eq(pthread_create(&thr[i], NULL, waiter_main, &w[i]), 0);
    }
    for (i = 0; i < 5000 && atomic_load(&b.entered) < 2; i++) {
        test_sleep_ms(1);
    }
    ck_assert_int_eq(atomic_load(&b.entered), 2);
    test_sleep_ms(50);

    killed = test_now_ms();
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    for (i = 0; i < 4; i++) {
        pthread_join(thr[i], NULL);
        ck_assert_msg(w[i].rv == CLAUDE_ECHILDEXIT, "waiter %d: %s", i,
                      claude_strerror(w[i].rv));
        ck_assert_int_eq(w[i].err.exit_signal, SIGKILL);
        ck_assert_ptr_nonnull(strstr(w[i].err.message, "signal 9"));
        if (w[i].done - killed > slowest) {
            slowest = w[i].done - killed;
        }
    }

    /* The callbacks learn that nobody waits for their answers. */
    for (i = 0; i < 5000 && atomic_load(&b.saw_cancel) < 2; i++) {
        test_sleep_ms(1);
    }
    ck_assert_int_eq(atomic_load(&b.saw_cancel), 2);
    if (atomic_load(&b.done) - killed > slowest) {
        slowest = atomic_load(&b.done) - killed;
    }
    if (test_figures()) {
        fprintf(stderr,
                "        figure: the last of 3 controls, a receive and 2 "
                "callbacks finished %lld ms after SIGKILL\n",
                (long long)slowest);
    }
    /* Not a speed check: a waiter left to its own deadline takes 60 s. */
    ck_assert_int_lt(slowest, 5000);
    claude_client_free(c);
    ck_assert_int_eq(count_children(&zombies), 0);
    claude_options_free(o);
}
END_TEST

START_TEST(an_exit_status_after_an_error_result_comes_with_both_and_stderr)
{
    claude_options *o = fake_client_options(
        "init", "send",
        "{\"type\":\"result\",\"subtype\":\"error_during_execution\","
        "\"is_error\":true,\"errors\":[\"tool runner crashed\"],"
        "\"session_id\":\"s\"}",
        "stderr", "fatal: the tool runner crashed", "exit", "1", NULL);
    claude_client *c = test_open_client(o);
    claude_message *m = test_next_message(c, "result");
    claude_error err;

    ck_assert_int_eq(claude_message_is_error(m), 1);
    claude_message_free(m);
    ck_assert_int_eq(claude_client_receive(c, &m, 10000, &err),
                     CLAUDE_ECHILDEXIT);
    ck_assert_int_eq(err.code, CLAUDE_ECHILDEXIT);
    ck_assert_int_eq(err.exit_code, 1);
    ck_assert_int_eq(err.exit_signal, 0);
    ck_assert_ptr_nonnull(strstr(err.message, "status 1"));
    ck_assert_ptr_nonnull(strstr(err.message, "tool runner crashed"));
    ck_assert_ptr_nonnull(
        strstr(err.stderr_tail, "fatal: the tool runner crashed"));
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

/*
 * A child that stops reading
 */

typedef struct bulky {
    atomic_int calls;
    atomic_int returned;
} bulky;

/* Allow with a 4 KiB input, so that the answers fill any pipe. */
static int
allow_bulky(claude_request *req, const claude_permission *perm,
            claude_permission_result *res, void *user)
{
    bulky *b = user;
    char pad[4096];

    (void)req;
    (void)perm;
    atomic_fetch_add(&b->calls, 1);
    memset(pad, 'p', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    res->allow = 1;
    res->updated_input = json_pack("{s:s}", "pad", pad);
    atomic_fetch_add(&b->returned, 1);
    return 0;
}

START_TEST(a_child_that_stops_reading_while_callbacks_answer_loses_to_close)
{
    claude_options *o =
        fake_client_options("init", "requests", "2000", "noread", NULL);
    claude_client *c;
    claude_stats st;
    bulky b;
    int64_t start;
    int64_t took;
    int zombies;
    int i;

    atomic_init(&b.calls, 0);
    atomic_init(&b.returned, 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, allow_bulky, &b), 0);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_CLOSE_GRACE_MS, 200),
                     0);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_TERM_GRACE_MS, 200),
                     0);
    c = test_open_client(o);

    /*
     * 2000 answers of 4 KiB are 8 MB: more than the pipe and the
     * gathered replies can hold, so writers end up waiting on a child
     * that reads nothing.  Wait until they stop making progress.
     */
    for (i = 0; i < 2000; i++) {
        int before = atomic_load(&b.returned);

        test_sleep_ms(20);
        ck_assert_int_eq(claude_client_stats(c, &st), 0);
        if (atomic_load(&b.returned) == before && st.in_flight > 0) {
            break;
        }
    }
    ck_assert_int_gt(st.in_flight, 0);

    start = test_now_ms();
    ck_assert_int_eq(claude_client_close(c), 0);
    took = test_now_ms() - start;
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_int_eq(st.in_flight, 0);
    ck_assert_int_eq(atomic_load(&b.calls), atomic_load(&b.returned));
    if (test_figures()) {
        fprintf(stderr,
                "        figure: close took %lld ms with %d callbacks "
                "answered and writers stuck\n",
                (long long)took, atomic_load(&b.returned));
    }
    ck_assert_int_eq(claude_client_send(c, "late", NULL), CLAUDE_ECLOSED);
    claude_client_free(c);
    ck_assert_int_eq(count_children(&zombies), 0);
    claude_options_free(o);
}
END_TEST

START_TEST(close_stops_a_child_that_ignores_sigterm_and_its_own_children)
{
    char dir[64];
    char path[128];
    claude_options *o;
    claude_client *c;
    claude_message *m;
    long grandchild;
    int zombies;
    int i;

    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/grandchild.pid", dir);
    o = fake_client_options("ignore-term", "init", "grandchild", path, "send",
                            "{\"type\":\"ready\"}", "noread", NULL);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_CLOSE_GRACE_MS, 100),
                     0);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_TERM_GRACE_MS, 100),
                     0);
    c = test_open_client(o);
    m = test_next_message(c, "ready");
    claude_message_free(m);
    grandchild = read_pid_file(path);
    ck_assert(process_alive(grandchild));

    ck_assert_int_eq(claude_client_close(c), 0);
    ck_assert_int_eq(count_children(&zombies), 0);
    /* The grandchild is not ours to reap: its death is seen by kill(). */
    for (i = 0; i < 200 && process_alive(grandchild); i++) {
        test_sleep_ms(10);
    }
    ck_assert(!process_alive(grandchild));
    claude_client_free(c);
    claude_options_free(o);
    unlink(path);
    rmdir(dir);
}
END_TEST

/*
 * Hostile output
 */

START_TEST(noise_and_broken_json_are_skipped_and_the_session_goes_on)
{
    claude_options *o = fake_client_options(
        "init", "noise", "send", "{\"type\":\"assistant\",\"message\":{",
        "send", "{\"type\":\"x\",\"v\":[1,2}", "send", "]", "send",
        "\"just a string\"", "send", "{\"type\":\"one\"}", "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{}}",
        "wait-eof", NULL);
    claude_client *c = test_open_client(o);
    claude_message *m;
    claude_stats st;
    json_t *report;

    /*
     * The reader reads only the routing keys, so a message cut short
     * after them still arrives: its type is known, its JSON is not.
     * One broken before its end is seen to be broken and skipped.
     */
    m = test_next_message(c, "assistant");
    ck_assert_ptr_null(claude_message_json(m));
    ck_assert_ptr_null(claude_message_text(m));
    claude_message_free(m);
    m = test_next_message(c, "one");
    ck_assert_ptr_nonnull(claude_message_json(m));
    claude_message_free(m);
    /* Control requests are still read and answered after the noise. */
    report = test_next_json(c, "ask_report");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(report, "response"), "subtype")),
                     "error");
    json_decref(report);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    /* The noise, the broken array, the lone "]" and the string. */
    ck_assert_int_eq(st.bad_lines, 5);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(a_100_mb_line_is_an_error_in_its_place_and_the_stream_goes_on)
{
    claude_options *o = fake_client_options(
        "init", "send", "{\"type\":\"before\"}", "bigline", "100000000", "send",
        "{\"type\":\"after\"}", "wait-eof", NULL);
    size_t max_line = 8 * 1024 * 1024;
    claude_client *c;
    claude_message *m;
    claude_error err;
    long base;
    long grew;

    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_MAX_LINE_SIZE,
                                            (long long)max_line),
                     0);
    base = peak_kib();
    c = test_open_client(o);
    m = test_next_message(c, "before");
    claude_message_free(m);

    ck_assert_int_eq(claude_client_receive(c, &m, 30000, &err),
                     CLAUDE_ETOOLONG);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(err.code, CLAUDE_ETOOLONG);
    ck_assert_uint_gt(err.line_len, max_line);
    ck_assert_uint_le(err.line_len, 100000000);
    ck_assert_int_eq(strncmp(err.line, "{\"big\":\"xxxx", 12), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "dropped"));

    m = test_next_message(c, "after");
    claude_message_free(m);
    grew = peak_kib() - base;
    if (test_figures()) {
        fprintf(stderr,
                "        figure: a 100 MB line with an 8 MiB limit raised "
                "the peak RSS by %ld KiB\n",
                grew);
    }
    if (MEMORY_CHECKS) {
        /* Held whole, the line alone would be 97,657 KiB. */
        ck_assert_int_lt(grew, 48 * 1024);
    }
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(a_100_mb_stderr_without_a_callback_is_drained_and_its_tail_kept)
{
    claude_options *o =
        fake_client_options("init", "flood-stderr", "100000000", "send",
                            "{\"type\":\"after\"}", "exit", "2", NULL);
    claude_client *c;
    claude_message *m;
    claude_error err;
    long base;
    long grew;

    base = peak_kib();
    c = test_open_client(o);
    m = test_next_message(c, "after");
    claude_message_free(m);
    ck_assert_int_eq(claude_client_receive(c, &m, 30000, &err),
                     CLAUDE_ECHILDEXIT);
    ck_assert_int_eq(err.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(err.stderr_tail, "stderr line at 99999"));
    grew = peak_kib() - base;
    if (test_figures()) {
        fprintf(stderr,
                "        figure: 100 MB of stderr raised the peak RSS by "
                "%ld KiB\n",
                grew);
    }
    if (MEMORY_CHECKS) {
        ck_assert_int_lt(grew, 16 * 1024);
    }
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

/* Allow everything, counting the calls. */
static int
allow_all(claude_request *req, const claude_permission *perm,
          claude_permission_result *res, void *user)
{
    atomic_int *calls = user;

    (void)perm;
    if (atomic_fetch_add(calls, 1) % 7 == 0) {
        sched_yield();
    }
    (void)req;
    res->allow = 1;
    return 0;
}

START_TEST(ten_thousand_unread_messages_stay_bounded_and_requests_answered)
{
    claude_options *o = fake_client_options(
        "init", "messages", "10000", "300", "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":"
        "{\"command\":\"ls\"}}",
        "wait-eof", NULL);
    claude_client *c;
    claude_message *m;
    claude_stats st;
    json_t *report;
    atomic_int calls;
    long base;
    long grew;
    int i;

    atomic_init(&calls, 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, allow_all, &calls), 0);
    base = peak_kib();
    c = test_open_client(o);

    /* Nothing is read, yet the request behind the messages is answered. */
    for (i = 0; i < 20000 && atomic_load(&calls) == 0; i++) {
        test_sleep_ms(1);
    }
    ck_assert_int_eq(atomic_load(&calls), 1);
    wait_idle(c);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_uint_ge(st.messages, 10000);
    grew = peak_kib() - base;
    if (test_figures()) {
        fprintf(stderr,
                "        figure: 10,000 unread messages of 300 bytes "
                "raised the peak RSS by %ld KiB\n",
                grew);
    }
    if (MEMORY_CHECKS) {
        /* The queue holds at most CLAUDE_MAX_BUFFERED_DEFAULT bytes. */
        ck_assert_int_lt(grew, 24 * 1024);
    }

    for (i = 0; i < 10000; i++) {
        m = test_next_message(c, "filler");
        claude_message_free(m);
    }
    report = test_next_json(c, "ask_report");
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_object_get(report, "response"), "response"),
            "behavior")),
        "allow");
    json_decref(report);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(
    cancels_racing_their_answers_leave_each_request_answered_at_most_once)
{
    claude_options *o = fake_client_options(
        "init", "cancel-race", "2000", "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{}}",
        "wait-eof", NULL);
    claude_client *c;
    claude_message *m;
    claude_stats st;
    json_t *report;
    json_int_t answered;
    atomic_int calls;

    atomic_init(&calls, 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, allow_all, &calls), 0);
    c = test_open_client(o);

    /* Every request and cancel is read once race_sent is; then wait for
     * their fates, and tell the fake to count what came. */
    m = test_next_message(c, "race_sent");
    claude_message_free(m);
    wait_idle(c);
    ck_assert_int_eq(claude_client_send(c, "count now", NULL), 0);
    report = test_next_json(c, "race_report");
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    answered = json_integer_value(json_object_get(report, "answered"));
    ck_assert_int_eq(json_integer_value(json_object_get(report, "twice")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(report, "unknown")), 0);
    ck_assert_msg((unsigned long long)answered + st.cancelled == 2000,
                  "%lld answered and %llu cancelled of 2000",
                  (long long)answered, st.cancelled);
    /* The ask that follows may have been answered already. */
    ck_assert_int_le(atomic_load(&calls), 2001);
    if (test_figures()) {
        fprintf(stderr,
                "        figure: of 2000 cancelled at once, %lld were "
                "answered first, %llu cancelled in time, %d reached the "
                "callback\n",
                (long long)answered, st.cancelled, atomic_load(&calls));
    }
    json_decref(report);

    /* The session goes on. */
    report = test_next_json(c, "ask_report");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(report, "response"), "subtype")),
                     "success");
    json_decref(report);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

/*
 * Callbacks that end their own client
 */

typedef struct self_ender {
    _Atomic(claude_client *) c;
    atomic_int free_logged;
    atomic_int close_rv;
} self_ender;

static void
watch_log(int level, const char *msg, void *user)
{
    self_ender *s = user;

    if (level == CLAUDE_LOG_ERROR && strstr(msg, "not freed") != NULL) {
        atomic_fetch_add(&s->free_logged, 1);
    }
}

/* Free the client, then close it, from its own callback. */
static int
free_own_client(claude_request *req, const claude_permission *perm,
                claude_permission_result *res, void *user)
{
    self_ender *s = user;
    claude_client *c;
    int i;

    (void)req;
    (void)perm;
    for (i = 0; i < 5000 && atomic_load(&s->c) == NULL; i++) {
        test_sleep_ms(1);
    }
    c = atomic_load(&s->c);
    claude_client_free(c);
    atomic_store(&s->close_rv, claude_client_close(c));
    res->allow = 1;
    return 0;
}

START_TEST(a_callback_that_frees_its_own_client_is_refused_and_logged)
{
    claude_options *o = fake_client_options(
        "init", "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{}}",
        "send", "{\"type\":\"after\"}", "wait-eof", NULL);
    claude_client *c;
    claude_message *m;
    self_ender s;
    json_t *report;

    atomic_init(&s.c, NULL);
    atomic_init(&s.free_logged, 0);
    atomic_init(&s.close_rv, 1);
    ck_assert_int_eq(claude_options_set_permission_cb(o, free_own_client, &s),
                     0);
    ck_assert_int_eq(claude_options_set_log_cb(o, watch_log, &s), 0);
    c = test_open_client(o);
    atomic_store(&s.c, c);

    report = test_next_json(c, "ask_report");
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_object_get(report, "response"), "response"),
            "behavior")),
        "allow");
    json_decref(report);
    ck_assert_int_eq(atomic_load(&s.free_logged), 1);
    ck_assert_int_eq(atomic_load(&s.close_rv), CLAUDE_ERECURSIVE);

    /* The client is whole: it reads on, and its owner frees it. */
    m = test_next_message(c, "after");
    claude_message_free(m);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

void
cl_fault_tests(void)
{
    cl_test_add("faults",
                "faults: a killed child fails every waiter with its signal",
                a_killed_child_fails_every_waiter_with_its_signal, 30);
    cl_test_add("faults",
                "faults: an exit status after an error result comes with both "
                "and stderr",
                an_exit_status_after_an_error_result_comes_with_both_and_stderr,
                30);
    cl_test_add(
        "faults",
        "faults: a child that stops reading while callbacks answer loses to "
        "close",
        a_child_that_stops_reading_while_callbacks_answer_loses_to_close, 60);
    cl_test_add(
        "faults",
        "faults: close stops a child that ignores SIGTERM and its own children",
        close_stops_a_child_that_ignores_sigterm_and_its_own_children, 30);
    cl_test_add(
        "faults",
        "faults: noise and broken JSON are skipped and the session goes on",
        noise_and_broken_json_are_skipped_and_the_session_goes_on, 30);
    cl_test_add(
        "faults",
        "faults: a 100 MB line is an error in its place and the stream goes on",
        a_100_mb_line_is_an_error_in_its_place_and_the_stream_goes_on, 60);
    cl_test_add("faults",
                "faults: a 100 MB stderr without a callback is drained and its "
                "tail kept",
                a_100_mb_stderr_without_a_callback_is_drained_and_its_tail_kept,
                60);
    cl_test_add("faults",
                "faults: ten thousand unread messages stay bounded and "
                "requests answered",
                ten_thousand_unread_messages_stay_bounded_and_requests_answered,
                60);
    cl_test_add(
        "faults",
        "faults: cancels racing their answers leave each request answered at "
        "most "
        "once",
        cancels_racing_their_answers_leave_each_request_answered_at_most_once,
        60);
    cl_test_add(
        "faults",
        "faults: a callback that frees its own client is refused and logged",
        a_callback_that_frees_its_own_client_is_refused_and_logged, 30);
}
