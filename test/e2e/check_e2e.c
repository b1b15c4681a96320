/*
 * check_e2e.c: libclaude against the real claude CLI, offline.
 *
 * Each test starts the scripted model server (tools/model-server) with
 * its own rules, points the real CLI at it through ANTHROPIC_BASE_URL,
 * and drives a session through the library.  The server's request log
 * shows what the CLI sent to the model, tool results included.
 *
 * E2E_CLI names the CLI and E2E_MODEL_SERVER the server; make check-e2e
 * sets both.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests.h"

extern char **environ;

typedef struct e2e {
    char dir[64];
    char rules[128];
    char log[128];
    char port_file[128];
    pid_t server;
    int port;
} e2e;

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

/* Start the model server with these rules and wait for its port. */
static void
e2e_start(e2e *e, const char *rules_json)
{
    const char *server = getenv("E2E_MODEL_SERVER");
    posix_spawn_file_actions_t actions;
    char *argv[9];
    FILE *f;
    int i;

    ck_assert_msg(server != NULL, "E2E_MODEL_SERVER is not set");
    make_temp_dir(e->dir, sizeof(e->dir));
    snprintf(e->rules, sizeof(e->rules), "%s/rules.json", e->dir);
    snprintf(e->log, sizeof(e->log), "%s/requests.jsonl", e->dir);
    snprintf(e->port_file, sizeof(e->port_file), "%s/port", e->dir);
    write_file(e->rules, rules_json);

    argv[0] = (char *)server;
    argv[1] = (char *)"--rules";
    argv[2] = e->rules;
    argv[3] = (char *)"--log";
    argv[4] = e->log;
    argv[5] = (char *)"--port-file";
    argv[6] = e->port_file;
    argv[7] = NULL;
    /* Its "listening on" line would only clutter the test output. */
    ck_assert_int_eq(posix_spawn_file_actions_init(&actions), 0);
    ck_assert_int_eq(
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0),
        0);
    ck_assert_int_eq(
        posix_spawn(&e->server, server, &actions, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    e->port = 0;
    for (i = 0; i < 500 && e->port == 0; i++) {
        f = fopen(e->port_file, "r");
        if (f != NULL) {
            if (fscanf(f, "%d", &e->port) != 1) {
                e->port = 0;
            }
            fclose(f);
        }
        if (e->port == 0) {
            test_sleep_ms(10);
        }
    }
    ck_assert_msg(e->port > 0, "the model server did not start");
}

static void
e2e_stop(e2e *e)
{
    char cmd[128];
    int status;

    kill(e->server, SIGTERM);
    waitpid(e->server, &status, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Options for a session of the real CLI against the model server. */
static claude_options *
e2e_options(e2e *e)
{
    const char *cli = getenv("E2E_CLI");
    claude_options *o = NULL;
    char url[64];

    ck_assert_msg(cli != NULL, "E2E_CLI is not set");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", e->port);
    ck_assert_int_eq(claude_options_new(&o), 0);
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, cli), 0);
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_CWD, e->dir), 0);
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_PERMISSION_MODE, "default"), 0);
    ck_assert_int_eq(claude_options_set_env(o, "HOME", e->dir), 0);
    ck_assert_int_eq(claude_options_set_env(o, "ANTHROPIC_BASE_URL", url), 0);
    ck_assert_int_eq(
        claude_options_set_env(o, "ANTHROPIC_API_KEY", "sk-e2e-offline"), 0);
    ck_assert_int_eq(claude_options_set_env(
                         o, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
                     0);
    ck_assert_int_eq(claude_options_set_env(o, "CLAUDE_CODE_MAX_RETRIES", "0"),
                     0);
    return o;
}

/* The requests the model server saw, as an array. */
static json_t *
e2e_requests(e2e *e)
{
    json_t *all = json_array();
    json_t *j;
    char line[65536];
    FILE *f = fopen(e->log, "r");

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        j = json_loads(line, 0, NULL);
        if (j != NULL) {
            json_array_append_new(all, j);
        }
    }
    fclose(f);
    return all;
}

