/*
 * check_mcp.c: in-process MCP servers, driven through cl_mcp_handle()
 * with JSON-RPC messages shaped like the CLI's, without a client: the
 * handshake, tool calls and their failures, the schema subset keyword
 * by keyword, cancellation, and handlers running on many threads.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"
#include "tests.h"

/* How long a waiting handler waits before it gives up, in ms. */
#define HANDLER_WAIT_MS 10000

/* Calls of the echo handler, in this test's process. */
static atomic_int echo_calls;

/* Answer with the arguments, compact, as one text block. */
static int
echo(claude_mcp_call *call, json_t *arguments, void *user)
{
    char *text = json_dumps(arguments, JSON_COMPACT | JSON_SORT_KEYS);
    int rv;

    (void)user;
    atomic_fetch_add(&echo_calls, 1);
    ck_assert_ptr_nonnull(text);
    rv = claude_mcp_call_add_text(call, text);
    free(text);
    return rv;
}

/* Handle one message given as text, with a control flag never set. */
static json_t *
handle(claude_mcp_server *s, cl_mcp_session *ms, const char *text)
{
    json_error_t jerr;
    json_t *msg = json_loads(text, JSON_DECODE_ANY, &jerr);
    atomic_bool control;
    json_t *reply;

    ck_assert_msg(msg != NULL, "bad test message %s: %s", text, jerr.text);
    atomic_init(&control, false);
    reply = cl_mcp_handle(s, ms, msg, &control);
    json_decref(msg);
    return reply;
}

/* The text of a tools/call message for tool name; args may be NULL. */
static char *
call_message(json_t *id, const char *name, const char *args)
{
    json_t *params = json_pack("{s:s}", "name", name);
    json_t *msg;
    json_error_t jerr;
    char *text;

    ck_assert_ptr_nonnull(params);
    if (args != NULL) {
        json_t *a = json_loads(args, JSON_DECODE_ANY, &jerr);

        ck_assert_msg(a != NULL, "bad test arguments %s", args);
        json_object_set_new(params, "arguments", a);
    }
    msg = json_pack("{s:s,s:O,s:s,s:o}", "jsonrpc", "2.0", "id", id, "method",
                    "tools/call", "params", params);
    ck_assert_ptr_nonnull(msg);
    text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    return text;
}

/* Call tool name with arguments args (JSON text or NULL), id 1. */
static json_t *
call(claude_mcp_server *s, cl_mcp_session *ms, const char *name,
     const char *args)
{
    json_t *id = json_integer(1);
    char *text = call_message(id, name, args);
    json_t *reply = handle(s, ms, text);

    json_decref(id);
    free(text);
    return reply;
}

static json_t *
result_of(json_t *reply)
{
    json_t *result = json_object_get(reply, "result");

    ck_assert_msg(json_is_object(result), "no result in the reply");
    return result;
}

static size_t
content_count(json_t *reply)
{
    return json_array_size(json_object_get(result_of(reply), "content"));
}

static json_t *
content_block(json_t *reply, size_t i)
{
    json_t *b = json_array_get(json_object_get(result_of(reply), "content"), i);

    ck_assert_msg(json_is_object(b), "no content block %zu", i);
    return b;
}

static const char *
content_text(json_t *reply, size_t i)
{
    json_t *b = content_block(reply, i);

    ck_assert_str_eq(json_string_value(json_object_get(b, "type")), "text");
    return json_string_value(json_object_get(b, "text"));
}

static bool
is_error_result(json_t *reply)
{
    return json_is_true(json_object_get(result_of(reply), "isError"));
}

static json_int_t
error_code(json_t *reply)
{
    json_t *e = json_object_get(reply, "error");

    ck_assert_msg(json_is_object(e), "no error in the reply");
    ck_assert_ptr_null(json_object_get(reply, "result"));
    return json_integer_value(json_object_get(e, "code"));
}

static const char *
error_message(json_t *reply)
{
    return json_string_value(
        json_object_get(json_object_get(reply, "error"), "message"));
}

/* A server "calc" whose one tool "t" echoes, with the given schema. */
static claude_mcp_server *
echo_server(const char *schema)
{
    claude_mcp_server *s = NULL;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "Echo.", schema, NULL, echo, NULL),
        0);
    return s;
}

/* Arguments the schema accepts reach the handler unchanged. */
static void
expect_accepted(const char *schema, const char *args)
{
    claude_mcp_server *s = echo_server(schema);
    cl_mcp_session *ms = NULL;
    json_t *want;
    json_t *got;
    json_t *reply;
    json_error_t jerr;
    int before = atomic_load(&echo_calls);

    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    reply = call(s, ms, "t", args);
    ck_assert_msg(!is_error_result(reply), "%s refused %s: %s", schema, args,
                  content_text(reply, 0));
    ck_assert_int_eq(atomic_load(&echo_calls), before + 1);
    want = json_loads(args, JSON_DECODE_ANY, &jerr);
    got = json_loads(content_text(reply, 0), JSON_DECODE_ANY, &jerr);
    ck_assert(json_equal(want, got));
    json_decref(want);
    json_decref(got);
    json_decref(reply);
    cl_mcp_session_free(ms);
    claude_mcp_server_free(s);
}

/* Arguments the schema refuses give an isError result with text why. */
static void
expect_refused(const char *schema, const char *args, const char *why)
{
    claude_mcp_server *s = echo_server(schema);
    cl_mcp_session *ms = NULL;
    json_t *reply;
    int before = atomic_load(&echo_calls);

    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    reply = call(s, ms, "t", args);
    ck_assert_msg(is_error_result(reply), "%s accepted %s", schema, args);
    ck_assert_int_eq(content_count(reply), 1);
    ck_assert_str_eq(content_text(reply, 0), why);
    ck_assert_int_eq(atomic_load(&echo_calls), before);
    json_decref(reply);
    cl_mcp_session_free(ms);
    claude_mcp_server_free(s);
}

/*
 * Tools/call on other threads, for the tests of cancellation and
 * concurrency.
 */

typedef struct job {
    claude_mcp_server *server;
    cl_mcp_session *session;
    char *message;
    atomic_bool control; /* the control request's cancel flag */
    json_t *reply;
    pthread_t thread;
} job;

/* What the waiting handlers share with the test. */
typedef struct rendezvous {
    atomic_int started;
    atomic_int finished;
    int expected; /* handlers that must meet before any goes on */
} rendezvous;

static void *
job_main(void *arg)
{
    job *j = arg;
    json_error_t jerr;
    json_t *msg = json_loads(j->message, 0, &jerr);

    j->reply = cl_mcp_handle(j->server, j->session, msg, &j->control);
    json_decref(msg);
    return NULL;
}

static void
job_start(job *j, claude_mcp_server *s, cl_mcp_session *ms, json_t *id,
          const char *name)
{
    j->server = s;
    j->session = ms;
    j->message = call_message(id, name, "{}");
    atomic_init(&j->control, false);
    j->reply = NULL;
    ck_assert_int_eq(pthread_create(&j->thread, NULL, job_main, j), 0);
}

static json_t *
job_join(job *j)
{
    ck_assert_int_eq(pthread_join(j->thread, NULL), 0);
    free(j->message);
    ck_assert_ptr_nonnull(j->reply);
    return j->reply;
}

