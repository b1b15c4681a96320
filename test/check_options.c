/*
 * check_options.c: the options object and what is made of it: the
 * CLI's argument vector, its environment and the initialize request.
 */
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "tests.h"

extern char **environ;

#define CLI "/opt/claude/bin/claude"

static claude_options *
new_options(void)
{
    claude_options *o = NULL;

    ck_assert_int_eq(claude_options_new(&o), 0);
    ck_assert_ptr_nonnull(o);
    return o;
}

static void
set_str(claude_options *o, claude_option opt, const char *value)
{
    int rv = claude_options_set_string(o, opt, value);

    ck_assert_msg(rv == 0, "set_string(%d, \"%s\") gave %d", (int)opt,
                  value == NULL ? "(null)" : value, rv);
}

static void
add(claude_options *o, claude_option opt, const char *item)
{
    int rv = claude_options_add(o, opt, item);

    ck_assert_msg(rv == 0, "add(%d, \"%s\") gave %d", (int)opt, item, rv);
}

static void
set_int(claude_options *o, claude_option opt, long long value)
{
    int rv = claude_options_set_int(o, opt, value);

    ck_assert_msg(rv == 0, "set_int(%d, %lld) gave %d", (int)opt, value, rv);
}

static char **
argv_of(const claude_options *o)
{
    claude_error err;
    char **v = NULL;
    int rv;

    err.message[0] = '\0';
    rv = cl_options_argv(o, CLI, &v, &err);
    ck_assert_msg(rv == 0, "cl_options_argv gave %d: %s", rv, err.message);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* The vector as one line, tokens in brackets, for failure messages. */
static char *
show(char *const *v)
{
    static char buf[8192];
    size_t used = 0;

    buf[0] = '\0';
    for (; v != NULL && *v != NULL && used < sizeof(buf) - 1; v++) {
        used += (size_t)snprintf(buf + used, sizeof(buf) - used, "[%s]", *v);
    }
    return buf;
}

static void
assert_argv(char *const *v, const char *const *want)
{
    size_t i;

    for (i = 0; want[i] != NULL; i++) {
        ck_assert_msg(v[i] != NULL && strcmp(v[i], want[i]) == 0,
                      "token %zu: want [%s], argv is %s", i, want[i], show(v));
    }
    ck_assert_msg(v[i] == NULL, "extra tokens after %zu: %s", i, show(v));
}

static int
find_token(char *const *v, const char *token)
{
    int i;

    for (i = 0; v[i] != NULL; i++) {
        if (strcmp(v[i], token) == 0) {
            return i;
        }
    }
    return -1;
}

START_TEST(minimal_options_give_the_base_flags)
{
    static const char *const want[] = {
        CLI, "--output-format", "stream-json", "--verbose", "--system-prompt",
        "",  "--input-format",  "stream-json", NULL};
    claude_options *o = new_options();
    char **v = argv_of(o);

    assert_argv(v, want);
    cl_strv_free(v);
    claude_options_free(o);
}
END_TEST

static int
allow_all(claude_request *req, const claude_permission *perm,
          claude_permission_result *result, void *user)
{
    (void)req;
    (void)perm;
    (void)user;
    result->allow = 1;
    return 0;
}

static int
empty_hook(claude_request *req, json_t *input, json_t **output, void *user)
{
    (void)req;
    (void)input;
    (void)output;
    (void)user;
    return 0;
}

/* Every option that reaches argv, and some that must not. */
static claude_options *
maximal_options(void)
{
    claude_options *o = new_options();

    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET, "claude_code");
    set_str(o, CLAUDE_OPT_APPEND_SYSTEM_PROMPT, "Be brief.");
    add(o, CLAUDE_OPT_TOOLS, "Read");
    add(o, CLAUDE_OPT_TOOLS, "Bash");
    add(o, CLAUDE_OPT_ALLOWED_TOOLS, "Read");
    add(o, CLAUDE_OPT_ALLOWED_TOOLS, "Bash(git *)");
    set_int(o, CLAUDE_OPT_MAX_TURNS, 5);
    ck_assert_int_eq(
        claude_options_set_double(o, CLAUDE_OPT_MAX_BUDGET_USD, 0.25), 0);
    add(o, CLAUDE_OPT_DISALLOWED_TOOLS, "Write");
    set_str(o, CLAUDE_OPT_MODEL, "opus");
    set_str(o, CLAUDE_OPT_FALLBACK_MODEL, "sonnet");
    add(o, CLAUDE_OPT_BETAS, "context-1m-2025-08-07");
    set_str(o, CLAUDE_OPT_PERMISSION_PROMPT_TOOL, "mcp__perm__ask");
    set_str(o, CLAUDE_OPT_PERMISSION_MODE, "acceptEdits");
    set_str(o, CLAUDE_OPT_RESUME, "my session");
    set_str(o, CLAUDE_OPT_SESSION_ID, "0f8fad5b-d9cb-469f-a165-70867728950e");
    set_int(o, CLAUDE_OPT_FORK_SESSION, 1);
    set_str(o, CLAUDE_OPT_SETTINGS, "{\"model\": \"opus\"}");
    set_str(o, CLAUDE_OPT_SANDBOX, "{\"enabled\": true}");
    add(o, CLAUDE_OPT_ADD_DIR, "/a");
    add(o, CLAUDE_OPT_ADD_DIR, "/b");
    set_str(o, CLAUDE_OPT_MCP_SERVERS,
            "{\"fs\": {\"command\": \"mcp-fs\", \"args\": [\"/\"]},\n"
            " \"web\": {\"type\": \"http\", \"url\": \"http://x\"}}");
    set_int(o, CLAUDE_OPT_INCLUDE_PARTIAL_MESSAGES, 1);
    set_int(o, CLAUDE_OPT_INCLUDE_HOOK_EVENTS, 1);
    set_int(o, CLAUDE_OPT_STRICT_MCP_CONFIG, 1);
    add(o, CLAUDE_OPT_SETTING_SOURCES, "user");
    add(o, CLAUDE_OPT_SETTING_SOURCES, "project");
    add(o, CLAUDE_OPT_PLUGIN_DIR, "/plugins/one");
    set_str(o, CLAUDE_OPT_THINKING, "enabled");
    set_int(o, CLAUDE_OPT_MAX_THINKING_TOKENS, 8000);
    set_str(o, CLAUDE_OPT_THINKING_DISPLAY, "summarized");
    set_str(o, CLAUDE_OPT_EFFORT, "high");
    set_str(o, CLAUDE_OPT_JSON_SCHEMA,
            "{ \"type\": \"object\",\n  \"required\": [\"n\"] }");
    ck_assert_int_eq(
        claude_options_add_extra_arg(o, "debug-file", "/tmp/debug.log"), 0);
    ck_assert_int_eq(
        claude_options_add_extra_arg(o, "replay-user-messages", NULL), 0);

    /* None of these reach argv. */
    set_str(o, CLAUDE_OPT_AGENTS,
            "{\"r\": {\"description\": \"d\", \"prompt\": \"p\"}}");
    set_str(o, CLAUDE_OPT_CWD, "/work");
    set_str(o, CLAUDE_OPT_CLI_PATH, "/elsewhere/claude");
    set_int(o, CLAUDE_OPT_MAX_WORKERS, 4);
    ck_assert_int_eq(claude_options_set_env(o, "A", "1"), 0);
    ck_assert_int_eq(
        claude_options_add_hook(o, "PreToolUse", "Bash", 10, empty_hook, NULL),
        0);
    return o;
}

START_TEST(maximal_options_give_the_flags_in_order)
{
    static const char *const want[] = {
        CLI,
        "--output-format",
        "stream-json",
        "--verbose",
        "--append-system-prompt",
        "Be brief.",
        "--tools",
        "Read,Bash",
        "--allowedTools",
        "Read,Bash(git *)",
        "--max-turns",
        "5",
        "--max-budget-usd",
        "0.25",
        "--disallowedTools",
        "Write",
        "--model",
        "opus",
        "--fallback-model",
        "sonnet",
        "--betas",
        "context-1m-2025-08-07",
        "--permission-prompt-tool",
        "mcp__perm__ask",
        "--permission-mode",
        "acceptEdits",
        "--resume=my session",
        "--session-id=0f8fad5b-d9cb-469f-a165-70867728950e",
        "--settings",
        "{\"model\":\"opus\",\"sandbox\":{\"enabled\":true}}",
        "--add-dir",
        "/a",
        "--add-dir",
        "/b",
        "--mcp-config",
        "{\"mcpServers\":{\"fs\":{\"command\":\"mcp-fs\",\"args\":[\"/\"]},"
        "\"web\":{\"type\":\"http\",\"url\":\"http://x\"}}}",
        "--include-partial-messages",
        "--include-hook-events",
        "--strict-mcp-config",
        "--fork-session",
        "--setting-sources=user,project",
        "--plugin-dir",
        "/plugins/one",
        "--max-thinking-tokens",
        "8000",
        "--thinking-display",
        "summarized",
        "--effort",
        "high",
        "--json-schema",
        "{\"type\":\"object\",\"required\":[\"n\"]}",
        "--debug-file",
        "/tmp/debug.log",
        "--replay-user-messages",
        "--input-format",
        "stream-json",
        NULL};
    claude_options *o = maximal_options();
    char **v = argv_of(o);

    assert_argv(v, want);
    cl_strv_free(v);
    claude_options_free(o);
}
END_TEST