/* Does any request's tool results hold needle? */
static int
tool_result_seen(e2e *e, const char *needle)
{
    json_t *all = e2e_requests(e);
    json_t *results;
    const char *text;
    size_t i;
    size_t j;
    int seen = 0;

    for (i = 0; i < json_array_size(all) && !seen; i++) {
        results = json_object_get(json_array_get(all, i), "tool_results");
        for (j = 0; j < json_array_size(results); j++) {
            text = json_string_value(json_array_get(results, j));
            if (text != NULL && strstr(text, needle) != NULL) {
                seen = 1;
            }
        }
    }
    json_decref(all);
    return seen;
}

/* What a run collected from its messages. */
typedef struct run {
    char text[4096]; /* assistant text, joined */
    int results;
    int is_error;
    int partials; /* stream_event messages */
    json_t *last_result;
} run;

static void
run_track(run *r, claude_message *m)
{
    const char *type = claude_message_type(m);
    const char *text;
    size_t used;

    if (strcmp(type, "assistant") == 0 &&
        (text = claude_message_text(m)) != NULL) {
        used = strlen(r->text);
        snprintf(r->text + used, sizeof(r->text) - used, "%s\n", text);
    } else if (strcmp(type, "stream_event") == 0) {
        r->partials++;
    } else if (strcmp(type, "result") == 0) {
        r->results++;
        r->is_error = claude_message_is_error(m);
        json_decref(r->last_result);
        r->last_result = json_incref(claude_message_json(m));
    }
}

static int
collect(claude_message *m, void *user)
{
    run_track(user, m);
    claude_message_free(m);
    return 0;
}

/* Receive until a result comes; the client stays open. */
static void
until_result(claude_client *c, run *r)
{
    claude_message *m;
    claude_error err;
    int before = r->results;
    int rv;

    while (r->results == before) {
        rv = claude_client_receive(c, &m, 60000, &err);
        ck_assert_msg(rv == 0, "receive: %s: %s", claude_strerror(rv),
                      err.message);
        run_track(r, m);
        claude_message_free(m);
    }
}

/*
 * Callbacks
 */

typedef struct perms {
    atomic_int calls;
    int sleep_ms;
    int deny;                /* deny every check */
    const char *new_command; /* allow Bash with this command instead */
    atomic_int block_until_cancel;
    atomic_int saw_cancel;
    atomic_int waiting;
    atomic_int blocked_done; /* a blocked callback has returned */
} perms;

static int
permission(claude_request *req, const claude_permission *perm,
           claude_permission_result *res, void *user)
{
    perms *p = user;
    int i;

    atomic_fetch_add(&p->calls, 1);
    if (atomic_load(&p->block_until_cancel)) {
        atomic_store(&p->waiting, 1);
        for (i = 0; i < 3000 && !claude_request_cancelled(req); i++) {
            test_sleep_ms(10);
        }
        atomic_store(&p->saw_cancel, claude_request_cancelled(req));
        atomic_store(&p->blocked_done, 1);
        return 0;
    }
    if (p->sleep_ms > 0) {
        test_sleep_ms(p->sleep_ms);
    }
    if (p->deny) {
        res->allow = 0;
        res->message = "e2e says no to this tool";
        return 0;
    }
    res->allow = 1;
    if (p->new_command != NULL && strcmp(perm->tool_name, "Bash") == 0) {
        res->updated_input = json_pack("{s:s}", "command", p->new_command);
    }
    return 0;
}

typedef struct tools {
    atomic_int calls;
    atomic_int running;
    atomic_int saw_cancel;
    atomic_int slept; /* the sleep tool has returned */
} tools;

static int
add_tool(claude_mcp_call *call, json_t *args, void *user)
{
    tools *t = user;
    char text[64];

    atomic_fetch_add(&t->calls, 1);
    snprintf(text, sizeof(text), "sum=%g",
             json_number_value(json_object_get(args, "a")) +
                 json_number_value(json_object_get(args, "b")));
    return claude_mcp_call_add_text(call, text);
}