/* Wait until counter reaches n, or fail the test. */
static void
wait_for(atomic_int *counter, int n)
{
    int64_t deadline = test_now_ms() + HANDLER_WAIT_MS;

    while (atomic_load(counter) < n) {
        ck_assert_msg(test_now_ms() < deadline, "waited %d ms for %d",
                      HANDLER_WAIT_MS, n);
        test_sleep_ms(1);
    }
}

/* Poll claude_mcp_call_cancelled() until it is set. */
static int
wait_for_cancel(claude_mcp_call *call, json_t *arguments, void *user)
{
    rendezvous *r = user;
    int64_t deadline = test_now_ms() + HANDLER_WAIT_MS;
    int rv = 0;

    (void)arguments;
    atomic_fetch_add(&r->started, 1);
    while (!claude_mcp_call_cancelled(call)) {
        if (test_now_ms() >= deadline) {
            (void)claude_mcp_call_set_error(call, "never cancelled");
            rv = 1;
            break;
        }
        test_sleep_ms(1);
    }
    if (rv == 0) {
        rv = claude_mcp_call_add_text(call, "cancelled");
    }
    atomic_fetch_add(&r->finished, 1);
    return rv;
}

/* Wait until every expected handler has started, all at once. */
static int
meet(claude_mcp_call *call, json_t *arguments, void *user)
{
    rendezvous *r = user;
    int64_t deadline = test_now_ms() + HANDLER_WAIT_MS;

    (void)arguments;
    atomic_fetch_add(&r->started, 1);
    while (atomic_load(&r->started) < r->expected) {
        if (test_now_ms() >= deadline) {
            return claude_mcp_call_set_error(call, "alone");
        }
        test_sleep_ms(1);
    }
    atomic_fetch_add(&r->finished, 1);
    return claude_mcp_call_add_text(call, "met");
}

/*
 * The handshake.
 */

START_TEST(initialize_echoes_a_supported_protocol_version)
{
    static const char *const versions[] = {"2025-11-25", "2025-06-18",
                                           "2025-03-26", "2024-11-05"};
    claude_mcp_server *s = echo_server(NULL);
    char text[256];
    json_t *reply;
    json_t *result;
    size_t i;

    for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        snprintf(text, sizeof(text),
                 "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\","
                 "\"params\":{\"protocolVersion\":\"%s\",\"capabilities\":"
                 "{},\"clientInfo\":{\"name\":\"claude-code\","
                 "\"version\":\"2.1.335\"}}}",
                 versions[i]);
        reply = handle(s, NULL, text);
        ck_assert_str_eq(json_string_value(json_object_get(reply, "jsonrpc")),
                         "2.0");
        ck_assert_int_eq(json_integer_value(json_object_get(reply, "id")), 0);
        result = result_of(reply);
        ck_assert_str_eq(
            json_string_value(json_object_get(result, "protocolVersion")),
            versions[i]);
        ck_assert_int_eq(json_object_size(json_object_get(
                             json_object_get(result, "capabilities"), "tools")),
                         0);
        ck_assert(json_is_object(
            json_object_get(json_object_get(result, "capabilities"), "tools")));
        ck_assert_str_eq(json_string_value(json_object_get(
                             json_object_get(result, "serverInfo"), "name")),
                         "calc");
        ck_assert_str_eq(json_string_value(json_object_get(
                             json_object_get(result, "serverInfo"), "version")),
                         "1.0.0");
        json_decref(reply);
    }
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(initialize_answers_an_unknown_version_with_the_newest)
{
    static const char *const messages[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\","
        "\"params\":{\"protocolVersion\":\"2099-01-01\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\","
        "\"params\":{\"protocolVersion\":20250618}}",
        "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\"}",
    };
    claude_mcp_server *s = NULL;
    json_t *reply;
    json_t *info;
    size_t i;

    ck_assert_int_eq(claude_mcp_server_new(&s, "my-tools_2", "3.1.4"), 0);
    for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
        reply = handle(s, NULL, messages[i]);
        ck_assert_str_eq(json_string_value(json_object_get(result_of(reply),
                                                           "protocolVersion")),
                         "2025-11-25");
        info = json_object_get(result_of(reply), "serverInfo");
        ck_assert_str_eq(json_string_value(json_object_get(info, "name")),
                         "my-tools_2");
        ck_assert_str_eq(json_string_value(json_object_get(info, "version")),
                         "3.1.4");
        json_decref(reply);
    }
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(notifications_and_responses_get_no_reply)
{
    static const char *const messages[] = {
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\","
        "\"id\":null}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
        "\"params\":{\"requestId\":99,\"reason\":\"timeout\"}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
        "\"params\":{\"progressToken\":1,\"progress\":0.5}}",
        "{\"jsonrpc\":\"2.0\",\"method\":42}",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":-1,"
        "\"message\":\"no\"}}",
    };
    claude_mcp_server *s = echo_server(NULL);
    cl_mcp_session *ms = NULL;
    size_t i;

    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
        ck_assert_msg(handle(s, ms, messages[i]) == NULL, "%s got a reply",
                      messages[i]);
    }
    cl_mcp_session_free(ms);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(tools_list_gives_tools_in_order_with_set_annotations)
{
    claude_mcp_annotations ann = CLAUDE_MCP_ANNOTATIONS_INIT;
    claude_mcp_server *s = NULL;
    json_t *reply;
    json_t *tools;
    json_t *t;
    json_t *want;
    json_error_t jerr;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ann.read_only = 1;
    ann.destructive = 0;
    ann.title = "Add two numbers";
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "add", "Add a and b.",
                                   "{\"type\":\"object\",\"properties\":{"
                                   "\"a\":{\"type\":\"number\"},\"b\":"
                                   "{\"type\":\"number\"}},\"required\":"
                                   "[\"a\",\"b\"]}",
                                   &ann, echo, NULL),
        0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "now", "The time.", NULL,
                                                NULL, echo, NULL),
                     0);
    ann = (claude_mcp_annotations)CLAUDE_MCP_ANNOTATIONS_INIT;
    ck_assert_int_eq(claude_mcp_server_add_tool(
                         s, "rm", "Remove.",
                         "{\"properties\":{\"path\":{\"type\":\"string\"}}}",
                         &ann, echo, NULL),
                     0);
    ann.idempotent = 1;
    ann.open_world = 0;
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "get", "Get.", NULL, &ann, echo, NULL),
        0);

    reply = handle(s, NULL,
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    ck_assert_int_eq(json_integer_value(json_object_get(reply, "id")), 1);
    tools = json_object_get(result_of(reply), "tools");
    ck_assert_int_eq(json_array_size(tools), 4);

    t = json_array_get(tools, 0);
    want = json_loads(
        "{\"name\":\"add\",\"description\":\"Add a and b.\",\"inputSchema\":"
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},"
        "\"b\":{\"type\":\"number\"}},\"required\":[\"a\",\"b\"]},"
        "\"annotations\":{\"title\":\"Add two numbers\",\"readOnlyHint\":true,"
        "\"destructiveHint\":false}}",
        0, &jerr);
    ck_assert(json_equal(t, want));
    json_decref(want);

    /* No annotations: no key; no schema: any object. */
    t = json_array_get(tools, 1);
    want = json_loads("{\"name\":\"now\",\"description\":\"The time.\","
                      "\"inputSchema\":{\"type\":\"object\"}}",
                      0, &jerr);
    ck_assert(json_equal(t, want));
    json_decref(want);

    /* Annotations with nothing set are no annotations; a schema
     * without a type gets "object". */
    t = json_array_get(tools, 2);
    ck_assert_str_eq(json_string_value(json_object_get(t, "name")), "rm");
    ck_assert_ptr_null(json_object_get(t, "annotations"));
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(t, "inputSchema"), "type")),
                     "object");

    t = json_array_get(tools, 3);
    want = json_loads("{\"idempotentHint\":true,\"openWorldHint\":false}", 0,
                      &jerr);
    ck_assert(json_equal(json_object_get(t, "annotations"), want));
    json_decref(want);

    json_decref(reply);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(ping_answers_an_empty_result)
{
    claude_mcp_server *s = echo_server(NULL);
    json_t *reply = handle(
        s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\"}");

    ck_assert_str_eq(json_string_value(json_object_get(reply, "id")), "p");
    ck_assert_int_eq(json_object_size(result_of(reply)), 0);
    json_decref(reply);
    claude_mcp_server_free(s);
}
END_TEST

