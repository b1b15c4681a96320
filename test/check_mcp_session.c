/*
 * check_mcp_session.c: in-process MCP servers served through a client,
 * with the fake CLI sending the mcp_message control requests.
 */
#include <jansson.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"

#define MCP_REQUEST(id, message)                                               \
    "{\"type\":\"control_request\",\"request_id\":\"" id "\","                 \
    "\"request\":{\"subtype\":\"mcp_message\",\"server_name\":\"demo\","       \
    "\"message\":" message "}}"

#define ASK_MCP(message)                                                       \
    "{\"subtype\":\"mcp_message\",\"server_name\":\"demo\","                   \
    "\"message\":" message "}"

typedef struct tool_state {
    atomic_int calls;
    atomic_int saw_cancel;
} tool_state;

static int
add_tool(claude_mcp_call *call, json_t *args, void *user)
{
    char text[64];
    tool_state *s = user;

    atomic_fetch_add(&s->calls, 1);
    snprintf(text, sizeof(text), "%g",
             json_number_value(json_object_get(args, "a")) +
                 json_number_value(json_object_get(args, "b")));
    return claude_mcp_call_add_text(call, text);
}

static int
sleep_tool(claude_mcp_call *call, json_t *args, void *user)
{
    tool_state *s = user;

    atomic_fetch_add(&s->calls, 1);
    test_sleep_ms((int)json_integer_value(json_object_get(args, "ms")));
    return claude_mcp_call_add_text(call, "slept");
}

/* Wait up to 5 s for a cancel, then say whether one came. */
static int
wait_cancel_tool(claude_mcp_call *call, json_t *args, void *user)
{
    tool_state *s = user;
    int i;

    (void)args;
    atomic_fetch_add(&s->calls, 1);
    for (i = 0; i < 500 && !claude_mcp_call_cancelled(call); i++) {
        test_sleep_ms(10);
    }
    if (claude_mcp_call_cancelled(call)) {
        atomic_store(&s->saw_cancel, 1);
        return claude_mcp_call_set_error(call, "cancelled");
    }
    return claude_mcp_call_add_text(call, "never cancelled");
}

static claude_mcp_server *
demo_server(tool_state *s)
{
    claude_mcp_server *srv = NULL;
    claude_mcp_annotations ann = CLAUDE_MCP_ANNOTATIONS_INIT;

    ann.read_only = 1;
    ann.title = "Add two numbers";
    ck_assert_int_eq(claude_mcp_server_new(&srv, "demo", "2.0.0"), 0);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(
            srv, "add", "Add a and b.",
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
            "\"number\"},\"b\":{\"type\":\"number\"}},\"required\":[\"a\","
            "\"b\"]}",
            &ann, add_tool, s),
        0);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(
            srv, "sleep", "Sleep ms milliseconds.",
            "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":"
            "\"integer\",\"minimum\":0,\"maximum\":10000}}}",
            NULL, sleep_tool, s),
        0);
    ck_assert_int_eq(claude_mcp_server_add_tool(srv, "wait_cancel",
                                                "Wait for a cancel.", NULL,
                                                NULL, wait_cancel_tool, s),
                     0);
    return srv;
}

static claude_client *
open_with(claude_options *o, claude_mcp_server *srv)
{
    claude_client *c = NULL;
    claude_error err;
    int rv;

    ck_assert_int_eq(claude_options_add_mcp_server(o, srv), 0);
    rv = claude_client_new(&c, o, &err);
    ck_assert_msg(rv == 0, "open: %s", err.message);
    return c;
}

static json_t *
next_report(claude_client *c, const char *type)
{
    claude_message *m = NULL;
    json_t *j;

    ck_assert_int_eq(claude_client_receive(c, &m, 10000, NULL), 0);
    ck_assert_str_eq(claude_message_type(m), type);
    j = json_incref(claude_message_json(m));
    claude_message_free(m);
    return j;
}