/* One flag that takes a value, and how to give it a value. */
typedef struct value_flag {
    const char *flag;
    claude_option opt;
    int how; /* 's': set_string, 'a': add, 'x': extra arg */
} value_flag;

START_TEST(a_value_that_starts_with_a_dash_never_becomes_a_flag)
{
    static const value_flag flags[] = {
        {"--system-prompt", CLAUDE_OPT_SYSTEM_PROMPT, 's'},
        {"--system-prompt-file", CLAUDE_OPT_SYSTEM_PROMPT_FILE, 's'},
        {"--append-system-prompt", CLAUDE_OPT_APPEND_SYSTEM_PROMPT, 's'},
        {"--tools", CLAUDE_OPT_TOOLS, 'a'},
        {"--allowedTools", CLAUDE_OPT_ALLOWED_TOOLS, 'a'},
        {"--disallowedTools", CLAUDE_OPT_DISALLOWED_TOOLS, 'a'},
        {"--model", CLAUDE_OPT_MODEL, 's'},
        {"--fallback-model", CLAUDE_OPT_FALLBACK_MODEL, 's'},
        {"--betas", CLAUDE_OPT_BETAS, 'a'},
        {"--permission-prompt-tool", CLAUDE_OPT_PERMISSION_PROMPT_TOOL, 's'},
        {"--resume", CLAUDE_OPT_RESUME, 's'},
        {"--settings", CLAUDE_OPT_SETTINGS, 's'},
        {"--add-dir", CLAUDE_OPT_ADD_DIR, 'a'},
        {"--plugin-dir", CLAUDE_OPT_PLUGIN_DIR, 'a'},
        {"--debug-file", 0, 'x'},
    };
    static const claude_option enumerated[] = {
        CLAUDE_OPT_PERMISSION_MODE, CLAUDE_OPT_SESSION_ID,
        CLAUDE_OPT_THINKING,        CLAUDE_OPT_THINKING_DISPLAY,
        CLAUDE_OPT_EFFORT,          CLAUDE_OPT_SYSTEM_PROMPT_PRESET};
    static const claude_option numbers[] = {CLAUDE_OPT_MAX_TURNS,
                                            CLAUDE_OPT_MAX_THINKING_TOKENS};
    const char *value = "--dangerously-skip-permissions";
    char joined[128];
    size_t i;
    char **v;
    int at;

    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        claude_options *o = new_options();

        if (flags[i].how == 's') {
            set_str(o, flags[i].opt, value);
        } else if (flags[i].how == 'a') {
            add(o, flags[i].opt, value);
        } else {
            ck_assert_int_eq(
                claude_options_add_extra_arg(o, flags[i].flag + 2, value), 0);
        }
        if (flags[i].opt == CLAUDE_OPT_APPEND_SYSTEM_PROMPT) {
            set_str(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET, "claude_code");
        }
        v = argv_of(o);
        snprintf(joined, sizeof(joined), "%s=%s", flags[i].flag, value);
        at = find_token(v, joined);
        ck_assert_msg(at > 0, "%s: no token [%s] in %s", flags[i].flag, joined,
                      show(v));
        ck_assert_msg(find_token(v, value) < 0, "%s: [%s] stands alone in %s",
                      flags[i].flag, value, show(v));
        cl_strv_free(v);
        claude_options_free(o);
    }

    /* The other value flags take words or numbers, which never start
     * with a dash: the setters refuse such values. */
    for (i = 0; i < sizeof(enumerated) / sizeof(enumerated[0]); i++) {
        claude_options *o = new_options();

        ck_assert_int_eq(claude_options_set_string(o, enumerated[i], value),
                         CLAUDE_EINVAL);
        claude_options_free(o);
    }
    for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        claude_options *o = new_options();

        ck_assert_int_eq(claude_options_set_int(o, numbers[i], -5),
                         CLAUDE_EINVAL);
        claude_options_free(o);
    }
    {
        claude_options *o = new_options();

        ck_assert_int_eq(
            claude_options_add(o, CLAUDE_OPT_SETTING_SOURCES, "-user"),
            CLAUDE_EINVAL);
        ck_assert_int_eq(
            claude_options_set_double(o, CLAUDE_OPT_MAX_BUDGET_USD, -1.0),
            CLAUDE_EINVAL);
        claude_options_free(o);
    }
}
END_TEST

START_TEST(resume_session_id_and_sources_are_always_one_token)
{
    claude_options *o = new_options();
    char **v;

    set_str(o, CLAUDE_OPT_RESUME, "abc");
    set_str(o, CLAUDE_OPT_SESSION_ID, "0F8FAD5B-D9CB-469F-A165-70867728950E");
    set_int(o, CLAUDE_OPT_FORK_SESSION, 1);
    add(o, CLAUDE_OPT_SETTING_SOURCES, "local");
    v = argv_of(o);
    ck_assert_int_gt(find_token(v, "--resume=abc"), 0);
    ck_assert_int_gt(
        find_token(v, "--session-id=0F8FAD5B-D9CB-469F-A165-70867728950E"), 0);
    ck_assert_int_gt(find_token(v, "--setting-sources=local"), 0);
    ck_assert_int_lt(find_token(v, "--resume"), 0);
    ck_assert_int_lt(find_token(v, "--session-id"), 0);
    ck_assert_int_lt(find_token(v, "--setting-sources"), 0);
    cl_strv_free(v);
    claude_options_free(o);
}
END_TEST

START_TEST(empty_lists_are_sent_and_cleared_lists_are_not)
{
    claude_options *o = new_options();
    char **v;
    int at;

    ck_assert_int_eq(claude_options_set_empty(o, CLAUDE_OPT_TOOLS), 0);
    ck_assert_int_eq(claude_options_set_empty(o, CLAUDE_OPT_SETTING_SOURCES),
                     0);
    v = argv_of(o);
    at = find_token(v, "--tools");
    ck_assert_int_gt(at, 0);
    ck_assert_str_eq(v[at + 1], "");
    ck_assert_int_eq(at + 2, find_token(v, "--setting-sources="));
    ck_assert_int_lt(find_token(v, "--setting-sources"), 0);
    cl_strv_free(v);

    /* An empty list is set: it is not NULL and holds no item. */
    ck_assert(cl_options_list(o, CLAUDE_OPT_TOOLS)->set);
    ck_assert_uint_eq(cl_options_list(o, CLAUDE_OPT_TOOLS)->n, 0);
    ck_assert_ptr_nonnull(cl_options_list(o, CLAUDE_OPT_TOOLS)->items);
    ck_assert_ptr_null(cl_options_list(o, CLAUDE_OPT_TOOLS)->items[0]);

    /* An item after set_empty makes a one-item list. */
    add(o, CLAUDE_OPT_TOOLS, "Read");
    v = argv_of(o);
    at = find_token(v, "--tools");
    ck_assert_str_eq(v[at + 1], "Read");
    cl_strv_free(v);

    /* Cleared lists are unset and give no flag at all. */
    ck_assert_int_eq(claude_options_clear(o, CLAUDE_OPT_TOOLS), 0);
    ck_assert_int_eq(claude_options_clear(o, CLAUDE_OPT_SETTING_SOURCES), 0);
    ck_assert(!cl_options_list(o, CLAUDE_OPT_TOOLS)->set);
    v = argv_of(o);
    ck_assert_int_lt(find_token(v, "--tools"), 0);
    ck_assert_int_lt(find_token(v, "--setting-sources="), 0);
    cl_strv_free(v);

    /* Lists where empty would mean unset refuse set_empty. */
    ck_assert_int_eq(claude_options_set_empty(o, CLAUDE_OPT_ALLOWED_TOOLS),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_empty(o, CLAUDE_OPT_ADD_DIR),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add(o, CLAUDE_OPT_ADD_DIR, ""),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add(o, CLAUDE_OPT_ADD_DIR, NULL),
                     CLAUDE_EINVAL);
    claude_options_free(o);
}
END_TEST

static void
prompt_and_file(claude_options *o)
{
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT, "You are terse.");
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT_FILE, "/etc/prompt.txt");
}

static void
prompt_and_preset(claude_options *o)
{
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT, "You are terse.");
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET, "claude_code");
}

static void
file_and_preset(claude_options *o)
{
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT_FILE, "/etc/prompt.txt");
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET, "claude_code");
}

static void
append_without_preset(claude_options *o)
{
    set_str(o, CLAUDE_OPT_APPEND_SYSTEM_PROMPT, "More.");
}