/*
 * Tool calls.
 */

static int
three_blocks(claude_mcp_call *call, json_t *arguments, void *user)
{
    json_t *block;
    int rv = 0;

    ck_assert_ptr_eq(user, (void *)three_blocks);
    ck_assert_str_eq(claude_mcp_call_tool(call), "draw");
    ck_assert_str_eq(claude_mcp_call_server(call), "art");
    ck_assert_int_eq(claude_mcp_call_cancelled(call), 0);
    ck_assert_str_eq(json_string_value(json_object_get(arguments, "what")),
                     "a dot");

    rv |= claude_mcp_call_add_text(call, "Here is a dot:");
    rv |= claude_mcp_call_add_image(call, "iVBORw0KGgo=", "image/png");
    block = json_pack("{s:s,s:s,s:s}", "type", "resource_link", "uri",
                      "file:///tmp/dot.png", "name", "dot.png");
    rv |= claude_mcp_call_add_content(call, block);

    /* The call holds a copy: changing the block changes nothing. */
    json_object_set_new(block, "name", json_string("changed"));
    json_decref(block);
    return rv;
}

START_TEST(tools_call_returns_text_image_and_custom_blocks)
{
    claude_mcp_server *s = NULL;
    cl_mcp_session *ms = NULL;
    json_t *reply;
    json_t *b;

    ck_assert_int_eq(claude_mcp_server_new(&s, "art", "2.0"), 0);
    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(
                         s, "draw", "Draw.",
                         "{\"type\":\"object\",\"properties\":{\"what\":"
                         "{\"type\":\"string\"}},\"required\":[\"what\"]}",
                         NULL, three_blocks, (void *)three_blocks),
                     0);
    reply = call(s, ms, "draw", "{\"what\":\"a dot\"}");
    ck_assert_str_eq(json_string_value(json_object_get(reply, "jsonrpc")),
                     "2.0");
    ck_assert_int_eq(json_integer_value(json_object_get(reply, "id")), 1);
    ck_assert_ptr_null(json_object_get(result_of(reply), "isError"));
    ck_assert_int_eq(content_count(reply), 3);
    ck_assert_str_eq(content_text(reply, 0), "Here is a dot:");
    b = content_block(reply, 1);
    ck_assert_str_eq(json_string_value(json_object_get(b, "type")), "image");
    ck_assert_str_eq(json_string_value(json_object_get(b, "data")),
                     "iVBORw0KGgo=");
    ck_assert_str_eq(json_string_value(json_object_get(b, "mimeType")),
                     "image/png");
    b = content_block(reply, 2);
    ck_assert_str_eq(json_string_value(json_object_get(b, "type")),
                     "resource_link");
    ck_assert_str_eq(json_string_value(json_object_get(b, "name")), "dot.png");
    json_decref(reply);
    cl_mcp_session_free(ms);
    claude_mcp_server_free(s);
}
END_TEST

static int
add_nothing(claude_mcp_call *call, json_t *arguments, void *user)
{
    (void)call;
    (void)arguments;
    (void)user;
    return 0;
}

START_TEST(a_handler_that_adds_nothing_returns_empty_content)
{
    claude_mcp_server *s = NULL;
    json_t *reply;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "noop", "Nothing.", NULL,
                                                NULL, add_nothing, NULL),
                     0);
    reply = call(s, NULL, "noop", NULL);
    ck_assert(json_is_array(json_object_get(result_of(reply), "content")));
    ck_assert_int_eq(content_count(reply), 0);
    ck_assert(!is_error_result(reply));
    json_decref(reply);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(an_unknown_tool_is_an_error_result_naming_it)
{
    claude_mcp_server *s = echo_server(NULL);
    int before = atomic_load(&echo_calls);
    json_t *reply = call(s, NULL, "nope", "{}");

    ck_assert(is_error_result(reply));
    ck_assert_int_eq(content_count(reply), 1);
    ck_assert_str_eq(content_text(reply, 0), "Unknown tool: nope");
    ck_assert_int_eq(atomic_load(&echo_calls), before);
    json_decref(reply);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(an_unknown_method_is_method_not_found)
{
    claude_mcp_server *s = echo_server(NULL);
    json_t *reply;

    reply = handle(s, NULL,
                   "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":"
                   "\"resources/list\"}");
    ck_assert_int_eq(json_integer_value(json_object_get(reply, "id")), 9);
    ck_assert_int_eq(error_code(reply), -32601);
    ck_assert_str_eq(error_message(reply), "Method 'resources/list' not found");
    json_decref(reply);

    /* A method named like a notification but sent with an id. */
    reply = handle(s, NULL,
                   "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":"
                   "\"sampling/createMessage\",\"params\":{}}");
    ck_assert_int_eq(error_code(reply), -32601);
    json_decref(reply);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(string_and_number_ids_are_echoed_exactly)
{
    static const char *const ids[] = {"\"abc\"", "\"\"",
                                      "0",       "7",
                                      "-3",      "9007199254740993",
                                      "2.5",     "\"\\u00e9t\\u00e9\""};
    static const char *const methods[] = {"ping", "tools/list", "tools/call",
                                          "initialize", "no/such/method"};
    claude_mcp_server *s = echo_server(NULL);
    char text[256];
    json_t *reply;
    json_t *want;
    json_error_t jerr;
    size_t i;
    size_t m;

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        want = json_loads(ids[i], JSON_DECODE_ANY, &jerr);
        ck_assert_ptr_nonnull(want);
        for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
            snprintf(text, sizeof(text),
                     "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"%s\","
                     "\"params\":{\"name\":\"t\"}}",
                     ids[i], methods[m]);
            reply = handle(s, NULL, text);
            ck_assert_msg(json_equal(json_object_get(reply, "id"), want),
                          "%s lost id %s", methods[m], ids[i]);
            ck_assert_str_eq(
                json_string_value(json_object_get(reply, "jsonrpc")), "2.0");
            json_decref(reply);
        }
        json_decref(want);
    }
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(malformed_messages_get_json_rpc_errors)
{
    static const struct {
        const char *message;
        json_int_t code;
    } cases[] = {
        {"[1,2]", -32603},
        {"\"text\"", -32603},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", -32603},
        {"{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", -32603},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}", -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
         "\"params\":[1]}",
         -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
         "\"params\":{}}",
         -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
         "\"params\":{\"name\":3}}",
         -32602},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\","
         "\"params\":\"all\"}",
         -32602},
    };
    claude_mcp_server *s = echo_server(NULL);
    int before = atomic_load(&echo_calls);
    json_t *reply;
    json_t *ok;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        reply = handle(s, NULL, cases[i].message);
        ck_assert_msg(reply != NULL, "no reply to %s", cases[i].message);
        ck_assert_msg(error_code(reply) == cases[i].code, "%s: code %lld",
                      cases[i].message, (long long)error_code(reply));
        ck_assert_ptr_nonnull(error_message(reply));
        ck_assert(json_object_get(reply, "id") != NULL);
        json_decref(reply);
    }
    reply = cl_mcp_handle(s, NULL, NULL, NULL);
    ck_assert_int_eq(error_code(reply), -32603);
    ck_assert(json_is_null(json_object_get(reply, "id")));
    json_decref(reply);

    /* The server stays usable. */
    ok = call(s, NULL, "t", "{\"x\":1}");
    ck_assert_str_eq(content_text(ok, 0), "{\"x\":1}");
    json_decref(ok);
    ck_assert_int_eq(atomic_load(&echo_calls), before + 1);
    claude_mcp_server_free(s);
}
END_TEST

