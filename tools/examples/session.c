/*
 * session.c: a conversation of two turns in one session.  Each turn
 * sends a prompt and reads the session's messages up to the turn's
 * result; the second prompt builds on the first answer, which only a
 * session remembers.  Then the session ends cleanly.
 *
 *     session "Name a prime number." "Now name the next one."
 *
 * The CLI is the one CLAUDE_CLI_PATH names, or else the one the
 * library finds on PATH and in the usual install places (see
 * claude_client_new(3)).  Build with
 *
 *     cc session.c $(pkg-config --cflags --libs libclaude)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <claude.h>

/* Send prompt, then print what Claude says until the turn's result. */
static int
turn(claude_client *c, const char *prompt, claude_error *err)
{
    claude_message *m;
    const char *text;
    int done = 0;
    int rv;

    rv = claude_client_send(c, prompt, err);
    while (rv == 0 && !done) {
        rv = claude_client_receive(c, &m, -1, err);
        if (rv == CLAUDE_ETOOLONG) {
            /* A line over the size limit was dropped; the rest comes. */
            fprintf(stderr, "session: %s\n", err->message);
            rv = 0;
            continue;
        }
        if (rv != 0) {
            break;
        }
        text = claude_message_text(m);
        if (text != NULL) {
            printf("%s\n", text);
        }
        if (strcmp(claude_message_type(m), "result") == 0) {
            /* An error result (a limit, an API error) ends it too. */
            if (claude_message_is_error(m)) {
                text = claude_message_result(m);
                snprintf(err->message, sizeof(err->message), "%s",
                         text != NULL ? text : "no text");
                rv = CLAUDE_ERESULT;
            }
            done = 1;
        }
        claude_message_free(m);
    }
    return rv;
}

int
main(int argc, char **argv)
{
    const char *first = argc > 1 ? argv[1] : "Name a prime number.";
    const char *second = argc > 2 ? argv[2] : "Now name the next one.";
    const char *cli = getenv("CLAUDE_CLI_PATH");
    claude_options *o = NULL;
    claude_client *c = NULL;
    claude_message *m;
    claude_error err;
    int rv;

    if (claude_options_new(&o) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (cli != NULL) {
        claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, cli);
    }

    /* The client copies the options; they are not needed after this. */
    rv = claude_client_new(&c, o, &err);
    claude_options_free(o);
    if (rv == 0) {
        rv = turn(c, first, &err);
    }
    if (rv == 0) {
        rv = turn(c, second, &err);
    }

    /*
     * End the input: the CLI finishes and exits, and receive returns
     * what it still writes, then CLAUDE_EEOF once it has exited with
     * status 0.  claude_client_free() would also end the session, but
     * stops the CLI if it takes longer than a grace period.
     */
    if (rv == 0) {
        claude_client_end_input(c);
        while ((rv = claude_client_receive(c, &m, -1, &err)) == 0) {
            claude_message_free(m);
        }
        if (rv == CLAUDE_EEOF) {
            rv = 0;
        }
    }
    if (rv != 0) {
        fprintf(stderr, "session: %s: %s\n", claude_strerror(rv), err.message);
    }
    claude_client_free(c);
    return rv == 0 ? 0 : 1;
}