static void
append_to_own_prompt(claude_options *o)
{
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT, "You are terse.");
    set_str(o, CLAUDE_OPT_APPEND_SYSTEM_PROMPT, "More.");
}

static void
fallback_is_model(claude_options *o)
{
    set_str(o, CLAUDE_OPT_MODEL, "opus");
    set_str(o, CLAUDE_OPT_FALLBACK_MODEL, "opus");
}

static void
callback_and_prompt_tool(claude_options *o)
{
    ck_assert_int_eq(claude_options_set_permission_cb(o, allow_all, NULL), 0);
    set_str(o, CLAUDE_OPT_PERMISSION_PROMPT_TOOL, "mcp__perm__ask");
}

static void
continue_and_resume(claude_options *o)
{
    set_int(o, CLAUDE_OPT_CONTINUE, 1);
    set_str(o, CLAUDE_OPT_RESUME, "abc");
}

static void
fork_alone(claude_options *o)
{
    set_int(o, CLAUDE_OPT_FORK_SESSION, 1);
}

static void
tokens_and_adaptive(claude_options *o)
{
    set_str(o, CLAUDE_OPT_THINKING, "adaptive");
    set_int(o, CLAUDE_OPT_MAX_THINKING_TOKENS, 1000);
}

static void
tokens_and_disabled(claude_options *o)
{
    set_str(o, CLAUDE_OPT_THINKING, "disabled");
    set_int(o, CLAUDE_OPT_MAX_THINKING_TOKENS, 1000);
}

static void
enabled_without_tokens(claude_options *o)
{
    set_str(o, CLAUDE_OPT_THINKING, "enabled");
}

static void
session_id_and_resume(claude_options *o)
{
    set_str(o, CLAUDE_OPT_SESSION_ID, "0f8fad5b-d9cb-469f-a165-70867728950e");
    set_str(o, CLAUDE_OPT_RESUME, "abc");
}

static void
session_id_and_continue(claude_options *o)
{
    set_str(o, CLAUDE_OPT_SESSION_ID, "0f8fad5b-d9cb-469f-a165-70867728950e");
    set_int(o, CLAUDE_OPT_CONTINUE, 1);
}

/* The setters refuse unknown events, so the copy is changed behind
 * their back, as a stale or corrupted object would be. */
static void
unknown_hook_event(claude_options *o)
{
    ck_assert_int_eq(
        claude_options_add_hook(o, "Stop", NULL, 0, empty_hook, NULL), 0);
    free(o->hooks[0].event);
    o->hooks[0].event = strdup("BeforeEverything");
    ck_assert_ptr_nonnull(o->hooks[0].event);
}

typedef struct combo {
    const char *what;
    void (*setup)(claude_options *o);
    const char *name_a;
    const char *name_b;
} combo;

START_TEST(every_invalid_combination_is_refused_naming_both)
{
    static const combo combos[] = {
        {"prompt and file", prompt_and_file, "CLAUDE_OPT_SYSTEM_PROMPT",
         "CLAUDE_OPT_SYSTEM_PROMPT_FILE"},
        {"prompt and preset", prompt_and_preset, "CLAUDE_OPT_SYSTEM_PROMPT",
         "CLAUDE_OPT_SYSTEM_PROMPT_PRESET"},
        {"file and preset", file_and_preset, "CLAUDE_OPT_SYSTEM_PROMPT_FILE",
         "CLAUDE_OPT_SYSTEM_PROMPT_PRESET"},
        {"append without preset", append_without_preset,
         "CLAUDE_OPT_APPEND_SYSTEM_PROMPT", "CLAUDE_OPT_SYSTEM_PROMPT_PRESET"},
        {"append to an own prompt", append_to_own_prompt,
         "CLAUDE_OPT_APPEND_SYSTEM_PROMPT", "CLAUDE_OPT_SYSTEM_PROMPT_PRESET"},
        {"fallback equal to model", fallback_is_model,
         "CLAUDE_OPT_FALLBACK_MODEL", "CLAUDE_OPT_MODEL"},
        {"callback and prompt tool", callback_and_prompt_tool,
         "permission callback", "CLAUDE_OPT_PERMISSION_PROMPT_TOOL"},
        {"continue and resume", continue_and_resume, "CLAUDE_OPT_CONTINUE",
         "CLAUDE_OPT_RESUME"},
        {"fork alone", fork_alone, "CLAUDE_OPT_FORK_SESSION",
         "CLAUDE_OPT_RESUME"},
        {"tokens with adaptive", tokens_and_adaptive,
         "CLAUDE_OPT_MAX_THINKING_TOKENS", "CLAUDE_OPT_THINKING"},
        {"tokens with disabled", tokens_and_disabled,
         "CLAUDE_OPT_MAX_THINKING_TOKENS", "CLAUDE_OPT_THINKING"},
        {"enabled without tokens", enabled_without_tokens,
         "CLAUDE_OPT_THINKING", "CLAUDE_OPT_MAX_THINKING_TOKENS"},
        {"session id and resume", session_id_and_resume,
         "CLAUDE_OPT_SESSION_ID", "CLAUDE_OPT_RESUME"},
        {"session id and continue", session_id_and_continue,
         "CLAUDE_OPT_SESSION_ID", "CLAUDE_OPT_CONTINUE"},
        {"unknown hook event", unknown_hook_event, "hook event",
         "BeforeEverything"},
    };
    claude_error err;
    size_t i;
    char **v;
    int rv;

    for (i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
        claude_options *o = new_options();

        combos[i].setup(o);
        err.message[0] = '\0';
        rv = cl_options_validate(o, &err);
        ck_assert_msg(rv == CLAUDE_EINVAL, "%s: validate gave %d",
                      combos[i].what, rv);
        ck_assert_int_eq(err.code, CLAUDE_EINVAL);
        ck_assert_msg(strstr(err.message, combos[i].name_a) != NULL &&
                          strstr(err.message, combos[i].name_b) != NULL,
                      "%s: message \"%s\" does not name %s and %s",
                      combos[i].what, err.message, combos[i].name_a,
                      combos[i].name_b);

        /* Building the argv validates too. */
        v = NULL;
        ck_assert_int_eq(cl_options_argv(o, CLI, &v, NULL), CLAUDE_EINVAL);
        ck_assert_ptr_null(v);
        claude_options_free(o);
    }
}
END_TEST

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(the_sandbox_is_merged_into_a_settings_file)
{
    char dir[256];
    char path[512];
    char missing[512];
    claude_error err;
    claude_options *o = new_options();
    char **v;
    int at;

    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/settings.json", dir);
    snprintf(missing, sizeof(missing), "%s/absent.json", dir);
    write_file(path, "{\"env\": {\"X\": \"1\"}, \"sandbox\": {\"old\": 1}}");

    /* Without a sandbox the path goes through untouched. */
    set_str(o, CLAUDE_OPT_SETTINGS, path);
    v = argv_of(o);
    at = find_token(v, "--settings");
    ck_assert_str_eq(v[at + 1], path);
    cl_strv_free(v);

    /* With one, the file is read and the sandbox replaces its own. */
    set_str(o, CLAUDE_OPT_SANDBOX, "{\"enabled\": true}");
    v = argv_of(o);
    at = find_token(v, "--settings");
    ck_assert_str_eq(v[at + 1],
                     "{\"env\":{\"X\":\"1\"},\"sandbox\":{\"enabled\":true}}");
    cl_strv_free(v);

    /* A relative path is found under the working directory. */
    set_str(o, CLAUDE_OPT_CWD, dir);
    set_str(o, CLAUDE_OPT_SETTINGS, "settings.json");
    v = argv_of(o);
    at = find_token(v, "--settings");
    ck_assert_str_eq(v[at + 1],
                     "{\"env\":{\"X\":\"1\"},\"sandbox\":{\"enabled\":true}}");
    cl_strv_free(v);

    /* A sandbox alone becomes the whole settings object. */
    ck_assert_int_eq(claude_options_clear(o, CLAUDE_OPT_SETTINGS), 0);
    v = argv_of(o);
    at = find_token(v, "--settings");
    ck_assert_str_eq(v[at + 1], "{\"sandbox\":{\"enabled\":true}}");
    cl_strv_free(v);

    /* A missing file is named, with the cause. */
    set_str(o, CLAUDE_OPT_SETTINGS, missing);
    ck_assert_int_eq(cl_options_validate(o, &err), CLAUDE_EINVAL);
    ck_assert_msg(strstr(err.message, missing) != NULL &&
                      strstr(err.message, "CLAUDE_OPT_SETTINGS") != NULL &&
                      strstr(err.message, "CLAUDE_OPT_SANDBOX") != NULL,
                  "message: %s", err.message);
    ck_assert_int_ne(err.sys_errno, 0);

    /* So is a file that does not hold a JSON object. */
    write_file(path, "[1, 2]");
    set_str(o, CLAUDE_OPT_SETTINGS, path);
    ck_assert_int_eq(cl_options_validate(o, &err), CLAUDE_EINVAL);
    ck_assert_msg(strstr(err.message, path) != NULL &&
                      strstr(err.message, "CLAUDE_OPT_SANDBOX") != NULL,
                  "message: %s", err.message);
    write_file(path, "{\"unterminated\": ");
    ck_assert_int_eq(cl_options_validate(o, &err), CLAUDE_EINVAL);
    ck_assert_msg(strstr(err.message, path) != NULL, "message: %s",
                  err.message);

    /* Inline settings text that is not JSON is refused by the setter;
     * an object that lost its text behind the setter's back is caught
     * when the sandbox is merged. */
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_SETTINGS, "{\"a\": }"),
        CLAUDE_EINVAL);
    free(o->str[CL_STR_INDEX(CLAUDE_OPT_SETTINGS)]);
    o->str[CL_STR_INDEX(CLAUDE_OPT_SETTINGS)] = strdup("{\"a\": }");
    ck_assert_int_eq(cl_options_validate(o, &err), CLAUDE_EINVAL);
    ck_assert_msg(strstr(err.message, "CLAUDE_OPT_SETTINGS") != NULL &&
                      strstr(err.message, "CLAUDE_OPT_SANDBOX") != NULL,
                  "message: %s", err.message);

    unlink(path);
    rmdir(dir);
    claude_options_free(o);
}
END_TEST