/* The mcp_response of the next ask_report, as a new reference. */
static json_t *
next_mcp_response(claude_client *c)
{
    json_t *report = next_report(c, "ask_report");
    json_t *resp = json_object_get(
        json_object_get(json_object_get(report, "response"), "response"),
        "mcp_response");

    ck_assert_ptr_nonnull(resp);
    json_incref(resp);
    json_decref(report);
    return resp;
}

static const char *
first_text(json_t *resp)
{
    return json_string_value(json_object_get(
        json_array_get(
            json_object_get(json_object_get(resp, "result"), "content"), 0),
        "text"));
}

START_TEST(the_handshake_runs_through_the_client)
{
    tool_state s = {0};
    claude_mcp_server *srv = demo_server(&s);
    claude_options *o = fake_client_options(
        "init", "ask",
        ASK_MCP("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\","
                "\"params\":{\"protocolVersion\":\"2025-11-25\"}}"),
        "ask",
        ASK_MCP("{\"jsonrpc\":\"2.0\",\"method\":"
                "\"notifications/initialized\"}"),
        "ask",
        ASK_MCP("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"),
        "ask",
        ASK_MCP("{\"jsonrpc\":\"2.0\",\"id\":\"call-2\",\"method\":"
                "\"tools/call\",\"params\":{\"name\":\"add\",\"arguments\":"
                "{\"a\":2,\"b\":40}}}"),
        "wait-eof", NULL);
    char dir[64];
    char path[128];
    char line[4096];
    int announced = 0;
    claude_client *c;
    json_t *r;
    FILE *f;

    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/argv", dir);
    ck_assert_int_eq(claude_options_set_env(o, "FAKE_CLI_ARGV_FILE", path), 0);
    c = open_with(o, srv);

    r = next_mcp_response(c);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r, "result"), "protocolVersion")),
                     "2025-11-25");
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_object_get(r, "result"), "serverInfo"),
            "name")),
        "demo");
    json_decref(r);

    /* A notification: no JSON-RPC answer, but the request is acked. */
    r = next_mcp_response(c);
    ck_assert_int_eq(json_object_size(json_object_get(r, "result")), 0);
    json_decref(r);

    r = next_mcp_response(c);
    ck_assert_int_eq(
        json_array_size(json_object_get(json_object_get(r, "result"), "tools")),
        3);
    json_decref(r);

    r = next_mcp_response(c);
    ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "call-2");
    ck_assert_str_eq(first_text(r), "42");
    json_decref(r);
    claude_client_free(c);

    /* The CLI was told of the server on its command line. */
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        announced |= strstr(line, "\"demo\":{\"type\":\"sdk\","
                                  "\"name\":\"demo\"}") != NULL;
    }
    fclose(f);
    ck_assert(announced);
    unlink(path);
    rmdir(dir);
    claude_options_free(o);
    claude_mcp_server_free(srv);
}
END_TEST

START_TEST(sixty_four_tool_calls_run_at_once)
{
    tool_state s = {0};
    claude_mcp_server *srv = demo_server(&s);
    claude_options *o = fake_client_options(
        "init", "mcp-burst", "64", "demo",
        "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{"
        "\"name\":\"sleep\",\"arguments\":{\"ms\":200}}}",
        "wait-eof", NULL);
    claude_client *c;
    claude_stats st;
    json_t *r;

    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_MAX_WORKERS, 64), 0);
    c = open_with(o, srv);
    r = next_report(c, "mcp_burst_report");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "answered")), 64);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "twice")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "ok")), 64);
    /* One after another they would take 12.8 s. */
    ck_assert_int_lt(json_integer_value(json_object_get(r, "ms")), 2000);
    ck_assert_int_eq(atomic_load(&s.calls), 64);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_uint_eq(st.mcp_message, 64);
    if (getenv("CLAUDE_TEST_FIGURES") != NULL) {
        fprintf(stderr,
                "        figure: 64 tool calls of 200 ms answered in %lld ms; "
                "peak %u in flight\n",
                (long long)json_integer_value(json_object_get(r, "ms")),
                st.peak_in_flight);
    }
    json_decref(r);
    claude_client_free(c);
    claude_options_free(o);
    claude_mcp_server_free(srv);
}
END_TEST