static int
fail_after_content(claude_mcp_call *call, json_t *arguments, void *user)
{
    (void)arguments;
    ck_assert_int_eq(claude_mcp_call_add_text(call, "partial output"), 0);
    if (user != NULL) {
        ck_assert_int_eq(claude_mcp_call_set_error(call, "first text"), 0);
        ck_assert_int_eq(claude_mcp_call_set_error(call, user), 0);
        return 0;
    }
    return -1;
}

START_TEST(a_non_zero_return_is_an_error_result)
{
    claude_mcp_server *s = NULL;
    json_t *reply;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "bad", "Fails.", NULL, NULL,
                                                fail_after_content, NULL),
                     0);
    reply = call(s, NULL, "bad", "{}");
    ck_assert(is_error_result(reply));
    ck_assert_int_eq(content_count(reply), 2);
    ck_assert_str_eq(content_text(reply, 0), "the tool failed");
    ck_assert_str_eq(content_text(reply, 1), "partial output");
    json_decref(reply);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(set_error_makes_an_error_result_with_its_text_first)
{
    static char why[] = "division by zero";
    claude_mcp_server *s = NULL;
    json_t *reply;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "bad", "Fails.", NULL, NULL,
                                                fail_after_content, why),
                     0);
    reply = call(s, NULL, "bad", "{}");
    ck_assert(is_error_result(reply));
    ck_assert_int_eq(content_count(reply), 2);
    ck_assert_str_eq(content_text(reply, 0), "division by zero");
    ck_assert_str_eq(content_text(reply, 1), "partial output");
    json_decref(reply);
    claude_mcp_server_free(s);
}
END_TEST