START_TEST(a_setter_of_another_type_is_refused)
{
    claude_options *o = new_options();

    /* Strings and JSON only through set_string. */
    ck_assert_int_eq(claude_options_add(o, CLAUDE_OPT_MODEL, "opus"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_MODEL, 1),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_double(o, CLAUDE_OPT_AGENTS, 1.0),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_empty(o, CLAUDE_OPT_MODEL),
                     CLAUDE_EINVAL);
    /* Lists only through add and set_empty. */
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_TOOLS, "Read"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_TOOLS, 0),
                     CLAUDE_EINVAL);
    /* Integers only through set_int. */
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_MAX_TURNS, "5"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add(o, CLAUDE_OPT_CONTINUE, "1"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_double(o, CLAUDE_OPT_MAX_TURNS, 5.0),
                     CLAUDE_EINVAL);
    /* The budget only through set_double. */
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_MAX_BUDGET_USD, 1),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_MAX_BUDGET_USD, "1"),
        CLAUDE_EINVAL);
    /* Unknown options, with every setter. */
    ck_assert_int_eq(claude_options_set_string(o, (claude_option)0, "x"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_string(o, (claude_option)17, "x"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add(o, (claude_option)207, "x"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_int(o, (claude_option)316, 1),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_double(o, (claude_option)401, 1.0),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_clear(o, (claude_option)999),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_empty(o, (claude_option)-1),
                     CLAUDE_EINVAL);
    /* A NULL object. */
    ck_assert_int_eq(claude_options_set_string(NULL, CLAUDE_OPT_MODEL, "x"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_int(NULL, CLAUDE_OPT_MAX_TURNS, 1),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_new(NULL), CLAUDE_EINVAL);

    /* Nothing was stored by the refused calls. */
    ck_assert_ptr_null(cl_options_string(o, CLAUDE_OPT_MODEL));
    ck_assert(!cl_options_list(o, CLAUDE_OPT_TOOLS)->set);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_MAX_TURNS), 0);
    ck_assert(!o->budget_set);
    claude_options_free(o);
}
END_TEST

START_TEST(values_outside_their_set_are_refused)
{
    static const struct {
        claude_option opt;
        const char *good;
        const char *bad;
    } cases[] = {
        {CLAUDE_OPT_PERMISSION_MODE, "default", "manual"},
        {CLAUDE_OPT_PERMISSION_MODE, "acceptEdits", "AcceptEdits"},
        {CLAUDE_OPT_PERMISSION_MODE, "plan", ""},
        {CLAUDE_OPT_PERMISSION_MODE, "bypassPermissions", "bypass"},
        {CLAUDE_OPT_PERMISSION_MODE, "dontAsk", "dont-ask"},
        {CLAUDE_OPT_PERMISSION_MODE, "auto", "auto "},
        {CLAUDE_OPT_EFFORT, "low", "lowest"},
        {CLAUDE_OPT_EFFORT, "medium", "MEDIUM"},
        {CLAUDE_OPT_EFFORT, "high", "higher"},
        {CLAUDE_OPT_EFFORT, "xhigh", "x-high"},
        {CLAUDE_OPT_EFFORT, "max", "maximum"},
        {CLAUDE_OPT_THINKING, "adaptive", "auto"},
        {CLAUDE_OPT_THINKING, "enabled", "on"},
        {CLAUDE_OPT_THINKING, "disabled", "off"},
        {CLAUDE_OPT_THINKING_DISPLAY, "summarized", "summary"},
        {CLAUDE_OPT_THINKING_DISPLAY, "omitted", "hidden"},
        {CLAUDE_OPT_SYSTEM_PROMPT_PRESET, "claude_code", "claude-code"},
        {CLAUDE_OPT_SESSION_ID, "0f8fad5b-d9cb-469f-a165-70867728950e",
         "0f8fad5b-d9cb-469f-a165-70867728950"},
        {CLAUDE_OPT_SESSION_ID, "00000000-0000-0000-0000-000000000000",
         "0f8fad5bd9cb469fa16570867728950e"},
        {CLAUDE_OPT_SESSION_ID, "ABCDEF01-2345-6789-abcd-ef0123456789",
         "0f8fad5b-d9cb-469f-a165-70867728950g"},
        {CLAUDE_OPT_MODEL, "opus", ""},
        {CLAUDE_OPT_CWD, "/", ""},
        {CLAUDE_OPT_RESUME, "a title", ""},
        {CLAUDE_OPT_SETTINGS, "settings.json", ""},
    };
    claude_options *o = new_options();
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(
            claude_options_set_string(o, cases[i].opt, cases[i].good) == 0,
            "\"%s\" refused", cases[i].good);
        ck_assert_msg(claude_options_set_string(o, cases[i].opt,
                                                cases[i].bad) == CLAUDE_EINVAL,
                      "\"%s\" accepted", cases[i].bad);
        /* The refused value left the good one in place. */
        ck_assert_str_eq(cl_options_string(o, cases[i].opt), cases[i].good);
    }

    add(o, CLAUDE_OPT_SETTING_SOURCES, "user");
    add(o, CLAUDE_OPT_SETTING_SOURCES, "project");
    add(o, CLAUDE_OPT_SETTING_SOURCES, "local");
    ck_assert_int_eq(claude_options_add(o, CLAUDE_OPT_SETTING_SOURCES, "all"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_options_add(o, CLAUDE_OPT_SETTING_SOURCES, "user,project"),
        CLAUDE_EINVAL);
    ck_assert_uint_eq(cl_options_list(o, CLAUDE_OPT_SETTING_SOURCES)->n, 3);

    /* The "default" mode goes to the CLI under that name. */
    set_str(o, CLAUDE_OPT_SESSION_ID, NULL);
    set_str(o, CLAUDE_OPT_PERMISSION_MODE, "default");
    {
        char **v = argv_of(o);
        int at = find_token(v, "--permission-mode");

        ck_assert_int_gt(at, 0);
        ck_assert_str_eq(v[at + 1], "default");
        cl_strv_free(v);
    }

    /* NULL unsets a string. */
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_MODEL, NULL), 0);
    ck_assert_ptr_null(cl_options_string(o, CLAUDE_OPT_MODEL));
    claude_options_free(o);
}
END_TEST

