/*
 * check_real_cli.c: a smoke test against the real claude CLI, offline.
 *
 * The CLI is taken from CLAUDE_TEST_CLI, else from the cache folder
 * DEVELOPERS.md installs it into; without it the test is skipped, with
 * a line that says so.  The API base URL points at a closed loopback
 * port, so the model call fails at once and the run ends in an error
 * result: enough to see the handshake, a hook, the result and the exit.
 */
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"

#define CLI_VERSION "2.1.332"

static char cli_path[4096];
static char home_dir[64];

static atomic_int prompt_hooks;

static int
on_prompt(claude_request *req, json_t *input, json_t **output, void *user)
{
    (void)req;
    (void)output;
    (void)user;
    if (json_string_value(json_object_get(input, "prompt")) != NULL) {
        atomic_fetch_add(&prompt_hooks, 1);
    }
    return 0;
}

static int
allow(claude_request *req, const claude_permission *perm,
      claude_permission_result *res, void *user)
{
    (void)req;
    (void)perm;
    (void)user;
    res->allow = 1;
    return 0;
}

START_TEST(the_real_cli_answers_initialize_and_reports_an_api_error)
{
    claude_options *o;
    claude_client *c;
    claude_message *m = NULL;
    claude_error err;
    int results = 0;
    int is_error = -1;
    int zombies;
    int rv;

    make_temp_dir(home_dir, sizeof(home_dir));
    ck_assert_int_eq(claude_options_new(&o), 0);
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, cli_path), 0);
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_CWD, home_dir), 0);
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_PERMISSION_MODE, "default"), 0);
    claude_options_set_env(o, "HOME", home_dir);
    claude_options_set_env(o, "ANTHROPIC_BASE_URL", "http://127.0.0.1:9");
    claude_options_set_env(o, "ANTHROPIC_API_KEY", "sk-test-offline");
    claude_options_set_env(o, "CLAUDE_CODE_MAX_RETRIES", "0");
    claude_options_set_env(o, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    ck_assert_int_eq(claude_options_set_permission_cb(o, allow, NULL), 0);
    ck_assert_int_eq(claude_options_add_hook(o, "UserPromptSubmit", NULL, 0,
                                             on_prompt, NULL),
                     0);

    rv = claude_client_new(&c, o, &err);
    ck_assert_msg(rv == 0, "open: %s: %s; stderr: %s", claude_strerror(rv),
                  err.message, err.stderr_tail);
    ck_assert_int_eq(claude_client_send(c, "Say hello.", &err), 0);
    while (results == 0 &&
           (rv = claude_client_receive(c, &m, 60000, &err)) == 0) {
        if (strcmp(claude_message_type(m), "result") == 0) {
            results++;
            is_error = claude_message_is_error(m);
        }
        claude_message_free(m);
    }
    ck_assert_msg(results == 1, "no result: %s", err.message);
    ck_assert_int_eq(is_error, 1);
    ck_assert_int_ge(atomic_load(&prompt_hooks), 1);

    /* End input; the CLI exits and its status is read. */
    ck_assert_int_eq(claude_client_end_input(c), 0);
    while ((rv = claude_client_receive(c, &m, 60000, &err)) == 0) {
        claude_message_free(m);
    }
    /* After an API error the CLI exits 1; either way it was read. */
    ck_assert_msg(rv == CLAUDE_EEOF || rv == CLAUDE_ECHILDEXIT,
                  "the session ended with %s", claude_strerror(rv));
    ck_assert_int_ge(err.exit_code, 0);
    ck_assert_int_eq(err.exit_signal, 0);
    claude_client_free(c);
    claude_options_free(o);
    ck_assert_int_eq(count_children(&zombies), 0);
}
END_TEST

static int
add(claude_mcp_call *call, json_t *args, void *user)
{
    (void)args;
    (void)user;
    return claude_mcp_call_add_text(call, "added");
}

/* Does mcp_status list server name as connected, with tool? */
static int
listed(json_t *status, const char *name, const char *tool)
{
    json_t *servers = json_object_get(status, "mcpServers");
    json_t *s;
    json_t *tools;
    size_t i;
    size_t j;

    for (i = 0; i < json_array_size(servers); i++) {
        s = json_array_get(servers, i);
        if (strcmp(json_string_value(json_object_get(s, "name")), name) != 0 ||
            strcmp(json_string_value(json_object_get(s, "status")),
                   "connected") != 0) {
            continue;
        }
        tools = json_object_get(s, "tools");
        for (j = 0; j < json_array_size(tools); j++) {
            if (strcmp(json_string_value(
                           json_object_get(json_array_get(tools, j), "name")),
                       tool) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

START_TEST(the_real_cli_connects_to_an_in_process_server)
{
    claude_mcp_server *srv = NULL;
    claude_options *o;
    claude_client *c;
    claude_stats st;
    claude_error err;
    json_t *status = NULL;
    int found = 0;
    int i;
    int rv;

    make_temp_dir(home_dir, sizeof(home_dir));
    ck_assert_int_eq(claude_mcp_server_new(&srv, "demo", NULL), 0);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(srv, "add", "Add.", NULL, NULL, add, NULL),
        0);
    ck_assert_int_eq(claude_options_new(&o), 0);
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, cli_path), 0);
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_CWD, home_dir), 0);
    claude_options_set_env(o, "HOME", home_dir);
    claude_options_set_env(o, "ANTHROPIC_BASE_URL", "http://127.0.0.1:9");
    claude_options_set_env(o, "ANTHROPIC_API_KEY", "sk-test-offline");
    claude_options_set_env(o, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    ck_assert_int_eq(claude_options_add_mcp_server(o, srv), 0);
    rv = claude_client_new(&c, o, &err);
    ck_assert_msg(rv == 0, "open: %s", err.message);

    /* The CLI lists the server once its handshake is through. */
    for (i = 0; i < 50 && !found; i++) {
        ck_assert_int_eq(claude_client_mcp_status(c, &status, &err), 0);
        found = listed(status, "demo", "add");
        json_decref(status);
        if (!found) {
            test_sleep_ms(100);
        }
    }
    ck_assert(found);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_uint_ge(st.mcp_message, 3);
    claude_client_free(c);
    claude_options_free(o);
    claude_mcp_server_free(srv);
}
END_TEST

void
cl_real_cli_tests(void)
{
    const char *env = getenv("CLAUDE_TEST_CLI");
    const char *home = getenv("HOME");

    if (env != NULL && env[0] != '\0') {
        snprintf(cli_path, sizeof(cli_path), "%s", env);
    } else {
        snprintf(cli_path, sizeof(cli_path),
                 "%s/.cache/libclaude/cli-" CLI_VERSION
                 "/node_modules/@anthropic-ai/claude-code/bin/claude.exe",
                 home ? home : "");
    }
    if (access(cli_path, X_OK) != 0) {
        cl_test_skip("real-cli: the real CLI answers initialize and reports "
                     "an API error",
                     "no CLI at CLAUDE_TEST_CLI or the cache folder; "
                     "see DEVELOPERS.md");
        cl_test_skip("real-cli: the real CLI connects to an in-process "
                     "server",
                     "no CLI; see DEVELOPERS.md");
        return;
    }
    cl_test_add("real-cli",
                "real-cli: the real CLI answers initialize and reports an "
                "API error",
                the_real_cli_answers_initialize_and_reports_an_api_error, 120);
    cl_test_add("real-cli",
                "real-cli: the real CLI connects to an in-process server",
                the_real_cli_connects_to_an_in_process_server, 120);
}