static int
misuse_the_call(claude_mcp_call *call, json_t *arguments, void *user)
{
    json_t *untyped = json_pack("{s:s}", "text", "no type");
    json_t *array = json_array();

    (void)arguments;
    (void)user;
    ck_assert_int_eq(claude_mcp_call_add_text(call, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_text(call, "bad \xff byte"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_text(call, "\xc0\xaf"), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_text(call, "\xed\xa0\x80"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_image(call, NULL, "image/png"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_image(call, "", "image/png"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_image(call, "==", "image/png"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_image(call, "AA=A", "image/png"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_mcp_call_add_image(call, "not base64!", "image/png"),
        CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_image(call, "AAAA", NULL),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_image(call, "AAAA", ""),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_content(call, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_content(call, untyped), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_content(call, array), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_set_error(call, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_set_error(call, "\xff"), CLAUDE_EINVAL);
    json_decref(untyped);
    json_decref(array);

    /* UTF-8 text passes. */
    return claude_mcp_call_add_text(call,
                                    "d\xc3\xa9j\xc3\xa0 \xf0\x9f\x99\x82");
}

START_TEST(call_functions_refuse_bad_arguments)
{
    claude_mcp_server *s = NULL;
    json_t *reply;

    ck_assert_int_eq(claude_mcp_call_add_text(NULL, "x"), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_image(NULL, "AAAA", "image/png"),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_add_content(NULL, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_set_error(NULL, "x"), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_call_cancelled(NULL), 0);
    ck_assert_ptr_null(claude_mcp_call_tool(NULL));
    ck_assert_ptr_null(claude_mcp_call_server(NULL));

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "m", "Misuse.", NULL, NULL,
                                                misuse_the_call, NULL),
                     0);
    reply = call(s, NULL, "m", NULL);
    ck_assert(!is_error_result(reply));
    ck_assert_int_eq(content_count(reply), 1);
    ck_assert_str_eq(content_text(reply, 0),
                     "d\xc3\xa9j\xc3\xa0 \xf0\x9f\x99\x82");
    json_decref(reply);
    claude_mcp_server_free(s);
}
END_TEST

/*
 * The schema subset, one keyword at a time.
 */

START_TEST(schema_type_is_enforced)
{
    static const char *const obj =
        "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\"},"
        "\"n\":{\"type\":\"number\"},\"i\":{\"type\":\"integer\"},"
        "\"b\":{\"type\":\"boolean\"},\"o\":{\"type\":\"object\"},"
        "\"a\":{\"type\":\"array\"},\"z\":{\"type\":\"null\"},"
        "\"m\":{\"type\":[\"string\",\"null\"]},"
        "\"m3\":{\"type\":[\"string\",\"integer\",\"null\"]}}}";

    expect_accepted(obj, "{\"s\":\"x\",\"n\":1.5,\"i\":3,\"b\":false,"
                         "\"o\":{},\"a\":[],\"z\":null,\"m\":null,\"m3\":7}");
    expect_accepted(obj, "{\"n\":2,\"i\":4.0,\"m\":\"x\",\"m3\":\"y\"}");
    expect_refused(obj, "{\"s\":1}", "Invalid arguments: s: expected a string");
    expect_refused(obj, "{\"n\":\"1\"}",
                   "Invalid arguments: n: expected a number");
    expect_refused(obj, "{\"i\":2.5}",
                   "Invalid arguments: i: expected an integer");
    expect_refused(obj, "{\"b\":0}",
                   "Invalid arguments: b: expected a boolean");
    expect_refused(obj, "{\"o\":[]}",
                   "Invalid arguments: o: expected an object");
    expect_refused(obj, "{\"a\":{}}",
                   "Invalid arguments: a: expected an array");
    expect_refused(obj, "{\"z\":0}", "Invalid arguments: z: expected null");
    expect_refused(obj, "{\"m\":1}",
                   "Invalid arguments: m: expected a string or null");
    expect_refused(obj, "{\"m3\":true}",
                   "Invalid arguments: m3: expected a string, an integer or "
                   "null");
    expect_refused(NULL, "[1]", "Invalid arguments: expected an object");
}
END_TEST

START_TEST(schema_required_is_enforced)
{
    static const char *const schema =
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},"
        "\"b\":{\"type\":\"number\"}},\"required\":[\"a\",\"b\"]}";

    expect_accepted(schema, "{\"a\":1,\"b\":2}");
    expect_accepted(schema, "{\"a\":1,\"b\":2,\"c\":3}");
    expect_refused(schema, "{\"a\":1}",
                   "Invalid arguments: missing required property b");
    expect_refused(schema, "{}",
                   "Invalid arguments: missing required property a");

    /* Absent arguments are validated as no arguments. */
    expect_refused(schema, NULL,
                   "Invalid arguments: missing required property a");
    expect_refused(schema, "null",
                   "Invalid arguments: missing required property a");
}
END_TEST

START_TEST(schema_properties_are_checked_recursively)
{
    static const char *const schema =
        "{\"type\":\"object\",\"properties\":{\"outer\":{\"type\":\"object\","
        "\"properties\":{\"inner\":{\"type\":\"integer\"},\"deep\":"
        "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\"}},"
        "\"required\":[\"x\"]}},\"required\":[\"inner\"]}}}";

    expect_accepted(schema, "{}");
    expect_accepted(schema, "{\"outer\":{\"inner\":1,\"deep\":{\"x\":\"y\"}}}");
    expect_refused(schema, "{\"outer\":{\"inner\":\"1\"}}",
                   "Invalid arguments: outer.inner: expected an integer");
    expect_refused(schema, "{\"outer\":{}}",
                   "Invalid arguments: missing required property outer.inner");
    expect_refused(schema, "{\"outer\":{\"inner\":1,\"deep\":{\"x\":2}}}",
                   "Invalid arguments: outer.deep.x: expected a string");
    expect_refused(schema, "{\"outer\":{\"inner\":1,\"deep\":{}}}",
                   "Invalid arguments: missing required property "
                   "outer.deep.x");
}
END_TEST

START_TEST(schema_additional_properties_are_enforced)
{
    static const char *const closed =
        "{\"type\":\"object\",\"properties\":{\"a\":{}},"
        "\"additionalProperties\":false}";
    static const char *const typed =
        "{\"type\":\"object\",\"properties\":{\"a\":{}},"
        "\"additionalProperties\":{\"type\":\"number\"}}";
    static const char *const open =
        "{\"type\":\"object\",\"properties\":{\"a\":{}},"
        "\"additionalProperties\":true}";

    expect_accepted(closed, "{\"a\":\"anything\"}");
    expect_refused(closed, "{\"a\":1,\"c\":2}",
                   "Invalid arguments: unexpected property c");
    expect_accepted(typed, "{\"a\":\"x\",\"b\":1,\"c\":2.5}");
    expect_refused(typed, "{\"a\":\"x\",\"b\":1,\"c\":\"2\"}",
                   "Invalid arguments: c: expected a number");
    expect_accepted(open, "{\"a\":1,\"b\":[true]}");
    expect_refused("{\"properties\":{\"o\":{\"additionalProperties\":false}}}",
                   "{\"o\":{\"x\":1}}",
                   "Invalid arguments: unexpected property o.x");
}
END_TEST

START_TEST(schema_enum_is_enforced)
{
    static const char *const schema =
        "{\"properties\":{\"color\":{\"enum\":[\"red\",\"green\",1,null,"
        "{\"k\":[1]}]}}}";

    expect_accepted(schema, "{\"color\":\"red\"}");
    expect_accepted(schema, "{\"color\":1}");
    expect_accepted(schema, "{\"color\":null}");
    expect_accepted(schema, "{\"color\":{\"k\":[1]}}");
    expect_refused(schema, "{\"color\":\"blue\"}",
                   "Invalid arguments: color: expected one of "
                   "[\"red\",\"green\",1,null,{\"k\":[1]}]");
    expect_refused(schema, "{\"color\":{\"k\":[2]}}",
                   "Invalid arguments: color: expected one of "
                   "[\"red\",\"green\",1,null,{\"k\":[1]}]");
    expect_refused(schema, "{\"color\":\"1\"}",
                   "Invalid arguments: color: expected one of "
                   "[\"red\",\"green\",1,null,{\"k\":[1]}]");
}
END_TEST

START_TEST(schema_items_are_checked_with_their_index)
{
    static const char *const schema =
        "{\"properties\":{\"list\":{\"type\":\"array\",\"items\":"
        "{\"type\":\"integer\"}},\"rows\":{\"type\":\"array\",\"items\":"
        "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
        "\"string\"}},\"required\":[\"id\"]}}}}";

    expect_accepted(schema, "{\"list\":[],\"rows\":[]}");
    expect_accepted(schema, "{\"list\":[1,2,3],\"rows\":[{\"id\":\"a\"}]}");
    expect_refused(schema, "{\"list\":[1,2,\"3\"]}",
                   "Invalid arguments: list[2]: expected an integer");
    expect_refused(schema, "{\"rows\":[{\"id\":\"a\"},{\"id\":4}]}",
                   "Invalid arguments: rows[1].id: expected a string");
    expect_refused(schema, "{\"rows\":[{\"id\":\"a\"},{}]}",
                   "Invalid arguments: missing required property rows[1].id");
}
END_TEST

START_TEST(schema_minimum_is_enforced)
{
    static const char *const schema =
        "{\"properties\":{\"n\":{\"type\":\"number\",\"minimum\":1},"
        "\"r\":{\"type\":\"number\",\"minimum\":0.5},"
        "\"big\":{\"type\":\"integer\",\"minimum\":9007199254740993}}}";

    expect_accepted(schema, "{\"n\":1,\"r\":0.5,\"big\":9007199254740993}");
    expect_accepted(schema, "{\"n\":1.5,\"r\":1}");
    expect_refused(schema, "{\"n\":0}",
                   "Invalid arguments: n: expected a "
                   "number >= 1");
    expect_refused(schema, "{\"n\":0.99}",
                   "Invalid arguments: n: expected a "
                   "number >= 1");
    expect_refused(schema, "{\"r\":0}",
                   "Invalid arguments: r: expected a "
                   "number >= 0.5");
    expect_refused(schema, "{\"big\":9007199254740992}",
                   "Invalid arguments: big: expected a number >= "
                   "9007199254740993");
}
END_TEST

START_TEST(schema_maximum_is_enforced)
{
    static const char *const schema =
        "{\"properties\":{\"n\":{\"type\":\"integer\",\"maximum\":10},"
        "\"r\":{\"maximum\":-0.25}}}";

    expect_accepted(schema, "{\"n\":10,\"r\":-0.25}");
    expect_accepted(schema, "{\"n\":-100,\"r\":-7}");
    expect_accepted(schema, "{\"r\":\"not a number\"}");
    expect_refused(schema, "{\"n\":11}",
                   "Invalid arguments: n: expected a "
                   "number <= 10");
    expect_refused(schema, "{\"r\":0}",
                   "Invalid arguments: r: expected a "
                   "number <= -0.25");
}
END_TEST

START_TEST(schema_min_length_counts_code_points)
{
    static const char *const schema =
        "{\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":3},"
        "\"one\":{\"minLength\":1}}}";

    /* "été" is 3 code points in 5 bytes; "é" 1 in 2. */
    expect_accepted(schema, "{\"s\":\"abc\",\"one\":\"x\"}");
    expect_accepted(schema, "{\"s\":\"\\u00e9t\\u00e9\"}");
    expect_accepted(schema, "{\"one\":7}");
    expect_refused(schema, "{\"s\":\"ab\"}",
                   "Invalid arguments: s: expected "
                   "at least 3 characters");
    expect_refused(schema, "{\"s\":\"\\u00e9\\u00e9\"}",
                   "Invalid arguments: s: expected at least 3 characters");
    expect_refused(schema, "{\"one\":\"\"}",
                   "Invalid arguments: one: expected "
                   "at least 1 character");
}
END_TEST

START_TEST(schema_max_length_counts_code_points)
{
    static const char *const schema =
        "{\"properties\":{\"s\":{\"type\":\"string\",\"maxLength\":3}}}";

    expect_accepted(schema, "{\"s\":\"abc\"}");
    expect_accepted(schema, "{\"s\":\"\\u00e9t\\u00e9\"}");
    expect_accepted(schema, "{\"s\":\"\\ud83d\\ude42\\ud83d\\ude42x\"}");
    expect_refused(schema, "{\"s\":\"abcd\"}",
                   "Invalid arguments: s: expected "
                   "at most 3 characters");
    expect_refused(schema, "{\"s\":\"\\u00e9t\\u00e9s\"}",
                   "Invalid arguments: s: expected at most 3 characters");
}
END_TEST

START_TEST(schema_booleans_and_unknown_keywords)
{
    /* true accepts anything, false nothing; unknown keywords are
     * ignored, and keywords apply only to values of their kind. */
    expect_accepted("{\"properties\":{\"a\":true}}", "{\"a\":[1,{}]}");
    expect_refused("{\"properties\":{\"a\":false}}", "{\"a\":1}",
                   "Invalid arguments: a: not allowed");
    expect_accepted("{\"properties\":{\"a\":{\"pattern\":\"^x$\",\"anyOf\":"
                    "[{\"type\":\"string\"}],\"format\":\"uri\",\"$ref\":"
                    "\"#/nowhere\"}},\"x-vendor\":{}}",
                    "{\"a\":42}");
    expect_accepted("{\"properties\":{\"a\":{\"required\":[\"q\"],"
                    "\"items\":{\"type\":\"string\"}}}}",
                    "{\"a\":5}");
}
END_TEST

/*
 * Refused at add_tool.
 */

START_TEST(bad_names_are_refused)
{
    static const char *const bad[] = {
        "", "a b", "a.b", "a/b", "caf\xc3\xa9", "x:y", "tab\t"};
    claude_mcp_server *s = NULL;
    size_t i;

    ck_assert_int_eq(claude_mcp_server_new(NULL, "calc", NULL), CLAUDE_EINVAL);
    s = (claude_mcp_server *)&s;
    ck_assert_int_eq(claude_mcp_server_new(&s, NULL, NULL), CLAUDE_EINVAL);
    ck_assert_ptr_null(s);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(claude_mcp_server_new(&s, bad[i], NULL),
                         CLAUDE_EINVAL);
        ck_assert_ptr_null(s);
    }
    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", ""), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", "\xff"), CLAUDE_EINVAL);

    ck_assert_int_eq(claude_mcp_server_new(&s, "A-z_09", "1.0.0-beta"), 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(
            claude_mcp_server_add_tool(s, bad[i], "d", NULL, NULL, echo, NULL),
            CLAUDE_EINVAL);
    }
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, NULL, "d", NULL, NULL, echo, NULL),
        CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(NULL, "t", "d", NULL, NULL, echo, NULL),
        CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", NULL, NULL, NULL, echo, NULL),
        CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "\xc3(", NULL, NULL, echo, NULL),
        CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "d", NULL, NULL, NULL, NULL),
        CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "Tool-1_x", "", NULL, NULL, echo, NULL),
        0);

    /* A duplicate is refused, and the first stays. */
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "Tool-1_x", "other", NULL,
                                                NULL, echo, NULL),
                     CLAUDE_EINVAL);
    ck_assert_str_eq(cl_mcp_server_name(s), "A-z_09");
    claude_mcp_server_free(s);
    claude_mcp_server_free(NULL);
}
END_TEST

