/*
 * ledger.c: when the CLI's input may end.
 *
 * A result ends a turn, not the run: background subagents and
 * workflows go on after it and still ask for permission, run hooks and
 * call in-process tools, which the CLI can do only while its input is
 * open.  The ledger follows the messages an application reads and says
 * when input may end: once a result has come while no tracked task was
 * running, no task has started since, and the CLI has said it is idle
 * since that result.  A task that ends leads the CLI into a new turn,
 * whose result is then waited for.  Failing the idle report or the new
 * result, input may end a long ceiling after the last result or task
 * end, with no task running.  Tracked tasks are the local agents and
 * workflows; shells and monitors may never end, and tracking them would
 * keep the session open for ever.
 */
#define _POSIX_C_SOURCE 200809L

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "claude.h"
#include "message.h"
#include "util.h"

/* How long input stays open, with no task running, after the last
 * result or task end, when the idle report or a new result fails to
 * come. */
#define IDLE_CEILING_MS (600 * 1000)

struct claude_ledger {
    pthread_mutex_t mtx;
    char **tasks; /* protected by mtx: ids of running tasks */
    size_t ntasks;
    size_t cap;
    bool any_result;  /* protected by mtx */
    bool qualified;   /* a result came with no task running, none since */
    bool idle;        /* the CLI is idle since the qualified result */
    int64_t quiet_at; /* the last result or task end, in ms */
};

static const char *
str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static bool
is_one_of(const char *s, const char *const *set)
{
    for (; s != NULL && *set != NULL; set++) {
        if (strcmp(s, *set) == 0) {
            return true;
        }
    }
    return false;
}

/* Call with l->mtx held.  Returns 0 or CLAUDE_ENOMEM. */
static int
task_add_locked(claude_ledger *l, const char *id)
{
    char **grown;
    size_t i;

    for (i = 0; i < l->ntasks; i++) {
        if (strcmp(l->tasks[i], id) == 0) {
            return 0;
        }
    }
    if (l->ntasks == l->cap) {
        grown = realloc(l->tasks, (l->cap * 2 + 8) * sizeof(*grown));
        if (grown == NULL) {
            return CLAUDE_ENOMEM;
        }
        l->tasks = grown;
        l->cap = l->cap * 2 + 8;
    }
    l->tasks[l->ntasks] = strdup(id);
    if (l->tasks[l->ntasks] == NULL) {
        return CLAUDE_ENOMEM;
    }
    l->ntasks++;
    return 0;
}

/* Call with l->mtx held.  Was the task there? */
static bool
task_remove_locked(claude_ledger *l, const char *id)
{
    size_t i;

    for (i = 0; i < l->ntasks; i++) {
        if (strcmp(l->tasks[i], id) == 0) {
            free(l->tasks[i]);
            l->tasks[i] = l->tasks[--l->ntasks];
            return true;
        }
    }
    return false;
}

int
claude_ledger_new(claude_ledger **out)
{
    claude_ledger *l;

    if (out == NULL) {
        return CLAUDE_EINVAL;
    }
    *out = NULL;
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return CLAUDE_ENOMEM;
    }
    if (pthread_mutex_init(&l->mtx, NULL) != 0) {
        free(l);
        return CLAUDE_ESYS;
    }
    *out = l;
    return 0;
}

int
claude_ledger_track(claude_ledger *l, claude_message *m)
{
    static const char *const tracked[] = {"local_agent", "local_workflow",
                                          NULL};
    static const char *const ended[] = {"completed", "failed", "stopped",
                                        "killed", NULL};
    static const char *const idle[] = {"idle", NULL};
    const char *type;
    const char *sub;
    json_t *j;
    int rv = 0;

    if (l == NULL || m == NULL) {
        return CLAUDE_EINVAL;
    }
    type = claude_message_type(m);
    sub = claude_message_subtype(m);
    if (strcmp(type, "result") == 0) {
        cl_lock(&l->mtx);
        l->any_result = true;
        l->qualified = l->ntasks == 0;
        l->idle = false;
        l->quiet_at = cl_now_ms();
        cl_unlock(&l->mtx);
        return 0;
    }
    if (strcmp(type, "system") != 0 ||
        !is_one_of(sub, (const char *const[]){
                            "task_started", "task_notification", "task_updated",
                            "session_state_changed", NULL})) {
        return 0;
    }

    /* The message parses itself once, outside the lock. */
    j = claude_message_json(m);
    if (j == NULL) {
        return cl_message_parsed(m) ? 0 : CLAUDE_ENOMEM;
    }
    cl_lock(&l->mtx);
    if (strcmp(sub, "task_started") == 0 && str(j, "task_id") != NULL &&
        is_one_of(str(j, "task_type"), tracked)) {
        rv = task_add_locked(l, str(j, "task_id"));
        l->qualified = false;
        l->idle = false;
    } else if ((strcmp(sub, "task_notification") == 0 ||
                (strcmp(sub, "task_updated") == 0 &&
                 is_one_of(str(json_object_get(j, "patch"), "status"),
                           ended))) &&
               str(j, "task_id") != NULL) {
        /* The task's start unqualified the results before its end. */
        if (task_remove_locked(l, str(j, "task_id"))) {
            l->quiet_at = cl_now_ms();
        }
    } else if (strcmp(sub, "session_state_changed") == 0) {
        l->idle = l->qualified && is_one_of(str(j, "state"), idle);
    }
    cl_unlock(&l->mtx);
    return rv;
}

int
claude_ledger_may_end_input(claude_ledger *l, int *wait_ms)
{
    int64_t left = -1;
    int rv = 0;

    if (l == NULL) {
        return CLAUDE_EINVAL;
    }
    cl_lock(&l->mtx);
    if (!l->any_result || l->ntasks > 0) {
        left = -1;
    } else if (l->qualified && l->idle) {
        rv = 1;
    } else {
        left = l->quiet_at + IDLE_CEILING_MS - cl_now_ms();
        if (left <= 0) {
            rv = 1;
            left = -1;
        }
    }
    cl_unlock(&l->mtx);
    if (wait_ms != NULL) {
        *wait_ms = (int)left;
    }
    return rv;
}

unsigned int
claude_ledger_tasks(claude_ledger *l)
{
    size_t n;

    if (l == NULL) {
        return 0;
    }
    cl_lock(&l->mtx);
    n = l->ntasks;
    cl_unlock(&l->mtx);
    return (unsigned int)n;
}

void
claude_ledger_free(claude_ledger *l)
{
    size_t i;

    if (l == NULL) {
        return;
    }
    for (i = 0; i < l->ntasks; i++) {
        free(l->tasks[i]);
    }
    free(l->tasks);
    pthread_mutex_destroy(&l->mtx);
    free(l);
}