static int
sleep_tool(claude_mcp_call *call, json_t *args, void *user)
{
    tools *t = user;
    int ms = (int)json_integer_value(json_object_get(args, "ms"));
    int i;

    atomic_fetch_add(&t->calls, 1);
    atomic_store(&t->running, 1);
    for (i = 0; i < ms / 10 && !claude_mcp_call_cancelled(call); i++) {
        test_sleep_ms(10);
    }
    atomic_store(&t->saw_cancel, claude_mcp_call_cancelled(call));
    atomic_store(&t->slept, 1);
    return claude_mcp_call_add_text(call, "slept");
}

static claude_mcp_server *
demo_server(tools *t)
{
    claude_mcp_server *s = NULL;

    ck_assert_int_eq(claude_mcp_server_new(&s, "demo", NULL), 0);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(
            s, "add", "Add a and b.",
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
            "\"number\"},\"b\":{\"type\":\"number\"}},\"required\":[\"a\","
            "\"b\"]}",
            NULL, add_tool, t),
        0);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(
            s, "sleep", "Sleep ms milliseconds.",
            "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":"
            "\"integer\"}},\"required\":[\"ms\"]}",
            NULL, sleep_tool, t),
        0);
    return s;
}

/*
 * Scenarios
 */

START_TEST(a_plain_answer)
{
    e2e e;
    claude_options *o;
    claude_error err;
    run r = {"", 0, 0, 0, NULL};

    e2e_start(&e, "{\"rules\":[{\"match\":{\"last_user_text\":\"WHAT IS "
                  "THE ANSWER\"},\"answer\":{\"text\":\"The answer is "
                  "42.\"}}]}");
    o = e2e_options(&e);
    ck_assert_int_eq(claude_query(o, "WHAT IS THE ANSWER?", collect, &r, &err),
                     0);
    ck_assert_int_eq(r.results, 1);
    ck_assert_int_eq(r.is_error, 0);
    ck_assert_ptr_nonnull(strstr(r.text, "The answer is 42."));
    json_decref(r.last_result);
    claude_options_free(o);
    e2e_stop(&e);
}
END_TEST

#define BASH_RULES(trigger, command)                                           \
    "{\"rules\":[{\"match\":{\"last_user_text\":\"" trigger "\","              \
    "\"has_tool_result\":false},\"answer\":{\"tool_uses\":[{\"name\":"         \
    "\"Bash\",\"input\":{\"command\":\"" command "\"}}]}},"                    \
    "{\"match\":{\"has_tool_result\":true},\"answer\":{\"text\":"              \
    "\"Tool done.\"}}]}"

START_TEST(a_permission_denied_reaches_the_model)
{
    e2e e;
    claude_options *o;
    claude_error err;
    perms p = {0};
    run r = {"", 0, 0, 0, NULL};

    /* Commands that change files are asked about; echo is not. */
    e2e_start(&e, BASH_RULES("RUN THE TOOL", "touch should-not-run.txt"));
    o = e2e_options(&e);
    p.deny = 1;
    ck_assert_int_eq(claude_options_set_permission_cb(o, permission, &p), 0);
    ck_assert_int_eq(claude_query(o, "RUN THE TOOL please", collect, &r, &err),
                     0);
    ck_assert_int_ge(atomic_load(&p.calls), 1);
    ck_assert(tool_result_seen(&e, "e2e says no to this tool"));
    ck_assert(!tool_result_seen(&e, "should-not-run"));
    json_decref(r.last_result);
    claude_options_free(o);
    e2e_stop(&e);
}
END_TEST