START_TEST(json_options_must_be_objects)
{
    static const claude_option json_opts[] = {
        CLAUDE_OPT_AGENTS, CLAUDE_OPT_MCP_SERVERS, CLAUDE_OPT_SANDBOX,
        CLAUDE_OPT_JSON_SCHEMA, CLAUDE_OPT_SETTINGS};
    static const char *const not_objects[] = {"[]",
                                              "\"text\"",
                                              "42",
                                              "null",
                                              "{",
                                              "{\"a\": 1} {}",
                                              "{\"a\": 1, \"a\": 2}",
                                              "{'a': 1}"};
    static const char *const bad_servers[] = {
        "{\"s\": 1}",
        "{\"s\": {}}",
        "{\"s\": {\"type\": \"stdio\"}}",
        "{\"s\": {\"type\": \"stdio\", \"command\": [\"x\"]}}",
        "{\"s\": {\"type\": \"sse\", \"command\": \"x\"}}",
        "{\"s\": {\"type\": \"http\"}}",
        "{\"s\": {\"type\": \"sdk\", \"name\": \"s\"}}",
        "{\"s\": {\"type\": 3, \"command\": \"x\"}}",
        "{\"\": {\"command\": \"x\"}}"};
    static const char *const good_servers[] = {
        "{}", "{\"s\": {\"command\": \"x\"}}",
        "{\"s\": {\"type\": \"stdio\", \"command\": \"x\", \"args\": []}}",
        "{\"s\": {\"type\": \"sse\", \"url\": \"http://h/sse\"}}",
        "{\"s\": {\"type\": \"http\", \"url\": \"http://h/mcp\", "
        "\"headers\": {\"A\": \"b\"}}}"};
    static const char *const bad_agents[] = {
        "{\"a\": \"text\"}", "{\"a\": {\"prompt\": \"p\"}}",
        "{\"a\": {\"description\": \"d\"}}",
        "{\"a\": {\"description\": 1, \"prompt\": \"p\"}}"};
    claude_options *o = new_options();
    size_t i;
    size_t j;

    for (i = 0; i < sizeof(json_opts) / sizeof(json_opts[0]); i++) {
        for (j = 0; j < sizeof(not_objects) / sizeof(not_objects[0]); j++) {
            /* Settings text that is not {...} is a path, and fine. */
            if (json_opts[i] == CLAUDE_OPT_SETTINGS &&
                not_objects[j][0] != '{') {
                continue;
            }
            ck_assert_msg(claude_options_set_string(
                              o, json_opts[i], not_objects[j]) == CLAUDE_EINVAL,
                          "option %d took %s", (int)json_opts[i],
                          not_objects[j]);
        }
        ck_assert_ptr_null(cl_options_string(o, json_opts[i]));
    }
    for (i = 0; i < sizeof(bad_servers) / sizeof(bad_servers[0]); i++) {
        ck_assert_msg(claude_options_set_string(o, CLAUDE_OPT_MCP_SERVERS,
                                                bad_servers[i]) ==
                          CLAUDE_EINVAL,
                      "took %s", bad_servers[i]);
    }
    for (i = 0; i < sizeof(good_servers) / sizeof(good_servers[0]); i++) {
        ck_assert_msg(claude_options_set_string(o, CLAUDE_OPT_MCP_SERVERS,
                                                good_servers[i]) == 0,
                      "refused %s", good_servers[i]);
    }
    for (i = 0; i < sizeof(bad_agents) / sizeof(bad_agents[0]); i++) {
        ck_assert_msg(claude_options_set_string(o, CLAUDE_OPT_AGENTS,
                                                bad_agents[i]) == CLAUDE_EINVAL,
                      "took %s", bad_agents[i]);
    }
    claude_options_free(o);
}
END_TEST

START_TEST(integers_out_of_range_are_refused)
{
    static const struct {
        claude_option opt;
        long long good;
        long long bad;
    } cases[] = {
        {CLAUDE_OPT_MAX_TURNS, 0, -1},
        {CLAUDE_OPT_MAX_TURNS, 2147483647LL, 2147483648LL},
        {CLAUDE_OPT_MAX_THINKING_TOKENS, 1, 0},
        {CLAUDE_OPT_CONTINUE, 1, 2},
        {CLAUDE_OPT_FORK_SESSION, 0, -1},
        {CLAUDE_OPT_STRICT_MCP_CONFIG, 1, 5},
        {CLAUDE_OPT_INCLUDE_PARTIAL_MESSAGES, 1, 2},
        {CLAUDE_OPT_INCLUDE_HOOK_EVENTS, 0, 3},
        {CLAUDE_OPT_MAX_LINE_SIZE, -1, -2},
        {CLAUDE_OPT_INIT_TIMEOUT_MS, -1, 0},
        {CLAUDE_OPT_INIT_TIMEOUT_MS, 1, -2},
        {CLAUDE_OPT_CONTROL_TIMEOUT_MS, 500, 0},
        {CLAUDE_OPT_CLOSE_GRACE_MS, 0, -1},
        {CLAUDE_OPT_TERM_GRACE_MS, 0, -1},
        {CLAUDE_OPT_VERSION_CHECK_MS, 0, -1},
        {CLAUDE_OPT_MAX_WORKERS, 1, 0},
        {CLAUDE_OPT_LOG_LEVEL, CLAUDE_LOG_DEBUG, 8},
        {CLAUDE_OPT_LOG_LEVEL, 0, -1},
    };
    claude_options *o = new_options();
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(
            claude_options_set_int(o, cases[i].opt, cases[i].good) == 0,
            "option %d refused %lld", (int)cases[i].opt, cases[i].good);
        ck_assert_msg(claude_options_set_int(o, cases[i].opt, cases[i].bad) ==
                          CLAUDE_EINVAL,
                      "option %d took %lld", (int)cases[i].opt, cases[i].bad);
        ck_assert_int_eq(cl_options_int(o, cases[i].opt), cases[i].good);
    }
    ck_assert_int_eq(
        claude_options_set_double(o, CLAUDE_OPT_MAX_BUDGET_USD, 0.0),
        CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_options_set_double(o, CLAUDE_OPT_MAX_BUDGET_USD, INFINITY),
        CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_options_set_double(o, CLAUDE_OPT_MAX_BUDGET_USD, NAN),
        CLAUDE_EINVAL);
    ck_assert(!o->budget_set);
    claude_options_free(o);
}
END_TEST

static const char *
budget_text(double usd)
{
    static char text[64];
    claude_options *o = new_options();
    char **v;
    int at;

    ck_assert_int_eq(
        claude_options_set_double(o, CLAUDE_OPT_MAX_BUDGET_USD, usd), 0);
    v = argv_of(o);
    at = find_token(v, "--max-budget-usd");
    ck_assert_int_gt(at, 0);
    snprintf(text, sizeof(text), "%s", v[at + 1]);
    cl_strv_free(v);
    claude_options_free(o);
    return text;
}

START_TEST(the_budget_is_written_in_its_shortest_exact_form)
{
    static const char *const comma_locales[] = {
        "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8", NULL};
    size_t i;

    ck_assert_str_eq(budget_text(0.1), "0.1");
    ck_assert_str_eq(budget_text(2.5), "2.5");
    ck_assert_str_eq(budget_text(10.0), "10");
    ck_assert_str_eq(budget_text(1.0 / 3.0), "0.3333333333333333");
    ck_assert_str_eq(budget_text(1e-7), "1e-07");
    ck_assert(strtod(budget_text(0.1 + 0.2), NULL) == 0.1 + 0.2);

    /* A host locale with a decimal comma changes nothing. */
    for (i = 0; comma_locales[i] != NULL; i++) {
        if (setlocale(LC_NUMERIC, comma_locales[i]) != NULL) {
            ck_assert_str_eq(budget_text(2.5), "2.5");
            break;
        }
    }
}
END_TEST

START_TEST(thinking_options_choose_their_flags)
{
    claude_options *o = new_options();
    char **v;
    int at;

    set_str(o, CLAUDE_OPT_THINKING, "adaptive");
    set_str(o, CLAUDE_OPT_THINKING_DISPLAY, "omitted");
    v = argv_of(o);
    at = find_token(v, "--thinking");
    ck_assert_int_gt(at, 0);
    ck_assert_str_eq(v[at + 1], "adaptive");
    ck_assert_str_eq(v[at + 2], "--thinking-display");
    ck_assert_str_eq(v[at + 3], "omitted");
    ck_assert_int_lt(find_token(v, "--max-thinking-tokens"), 0);
    cl_strv_free(v);

    set_str(o, CLAUDE_OPT_THINKING, "disabled");
    v = argv_of(o);
    at = find_token(v, "--thinking");
    ck_assert_str_eq(v[at + 1], "disabled");
    cl_strv_free(v);

    /* A token budget alone means enabled. */
    set_str(o, CLAUDE_OPT_THINKING, NULL);
    set_int(o, CLAUDE_OPT_MAX_THINKING_TOKENS, 4096);
    v = argv_of(o);
    ck_assert_int_lt(find_token(v, "--thinking"), 0);
    at = find_token(v, "--max-thinking-tokens");
    ck_assert_int_gt(at, 0);
    ck_assert_str_eq(v[at + 1], "4096");
    cl_strv_free(v);

    set_str(o, CLAUDE_OPT_THINKING, "enabled");
    v = argv_of(o);
    ck_assert_int_lt(find_token(v, "--thinking"), 0);
    ck_assert_int_gt(find_token(v, "--max-thinking-tokens"), 0);
    cl_strv_free(v);
    claude_options_free(o);
}
END_TEST