START_TEST(bad_schemas_are_refused)
{
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"type\":\"object\",\"type\":\"object\"}",
        "{\"type\":\"string\"}",
        "{\"type\":[\"object\"]}",
        "{\"type\":7}",
        "{\"properties\":{\"a\":{\"type\":\"strnig\"}}}",
        "{\"properties\":{\"a\":{\"type\":[]}}}",
        "{\"properties\":{\"a\":{\"type\":[\"string\",3]}}}",
        "{\"properties\":[]}",
        "{\"properties\":{\"a\":3}}",
        "{\"required\":\"a\"}",
        "{\"required\":[\"a\",1]}",
        "{\"additionalProperties\":\"no\"}",
        "{\"properties\":{\"a\":{\"enum\":\"red\"}}}",
        "{\"properties\":{\"a\":{\"items\":[{\"type\":\"string\"}]}}}",
        "{\"properties\":{\"a\":{\"minimum\":\"1\"}}}",
        "{\"properties\":{\"a\":{\"maximum\":null}}}",
        "{\"properties\":{\"a\":{\"minLength\":-1}}}",
        "{\"properties\":{\"a\":{\"maxLength\":2.5}}}",
    };
    claude_mcp_server *s = NULL;
    size_t i;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(claude_mcp_server_add_tool(s, "t", "d", bad[i], NULL,
                                                 echo, NULL) == CLAUDE_EINVAL,
                      "accepted %s", bad[i]);
    }

    /* Nothing was added on the way. */
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "t", "d",
                                                "{\"type\":\"object\"}", NULL,
                                                echo, NULL),
                     0);
    claude_mcp_server_free(s);
}
END_TEST

/* A schema nested depth levels deep through properties "a". */
static char *
nested_schema(int depth)
{
    size_t size = (size_t)depth * 32 + 64;
    char *text = malloc(size);
    size_t n = 0;
    int i;

    ck_assert_ptr_nonnull(text);
    for (i = 0; i < depth; i++) {
        n += (size_t)snprintf(text + n, size - n, "{\"properties\":{\"a\":");
    }
    n += (size_t)snprintf(text + n, size - n, "{\"type\":\"string\"}");
    for (i = 0; i < depth; i++) {
        n += (size_t)snprintf(text + n, size - n, "}}");
    }
    return text;
}

START_TEST(deep_schemas_are_refused_and_deep_values_are_safe)
{
    claude_mcp_server *s = NULL;
    char *deep = nested_schema(200);
    char *ok = nested_schema(40);
    char *args;
    json_t *reply;
    size_t n = 0;
    int i;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "deep", "d", deep, NULL, echo, NULL),
        CLAUDE_EINVAL);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "ok", "d", ok, NULL, echo, NULL), 0);

    /* Arguments nested 1000 deep, far below the schema's reach. */
    args = malloc(8 * 1000 + 16);
    ck_assert_ptr_nonnull(args);
    for (i = 0; i < 1000; i++) {
        n += (size_t)sprintf(args + n, "{\"a\":");
    }
    n += (size_t)sprintf(args + n, "1");
    for (i = 0; i < 1000; i++) {
        n += (size_t)sprintf(args + n, "}");
    }
    reply = call(s, NULL, "ok", args);
    ck_assert(is_error_result(reply));
    ck_assert_ptr_nonnull(strstr(content_text(reply, 0),
                                 "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a"
                                 ".a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a: expected "
                                 "a string"));
    json_decref(reply);
    free(args);
    free(deep);
    free(ok);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(annotation_values_other_than_minus_one_zero_one_are_refused)
{
    claude_mcp_annotations ann = CLAUDE_MCP_ANNOTATIONS_INIT;
    claude_mcp_server *s = NULL;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ann.read_only = 2;
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "d", NULL, &ann, echo, NULL),
        CLAUDE_EINVAL);
    ann.read_only = -1;
    ann.open_world = -2;
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "d", NULL, &ann, echo, NULL),
        CLAUDE_EINVAL);
    ann.open_world = 1;
    ann.title = "\xff";
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "d", NULL, &ann, echo, NULL),
        CLAUDE_EINVAL);
    ann.title = "T";
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "d", NULL, &ann, echo, NULL), 0);
    claude_mcp_server_free(s);
}
END_TEST