START_TEST(a_permission_can_change_the_input)
{
    e2e e;
    claude_options *o;
    claude_error err;
    perms p = {0};
    run r = {"", 0, 0, 0, NULL};
    char path[192];

    e2e_start(&e, BASH_RULES("RUN THE TOOL", "touch original-input.txt"));
    o = e2e_options(&e);
    p.new_command = "echo changed-by-callback";
    ck_assert_int_eq(claude_options_set_permission_cb(o, permission, &p), 0);
    ck_assert_int_eq(claude_query(o, "RUN THE TOOL please", collect, &r, &err),
                     0);
    ck_assert_int_ge(atomic_load(&p.calls), 1);
    ck_assert(tool_result_seen(&e, "changed-by-callback"));
    snprintf(path, sizeof(path), "%s/original-input.txt", e.dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    json_decref(r.last_result);
    claude_options_free(o);
    e2e_stop(&e);
}
END_TEST

typedef struct hook_log {
    atomic_int pre;
    atomic_int post;
    char post_response[256];
    pthread_mutex_t mtx;
} hook_log;

static int
pre_tool_use(claude_request *req, json_t *input, json_t **output, void *user)
{
    hook_log *h = user;

    (void)req;
    atomic_fetch_add(&h->pre, 1);
    if (strcmp(json_string_value(json_object_get(input, "tool_name")),
               "Bash") == 0) {
        *output = json_pack("{s:{s:s,s:s,s:s}}", "hookSpecificOutput",
                            "hookEventName", "PreToolUse", "permissionDecision",
                            "deny", "permissionDecisionReason",
                            "blocked by the e2e hook");
    }
    return 0;
}

static int
post_tool_use(claude_request *req, json_t *input, json_t **output, void *user)
{
    hook_log *h = user;
    char *text =
        json_dumps(json_object_get(input, "tool_response"), JSON_COMPACT);

    (void)req;
    (void)output;
    atomic_fetch_add(&h->post, 1);
    pthread_mutex_lock(&h->mtx);
    snprintf(h->post_response, sizeof(h->post_response), "%s",
             text ? text : "");
    pthread_mutex_unlock(&h->mtx);
    free(text);
    return 0;
}

START_TEST(hooks_see_tools_and_one_blocks)
{
    e2e e;
    claude_options *o;
    claude_error err;
    claude_mcp_server *s;
    perms p = {0};
    tools t = {0};
    hook_log h;
    run r = {"", 0, 0, 0, NULL};

    memset(&h, 0, sizeof(h));
    pthread_mutex_init(&h.mtx, NULL);
    e2e_start(&e, "{\"rules\":[{\"match\":{\"last_user_text\":\"TWO TOOLS\","
                  "\"has_tool_result\":false},\"answer\":{\"tool_uses\":["
                  "{\"name\":\"Bash\",\"input\":{\"command\":\"echo hooked\"}},"
                  "{\"name\":\"mcp__demo__add\",\"input\":{\"a\":20,\"b\":22}}"
                  "]}},{\"match\":{\"has_tool_result\":true},\"answer\":{"
                  "\"text\":\"Done with tools.\"}}]}");
    o = e2e_options(&e);
    s = demo_server(&t);
    ck_assert_int_eq(claude_options_add_mcp_server(o, s), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, permission, &p), 0);
    ck_assert_int_eq(
        claude_options_add_hook(o, "PreToolUse", NULL, 0, pre_tool_use, &h), 0);
    ck_assert_int_eq(claude_options_add_hook(o, "PostToolUse", "mcp__demo__add",
                                             0, post_tool_use, &h),
                     0);
    ck_assert_int_eq(claude_query(o, "TWO TOOLS now", collect, &r, &err), 0);

    ck_assert_int_ge(atomic_load(&h.pre), 2);
    ck_assert_int_eq(atomic_load(&h.post), 1);
    ck_assert_ptr_nonnull(strstr(h.post_response, "sum=42"));
    ck_assert(tool_result_seen(&e, "blocked by the e2e hook"));
    ck_assert(tool_result_seen(&e, "sum=42"));
    ck_assert(!tool_result_seen(&e, "hooked"));
    ck_assert_int_eq(atomic_load(&t.calls), 1);
    json_decref(r.last_result);
    claude_options_free(o);
    claude_mcp_server_free(s);
    e2e_stop(&e);
}
END_TEST