START_TEST(system_prompt_forms_reach_the_cli)
{
    claude_options *o = new_options();
    char **v;
    int at;

    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT, "You are terse.");
    v = argv_of(o);
    at = find_token(v, "--system-prompt");
    ck_assert_str_eq(v[at + 1], "You are terse.");
    cl_strv_free(v);

    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT, NULL);
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT_FILE, "/etc/prompt.txt");
    v = argv_of(o);
    ck_assert_int_lt(find_token(v, "--system-prompt"), 0);
    at = find_token(v, "--system-prompt-file");
    ck_assert_str_eq(v[at + 1], "/etc/prompt.txt");
    cl_strv_free(v);

    /* The preset alone sends nothing: the CLI's own prompt. */
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT_FILE, NULL);
    set_str(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET, "claude_code");
    v = argv_of(o);
    ck_assert_int_lt(find_token(v, "--system-prompt"), 0);
    ck_assert_int_lt(find_token(v, "--append-system-prompt"), 0);
    ck_assert_str_eq(v[4], "--input-format");
    cl_strv_free(v);

    set_str(o, CLAUDE_OPT_APPEND_SYSTEM_PROMPT, "Also be kind.");
    v = argv_of(o);
    at = find_token(v, "--append-system-prompt");
    ck_assert_str_eq(v[at + 1], "Also be kind.");
    cl_strv_free(v);
    claude_options_free(o);
}
END_TEST

START_TEST(a_permission_callback_asks_through_stdio)
{
    claude_options *o = new_options();
    char **v;
    int at;

    ck_assert(!cl_options_bidirectional(o));
    ck_assert_int_eq(claude_options_set_permission_cb(o, allow_all, o), 0);
    ck_assert(cl_options_bidirectional(o));
    v = argv_of(o);
    at = find_token(v, "--permission-prompt-tool");
    ck_assert_int_gt(at, 0);
    ck_assert_str_eq(v[at + 1], "stdio");
    cl_strv_free(v);

    /* Removing the callback removes the flag. */
    ck_assert_int_eq(claude_options_set_permission_cb(o, NULL, o), 0);
    ck_assert(!cl_options_bidirectional(o));
    ck_assert_ptr_null(o->permission_user);
    v = argv_of(o);
    ck_assert_int_lt(find_token(v, "--permission-prompt-tool"), 0);
    cl_strv_free(v);

    /* A hook alone also needs answers. */
    ck_assert_int_eq(
        claude_options_add_hook(o, "Stop", NULL, 0, empty_hook, NULL), 0);
    ck_assert(cl_options_bidirectional(o));
    claude_options_free(o);
}
END_TEST

START_TEST(extra_args_come_last_in_three_forms)
{
    static const char *const want[] = {CLI,
                                       "--output-format",
                                       "stream-json",
                                       "--verbose",
                                       "--system-prompt",
                                       "",
                                       "--effort",
                                       "low",
                                       "--debug-file",
                                       "/tmp/d.log",
                                       "--replay-user-messages",
                                       "--debug=-api",
                                       "--name=",
                                       "--debug-file",
                                       "/tmp/e.log",
                                       "--input-format",
                                       "stream-json",
                                       NULL};
    claude_options *o = new_options();
    char **v;

    set_str(o, CLAUDE_OPT_EFFORT, "low");
    ck_assert_int_eq(
        claude_options_add_extra_arg(o, "debug-file", "/tmp/d.log"), 0);
    ck_assert_int_eq(
        claude_options_add_extra_arg(o, "replay-user-messages", NULL), 0);
    ck_assert_int_eq(claude_options_add_extra_arg(o, "debug", "-api"), 0);
    ck_assert_int_eq(claude_options_add_extra_arg(o, "name", ""), 0);
    ck_assert_int_eq(
        claude_options_add_extra_arg(o, "debug-file", "/tmp/e.log"), 0);
    v = argv_of(o);
    assert_argv(v, want);
    cl_strv_free(v);

    /* Flags are bare names of letters, digits and dashes. */
    ck_assert_int_eq(claude_options_add_extra_arg(o, "--debug", NULL),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_extra_arg(o, "-d", NULL),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_extra_arg(o, "", NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_extra_arg(o, NULL, "x"), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_extra_arg(o, "debug=api", NULL),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_extra_arg(o, "debug file", NULL),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_extra_arg(o, "d\xc3\xa9", NULL),
                     CLAUDE_EINVAL);
    ck_assert_uint_eq(o->nextra, 5);
    claude_options_free(o);
}
END_TEST

START_TEST(mcp_servers_and_schema_are_sent_compact)
{
    claude_options *o = new_options();
    char **v;
    int at;

    set_str(o, CLAUDE_OPT_MCP_SERVERS,
            "{\n  \"b\": {\"url\": \"u\", \"type\": \"sse\"},\n"
            "  \"a\": {\"command\": \"c d\"}\n}");
    set_str(o, CLAUDE_OPT_JSON_SCHEMA, "{\"type\":\n\"object\"}");
    v = argv_of(o);
    at = find_token(v, "--mcp-config");
    ck_assert_int_gt(at, 0);
    ck_assert_str_eq(v[at + 1], "{\"mcpServers\":{\"b\":{\"url\":\"u\","
                                "\"type\":\"sse\"},\"a\":{\"command\":"
                                "\"c d\"}}}");
    at = find_token(v, "--json-schema");
    ck_assert_str_eq(v[at + 1], "{\"type\":\"object\"}");
    cl_strv_free(v);

    /* The raw text is kept as given. */
    ck_assert_str_eq(cl_options_string(o, CLAUDE_OPT_JSON_SCHEMA),
                     "{\"type\":\n\"object\"}");
    claude_options_free(o);
}
END_TEST

static const char *
env_get(char **envp, const char *name)
{
    size_t len = strlen(name);

    for (; *envp != NULL; envp++) {
        if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=') {
            return *envp + len + 1;
        }
    }
    return NULL;
}

static int
env_count(char **envp, const char *name)
{
    size_t len = strlen(name);
    int n = 0;

    for (; *envp != NULL; envp++) {
        if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=') {
            n++;
        }
    }
    return n;
}

static char **
envp_of(const claude_options *o)
{
    claude_error err;
    char **e = NULL;
    int rv;

    err.message[0] = '\0';
    rv = cl_options_envp(o, &e, &err);
    ck_assert_msg(rv == 0, "cl_options_envp gave %d: %s", rv, err.message);
    ck_assert_ptr_nonnull(e);
    return e;
}

START_TEST(the_environment_drops_claudecode_and_adds_our_variables)
{
    claude_options *o = new_options();
    char **e;

    /* This test runs in its own process, so it may change environ. */
    ck_assert_int_eq(setenv("CLAUDECODE", "1", 1), 0);
    ck_assert_int_eq(setenv("CLAUDE_CODE_ENTRYPOINT", "cli", 1), 0);
    ck_assert_int_eq(setenv("CLAUDE_AGENT_SDK_CLIENT_APP", "other/1", 1), 0);
    ck_assert_int_eq(setenv("LIBCLAUDE_TEST_KEEP", "kept", 1), 0);
    ck_assert_int_eq(setenv("PWD", "/inherited", 1), 0);

    e = envp_of(o);
    ck_assert_ptr_null(env_get(e, "CLAUDECODE"));
    ck_assert_ptr_null(env_get(e, "CLAUDE_CODE_ENTRYPOINT"));
    ck_assert_str_eq(env_get(e, "CLAUDE_AGENT_SDK_CLIENT_APP"),
                     "libclaude/" CLAUDE_VERSION);
    ck_assert_int_eq(env_count(e, "CLAUDE_AGENT_SDK_CLIENT_APP"), 1);
    ck_assert_str_eq(env_get(e, "CLAUDE_CODE_SDK_READS_SESSION_STATE"), "1");
    ck_assert_str_eq(env_get(e, "LIBCLAUDE_TEST_KEEP"), "kept");
    ck_assert_str_eq(env_get(e, "PWD"), "/inherited");
    cl_strv_free(e);

    /* The working directory becomes PWD. */
    set_str(o, CLAUDE_OPT_CWD, "/srv/project");
    e = envp_of(o);
    ck_assert_str_eq(env_get(e, "PWD"), "/srv/project");
    ck_assert_int_eq(env_count(e, "PWD"), 1);
    cl_strv_free(e);
    claude_options_free(o);
}
END_TEST

