/*
 * permissions.c: deciding which tools Claude may use.  The permission
 * callback allows read-only tools, refuses shell commands that match a
 * pattern and tells Claude why, turns "git push" into a dry run by
 * rewriting the command, allows other shell commands as they are, and
 * refuses every other tool.  It prints each decision.
 *
 *     permissions "Clean the build directory, then push my branch."
 *
 * The CLI asks only about the calls its own rules do not settle
 * (reading files in the working directory, for one, it allows itself).
 *
 * The CLI is the one CLAUDE_CLI_PATH names, or else the one the
 * library finds on PATH and in the usual install places (see
 * claude_client_new(3)).  Build with
 *
 *     cc permissions.c $(pkg-config --cflags --libs libclaude jansson)
 */
#define _POSIX_C_SOURCE 200809L

#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <claude.h>

static const char *const read_only_tools[] = {"Read", "Glob", "Grep", "LS",
                                              NULL};

/* Shell commands refused, as fnmatch(3) patterns. */
static const char *const denied_commands[] = {"rm -r*", "*sudo *", NULL};

static int
listed(const char *const *list, const char *name)
{
    for (; *list != NULL; list++) {
        if (strcmp(*list, name) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
denied(const char *command)
{
    const char *const *p;

    for (p = denied_commands; *p != NULL; p++) {
        if (fnmatch(*p, command, 0) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A copy of input whose command has "--dry-run" after "git push". */
static json_t *
dry_run(json_t *input, const char *command)
{
    json_t *copy = json_deep_copy(input);
    json_t *rewritten = json_sprintf("git push --dry-run%s", command + 8);

    if (copy == NULL || rewritten == NULL) {
        json_decref(copy);
        json_decref(rewritten);
        return NULL;
    }

    /* This call takes the reference to rewritten, even when it fails. */
    if (json_object_set_new(copy, "command", rewritten) != 0) {
        json_decref(copy);
        return NULL;
    }
    return copy;
}

/*
 * Runs on a worker thread of the library, perhaps several at once;
 * the input is borrowed for the length of the call.  Anything not
 * allowed is denied, the default.
 */
static int
permission(claude_request *req, const claude_permission *perm,
           claude_permission_result *result, void *user)
{
    json_t *input = claude_request_input(req);
    const char *command = json_string_value(json_object_get(input, "command"));

    (void)user;
    if (listed(read_only_tools, perm->tool_name)) {
        result->allow = 1;
        printf("allowed %s\n", perm->tool_name);
    } else if (strcmp(perm->tool_name, "Bash") != 0 || command == NULL) {
        result->message = "this session may only read and run commands";
        printf("denied %s\n", perm->tool_name);
    } else if (denied(command)) {
        /* The message is what Claude is told, so it can do otherwise. */
        result->message = "this command is not allowed here; do not retry it";
        printf("denied Bash: %s\n", command);
    } else if (strncmp(command, "git push", 8) == 0 &&
               (command[8] == '\0' || command[8] == ' ')) {
        /* The library takes the reference to the new input. */
        result->updated_input = dry_run(input, command);
        if (result->updated_input == NULL) {
            return -1; /* out of memory: the CLI gets an error */
        }
        result->allow = 1;
        printf("rewrote Bash: %s\n", json_string_value(json_object_get(
                                         result->updated_input, "command")));
    } else {
        result->allow = 1;
        printf("allowed Bash: %s\n", command);
    }
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
    const char *prompt =
        argc > 1 ? argv[1] : "Clean the build directory, then push my branch.";
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

    /* In the default mode the CLI asks before it changes anything. */
    claude_options_set_string(o, CLAUDE_OPT_PERMISSION_MODE, "default");
    claude_options_set_permission_cb(o, permission, NULL);

    rv = claude_query(o, prompt, show, NULL, &err);
    if (rv != 0) {
        fprintf(stderr, "permissions: %s: %s\n", claude_strerror(rv),
                err.message);
    }
    claude_options_free(o);
    return rv == 0 ? 0 : 1;
}
