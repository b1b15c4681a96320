/*
 * hooks.c: two hooks.  A PreToolUse hook sees every tool call before it
 * runs, prints it, and refuses shell commands run with sudo; a Stop hook
 * runs when Claude has finished and shows the user how many calls there
 * were.
 *
 *     hooks "List the files here, then update the system packages."
 *
 * The CLI is the one CLAUDE_CLI_PATH names, or else the one the
 * library finds on PATH and in the usual install places (see
 * claude_client_new(3)).  Build with
 *
 *     cc hooks.c $(pkg-config --cflags --libs libclaude jansson)
 */
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <claude.h>

/* Hooks run on the library's worker threads, perhaps several at once. */
static atomic_int calls;
static atomic_int refused;

/*
 * Before each tool call.  input is borrowed; *output, when set, is a
 * new reference the library takes.  Left NULL, the call goes on as the
 * CLI's permission rules decide.
 */
static int
pre_tool_use(claude_request *req, json_t *input, json_t **output, void *user)
{
    const char *tool = json_string_value(json_object_get(input, "tool_name"));
    const char *command = json_string_value(
        json_object_get(json_object_get(input, "tool_input"), "command"));

    (void)req;
    (void)user;
    atomic_fetch_add(&calls, 1);
    printf("PreToolUse: %s %s\n", tool ? tool : "?", command ? command : "");
    if (command != NULL && strncmp(command, "sudo ", 5) == 0) {
        atomic_fetch_add(&refused, 1);
        *output = json_pack("{s:{s:s,s:s,s:s}}", "hookSpecificOutput",
                            "hookEventName", "PreToolUse", "permissionDecision",
                            "deny", "permissionDecisionReason",
                            "commands run with sudo are not allowed");
    }
    return 0;
}

/* When Claude has finished its answer. */
static int
stop(claude_request *req, json_t *input, json_t **output, void *user)
{
    (void)req;
    (void)input;
    (void)user;
    /* A systemMessage is shown to the user. */
    *output =
        json_pack("{s:o}", "systemMessage",
                  json_sprintf("%d tool calls, %d refused", atomic_load(&calls),
                               atomic_load(&refused)));
    return 0;
}

static int
show(claude_message *m, void *user)
{
    const char *text = claude_message_text(m);

    (void)user;
    if (text != NULL) {
        printf("%s\n", text);
    }
    claude_message_free(m);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *prompt = argc > 1 ? argv[1]
                                  : "List the files here, then update the "
                                    "system packages.";
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
    claude_options_set_string(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET,
                              "claude_code");

    /* A NULL matcher: every tool.  0: the CLI's default timeout. */
    claude_options_add_hook(o, "PreToolUse", NULL, 0, pre_tool_use, NULL);
    claude_options_add_hook(o, "Stop", NULL, 0, stop, NULL);

    rv = claude_query(o, prompt, show, NULL, &err);
    if (rv != 0) {
        fprintf(stderr, "hooks: %s: %s\n", claude_strerror(rv), err.message);
    }
    claude_options_free(o);
    return rv == 0 ? 0 : 1;
}