START_TEST(set_env_entries_win_over_everything)
{
    claude_options *o = new_options();
    char **e;

    ck_assert_int_eq(setenv("LIBCLAUDE_TEST_GONE", "x", 1), 0);
    ck_assert_int_eq(setenv("LIBCLAUDE_TEST_CHANGED", "old", 1), 0);

    ck_assert_int_eq(claude_options_set_env(o, "LIBCLAUDE_TEST_GONE", NULL), 0);
    ck_assert_int_eq(
        claude_options_set_env(o, "LIBCLAUDE_TEST_CHANGED", "first"), 0);
    ck_assert_int_eq(
        claude_options_set_env(o, "LIBCLAUDE_TEST_CHANGED", "second"), 0);
    ck_assert_int_eq(claude_options_set_env(o, "LIBCLAUDE_TEST_EMPTY", ""), 0);
    ck_assert_int_eq(claude_options_set_env(o, "CLAUDECODE", "forced"), 0);
    ck_assert_int_eq(
        claude_options_set_env(o, "CLAUDE_CODE_ENTRYPOINT", "sdk-cli"), 0);
    ck_assert_int_eq(
        claude_options_set_env(o, "CLAUDE_AGENT_SDK_CLIENT_APP", "myapp/2"), 0);
    ck_assert_int_eq(
        claude_options_set_env(o, "CLAUDE_CODE_SDK_READS_SESSION_STATE", NULL),
        0);
    ck_assert_int_eq(claude_options_set_env(o, "PWD", "/mine"), 0);
    set_str(o, CLAUDE_OPT_CWD, "/srv/project");

    e = envp_of(o);
    ck_assert_ptr_null(env_get(e, "LIBCLAUDE_TEST_GONE"));
    ck_assert_str_eq(env_get(e, "LIBCLAUDE_TEST_CHANGED"), "second");
    ck_assert_int_eq(env_count(e, "LIBCLAUDE_TEST_CHANGED"), 1);
    ck_assert_str_eq(env_get(e, "LIBCLAUDE_TEST_EMPTY"), "");
    ck_assert_str_eq(env_get(e, "CLAUDECODE"), "forced");
    ck_assert_str_eq(env_get(e, "CLAUDE_CODE_ENTRYPOINT"), "sdk-cli");
    ck_assert_str_eq(env_get(e, "CLAUDE_AGENT_SDK_CLIENT_APP"), "myapp/2");
    ck_assert_ptr_null(env_get(e, "CLAUDE_CODE_SDK_READS_SESSION_STATE"));
    ck_assert_str_eq(env_get(e, "PWD"), "/mine");
    ck_assert_int_eq(env_count(e, "PWD"), 1);
    cl_strv_free(e);

    /* Names are non-empty and hold no '='. */
    ck_assert_int_eq(claude_options_set_env(o, "", "x"), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_env(o, "A=B", "x"), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_env(o, NULL, "x"), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_set_env(NULL, "A", "x"), CLAUDE_EINVAL);
    ck_assert_uint_eq(o->nenv, 8);
    claude_options_free(o);
}
END_TEST

static char *
init_text(const claude_options *o)
{
    json_t *req = cl_options_init_request(o);
    char *s;

    ck_assert_ptr_nonnull(req);
    s = json_dumps(req, JSON_COMPACT);
    ck_assert_ptr_nonnull(s);
    json_decref(req);
    return s;
}

START_TEST(hooks_are_numbered_in_registration_order_across_events)
{
    claude_options *o = new_options();
    char *s;

    ck_assert_int_eq(
        claude_options_add_hook(o, "PreToolUse", "Bash", 30, empty_hook, NULL),
        0);
    ck_assert_int_eq(
        claude_options_add_hook(o, "PostToolUse", NULL, 0, empty_hook, NULL),
        0);
    ck_assert_int_eq(claude_options_add_hook(o, "PreToolUse", "Write|Edit", 0,
                                             empty_hook, NULL),
                     0);
    s = init_text(o);
    ck_assert_str_eq(s, "{\"subtype\":\"initialize\",\"hooks\":{"
                        "\"PreToolUse\":["
                        "{\"matcher\":\"Bash\",\"hookCallbackIds\":"
                        "[\"hook_0\"],\"timeout\":30},"
                        "{\"matcher\":\"Write|Edit\",\"hookCallbackIds\":"
                        "[\"hook_2\"]}],"
                        "\"PostToolUse\":[{\"hookCallbackIds\":"
                        "[\"hook_1\"]}]}}");
    free(s);

    /* The ids index o->hooks, which is how the client finds them. */
    ck_assert_str_eq(o->hooks[1].event, "PostToolUse");
    ck_assert_ptr_eq(o->hooks[1].cb, empty_hook);
    claude_options_free(o);
}
END_TEST

START_TEST(the_initialize_request_sends_null_hooks_and_the_agents)
{
    claude_options *o = new_options();
    char *s;

    s = init_text(o);
    ck_assert_str_eq(s, "{\"subtype\":\"initialize\",\"hooks\":null}");
    free(s);

    /* Agents go here and never on argv; null members are dropped. */
    set_str(o, CLAUDE_OPT_AGENTS,
            "{\"reviewer\": {\"description\": \"Reviews\", \"prompt\": "
            "\"Review it.\", \"model\": null, \"tools\": [\"Read\"]}}");
    s = init_text(o);
    ck_assert_str_eq(s, "{\"subtype\":\"initialize\",\"hooks\":null,"
                        "\"agents\":{\"reviewer\":{\"description\":"
                        "\"Reviews\",\"prompt\":\"Review it.\",\"tools\":"
                        "[\"Read\"]}}}");
    free(s);
    {
        char **v = argv_of(o);

        ck_assert_int_lt(find_token(v, "--agents"), 0);
        cl_strv_free(v);
    }
    claude_options_free(o);
}
END_TEST

START_TEST(hook_events_outside_the_cli_list_are_refused)
{
    static const char *const events[] = {"PreToolUse",
                                         "PostToolUse",
                                         "PostToolUseFailure",
                                         "PostToolBatch",
                                         "Notification",
                                         "UserPromptSubmit",
                                         "UserPromptExpansion",
                                         "SessionStart",
                                         "SessionEnd",
                                         "Stop",
                                         "StopFailure",
                                         "Interrupt",
                                         "SubagentStart",
                                         "SubagentStop",
                                         "PreCompact",
                                         "PostCompact",
                                         "PreModelSwitch",
                                         "PostModelSwitch",
                                         "PermissionRequest",
                                         "PermissionDenied",
                                         "Setup",
                                         "TeammateIdle",
                                         "TaskCreated",
                                         "TaskCompleted",
                                         "Elicitation",
                                         "ElicitationResult",
                                         "ConfigChange",
                                         "WorktreeCreate",
                                         "WorktreeRemove",
                                         "InstructionsLoaded",
                                         "CwdChanged",
                                         "FileChanged",
                                         "DirectoryAdded",
                                         "MessageDisplay",
                                         "PreSkillShellCommand"};
    claude_options *o = new_options();
    size_t i;

    ck_assert_uint_eq(sizeof(events) / sizeof(events[0]), 35);
    for (i = 0; i < 35; i++) {
        ck_assert_msg(claude_options_add_hook(o, events[i], NULL, 0, empty_hook,
                                              NULL) == 0,
                      "%s refused", events[i]);
    }
    ck_assert_int_eq(
        claude_options_add_hook(o, "pretooluse", NULL, 0, empty_hook, NULL),
        CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_options_add_hook(o, "PreToolUse ", NULL, 0, empty_hook, NULL),
        CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_hook(o, "", NULL, 0, empty_hook, NULL),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_options_add_hook(o, NULL, NULL, 0, empty_hook, NULL),
        CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_hook(o, "Stop", NULL, 0, NULL, NULL),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_options_add_hook(o, "Stop", NULL, -1, empty_hook, NULL),
        CLAUDE_EINVAL);
    ck_assert_uint_eq(o->nhooks, 35);
    ck_assert_int_eq(cl_options_validate(o, NULL), 0);
    claude_options_free(o);
}
END_TEST

START_TEST(a_copy_is_independent_of_the_original)
{
    static int marker;
    claude_options *o = maximal_options();
    claude_options *c = NULL;
    char **before;
    char **after;
    size_t i;

    ck_assert_int_eq(claude_options_set_stderr_cb(o, NULL, NULL), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, allow_all, &marker),
                     0);
    ck_assert_int_eq(claude_options_clear(o, CLAUDE_OPT_PERMISSION_PROMPT_TOOL),
                     0);
    before = argv_of(o);
    ck_assert_int_eq(cl_options_copy(&c, o), 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_ne(c, o);

    /* Change every kind of field in the original, then free it. */
    set_str(o, CLAUDE_OPT_MODEL, "haiku");
    add(o, CLAUDE_OPT_TOOLS, "Write");
    ck_assert_int_eq(claude_options_clear(o, CLAUDE_OPT_ADD_DIR), 0);
    set_int(o, CLAUDE_OPT_MAX_TURNS, 9);
    ck_assert_int_eq(
        claude_options_set_double(o, CLAUDE_OPT_MAX_BUDGET_USD, 7.0), 0);
    ck_assert_int_eq(claude_options_add_extra_arg(o, "bare", NULL), 0);
    ck_assert_int_eq(claude_options_set_env(o, "A", "2"), 0);
    ck_assert_int_eq(
        claude_options_add_hook(o, "Stop", NULL, 0, empty_hook, NULL), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, NULL, NULL), 0);
    o->hooks[0].matcher[0] = 'X';
    claude_options_free(o);

    after = argv_of(c);
    for (i = 0; before[i] != NULL; i++) {
        ck_assert_msg(after[i] != NULL && strcmp(before[i], after[i]) == 0,
                      "token %zu: [%s] became %s", i, before[i], show(after));
    }
    ck_assert_ptr_null(after[i]);
    ck_assert_uint_eq(c->nhooks, 1);
    ck_assert_str_eq(c->hooks[0].matcher, "Bash");
    ck_assert_int_eq(c->hooks[0].timeout_s, 10);
    ck_assert_ptr_eq(c->permission_cb, allow_all);
    ck_assert_ptr_eq(c->permission_user, &marker);
    ck_assert_uint_eq(c->nenv, 1);
    ck_assert_str_eq(c->env[0].value, "1");
    ck_assert_str_eq(cl_options_string(c, CLAUDE_OPT_CWD), "/work");
    ck_assert_int_eq(cl_options_int(c, CLAUDE_OPT_MAX_WORKERS), 4);
    cl_strv_free(before);
    cl_strv_free(after);
    claude_options_free(c);
}
END_TEST