START_TEST(an_in_process_tool_is_called)
{
    e2e e;
    claude_options *o;
    claude_error err;
    claude_mcp_server *s;
    perms p = {0};
    tools t = {0};
    run r = {"", 0, 0, 0, NULL};

    e2e_start(&e,
              "{\"rules\":[{\"match\":{\"last_user_text\":\"ADD NUMBERS\","
              "\"has_tool_result\":false},\"answer\":{\"tool_uses\":["
              "{\"name\":\"mcp__demo__add\",\"input\":{\"a\":2,\"b\":3}}]}},"
              "{\"match\":{\"tool_result_contains\":\"sum=5\"},\"answer\":{"
              "\"text\":\"The sum is 5.\"}}]}");
    o = e2e_options(&e);
    s = demo_server(&t);
    ck_assert_int_eq(claude_options_add_mcp_server(o, s), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, permission, &p), 0);
    ck_assert_int_eq(claude_query(o, "ADD NUMBERS 2 and 3", collect, &r, &err),
                     0);
    ck_assert_int_eq(atomic_load(&t.calls), 1);
    ck_assert_ptr_nonnull(strstr(r.text, "The sum is 5."));
    json_decref(r.last_result);
    claude_options_free(o);
    claude_mcp_server_free(s);
    e2e_stop(&e);
}
END_TEST

START_TEST(eight_parallel_subagents_are_served_at_once)
{
    e2e e;
    claude_options *o;
    claude_client *c;
    claude_error err;
    claude_mcp_server *s;
    claude_stats st;
    perms p = {0};
    tools t = {0};
    run r = {"", 0, 0, 0, NULL};
    char rules[8192];
    size_t used;
    int i;

    used = (size_t)snprintf(
        rules, sizeof(rules),
        "{\"rules\":[{\"match\":{\"agent\":\"subagent\",\"regex\":"
        "\"SUBTASK ([0-9]+)\",\"has_tool_result\":false},\"answer\":{"
        "\"tool_uses\":[{\"name\":\"mcp__demo__add\",\"input\":{\"a\":1,"
        "\"b\":1}}]}},{\"match\":{\"agent\":\"subagent\",\"has_tool_result\":"
        "true},\"answer\":{\"text\":\"Subtask finished.\"}},{\"match\":{"
        "\"agent\":\"main\",\"last_user_text\":\"FAN OUT\","
        "\"has_tool_result\":false},\"answer\":{\"tool_uses\":[");
    for (i = 0; i < 8; i++) {
        used += (size_t)snprintf(
            rules + used, sizeof(rules) - used,
            "%s{\"name\":\"Agent\",\"input\":{\"description\":\"Helper %d\","
            "\"prompt\":\"SUBTASK %d: add one and one\",\"subagent_type\":"
            "\"general-purpose\",\"run_in_background\":false}}",
            i ? "," : "", i, i);
    }
    snprintf(rules + used, sizeof(rules) - used,
             "]}},{\"match\":{\"agent\":\"main\",\"has_tool_result\":true},"
             "\"answer\":{\"text\":\"All helpers finished.\"}}]}");
    e2e_start(&e, rules);

    o = e2e_options(&e);
    s = demo_server(&t);
    p.sleep_ms = 200;
    ck_assert_int_eq(claude_options_add_mcp_server(o, s), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, permission, &p), 0);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_MAX_WORKERS, 32), 0);
    ck_assert_int_eq(claude_client_new(&c, o, &err), 0);
    ck_assert_int_eq(claude_client_send(c, "FAN OUT to eight helpers", &err),
                     0);
    until_result(c, &r);
    ck_assert_int_eq(r.is_error, 0);
    ck_assert_ptr_nonnull(strstr(r.text, "All helpers finished."));
    ck_assert_int_eq(atomic_load(&t.calls), 8);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_uint_ge(st.can_use_tool, 8);
    ck_assert_uint_ge(st.peak_in_flight, 6);
    if (getenv("CLAUDE_TEST_FIGURES") != NULL) {
        fprintf(stderr,
                "        figure: 8 subagents: %llu permission checks, %llu "
                "MCP messages, peak %u in flight, write-lock wait %llu us\n",
                st.can_use_tool, st.mcp_message, st.peak_in_flight,
                st.max_write_wait_us);
    }
    claude_client_free(c);
    json_decref(r.last_result);
    claude_options_free(o);
    claude_mcp_server_free(s);
    e2e_stop(&e);
}
END_TEST