START_TEST(an_unknown_server_gets_an_error_reply)
{
    tool_state s = {0};
    claude_mcp_server *srv = demo_server(&s);
    claude_options *o = fake_client_options(
        "init", "ask",
        "{\"subtype\":\"mcp_message\",\"server_name\":\"nobody\","
        "\"message\":{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}}",
        "ask", ASK_MCP("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}"),
        "wait-eof", NULL);
    claude_client *c = open_with(o, srv);
    json_t *report = next_report(c, "ask_report");
    json_t *r;

    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(report, "response"), "error")),
                     "SDK MCP server not found: nobody");
    json_decref(report);

    /* The session goes on. */
    r = next_mcp_response(c);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 2);
    json_decref(r);
    claude_client_free(c);
    claude_options_free(o);
    claude_mcp_server_free(srv);
}
END_TEST

START_TEST(a_control_cancel_stops_the_call_and_its_reply)
{
    tool_state s = {0};
    claude_mcp_server *srv = demo_server(&s);
    claude_options *o = fake_client_options(
        "init", "send",
        MCP_REQUEST("c1", "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":"
                          "\"tools/call\",\"params\":{\"name\":"
                          "\"wait_cancel\"}}"),
        "sleep", "100", "send",
        "{\"type\":\"control_cancel_request\",\"request_id\":\"c1\"}",
        "no-response", "c1", "1000", "wait-eof", NULL);
    claude_client *c = open_with(o, srv);
    json_t *r = next_report(c, "no_response_report");

    ck_assert(json_is_false(json_object_get(r, "replied")));
    ck_assert_int_eq(atomic_load(&s.saw_cancel), 1);
    json_decref(r);
    claude_client_free(c);
    claude_options_free(o);
    claude_mcp_server_free(srv);
}
END_TEST

START_TEST(an_mcp_cancel_notification_reaches_the_running_call)
{
    tool_state s = {0};
    claude_mcp_server *srv = demo_server(&s);
    claude_options *o = fake_client_options(
        "init", "send",
        MCP_REQUEST("c2", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
                          "\"tools/call\",\"params\":{\"name\":"
                          "\"wait_cancel\"}}"),
        "sleep", "100", "ask",
        ASK_MCP("{\"jsonrpc\":\"2.0\",\"method\":"
                "\"notifications/cancelled\",\"params\":{\"requestId\":7}}"),
        "await-response", "c2", "wait-eof", NULL);
    claude_client *c = open_with(o, srv);
    json_t *r;
    json_t *result;

    r = next_mcp_response(c);
    json_decref(r);
    r = next_report(c, "await_report");
    result = json_object_get(
        json_object_get(json_object_get(r, "response"), "response"),
        "mcp_response");
    ck_assert_int_eq(json_integer_value(json_object_get(result, "id")), 7);
    ck_assert(json_is_true(
        json_object_get(json_object_get(result, "result"), "isError")));
    ck_assert_int_eq(atomic_load(&s.saw_cancel), 1);
    json_decref(r);
    claude_client_free(c);
    claude_options_free(o);
    claude_mcp_server_free(srv);
}
END_TEST

START_TEST(one_server_serves_two_sessions)
{
    tool_state s = {0};
    claude_mcp_server *srv = demo_server(&s);
    const char *call =
        ASK_MCP("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
                "\"params\":{\"name\":\"add\",\"arguments\":{\"a\":1,"
                "\"b\":2}}}");
    claude_options *o1 =
        fake_client_options("init", "ask", call, "wait-eof", NULL);
    claude_options *o2 =
        fake_client_options("init", "ask", call, "wait-eof", NULL);
    claude_client *c1 = open_with(o1, srv);
    claude_client *c2 = open_with(o2, srv);
    json_t *r;

    /* The creator lets go; the sessions keep the server alive. */
    claude_mcp_server_free(srv);
    claude_options_free(o1);
    claude_options_free(o2);
    r = next_mcp_response(c1);
    ck_assert_str_eq(first_text(r), "3");
    json_decref(r);
    r = next_mcp_response(c2);
    ck_assert_str_eq(first_text(r), "3");
    json_decref(r);
    ck_assert_int_eq(atomic_load(&s.calls), 2);
    claude_client_free(c1);
    claude_client_free(c2);
}
END_TEST