/*
 * Cancellation and threads.
 */

START_TEST(notifications_cancelled_reaches_a_running_handler)
{
    rendezvous r = {0, 0, 0};
    claude_mcp_server *s = NULL;
    cl_mcp_session *ms = NULL;
    json_t *id = json_integer(7);
    json_t *reply;
    job j;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "slow", "Slow.", NULL, NULL,
                                                wait_for_cancel, &r),
                     0);
    job_start(&j, s, ms, id, "slow");
    wait_for(&r.started, 1);

    /* A cancel for another id changes nothing. */
    ck_assert_ptr_null(
        handle(s, ms,
               "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
               "\"params\":{\"requestId\":8}}"));
    ck_assert_ptr_null(
        handle(s, ms,
               "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
               "\"params\":{\"requestId\":\"7\"}}"));
    test_sleep_ms(20);
    ck_assert_int_eq(atomic_load(&r.finished), 0);

    ck_assert_ptr_null(
        handle(s, ms,
               "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
               "\"params\":{\"requestId\":7,\"reason\":\"timed out\"}}"));
    reply = job_join(&j);
    ck_assert_int_eq(json_integer_value(json_object_get(reply, "id")), 7);
    ck_assert_str_eq(content_text(reply, 0), "cancelled");
    json_decref(reply);
    json_decref(id);
    cl_mcp_session_free(ms);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(the_control_cancel_flag_reaches_the_handler)
{
    rendezvous r = {0, 0, 0};
    claude_mcp_server *s = NULL;
    cl_mcp_session *ms = NULL;
    json_t *id = json_string("call-1");
    json_t *reply;
    job j;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "slow", "Slow.", NULL, NULL,
                                                wait_for_cancel, &r),
                     0);
    job_start(&j, s, ms, id, "slow");
    wait_for(&r.started, 1);
    test_sleep_ms(10);
    ck_assert_int_eq(atomic_load(&r.finished), 0);
    atomic_store(&j.control, true);
    reply = job_join(&j);
    ck_assert_str_eq(json_string_value(json_object_get(reply, "id")), "call-1");
    ck_assert_str_eq(content_text(reply, 0), "cancelled");
    json_decref(reply);
    json_decref(id);
    cl_mcp_session_free(ms);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(sixteen_threads_call_one_tool_at_once)
{
    enum { N = 16 };
    rendezvous r = {0, 0, N};
    claude_mcp_server *s = NULL;
    cl_mcp_session *ms = NULL;
    json_t *id;
    json_t *reply;
    job jobs[N];
    int i;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "meet", "Meet.", NULL, NULL, meet, &r),
        0);
    for (i = 0; i < N; i++) {
        id = json_integer(100 + i);
        job_start(&jobs[i], s, ms, id, "meet");
        json_decref(id);
    }
    for (i = 0; i < N; i++) {
        reply = job_join(&jobs[i]);
        ck_assert_int_eq(json_integer_value(json_object_get(reply, "id")),
                         100 + i);
        ck_assert(!is_error_result(reply));
        ck_assert_str_eq(content_text(reply, 0), "met");
        json_decref(reply);
    }
    ck_assert_int_eq(atomic_load(&r.finished), N);
    cl_mcp_session_free(ms);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(a_cancel_in_one_session_leaves_the_other_alone)
{
    rendezvous r = {0, 0, 0};
    claude_mcp_server *s = NULL;
    claude_mcp_server *other = NULL;
    cl_mcp_session *ms1 = NULL;
    cl_mcp_session *ms2 = NULL;
    json_t *id = json_integer(2);
    json_t *reply;
    job a;
    job b;
    const char *cancel =
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
        "\"params\":{\"requestId\":2}}";

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(claude_mcp_server_new(&other, "other", NULL), 0);
    ck_assert_int_eq(cl_mcp_session_new(&ms1), 0);
    ck_assert_int_eq(cl_mcp_session_new(&ms2), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "slow", "Slow.", NULL, NULL,
                                                wait_for_cancel, &r),
                     0);

    /* The same server, the same id, in two sessions at once. */
    job_start(&a, cl_mcp_server_ref(s), ms1, id, "slow");
    job_start(&b, cl_mcp_server_ref(s), ms2, id, "slow");
    wait_for(&r.started, 2);

    ck_assert_ptr_null(handle(s, ms1, cancel));
    reply = job_join(&a);
    ck_assert_str_eq(content_text(reply, 0), "cancelled");
    json_decref(reply);
    test_sleep_ms(20);
    ck_assert_int_eq(atomic_load(&r.finished), 1);

    /* A cancel for another server of the session misses it too. */
    ck_assert_ptr_null(handle(other, ms2, cancel));
    test_sleep_ms(20);
    ck_assert_int_eq(atomic_load(&r.finished), 1);

    ck_assert_ptr_null(handle(s, ms2, cancel));
    reply = job_join(&b);
    ck_assert_str_eq(content_text(reply, 0), "cancelled");
    json_decref(reply);

    cl_mcp_server_unref(s);
    cl_mcp_server_unref(s);
    json_decref(id);
    cl_mcp_session_free(ms1);
    cl_mcp_session_free(ms2);
    claude_mcp_server_free(other);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(an_id_already_in_flight_is_refused)
{
    rendezvous r = {0, 0, 0};
    claude_mcp_server *s = NULL;
    cl_mcp_session *ms = NULL;
    json_t *id = json_integer(3);
    json_t *reply;
    char *text;
    job j;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "slow", "Slow.", NULL, NULL,
                                                wait_for_cancel, &r),
                     0);
    job_start(&j, s, ms, id, "slow");
    wait_for(&r.started, 1);

    text = call_message(id, "slow", "{}");
    reply = handle(s, ms, text);
    free(text);
    ck_assert_int_eq(error_code(reply), -32600);
    ck_assert_int_eq(json_integer_value(json_object_get(reply, "id")), 3);
    json_decref(reply);
    ck_assert_int_eq(atomic_load(&r.started), 1);

    atomic_store(&j.control, true);
    reply = job_join(&j);
    ck_assert_str_eq(content_text(reply, 0), "cancelled");
    json_decref(reply);

    /* Once it has finished, the id may be used again. */
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "Echo.", NULL, NULL, echo, NULL), 0);
    text = call_message(id, "t", "{}");
    reply = handle(s, ms, text);
    free(text);
    ck_assert_str_eq(content_text(reply, 0), "{}");
    json_decref(reply);
    json_decref(id);
    cl_mcp_session_free(ms);
    claude_mcp_server_free(s);
}
END_TEST