/*
 * A background agent calls an in-process tool after the main turn has
 * ended with a result: the query keeps the CLI's input open for it,
 * then for the turn its end starts, and returns with that turn's result.
 */
START_TEST(a_query_waits_for_a_background_agent_after_the_result)
{
    e2e e;
    claude_options *o;
    claude_error err;
    claude_mcp_server *s;
    perms p = {0};
    tools t = {0};
    run r = {"", 0, 0, 0, NULL};

    e2e_start(&e,
              "{\"rules\":["
              "{\"match\":{\"agent\":\"subagent\",\"regex\":\"SLOWTASK\","
              "\"has_tool_result\":false},\"answer\":{\"delay_ms\":1500,"
              "\"tool_uses\":[{\"name\":\"mcp__demo__add\",\"input\":{\"a\":2,"
              "\"b\":3}}]}},"
              "{\"match\":{\"agent\":\"subagent\",\"has_tool_result\":true},"
              "\"answer\":{\"text\":\"Slow task done.\"}},"
              "{\"match\":{\"agent\":\"main\",\"last_user_text\":"
              "\"BACKGROUND JOB\",\"has_tool_result\":false},\"answer\":{"
              "\"tool_uses\":[{\"name\":\"Agent\",\"input\":{\"description\":"
              "\"Slow helper\",\"prompt\":\"SLOWTASK: add two and three\","
              "\"subagent_type\":\"general-purpose\",\"run_in_background\":"
              "true}}]}},"
              "{\"match\":{\"agent\":\"main\",\"tool_result_contains\":"
              "\"Async agent launched\"},\"answer\":{\"text\":"
              "\"Started the helper.\"}},"
              "{\"match\":{\"agent\":\"main\",\"last_user_text\":"
              "\"<task-notification>\"},\"answer\":{\"text\":"
              "\"The helper reported back.\"}}]}");
    o = e2e_options(&e);
    s = demo_server(&t);
    ck_assert_int_eq(claude_options_add_mcp_server(o, s), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, permission, &p), 0);
    ck_assert_int_eq(
        claude_query(o, "BACKGROUND JOB, please", collect, &r, &err), 0);

    /* The tool ran after the first result, while input was open. */
    ck_assert_int_eq(atomic_load(&t.calls), 1);
    ck_assert_int_ge(r.results, 2);
    ck_assert_ptr_nonnull(strstr(r.text, "Started the helper."));
    ck_assert_ptr_nonnull(strstr(r.text, "The helper reported back."));
    ck_assert_int_eq(tool_result_seen(&e, "sum=5"), 1);
    json_decref(r.last_result);
    claude_options_free(o);
    claude_mcp_server_free(s);
    e2e_stop(&e);
}
END_TEST

START_TEST(three_turns_in_one_session)
{
    e2e e;
    claude_options *o;
    claude_client *c;
    claude_error err;
    run r = {"", 0, 0, 0, NULL};

    e2e_start(&e, "{\"rules\":["
                  "{\"match\":{\"last_user_text\":\"TURN ONE\"},\"answer\":"
                  "{\"text\":\"First reply.\"}},"
                  "{\"match\":{\"last_user_text\":\"TURN TWO\"},\"answer\":"
                  "{\"text\":\"Second reply.\"}},"
                  "{\"match\":{\"last_user_text\":\"TURN THREE\"},\"answer\":"
                  "{\"text\":\"Third reply.\"}}]}");
    o = e2e_options(&e);
    ck_assert_int_eq(claude_client_new(&c, o, &err), 0);
    ck_assert_int_eq(claude_client_send(c, "TURN ONE", &err), 0);
    until_result(c, &r);
    ck_assert_int_eq(claude_client_send(c, "TURN TWO", &err), 0);
    until_result(c, &r);
    ck_assert_int_eq(claude_client_send(c, "TURN THREE", &err), 0);
    until_result(c, &r);
    ck_assert_int_eq(r.results, 3);
    ck_assert_ptr_nonnull(strstr(r.text, "First reply."));
    ck_assert_ptr_nonnull(strstr(r.text, "Second reply."));
    ck_assert_ptr_nonnull(strstr(r.text, "Third reply."));
    claude_client_free(c);
    json_decref(r.last_result);
    claude_options_free(o);
    e2e_stop(&e);
}
END_TEST

