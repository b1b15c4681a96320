/*
 * query.c: a prompt run to its result, on the caller's thread.
 *
 * When the session needs no answers from us (no permission callback, no
 * hooks), input ends right after the prompt.  Otherwise the CLI may
 * still ask after a result, for background subagents and workflows, so
 * input ends only when a result has come, no tracked task is running
 * and the CLI has said it is idle since that result; or, failing the
 * idle report, a long ceiling after the result.  Tracked tasks are the
 * local agents and workflows; shells and monitors may never end, and
 * tracking them would keep the session open for ever.
 */
#define _POSIX_C_SOURCE 200809L

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "claude.h"
#include "error.h"
#include "message.h"
#include "options.h"
#include "util.h"

/* How long after a result input stays open without an idle report. */
#define IDLE_CEILING_MS (600 * 1000)

#define MAX_TASKS 256

typedef struct ledger {
    char *tasks[MAX_TASKS];
    size_t ntasks;
    bool result_seen; /* since input was last checked */
    bool idle_after_result;
    int64_t result_at;
    bool result_error;
    char result_text[CLAUDE_ERROR_MESSAGE_MAX];
} ledger;

static const char *
str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Returns 0, or CLAUDE_ENOMEM when the task cannot be kept. */
static int
task_add(ledger *l, const char *id)
{
    size_t i;

    for (i = 0; i < l->ntasks; i++) {
        if (strcmp(l->tasks[i], id) == 0) {
            return 0;
        }
    }
    if (l->ntasks < MAX_TASKS) {
        l->tasks[l->ntasks] = strdup(id);
        if (l->tasks[l->ntasks] == NULL) {
            return CLAUDE_ENOMEM;
        }
        l->ntasks++;
    }
    return 0;
}

static void
task_remove(ledger *l, const char *id)
{
    size_t i;

    for (i = 0; i < l->ntasks; i++) {
        if (strcmp(l->tasks[i], id) == 0) {
            free(l->tasks[i]);
            l->tasks[i] = l->tasks[--l->ntasks];
            return;
        }
    }
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

/*
 * Follow the tasks, the results and the session state.  Returns
 * CLAUDE_ENOMEM when memory ran out for a message that matters: a
 * result would read as an error, a missed task could end input early.
 */
static int
track(ledger *l, claude_message *m)
{
    static const char *const tracked[] = {"local_agent", "local_workflow",
                                          NULL};
    static const char *const ended[] = {"completed", "failed", "stopped",
                                        "killed", NULL};
    const char *type = claude_message_type(m);
    const char *sub = claude_message_subtype(m);
    json_t *j;
    json_t *errors;
    const char *text;

    if (strcmp(type, "result") == 0) {
        if (claude_message_json(m) == NULL && !cl_message_parsed(m)) {
            return CLAUDE_ENOMEM;
        }
        l->result_seen = true;
        l->idle_after_result = false;
        l->result_at = cl_now_ms();
        l->result_error = claude_message_is_error(m) == 1;
        errors = claude_message_errors(m);
        text = json_string_value(json_array_get(errors, 0));
        if (text == NULL) {
            text = claude_message_result(m);
        }
        if (text == NULL) {
            text = sub ? sub : "";
        }
        cl_strlcpy(l->result_text, text, sizeof(l->result_text));
        return 0;
    }
    if (strcmp(type, "system") != 0 || sub == NULL) {
        return 0;
    }
    j = claude_message_json(m);
    if (j == NULL && !cl_message_parsed(m)) {
        return CLAUDE_ENOMEM;
    }
    if (strcmp(sub, "task_started") == 0 && str(j, "task_id") != NULL &&
        is_one_of(str(j, "task_type"), tracked)) {
        return task_add(l, str(j, "task_id"));
    } else if (strcmp(sub, "task_notification") == 0 &&
               str(j, "task_id") != NULL) {
        task_remove(l, str(j, "task_id"));
    } else if (strcmp(sub, "task_updated") == 0 && str(j, "task_id") != NULL &&
               is_one_of(str(json_object_get(j, "patch"), "status"), ended)) {
        task_remove(l, str(j, "task_id"));
    } else if (strcmp(sub, "session_state_changed") == 0 && l->result_seen &&
               is_one_of(str(j, "state"),
                         (const char *const[]){"idle", NULL})) {
        l->idle_after_result = true;
    }
    return 0;
}

/* May input end now?  How long to wait for the next message if not. */
static bool
may_end_input(const ledger *l, int *wait_ms)
{
    int64_t left;

    *wait_ms = -1;
    if (!l->result_seen || l->ntasks > 0) {
        return false;
    }
    if (l->idle_after_result) {
        return true;
    }
    left = l->result_at + IDLE_CEILING_MS - cl_now_ms();
    if (left <= 0) {
        return true;
    }
    *wait_ms = (int)left;
    return false;
}

int
claude_query(const claude_options *opts, const char *prompt,
             claude_message_cb cb, void *user, claude_error *err)
{
    claude_client *c = NULL;
    claude_message *m;
    claude_error end;
    ledger l;
    bool input_open;
    int wait_ms = -1;
    int rv;
    size_t i;

    if (opts == NULL || prompt == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no options or no prompt");
    }
    rv = claude_client_new(&c, opts, err);
    if (rv != 0) {
        return rv;
    }
    memset(&l, 0, sizeof(l));
    /*
     * A prompt that cannot be written means the CLI is gone; what it
     * said before going tells more than the write error, so read on.
     */
    rv = claude_client_send(c, prompt, NULL);
    input_open = rv == 0 && cl_options_bidirectional(opts);
    if (!input_open) {
        (void)claude_client_end_input(c);
    }
    rv = 0;

    while (rv == 0) {
        rv = claude_client_receive(c, &m, wait_ms, &end);
        if (rv == CLAUDE_ETIMEDOUT) {
            rv = 0;
        } else if (rv == CLAUDE_ETOOLONG) {
            /* The transport logged the loss; the session goes on. */
            rv = 0;
        } else if (rv != 0) {
            break;
        } else {
            rv = track(&l, m);
            if (rv != 0) {
                claude_message_free(m);
                cl_error_set(&end, rv, "out of memory reading a message");
                break;
            }
            if (cb != NULL && cb(m, user) != 0) {
                rv = cl_error_set(err, CLAUDE_ECANCELED,
                                  "the message callback stopped the query");
                break;
            }
            if (cb == NULL) {
                claude_message_free(m);
            }
        }
        if (input_open && may_end_input(&l, &wait_ms)) {
            (void)claude_client_end_input(c);
            input_open = false;
            wait_ms = -1;
        }
    }

    /*
     * The end of the session is the normal way out; an error result
     * explains an exit status better than the status does.
     */
    if (rv == CLAUDE_ECANCELED) {
        /* err says so already. */
    } else if ((rv == CLAUDE_EEOF || rv == CLAUDE_ECHILDEXIT) &&
               l.result_seen && l.result_error) {
        if (err != NULL) {
            *err = end;
        }
        rv = CLAUDE_ERESULT;
        if (err != NULL) {
            err->code = rv;
            cl_strlcpy(err->message, l.result_text, sizeof(err->message));
        }
    } else if (rv == CLAUDE_EEOF && l.result_seen) {
        rv = 0;
    } else if (rv == CLAUDE_EEOF) {
        rv = cl_error_set(err, CLAUDE_EPROTO, "the CLI ended without a result");
    } else if (err != NULL) {
        *err = end;
    }
    claude_client_free(c);
    for (i = 0; i < l.ntasks; i++) {
        free(l.tasks[i]);
    }
    return rv;
}