/* Add a tool and list the tools from inside a handler. */
static int
grow(claude_mcp_call *call, json_t *arguments, void *user)
{
    claude_mcp_server *s = user;
    json_t *reply;
    int rv;

    (void)arguments;
    rv = claude_mcp_server_add_tool(s, "grown", "Added by a handler.", NULL,
                                    NULL, echo, NULL);
    if (rv != 0) {
        return rv;
    }
    reply = handle(s, NULL,
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    rv = claude_mcp_call_add_text(
        call, json_array_size(json_object_get(result_of(reply), "tools")) == 2
                  ? "two tools"
                  : "wrong count");
    json_decref(reply);
    return rv;
}

START_TEST(a_handler_may_add_tools_with_no_lock_held)
{
    claude_mcp_server *s = NULL;
    cl_mcp_session *ms = NULL;
    json_t *reply;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "grow", "Grow.", NULL, NULL, grow, s), 0);
    reply = call(s, ms, "grow", NULL);
    ck_assert_str_eq(content_text(reply, 0), "two tools");
    json_decref(reply);
    reply = call(s, ms, "grown", "{\"k\":true}");
    ck_assert_str_eq(content_text(reply, 0), "{\"k\":true}");
    json_decref(reply);
    cl_mcp_session_free(ms);
    claude_mcp_server_free(s);
}
END_TEST

START_TEST(a_server_outlives_its_creator_while_a_session_holds_it)
{
    rendezvous r = {0, 0, 0};
    claude_mcp_server *s = NULL;
    cl_mcp_session *ms = NULL;
    claude_mcp_server *held;
    json_t *id = json_integer(1);
    json_t *reply;
    job j;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    ck_assert_int_eq(cl_mcp_session_new(&ms), 0);
    ck_assert_int_eq(claude_mcp_server_add_tool(s, "slow", "Slow.", NULL, NULL,
                                                wait_for_cancel, &r),
                     0);
    held = cl_mcp_server_ref(s);
    ck_assert_ptr_eq(held, s);
    ck_assert_ptr_null(cl_mcp_server_ref(NULL));

    /* The creator lets go while a call runs. */
    job_start(&j, held, ms, id, "slow");
    wait_for(&r.started, 1);
    claude_mcp_server_free(s);
    s = NULL;
    ck_assert_str_eq(cl_mcp_server_name(held), "calc");
    atomic_store(&j.control, true);
    reply = job_join(&j);
    ck_assert_str_eq(content_text(reply, 0), "cancelled");
    json_decref(reply);

    /* The session's reference still serves. */
    reply = handle(held, ms,
                   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    ck_assert_int_eq(
        json_array_size(json_object_get(result_of(reply), "tools")), 1);
    json_decref(reply);
    cl_mcp_server_unref(held);
    cl_mcp_server_unref(NULL);
    json_decref(id);
    cl_mcp_session_free(ms);
    cl_mcp_session_free(NULL);
}
END_TEST

/* A schema that memory ran out for is not an invalid schema. */
START_TEST(a_schema_memory_ran_out_for_is_enomem)
{
    static const char schema[] =
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
        "\"number\"}}}";
    claude_mcp_server *s = NULL;

    ck_assert_int_eq(claude_mcp_server_new(&s, "calc", NULL), 0);
    test_jansson_fail_nth(1);
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "Echo.", schema, NULL, echo, NULL),
        CLAUDE_ENOMEM);
    ck_assert(!test_jansson_armed());
    ck_assert_int_eq(
        claude_mcp_server_add_tool(s, "t", "Echo.", schema, NULL, echo, NULL),
        0);
    claude_mcp_server_free(s);
}
END_TEST

void
cl_mcp_tests(void)
{
    static const struct {
        const char *name;
        const TTest **fn;
        int timeout;
    } list[] = {
        {"mcp: initialize echoes a supported protocol version",
         &initialize_echoes_a_supported_protocol_version, 10},
        {"mcp: initialize answers an unknown version with the newest",
         &initialize_answers_an_unknown_version_with_the_newest, 10},
        {"mcp: notifications and responses get no reply",
         &notifications_and_responses_get_no_reply, 10},
        {"mcp: tools/list gives tools in order with the annotations set",
         &tools_list_gives_tools_in_order_with_set_annotations, 10},
        {"mcp: ping answers an empty result", &ping_answers_an_empty_result,
         10},
        {"mcp: tools/call returns text, image and custom blocks",
         &tools_call_returns_text_image_and_custom_blocks, 10},
        {"mcp: a handler that adds nothing returns empty content",
         &a_handler_that_adds_nothing_returns_empty_content, 10},
        {"mcp: an unknown tool is an error result naming it",
         &an_unknown_tool_is_an_error_result_naming_it, 10},
        {"mcp: an unknown method is -32601 naming it",
         &an_unknown_method_is_method_not_found, 10},
        {"mcp: string and number ids are echoed exactly",
         &string_and_number_ids_are_echoed_exactly, 10},
        {"mcp: malformed messages get JSON-RPC errors and the server "
         "goes on",
         &malformed_messages_get_json_rpc_errors, 10},
        {"mcp: a non-zero return is an error result",
         &a_non_zero_return_is_an_error_result, 10},
        {"mcp: set_error makes an error result with its text first",
         &set_error_makes_an_error_result_with_its_text_first, 10},
        {"mcp: call functions refuse bad arguments",
         &call_functions_refuse_bad_arguments, 10},
        {"mcp: schema type is enforced", &schema_type_is_enforced, 10},
        {"mcp: schema required is enforced", &schema_required_is_enforced, 10},
        {"mcp: schema properties are checked recursively",
         &schema_properties_are_checked_recursively, 10},
        {"mcp: schema additionalProperties is enforced",
         &schema_additional_properties_are_enforced, 10},
        {"mcp: schema enum is enforced", &schema_enum_is_enforced, 10},
        {"mcp: schema items are checked with their index",
         &schema_items_are_checked_with_their_index, 10},
        {"mcp: schema minimum is enforced", &schema_minimum_is_enforced, 10},
        {"mcp: schema maximum is enforced", &schema_maximum_is_enforced, 10},
        {"mcp: schema minLength counts code points",
         &schema_min_length_counts_code_points, 10},
        {"mcp: schema maxLength counts code points",
         &schema_max_length_counts_code_points, 10},
        {"mcp: schema true, false and unknown keywords",
         &schema_booleans_and_unknown_keywords, 10},
        {"mcp: bad server and tool names are refused", &bad_names_are_refused,
         10},
        {"mcp: bad schemas are refused at add_tool", &bad_schemas_are_refused,
         10},
        {"mcp: deep schemas are refused and deep arguments are safe",
         &deep_schemas_are_refused_and_deep_values_are_safe, 10},
        {"mcp: annotation values other than -1, 0 and 1 are refused",
         &annotation_values_other_than_minus_one_zero_one_are_refused, 10},
        {"mcp: notifications/cancelled reaches a running handler",
         &notifications_cancelled_reaches_a_running_handler, 30},
        {"mcp: the control request's cancel flag reaches the handler",
         &the_control_cancel_flag_reaches_the_handler, 30},
        {"mcp: sixteen threads call one tool at once",
         &sixteen_threads_call_one_tool_at_once, 30},
        {"mcp: a cancel in one session leaves the other session's call",
         &a_cancel_in_one_session_leaves_the_other_alone, 30},
        {"mcp: an id already in flight is refused",
         &an_id_already_in_flight_is_refused, 30},
        {"mcp: a handler may add and list tools: no lock is held",
         &a_handler_may_add_tools_with_no_lock_held, 10},
        {"mcp: a server outlives its creator while a session holds it",
         &a_server_outlives_its_creator_while_a_session_holds_it, 30},
        {"mcp: a schema memory ran out for is ENOMEM",
         &a_schema_memory_ran_out_for_is_enomem, 10},
    };
    size_t i;

    for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
        cl_test_add("mcp", list[i].name, *list[i].fn, list[i].timeout);
    }
}