START_TEST(an_overloaded_model_is_an_error_result)
{
    e2e e;
    claude_options *o;
    claude_error err;
    run r = {"", 0, 0, 0, NULL};

    e2e_start(&e, "{\"rules\":[{\"answer\":{\"status\":529}}]}");
    o = e2e_options(&e);
    ck_assert_int_eq(claude_query(o, "anything", collect, &r, &err),
                     CLAUDE_ERESULT);
    ck_assert_int_eq(r.results, 1);
    ck_assert_int_eq(r.is_error, 1);
    ck_assert_int_eq(
        json_integer_value(json_object_get(r.last_result, "api_error_status")),
        529);
    json_decref(r.last_result);
    claude_options_free(o);
    e2e_stop(&e);
}
END_TEST

START_TEST(partial_messages_stream)
{
    e2e e;
    claude_options *o;
    claude_error err;
    run r = {"", 0, 0, 0, NULL};

    e2e_start(&e, "{\"default\":{\"text\":\"Streaming words arrive in "
                  "pieces.\"}}");
    o = e2e_options(&e);
    ck_assert_int_eq(
        claude_options_set_int(o, CLAUDE_OPT_INCLUDE_PARTIAL_MESSAGES, 1), 0);
    ck_assert_int_eq(claude_query(o, "stream something", collect, &r, &err), 0);
    ck_assert_int_gt(r.partials, 3);
    ck_assert_ptr_nonnull(strstr(r.text, "Streaming words"));
    json_decref(r.last_result);
    claude_options_free(o);
    e2e_stop(&e);
}
END_TEST

START_TEST(structured_output_is_returned)
{
    e2e e;
    claude_options *o;
    claude_error err;
    run r = {"", 0, 0, 0, NULL};

    e2e_start(&e, "{\"rules\":[{\"match\":{\"tools_include\":"
                  "\"StructuredOutput\",\"has_tool_result\":false},"
                  "\"answer\":{\"tool_uses\":[{\"name\":\"StructuredOutput\","
                  "\"input\":{\"answer\":42}}]}},{\"match\":{"
                  "\"has_tool_result\":true},\"answer\":{\"text\":"
                  "\"Done.\"}}]}");
    o = e2e_options(&e);
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_JSON_SCHEMA,
                                  "{\"type\":\"object\",\"properties\":{"
                                  "\"answer\":{\"type\":\"integer\"}},"
                                  "\"required\":[\"answer\"]}"),
        0);
    ck_assert_int_eq(claude_query(o, "give me a number", collect, &r, &err), 0);
    ck_assert_int_eq(
        json_integer_value(json_object_get(
            json_object_get(r.last_result, "structured_output"), "answer")),
        42);
    json_decref(r.last_result);
    claude_options_free(o);
    e2e_stop(&e);
}
END_TEST

/* Interrupt once flag is set, from another thread. */
typedef struct interrupter {
    claude_client *c;
    atomic_int *flag;
    int rv;
} interrupter;

static void *
interrupter_main(void *arg)
{
    interrupter *k = arg;
    int i;

    for (i = 0; i < 3000 && !atomic_load(k->flag); i++) {
        test_sleep_ms(10);
    }
    test_sleep_ms(100);
    k->rv = claude_client_interrupt(k->c, NULL);
    return NULL;
}

