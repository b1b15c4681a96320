/*
 * check_ledger.c: when the CLI's input may end (claude_ledger).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "claude.h"
#include "message.h"
#include "tests.h"

/* The ceiling after the last result or task end, in ms. */
#define CEILING_MS (600 * 1000)

/* Track the message whose line is text; returns what track returned. */
static int
feed(claude_ledger *l, const char *text)
{
    claude_message *m;
    int rv;

    ck_assert_int_eq(cl_message_new(&m, text, strlen(text), NULL), 0);
    rv = claude_ledger_track(l, m);
    claude_message_free(m);
    return rv;
}

static void
feed_ok(claude_ledger *l, const char *text)
{
    ck_assert_int_eq(feed(l, text), 0);
}

static const char result[] =
    "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false}";
static const char idle[] =
    "{\"type\":\"system\",\"subtype\":\"session_state_changed\","
    "\"state\":\"idle\"}";
static const char running[] =
    "{\"type\":\"system\",\"subtype\":\"session_state_changed\","
    "\"state\":\"running\"}";

static void
task_started(claude_ledger *l, const char *id, const char *type)
{
    char line[256];

    snprintf(line, sizeof(line),
             "{\"type\":\"system\",\"subtype\":\"task_started\","
             "\"task_id\":\"%s\",\"task_type\":\"%s\"}",
             id, type);
    feed_ok(l, line);
}

static void
task_notification(claude_ledger *l, const char *id)
{
    char line[256];

    snprintf(line, sizeof(line),
             "{\"type\":\"system\",\"subtype\":\"task_notification\","
             "\"task_id\":\"%s\",\"status\":\"completed\"}",
             id);
    feed_ok(l, line);
}

static void
task_updated(claude_ledger *l, const char *id, const char *status)
{
    char line[256];

    snprintf(line, sizeof(line),
             "{\"type\":\"system\",\"subtype\":\"task_updated\","
             "\"task_id\":\"%s\",\"patch\":{\"status\":\"%s\"}}",
             id, status);
    feed_ok(l, line);
}

/* May input end?  Checks *wait_ms against what the answer implies. */
static int
may_end(claude_ledger *l, int *wait_ms)
{
    int w = -2;
    int rv = claude_ledger_may_end_input(l, &w);

    ck_assert_int_ge(rv, 0);
    ck_assert_int_ge(w, -1);
    ck_assert_int_le(w, CEILING_MS);
    if (rv == 1) {
        ck_assert_int_eq(w, -1);
    }
    if (wait_ms != NULL) {
        *wait_ms = w;
    }
    return rv;
}

START_TEST(input_may_end_after_a_result_and_the_idle_report)
{
    claude_ledger *l;
    int wait_ms;

    ck_assert_int_eq(claude_ledger_new(&l), 0);

    /* Nothing yet: only a message can change that, so no deadline. */
    ck_assert_int_eq(may_end(l, &wait_ms), 0);
    ck_assert_int_eq(wait_ms, -1);

    /* An assistant message and a state change before the result do
     * not count. */
    feed_ok(l, "{\"type\":\"assistant\",\"message\":{\"content\":[]}}");
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, &wait_ms), 0);
    ck_assert_int_eq(wait_ms, -1);

    /* A result: not yet, but the ceiling runs. */
    feed_ok(l, result);
    ck_assert_int_eq(may_end(l, &wait_ms), 0);
    ck_assert_int_gt(wait_ms, CEILING_MS - 10000);

    /* The idle report after it ends the wait. */
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 1);
    ck_assert_uint_eq(claude_ledger_tasks(l), 0);
    claude_ledger_free(l);
}
END_TEST

START_TEST(a_running_task_holds_input_open_until_its_turn_ends)
{
    claude_ledger *l;
    int wait_ms;

    ck_assert_int_eq(claude_ledger_new(&l), 0);
    task_started(l, "a1", "local_agent");
    task_started(l, "w1", "local_workflow");
    task_started(l, "a1", "local_agent"); /* told twice, counted once */
    ck_assert_uint_eq(claude_ledger_tasks(l), 2);

    /* A result and idle while tasks run: no deadline at all. */
    feed_ok(l, result);
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, &wait_ms), 0);
    ck_assert_int_eq(wait_ms, -1);

    /* Both end, one way each; the CLI then owes a new turn. */
    task_notification(l, "a1");
    task_updated(l, "w1", "completed");
    ck_assert_uint_eq(claude_ledger_tasks(l), 0);
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, &wait_ms), 0);
    ck_assert_int_gt(wait_ms, CEILING_MS - 10000);

    /* That turn's result and idle report end the wait. */
    feed_ok(l, running);
    feed_ok(l, result);
    ck_assert_int_eq(may_end(l, NULL), 0);
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 1);
    claude_ledger_free(l);
}
END_TEST

START_TEST(only_agents_and_workflows_are_tracked)
{
    static const char *const ended[] = {"completed", "failed", "stopped",
                                        "killed"};
    claude_ledger *l;
    char id[16];
    size_t i;

    ck_assert_int_eq(claude_ledger_new(&l), 0);

    /* Shells and monitors may never end: they are not waited for. */
    task_started(l, "s1", "local_bash");
    task_started(l, "m1", "monitor");
    feed_ok(l, "{\"type\":\"system\",\"subtype\":\"task_started\","
               "\"task_id\":\"x\"}");
    ck_assert_uint_eq(claude_ledger_tasks(l), 0);

    /* Each status that ends a task ends it; others do not. */
    for (i = 0; i < sizeof(ended) / sizeof(ended[0]); i++) {
        snprintf(id, sizeof(id), "t%zu", i);
        task_started(l, id, "local_agent");
        task_updated(l, id, "running");
        ck_assert_uint_eq(claude_ledger_tasks(l), 1);
        task_updated(l, id, ended[i]);
        ck_assert_uint_eq(claude_ledger_tasks(l), 0);
    }

    /* The end of an unknown task changes nothing. */
    feed_ok(l, result);
    task_notification(l, "unknown");
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 1);
    claude_ledger_free(l);
}
END_TEST

