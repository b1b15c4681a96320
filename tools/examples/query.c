/*
 * query.c: a one-shot query.  The prompt runs to its result; the
 * program prints what Claude says and what the run cost.
 *
 *     query "What is 2 + 2?"
 *
 * The CLI is the one CLAUDE_CLI_PATH names, or else the one the
 * library finds on PATH and in the usual install places (see
 * claude_client_new(3)).  Build with
 *
 *     cc query.c $(pkg-config --cflags --libs libclaude)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <claude.h>

/* Called with each message of the run, in order; it owns m. */
static int
show(claude_message *m, void *user)
{
    const char *text = claude_message_text(m);

    (void)user;
    if (text != NULL) {
        printf("%s\n", text);
    }
    if (strcmp(claude_message_type(m), "result") == 0) {
        printf("cost: $%.4f\n", claude_message_cost_usd(m));
    }
    claude_message_free(m);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *prompt = argc > 1 ? argv[1] : "What is 2 + 2?";
    const char *cli = getenv("CLAUDE_CLI_PATH");
    claude_options *o = NULL;
    claude_error err;
    int rv;

    if (claude_options_new(&o) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (cli != NULL) {
        claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, cli);
    }

    /* Runs the CLI, sends the prompt and returns after the result. */
    rv = claude_query(o, prompt, show, NULL, &err);
    if (rv != 0) {
        fprintf(stderr, "query: %s: %s\n", claude_strerror(rv), err.message);
    }
    claude_options_free(o);
    return rv == 0 ? 0 : 1;
}