START_TEST(servers_are_added_once_and_never_clash)
{
    tool_state s = {0};
    claude_mcp_server *srv = demo_server(&s);
    claude_mcp_server *other = NULL;
    claude_options *o = fake_client_options("init", NULL);
    claude_client *c = NULL;
    claude_error err;

    ck_assert_int_eq(claude_options_add_mcp_server(o, srv), 0);
    ck_assert_int_eq(claude_options_add_mcp_server(o, srv), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_mcp_server(NULL, srv), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_options_add_mcp_server(o, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_server_new(&other, "ext", NULL), 0);
    ck_assert_int_eq(claude_options_add_mcp_server(o, other), 0);
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_MCP_SERVERS,
                                  "{\"ext\":{\"type\":\"http\",\"url\":"
                                  "\"http://127.0.0.1:1/mcp\"}}"),
        0);
    ck_assert_int_eq(claude_client_new(&c, o, &err), CLAUDE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "ext"));
    claude_options_free(o);
    claude_mcp_server_free(other);
    claude_mcp_server_free(srv);
}
END_TEST

/* A tool whose result memory runs out for as soon as it is built. */
static int
no_memory_after_tool(claude_mcp_call *call, json_t *args, void *user)
{
    int rv = claude_mcp_call_add_text(call, "done");

    (void)args;
    (void)user;
    test_jansson_fail_nth(1);
    return rv;
}

/*
 * A tools/call whose JSON-RPC result cannot be built is answered with
 * an error, not acked as if it were a notification.
 */
START_TEST(a_call_result_memory_ran_out_for_is_an_error_reply)
{
    claude_mcp_server *srv = NULL;
    claude_options *o = fake_client_options(
        "init", "ask",
        ASK_MCP("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
                "\"params\":{\"name\":\"t\",\"arguments\":{}}}"),
        "wait-eof", NULL);
    claude_client *c;
    json_t *report;
    json_t *resp;

    ck_assert_int_eq(claude_mcp_server_new(&srv, "demo", NULL), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(srv, "t", "Fail late.", NULL,
                                                NULL, no_memory_after_tool,
                                                NULL),
                     0);
    c = open_with(o, srv);
    report = next_report(c, "ask_report");
    resp = json_object_get(report, "response");
    ck_assert_str_eq(json_string_value(json_object_get(resp, "subtype")),
                     "error");
    ck_assert_str_eq(json_string_value(json_object_get(resp, "error")),
                     "out of memory");
    json_decref(report);
    claude_client_free(c);
    claude_options_free(o);
    claude_mcp_server_free(srv);
}
END_TEST

void
cl_mcp_session_tests(void)
{
    cl_test_add("mcp-session",
                "mcp-session: the handshake runs through the client",
                the_handshake_runs_through_the_client, 30);
    cl_test_add("mcp-session",
                "mcp-session: 64 tool calls of 200 ms run at once",
                sixty_four_tool_calls_run_at_once, 60);
    cl_test_add("mcp-session",
                "mcp-session: an unknown server gets an error reply",
                an_unknown_server_gets_an_error_reply, 30);
    cl_test_add("mcp-session",
                "mcp-session: a control cancel stops the call and its reply",
                a_control_cancel_stops_the_call_and_its_reply, 30);
    cl_test_add("mcp-session",
                "mcp-session: an MCP cancel notification reaches the call",
                an_mcp_cancel_notification_reaches_the_running_call, 30);
    cl_test_add("mcp-session", "mcp-session: one server serves two sessions",
                one_server_serves_two_sessions, 30);
    cl_test_add("mcp-session",
                "mcp-session: servers are added once and never clash",
                servers_are_added_once_and_never_clash, 30);
    cl_test_add("mcp-session",
                "mcp-session: a call result memory ran out for is an error "
                "reply",
                a_call_result_memory_ran_out_for_is_an_error_reply, 30);
}