START_TEST(an_interrupt_during_a_tool_and_a_permission_check)
{
    e2e e;
    claude_options *o;
    claude_client *c;
    claude_error err;
    claude_mcp_server *s;
    perms p = {0};
    tools t = {0};
    run r = {"", 0, 0, 0, NULL};
    interrupter k;
    pthread_t thr;
    int i;

    e2e_start(
        &e,
        "{\"rules\":[{\"match\":{\"last_user_text\":\"SLOW TOOL\","
        "\"has_tool_result\":false},\"answer\":{\"tool_uses\":[{"
        "\"name\":\"mcp__demo__sleep\",\"input\":{\"ms\":20000}}]}},"
        /* After an interrupt the CLI sends the cancelled tool's result
         * and the next prompt in one message: match the words only. */
        "{\"times\":1,\"match\":{\"last_user_text\":\"ASK "
        "FIRST\"},\"answer\":{\"tool_uses\":[{"
        "\"name\":\"Bash\",\"input\":{\"command\":\"touch waited.txt\"}}]}},"
        "{\"match\":{\"last_user_text\":\"AFTERWARDS\"},\"answer\":{"
        "\"text\":\"Still here.\"}},"
        "{\"match\":{\"has_tool_result\":true},\"answer\":{\"text\":"
        "\"Tool over.\"}}]}");
    o = e2e_options(&e);
    s = demo_server(&t);
    ck_assert_int_eq(claude_options_add_mcp_server(o, s), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, permission, &p), 0);
    ck_assert_int_eq(claude_client_new(&c, o, &err), 0);

    /* During a tool: the handler sees the cancel. */
    k.c = c;
    k.flag = &t.running;
    ck_assert_int_eq(pthread_create(&thr, NULL, interrupter_main, &k), 0);
    ck_assert_int_eq(claude_client_send(c, "SLOW TOOL please", &err), 0);
    until_result(c, &r);
    pthread_join(thr, NULL);
    ck_assert_int_eq(k.rv, 0);

    /* The result may come before the handler's next look at its flag. */
    for (i = 0; i < 1000 && !atomic_load(&t.slept); i++) {
        test_sleep_ms(10);
    }
    ck_assert_int_eq(atomic_load(&t.saw_cancel), 1);

    /* During a permission check: the callback sees the cancel. */
    atomic_store(&p.block_until_cancel, 1);
    k.flag = &p.waiting;
    ck_assert_int_eq(pthread_create(&thr, NULL, interrupter_main, &k), 0);
    ck_assert_int_eq(claude_client_send(c, "ASK FIRST then run", &err), 0);
    until_result(c, &r);
    pthread_join(thr, NULL);
    ck_assert_int_eq(k.rv, 0);
    for (i = 0; i < 1000 && !atomic_load(&p.blocked_done); i++) {
        test_sleep_ms(10);
    }
    ck_assert_int_eq(atomic_load(&p.saw_cancel), 1);
    atomic_store(&p.block_until_cancel, 0);

    /* The session goes on. */
    ck_assert_int_eq(claude_client_send(c, "AFTERWARDS", &err), 0);
    until_result(c, &r);
    ck_assert_ptr_nonnull(strstr(r.text, "Still here."));
    claude_client_free(c);
    json_decref(r.last_result);
    claude_options_free(o);
    claude_mcp_server_free(s);
    e2e_stop(&e);
}
END_TEST

void
cl_e2e_tests(void)
{
    static const struct {
        const char *name;
        const TTest **fn;
    } list[] = {
        {"e2e: a plain answer", &a_plain_answer},
        {"e2e: a permission denied reaches the model",
         &a_permission_denied_reaches_the_model},
        {"e2e: a permission can change the tool's input",
         &a_permission_can_change_the_input},
        {"e2e: PreToolUse and PostToolUse hooks see tools, one blocks",
         &hooks_see_tools_and_one_blocks},
        {"e2e: an in-process tool is called", &an_in_process_tool_is_called},
        {"e2e: 8 parallel subagents are served at once",
         &eight_parallel_subagents_are_served_at_once},
        {"e2e: an interrupt during a tool and during a permission check",
         &an_interrupt_during_a_tool_and_a_permission_check},
        {"e2e: partial messages stream", &partial_messages_stream},
        {"e2e: a query waits for a background agent after the result",
         &a_query_waits_for_a_background_agent_after_the_result},
        {"e2e: three turns in one session", &three_turns_in_one_session},
        {"e2e: an overloaded model (529) is an error result",
         &an_overloaded_model_is_an_error_result},
        {"e2e: structured output is returned", &structured_output_is_returned},
    };
    size_t i;

    for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
        cl_test_add("e2e", list[i].name, *list[i].fn, 180);
    }
}
