/*
 * fuzz_mcp.c: libFuzzer harness for in-process MCP servers.
 *
 * One server with two tools is built on the first input and kept: a
 * "lookup" tool whose schema uses every keyword the validator knows,
 * and an "echo" tool with no schema.  Each input is parsed as JSON
 * (inputs jansson rejects are skipped) and handed to cl_mcp_handle in
 * a fresh session; when it is an array, each element is handed over
 * too, in the same session.  Every reply is checked for the shape a
 * JSON-RPC reply has and released.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "claude.h"
#include "mcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every keyword of the schema subset, nested so that each is reached. */
static const char lookup_schema[] =
    "{\"type\":\"object\","
    "\"required\":[\"query\"],"
    "\"additionalProperties\":false,"
    "\"properties\":{"
    "\"query\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":40},"
    "\"mode\":{\"enum\":[\"fast\",\"exact\",3,null,{\"a\":[1]}]},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100},"
    "\"ratio\":{\"type\":[\"number\",\"null\"],\"minimum\":-1.5,"
    "\"maximum\":2.5},"
    "\"flag\":{\"type\":\"boolean\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
    "\"maxLength\":3}},"
    "\"matrix\":{\"type\":\"array\",\"items\":{\"type\":\"array\","
    "\"items\":{\"type\":\"number\"}}},"
    "\"meta\":{\"type\":\"object\",\"required\":[\"k\"],"
    "\"properties\":{\"k\":{\"type\":\"string\"}},"
    "\"additionalProperties\":{\"type\":\"integer\",\"minimum\":0}},"
    "\"free\":true,"
    "\"never\":false"
    "}}";

static claude_mcp_server *server;

/* Answer with the arguments, compact, as one text block. */
static int
lookup(claude_mcp_call *call, json_t *arguments, void *user)
{
    char *text;
    int rv;

    (void)user;
    if (strcmp(claude_mcp_call_tool(call), "lookup") != 0 ||
        strcmp(claude_mcp_call_server(call), "fuzz") != 0) {
        abort();
    }
    text = json_dumps(arguments, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL) {
        return -1;
    }
    rv = claude_mcp_call_add_text(call, text);
    free(text);
    return rv;
}

/* Add some text, or fail as the arguments ask. */
static int
echo(claude_mcp_call *call, json_t *arguments, void *user)
{
    json_t *text = json_object_get(arguments, "text");

    (void)user;
    if (claude_mcp_call_cancelled(call)) {
        return claude_mcp_call_set_error(call, "cancelled");
    }
    if (json_object_get(arguments, "fail") != NULL) {
        claude_mcp_call_add_text(call, "about to fail");
        return 1;
    }
    if (json_is_string(text)) {
        return claude_mcp_call_add_text(call, json_string_value(text));
    }
    return claude_mcp_call_add_text(call, "echo");
}

static void
build_server(void)
{
    claude_mcp_annotations ann = CLAUDE_MCP_ANNOTATIONS_INIT;

    if (claude_mcp_server_new(&server, "fuzz", "1.0") != 0) {
        abort();
    }
    ann.read_only = 1;
    ann.title = "Look it up";
    if (claude_mcp_server_add_tool(server, "lookup", "Looks things up.",
                                   lookup_schema, &ann, lookup, NULL) != 0) {
        abort();
    }
    if (claude_mcp_server_add_tool(server, "echo", "Echoes.", NULL, NULL, echo,
                                   NULL) != 0) {
        abort();
    }
}

/* A reply is an object naming JSON-RPC 2.0, with a result or error. */
static void
check_reply(json_t *reply)
{
    if (reply == NULL) {
        return;
    }
    if (!json_is_object(reply)) {
        abort();
    }
    if (json_object_get(reply, "result") == NULL &&
        json_object_get(reply, "error") == NULL) {
        abort();
    }
}

static void
handle(cl_mcp_session *ms, json_t *message, const atomic_bool *cancelled)
{
    json_t *reply;

    reply = cl_mcp_handle(server, ms, message, cancelled);
    check_reply(reply);
    json_decref(reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *message;
    json_t *element;
    json_error_t jerr;
    cl_mcp_session *ms;
    atomic_bool cancelled;
    size_t i;

    if (server == NULL) {
        build_server();
    }

    message = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
    if (message == NULL) {
        return 0;
    }
    if (cl_mcp_session_new(&ms) != 0) {
        abort();
    }

    /* The control request is cancelled for some inputs. */
    atomic_init(&cancelled, size % 7 == 3);

    handle(ms, message, &cancelled);
    if (json_is_array(message)) {
        json_array_foreach(message, i, element)
        {
            handle(ms, element, &cancelled);
        }
    }

    /* And once with no session and no flag, as the API allows. */
    handle(NULL, message, NULL);

    cl_mcp_session_free(ms);
    json_decref(message);
    return 0;
}