START_TEST(accessors_give_the_defaults)
{
    claude_options *o = new_options();

    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_INIT_TIMEOUT_MS), 60000);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_CONTROL_TIMEOUT_MS), 60000);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_CLOSE_GRACE_MS), 5000);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_TERM_GRACE_MS), 5000);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_VERSION_CHECK_MS), 2000);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_MAX_WORKERS), 64);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_LOG_LEVEL),
                     CLAUDE_LOG_WARNING);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_MAX_LINE_SIZE),
                     (long long)CLAUDE_MAX_LINE_SIZE_DEFAULT);
    ck_assert_uint_eq(cl_options_max_line_size(o),
                      CLAUDE_MAX_LINE_SIZE_DEFAULT);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_MAX_TURNS), 0);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_CONTINUE), 0);
    ck_assert_ptr_null(cl_options_string(o, CLAUDE_OPT_CLI_PATH));
    ck_assert_ptr_nonnull(cl_options_list(o, CLAUDE_OPT_ADD_DIR));
    ck_assert(!cl_options_list(o, CLAUDE_OPT_ADD_DIR)->set);

    /* Set values replace the defaults; 0 and -1 line sizes are special. */
    set_int(o, CLAUDE_OPT_VERSION_CHECK_MS, 0);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_VERSION_CHECK_MS), 0);
    set_int(o, CLAUDE_OPT_MAX_LINE_SIZE, 4096);
    ck_assert_uint_eq(cl_options_max_line_size(o), 4096);
    set_int(o, CLAUDE_OPT_MAX_LINE_SIZE, 0);
    ck_assert_uint_eq(cl_options_max_line_size(o),
                      CLAUDE_MAX_LINE_SIZE_DEFAULT);
    set_int(o, CLAUDE_OPT_MAX_LINE_SIZE, -1);
    ck_assert_uint_eq(cl_options_max_line_size(o), CLAUDE_LINE_UNLIMITED);
    set_int(o, CLAUDE_OPT_INIT_TIMEOUT_MS, -1);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_INIT_TIMEOUT_MS), -1);
    ck_assert_int_eq(claude_options_clear(o, CLAUDE_OPT_INIT_TIMEOUT_MS), 0);
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_INIT_TIMEOUT_MS), 60000);

    /* Options of another kind read as nothing. */
    ck_assert_ptr_null(cl_options_string(o, CLAUDE_OPT_MAX_TURNS));
    ck_assert_ptr_null(cl_options_list(o, CLAUDE_OPT_MODEL));
    ck_assert_int_eq(cl_options_int(o, CLAUDE_OPT_MODEL), 0);
    ck_assert_str_eq(cl_option_name(CLAUDE_OPT_PLUGIN_DIR),
                     "CLAUDE_OPT_PLUGIN_DIR");
    ck_assert_ptr_null(cl_option_name((claude_option)42));

    /* max_turns 0 means no limit and sends no flag. */
    set_int(o, CLAUDE_OPT_MAX_TURNS, 0);
    {
        char **v = argv_of(o);

        ck_assert_int_lt(find_token(v, "--max-turns"), 0);
        cl_strv_free(v);
    }
    claude_options_free(o);
    claude_options_free(NULL);
}
END_TEST

START_TEST(the_cli_path_comes_from_the_caller_or_the_option)
{
    claude_options *o = new_options();
    claude_error err;
    char **v = NULL;

    ck_assert_int_eq(cl_options_argv(o, NULL, &v, &err), CLAUDE_EINVAL);
    ck_assert_ptr_null(v);
    set_str(o, CLAUDE_OPT_CLI_PATH, "/usr/local/bin/claude");
    ck_assert_int_eq(cl_options_argv(o, NULL, &v, &err), 0);
    ck_assert_str_eq(v[0], "/usr/local/bin/claude");
    cl_strv_free(v);
    v = argv_of(o);
    ck_assert_str_eq(v[0], CLI);
    cl_strv_free(v);
    claude_options_free(o);
}
END_TEST

/* JSON text that memory ran out for is not invalid JSON text. */
START_TEST(a_json_option_memory_ran_out_for_is_enomem)
{
    static const char agents[] =
        "{\"a\":{\"description\":\"d\",\"prompt\":\"p\"}}";
    claude_options *o = new_options();

    test_jansson_fail_nth(1);
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_AGENTS, agents),
                     CLAUDE_ENOMEM);
    ck_assert(!test_jansson_armed());
    ck_assert_ptr_null(cl_options_string(o, CLAUDE_OPT_AGENTS));
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_AGENTS, agents),
                     0);
    claude_options_free(o);
}
END_TEST

void
cl_options_tests(void)
{
    cl_test_add("options",
                "options: minimal options give the base flags and an empty "
                "system prompt",
                minimal_options_give_the_base_flags, 10);
    cl_test_add("options",
                "options: every option set gives its flags in the "
                "documented order",
                maximal_options_give_the_flags_in_order, 10);
    cl_test_add("options",
                "options: a value that starts with a dash never becomes a "
                "flag",
                a_value_that_starts_with_a_dash_never_becomes_a_flag, 10);
    cl_test_add("options",
                "options: resume, session id and setting sources are "
                "always one token",
                resume_session_id_and_sources_are_always_one_token, 10);
    cl_test_add("options",
                "options: empty lists are sent and cleared lists are not",
                empty_lists_are_sent_and_cleared_lists_are_not, 10);
    cl_test_add("options",
                "options: every invalid combination is refused with a "
                "message naming both",
                every_invalid_combination_is_refused_naming_both, 10);
    cl_test_add("options",
                "options: the sandbox is merged into the settings, and a "
                "missing settings file is named",
                the_sandbox_is_merged_into_a_settings_file, 10);
    cl_test_add("options",
                "options: a setter of another type or an unknown option is "
                "refused",
                a_setter_of_another_type_is_refused, 10);
    cl_test_add("options", "options: words outside an option's set are refused",
                values_outside_their_set_are_refused, 10);
    cl_test_add("options", "options: JSON options must be objects",
                json_options_must_be_objects, 10);
    cl_test_add("options",
                "options: integers out of range and bad budgets are refused",
                integers_out_of_range_are_refused, 10);
    cl_test_add("options",
                "options: the budget is written in its shortest exact form",
                the_budget_is_written_in_its_shortest_exact_form, 10);
    cl_test_add("options", "options: thinking options choose their flags",
                thinking_options_choose_their_flags, 10);
    cl_test_add("options",
                "options: prompt, file, preset and append reach the CLI",
                system_prompt_forms_reach_the_cli, 10);
    cl_test_add("options", "options: a permission callback asks through stdio",
                a_permission_callback_asks_through_stdio, 10);
    cl_test_add("options",
                "options: extra args come last as --flag value, --flag or "
                "--flag=value",
                extra_args_come_last_in_three_forms, 10);
    cl_test_add("options",
                "options: MCP servers and the schema are sent as compact "
                "JSON",
                mcp_servers_and_schema_are_sent_compact, 10);
    cl_test_add("options",
                "options: the environment drops CLAUDECODE and adds the "
                "library's variables",
                the_environment_drops_claudecode_and_adds_our_variables, 10);
    cl_test_add("options",
                "options: set_env entries win over inherited and library "
                "variables",
                set_env_entries_win_over_everything, 10);
    cl_test_add("options",
                "options: hook ids follow registration order across events",
                hooks_are_numbered_in_registration_order_across_events, 10);
    cl_test_add("options",
                "options: the initialize request has null hooks and the "
                "agents",
                the_initialize_request_sends_null_hooks_and_the_agents, 10);
    cl_test_add("options",
                "options: the 35 hook events are accepted and others "
                "refused",
                hook_events_outside_the_cli_list_are_refused, 10);
    cl_test_add("options",
                "options: a copy does not change when the original does",
                a_copy_is_independent_of_the_original, 10);
    cl_test_add("options", "options: accessors give the defaults",
                accessors_give_the_defaults, 10);
    cl_test_add("options",
                "options: the CLI path comes from the caller or the option",
                the_cli_path_comes_from_the_caller_or_the_option, 10);
    cl_test_add("options",
                "options: a JSON option memory ran out for is ENOMEM",
                a_json_option_memory_ran_out_for_is_enomem, 10);
}
