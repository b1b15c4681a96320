/*
 * query.c: a prompt run to its result, on the caller's thread.
 *
 * When the session needs no answers from us (no permission callback, no
 * hooks), input ends right after the prompt.  Otherwise the CLI may
 * still ask after a result, for background subagents and workflows, so
 * input ends when the ledger (ledger.c) says it may.
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

/* How the run went, as the results tell. */
typedef struct outcome {
    bool result_seen;
    bool result_error;
    char result_text[CLAUDE_ERROR_MESSAGE_MAX];
} outcome;

/*
 * Keep the last result's verdict and text.  Returns CLAUDE_ENOMEM when
 * memory ran out for the result, which would read as an error.
 */
static int
note_result(outcome *r, claude_message *m)
{
    const char *sub = claude_message_subtype(m);
    const char *text;

    if (strcmp(claude_message_type(m), "result") != 0) {
        return 0;
    }
    if (claude_message_json(m) == NULL && !cl_message_parsed(m)) {
        return CLAUDE_ENOMEM;
    }
    r->result_seen = true;
    r->result_error = claude_message_is_error(m) == 1;
    text = json_string_value(json_array_get(claude_message_errors(m), 0));
    if (text == NULL) {
        text = claude_message_result(m);
    }
    if (text == NULL) {
        text = sub ? sub : "";
    }
    cl_strlcpy(r->result_text, text, sizeof(r->result_text));
    return 0;
}

int
claude_query(const claude_options *opts, const char *prompt,
             claude_message_cb cb, void *user, claude_error *err)
{
    claude_client *c = NULL;
    claude_message *m;
    claude_error end;
    claude_ledger *l = NULL;
    outcome r;
    bool input_open;
    int wait_ms = -1;
    int rv;

    if (opts == NULL || prompt == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no options or no prompt");
    }
    rv = claude_ledger_new(&l);
    if (rv != 0) {
        return cl_error_set(err, rv, "cannot make the query's ledger");
    }
    rv = claude_client_new(&c, opts, err);
    if (rv != 0) {
        claude_ledger_free(l);
        return rv;
    }
    memset(&r, 0, sizeof(r));
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
            rv = note_result(&r, m);
            rv = rv != 0 ? rv : claude_ledger_track(l, m);
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
        if (input_open && claude_ledger_may_end_input(l, &wait_ms) == 1) {
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
               r.result_seen && r.result_error) {
        if (err != NULL) {
            *err = end;
        }
        rv = CLAUDE_ERESULT;
        if (err != NULL) {
            err->code = rv;
            cl_strlcpy(err->message, r.result_text, sizeof(err->message));
        }
    } else if (rv == CLAUDE_EEOF && r.result_seen) {
        rv = 0;
    } else if (rv == CLAUDE_EEOF) {
        rv = cl_error_set(err, CLAUDE_EPROTO, "the CLI ended without a result");
    } else if (err != NULL) {
        *err = end;
    }
    claude_client_free(c);
    claude_ledger_free(l);
    return rv;
}