START_TEST(a_new_turn_or_task_after_the_idle_report_reopens_the_wait)
{
    claude_ledger *l;

    ck_assert_int_eq(claude_ledger_new(&l), 0);
    feed_ok(l, result);
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 1);

    /* The CLI goes back to work: its next idle report is needed. */
    feed_ok(l, running);
    ck_assert_int_eq(may_end(l, NULL), 0);
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 1);

    /* A task started after the result needs a result after it. */
    task_started(l, "late", "local_agent");
    ck_assert_int_eq(may_end(l, NULL), 0);
    task_notification(l, "late");
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 0);
    feed_ok(l, result);
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 1);
    claude_ledger_free(l);
}
END_TEST

START_TEST(many_tasks_are_all_kept)
{
    claude_ledger *l;
    char id[32];
    int i;

    ck_assert_int_eq(claude_ledger_new(&l), 0);
    for (i = 0; i < 1000; i++) {
        snprintf(id, sizeof(id), "agent-%d", i);
        task_started(l, id, "local_agent");
    }
    ck_assert_uint_eq(claude_ledger_tasks(l), 1000);
    for (i = 999; i >= 1; i--) {
        snprintf(id, sizeof(id), "agent-%d", i);
        task_notification(l, id);
    }
    feed_ok(l, result);
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 0);
    task_notification(l, "agent-0");
    feed_ok(l, result);
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 1);
    claude_ledger_free(l);
}
END_TEST

START_TEST(bad_arguments_and_memory_running_out_are_reported)
{
    static const char started[] =
        "{\"type\":\"system\",\"subtype\":\"task_started\","
        "\"task_id\":\"a1\",\"task_type\":\"local_agent\"}";
    claude_ledger *l;
    claude_message *m;
    int wait_ms = 5;

    ck_assert_int_eq(claude_ledger_new(NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_ledger_new(&l), 0);
    ck_assert_int_eq(claude_ledger_track(NULL, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_ledger_track(l, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_ledger_may_end_input(NULL, &wait_ms),
                     CLAUDE_EINVAL);
    ck_assert_uint_eq(claude_ledger_tasks(NULL), 0);
    claude_ledger_free(NULL);

    /* A task message that cannot be parsed is an error, not a task
     * silently missed; the same message parses later. */
    ck_assert_int_eq(cl_message_new(&m, started, strlen(started), NULL), 0);
    test_jansson_fail_nth(1);
    ck_assert_int_eq(claude_ledger_track(l, m), CLAUDE_ENOMEM);
    test_jansson_fail_nth(0);
    claude_message_free(m);
    ck_assert_uint_eq(claude_ledger_tasks(l), 0);
    feed_ok(l, started);
    ck_assert_uint_eq(claude_ledger_tasks(l), 1);

    /* A message that is not JSON inside tracks as nothing. */
    feed_ok(l, "{\"type\":\"system\",\"subtype\":\"task_notification\","
               "\"task_id\":}");
    ck_assert_uint_eq(claude_ledger_tasks(l), 1);
    claude_ledger_free(l);
}
END_TEST

typedef struct feeder {
    claude_ledger *l;
    int base;
} feeder;

static void *
feeder_main(void *arg)
{
    feeder *f = arg;
    char id[32];
    int i;

    for (i = 0; i < 200; i++) {
        snprintf(id, sizeof(id), "t%d-%d", f->base, i);
        task_started(f->l, id, "local_agent");
        (void)claude_ledger_may_end_input(f->l, NULL);
        task_notification(f->l, id);
    }
    return NULL;
}

START_TEST(threads_may_share_a_ledger)
{
    claude_ledger *l;
    feeder f[4];
    pthread_t thr[4];
    int i;

    ck_assert_int_eq(claude_ledger_new(&l), 0);
    for (i = 0; i < 4; i++) {
        f[i].l = l;
        f[i].base = i;
        ck_assert_int_eq(pthread_create(&thr[i], NULL, feeder_main, &f[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(thr[i], NULL);
    }
    ck_assert_uint_eq(claude_ledger_tasks(l), 0);
    feed_ok(l, result);
    feed_ok(l, idle);
    ck_assert_int_eq(may_end(l, NULL), 1);
    claude_ledger_free(l);
}
END_TEST

void
cl_ledger_tests(void)
{
    cl_test_add("ledger",
                "ledger: input may end after a result and the idle report",
                input_may_end_after_a_result_and_the_idle_report, 10);
    cl_test_add("ledger",
                "ledger: a running task holds input open until its turn ends",
                a_running_task_holds_input_open_until_its_turn_ends, 10);
    cl_test_add("ledger", "ledger: only agents and workflows are tracked",
                only_agents_and_workflows_are_tracked, 10);
    cl_test_add("ledger",
                "ledger: a new turn or task after the idle report reopens "
                "the wait",
                a_new_turn_or_task_after_the_idle_report_reopens_the_wait, 10);
    cl_test_add("ledger", "ledger: many tasks are all kept",
                many_tasks_are_all_kept, 10);
    cl_test_add("ledger",
                "ledger: bad arguments and memory running out are reported",
                bad_arguments_and_memory_running_out_are_reported, 10);
    cl_test_add("ledger", "ledger: threads may share a ledger",
                threads_may_share_a_ledger, 30);
}
