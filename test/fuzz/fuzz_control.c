/*
 * fuzz_control.c: libFuzzer harness for the control-request dispatcher.
 *
 * Each input stands for a stretch of the CLI's stdout.  It is split into
 * lines by the framer, as the transport splits them, and each line goes
 * through the reader's own routing (cl_client_route_line).  One client
 * is opened before the first input and kept, on the fake CLI running
 * "init echo-stderr": it answers initialize, then copies every line the
 * library writes to its stderr, where the transport hands it to our
 * stderr callback.  So the harness sees every reply, and no process is
 * started per input.
 *
 * The client has a permission callback, three hooks and an in-process
 * MCP server "calc", so that every handler is reached.  The callbacks
 * call the request accessors, check what the library promises about
 * them, and answer in a way chosen from a hash of the request: allow,
 * allow with other input or permissions, deny, or fail.
 *
 * One control request of ours always waits for its reply; the bytes
 * "@ID@" in an input stand for its id, so that a control_response can
 * reach it.
 *
 * After the lines, the harness takes every queued message, waits until
 * every request is answered and released, and sends a marker user
 * message, whose echo shows that every reply has been written.  Then it
 * checks, and aborts when a check fails:
 *
 * - the messages received are the lines that were not control traffic,
 *   in their order;
 * - a request id got no more replies than requests carried it, and no
 *   fewer than that less the cancels that came after one of them; no
 *   reply names an id that no request of this input carried;
 * - every line written is a JSON object as far as the scan can tell,
 *   and strict JSON when the input was valid UTF-8;
 * - our request completed if and only if a reply to it came, with the
 *   result that reply carries.
 *
 * The fake CLI is FUZZ_FAKE_CLI, set by fuzz.mk, or $FAKE_CLI.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "claude.h"
#include "client.h"
#include "framer.h"
#include "json.h"
#include "scan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_FAKE_CLI
#define FUZZ_FAKE_CLI "build/test/fake-cli"
#endif

/*
 * Longer inputs are skipped: a reply echoes at most six bytes per byte
 * of its request, and the transport hands stderr lines of up to 64 KiB
 * to the callback.
 */
#define MAX_INPUT 8192

/* What a step that should take a moment may take before we give up. */
#define WAIT_MS 30000

/* Our request waits this long; the fuzzer never gets that far. */
#define PROBE_TIMEOUT_MS (24 * 3600 * 1000)

/* The bytes that stand for the id of our waiting request. */
#define PROBE_TOKEN "@ID@"

static claude_client *client;
static claude_options *options;
static claude_mcp_server *server;
static pthread_t prober;
static atomic_bool stopping;

/* Did the current input hold no backslash, so that no key is escaped? */
static atomic_bool plain_input;

/*
 * What the echo of the library's output and our waiting request tell,
 * guarded by mtx and announced by echo_cv.
 */
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t echo_cv = PTHREAD_COND_INITIALIZER;
static bool strict_output;       /* the input is valid UTF-8 */
static char probe_id[64];        /* the id of our waiting request */
static unsigned long probe_sent; /* our requests seen written */
static unsigned long probe_done; /* our requests completed */
static int probe_rv;             /* how the last one completed */
static bool probe_out_ok;        /* a success came with a payload */
static unsigned long marks_seen; /* the last marker seen written */
static char **replies;           /* ids of the replies seen written */
static size_t nreplies;
static size_t replies_cap;

/* One request id of the current input, with what befell it. */
typedef struct id_count {
    char *id;
    unsigned int requests;
    unsigned int cancels;
    unsigned int replies;
} id_count;

/* A line that should be received as a message. */
typedef struct line_copy {
    char *p;
    size_t n;
} line_copy;

/* What the current input should lead to. */
typedef struct expect {
    id_count *ids;
    size_t nids;
    size_t ids_cap;
    line_copy *messages; /* in the order they should be received */
    size_t nmessages;
    size_t messages_cap;
    bool probe_answered; /* a reply to our request came */
    int probe_rv;        /* and what it says */
} expect;

static _Noreturn void
fail(const char *what)
{
    fprintf(stderr, "fuzz_control: %s\n", what);
    abort();
}

static void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL) {
        fail("out of memory");
    }
    return p;
}

/* Grow *p, of *cap elements of size bytes, to hold n + 1. */
static void
reserve(void **p, size_t *cap, size_t n, size_t size)
{
    void *q;

    if (n < *cap) {
        return;
    }
    *cap = *cap ? *cap * 2 : 16;
    q = realloc(*p, *cap * size);
    if (q == NULL) {
        fail("out of memory");
    }
    *p = q;
}

/* A slice decoded as the library decodes request ids, cut at a NUL. */
static char *
decode_id(cl_slice s)
{
    char *id = xmalloc(s.n + 1);

    cl_slice_decode(s, id);
    return id;
}

static unsigned int
hash_bytes(unsigned int h, const void *p, size_t n)
{
    const unsigned char *u = p;
    size_t i;

    for (i = 0; i < n; i++) {
        h = (h ^ u[i]) * 16777619u;
    }
    return h;
}

static unsigned int
hash_str(unsigned int h, const char *s)
{
    return s != NULL ? hash_bytes(h, s, strlen(s)) : h * 31u;
}

/* Wait on echo_cv, with mtx held, until *what exceeds after. */
static void
await_count(const unsigned long *what, unsigned long after, const char *name)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += WAIT_MS / 1000;
    while (*what <= after) {
        if (pthread_cond_timedwait(&echo_cv, &mtx, &ts) != 0 &&
            *what <= after) {
            fail(name);
        }
    }
}

/*
 * The library's output, echoed
 */

static void
echo_user(const char *line, size_t len)
{
    json_t *root = json_loadb(line, len, 0, NULL);
    const char *text = json_string_value(
        json_object_get(json_object_get(root, "message"), "content"));
    unsigned long n;

    if (text == NULL || sscanf(text, "fuzz-mark-%lu", &n) != 1) {
        fail("the library wrote a user message we did not send");
    }
    json_decref(root);
    marks_seen = n;
}

static void
on_stderr(const char *line, size_t len, void *user)
{
    cl_route r;

    (void)user;
    if (len == 0 || line[0] != '{') {
        fprintf(stderr, "fuzz_control: the CLI said: %.*s\n", (int)len, line);
        fail("the fake CLI wrote something of its own");
    }
    if (cl_scan_route_whole(line, len, &r) != 0) {
        fail("the library wrote a line that is not a JSON object");
    }
    pthread_mutex_lock(&mtx);
    if (strict_output && !cl_json_check(line, len)) {
        fprintf(stderr, "fuzz_control: wrote: %.*s\n", (int)len, line);
        fail("the library wrote a line that is not JSON");
    }
    if (cl_slice_eq(r.type, "control_response")) {
        if (r.response_request_id.p == NULL) {
            fail("the library wrote a reply without a request id");
        }
        reserve((void **)&replies, &replies_cap, nreplies, sizeof(*replies));
        replies[nreplies++] = decode_id(r.response_request_id);
    } else if (cl_slice_eq(r.type, "control_request")) {
        if (r.request_id.p == NULL || r.request_id.n >= sizeof(probe_id)) {
            fail("the library wrote a control request with a strange id");
        }
        cl_slice_decode(r.request_id, probe_id);
        probe_sent++;
    } else if (cl_slice_eq(r.type, "user")) {
        echo_user(line, len);
    } else {
        fail("the library wrote a line of an unexpected type");
    }
    pthread_cond_broadcast(&echo_cv);
    pthread_mutex_unlock(&mtx);
}

/* Log lines are formatted at every level; they only have to be read. */
static void
on_log(int level, const char *msg, void *user)
{
    (void)user;
    if (level < CLAUDE_LOG_ERROR || strlen(msg) == 0) {
        fail("a strange log line");
    }
}

/*
 * Our waiting request: one at a time, sent again as soon as it ends.
 */

static void *
probe_main(void *arg)
{
    claude_error err;
    json_t *out;
    int rv;

    (void)arg;
    while (!atomic_load(&stopping)) {
        out = NULL;
        rv = claude_client_control(client, "fuzz_probe", "{\"n\":1}",
                                   PROBE_TIMEOUT_MS, &out, &err);
        pthread_mutex_lock(&mtx);
        probe_rv = rv;
        probe_out_ok = rv != 0 || out != NULL;
        probe_done++;
        pthread_cond_broadcast(&echo_cv);
        pthread_mutex_unlock(&mtx);
        json_decref(out);
        if (rv != 0 && rv != CLAUDE_ECONTROL && rv != CLAUDE_EPROTO &&
            rv != CLAUDE_ETIMEDOUT) {
            break;
        }
    }
    return NULL;
}

/* What the library must make of a reply line to our request. */
static int
reply_result(const char *line, size_t len)
{
    json_t *root = json_loadb(line, len, 0, NULL);
    const char *sub = json_string_value(
        json_object_get(json_object_get(root, "response"), "subtype"));
    int rv = CLAUDE_EPROTO;

    if (sub != NULL && strcmp(sub, "success") == 0) {
        rv = 0;
    } else if (sub != NULL && strcmp(sub, "error") == 0) {
        rv = CLAUDE_ECONTROL;
    }
    json_decref(root);
    return rv;
}

/*
 * Callbacks
 */

/* The accessors every callback may use, and what they promise. */
static void
check_request(claude_request *req, const char *subtype)
{
    json_t *j = claude_request_json(req);

    if (claude_request_subtype(req) == NULL ||
        strcmp(claude_request_subtype(req), subtype) != 0) {
        fail("a callback got a request of another subtype");
    }
    if (claude_request_id(req) == NULL) {
        fail("a callback got a request without an id");
    }
    if (claude_request_json(req) != j ||
        claude_request_input(req) != json_object_get(j, "input")) {
        fail("the request's JSON changed between calls");
    }
    (void)claude_request_cancelled(req);
}

static size_t
touch(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

/*
 * With no escapes anywhere in the input, the members the scanner found
 * must be the ones jansson finds, wherever jansson can parse the line.
 */
static void
check_permission(claude_request *req, const claude_permission *perm)
{
    json_t *input = claude_request_input(req);
    json_t *name = json_object_get(claude_request_json(req), "tool_name");
    json_t *parsed;

    if (perm->tool_name == NULL || perm->input_json == NULL ||
        perm->input_len == 0 || perm->input_json[0] != '{' ||
        !cl_json_check(perm->input_json, perm->input_len)) {
        fail("a permission check without a tool name or a checked input");
    }
    (void)(touch(perm->tool_use_id) + touch(perm->agent_id) +
           touch(perm->blocked_path) + touch(perm->decision_reason));
    if (!atomic_load(&plain_input) || input == NULL) {
        return;
    }
    parsed = json_loadb(perm->input_json, perm->input_len, 0, NULL);
    if (parsed != NULL && !json_equal(parsed, input)) {
        fail("the input given is not the request's input");
    }
    json_decref(parsed);
    if (!json_is_string(name) ||
        strcmp(json_string_value(name), perm->tool_name) != 0) {
        fail("the tool name given is not the request's");
    }
}

static int
permit(claude_request *req, const claude_permission *perm,
       claude_permission_result *res, void *user)
{
    json_t *input = claude_request_input(req);
    unsigned int h = 2166136261u;
    char text[96];

    (void)user;
    check_request(req, "can_use_tool");
    check_permission(req, perm);
    h = hash_str(h, perm->tool_name);
    h = hash_str(h, perm->tool_use_id);
    h = hash_bytes(h, perm->input_json, perm->input_len);

    switch (h % 8) {
    case 0:
        res->allow = 1;
        return 0;
    case 1:
        res->allow = 1;
        res->updated_input = json_pack("{s:s,s:O?}", "command", "echo changed",
                                       "original", input);
        return 0;
    case 2:
        res->allow = 1;
        res->updated_permissions = json_pack(
            "[{s:s,s:[{s:s}],s:s,s:s}]", "type", "addRules", "rules",
            "toolName", "Bash", "behavior", "allow", "destination", "session");
        return 0;
    case 3:
        return 0;
    case 4:
        res->message = "denied: \"quoted\"\n\ttab, caf\xc3\xa9 \x01 \\ end";
        res->interrupt = 1;
        /* Input given with a denial is dropped. */
        res->updated_input = json_object();
        return 0;
    case 5:
        snprintf(text, sizeof(text), "refused %s", perm->tool_name);
        (void)claude_request_set_error(req, text);
        (void)claude_request_set_error(req, perm->tool_name);
        return 1;
    case 6:
        res->updated_permissions = json_array();
        return -1;
    default:
        res->allow = 1;
        res->updated_input = json_deep_copy(input);
        return 0;
    }
}

static int
hook(claude_request *req, json_t *input, json_t **output, void *user)
{
    const char *event = user;
    json_t *j = claude_request_json(req);
    const char *tool = json_string_value(json_object_get(input, "tool_name"));
    unsigned int h = 2166136261u;

    check_request(req, "hook_callback");
    if (input != claude_request_input(req)) {
        fail("the hook input is not the request's input");
    }
    h = hash_str(h, json_string_value(json_object_get(j, "callback_id")));
    h = hash_str(h, json_string_value(json_object_get(j, "tool_use_id")));
    h = hash_str(h, tool);

    switch (h % 7) {
    case 0:
        return 0;
    case 1:
        *output = json_pack("{s:b}", "continue", 1);
        return 0;
    case 2:
        *output = json_pack("{s:{s:s,s:s,s:s?}}", "hookSpecificOutput",
                            "hookEventName", event, "permissionDecision",
                            "deny", "permissionDecisionReason", tool);
        return 0;
    case 3:
        *output = json_array();
        return 0;
    case 4:
        (void)claude_request_set_error(req, tool != NULL ? tool : event);
        return 1;
    case 5:
        *output = json_object();
        return 1;
    default:
        *output = json_pack("{s:O?}", "additionalContext", input);
        return 0;
    }
}

/* calc's "add": the sum of a and b. */
static int
add(claude_mcp_call *call, json_t *arguments, void *user)
{
    char text[64];

    (void)user;
    if (strcmp(claude_mcp_call_tool(call), "add") != 0 ||
        strcmp(claude_mcp_call_server(call), "calc") != 0) {
        fail("a tool call reached the wrong handler");
    }
    snprintf(text, sizeof(text), "%.17g",
             json_number_value(json_object_get(arguments, "a")) +
                 json_number_value(json_object_get(arguments, "b")));
    return claude_mcp_call_add_text(call, text);
}

/* calc's "echo": what its arguments ask for. */
static int
echo(claude_mcp_call *call, json_t *arguments, void *user)
{
    json_t *text = json_object_get(arguments, "text");
    json_t *block = json_object_get(arguments, "block");
    char *dump;
    int rv;

    (void)user;
    if (claude_mcp_call_cancelled(call)) {
        return claude_mcp_call_set_error(call, "cancelled");
    }
    if (json_object_get(arguments, "fail") != NULL) {
        (void)claude_mcp_call_add_text(call, "about to fail");
        return json_is_string(text)
                   ? claude_mcp_call_set_error(call, json_string_value(text))
                   : 1;
    }
    if (json_object_get(arguments, "image") != NULL) {
        (void)claude_mcp_call_add_image(call, "aGk=", "image/png");
    }
    if (block != NULL) {
        (void)claude_mcp_call_add_content(call, block);
    }
    if (json_is_string(text)) {
        return claude_mcp_call_add_text(call, json_string_value(text));
    }
    dump = json_dumps(arguments, JSON_COMPACT | JSON_ENCODE_ANY);
    if (dump == NULL) {
        return 1;
    }
    rv = claude_mcp_call_add_text(call, dump);
    free(dump);
    return rv;
}

/*
 * Opening and closing
 */

static void
must(int rv, const char *what)
{
    if (rv != 0) {
        fprintf(stderr, "fuzz_control: %s: %s\n", what, claude_strerror(rv));
        abort();
    }
}

static void
build_options(void)
{
    const char *cli = getenv("FAKE_CLI");

    must(claude_mcp_server_new(&server, "calc", "1.0"), "server");
    must(claude_mcp_server_add_tool(
             server, "add", "Adds two numbers.",
             "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
             "\"number\"},\"b\":{\"type\":\"number\"}},\"required\":[\"a\","
             "\"b\"]}",
             NULL, add, NULL),
         "add tool");
    must(claude_mcp_server_add_tool(server, "echo", "Echoes.", NULL, NULL, echo,
                                    NULL),
         "echo tool");

    must(claude_options_new(&options), "options");
    must(claude_options_set_string(options, CLAUDE_OPT_CLI_PATH,
                                   cli != NULL ? cli : FUZZ_FAKE_CLI),
         "CLI path");
    must(claude_options_set_env(options, "FAKE_CLI_ARGS",
                                "init\x1f"
                                "echo-stderr"),
         "CLI actions");
    must(claude_options_set_int(options, CLAUDE_OPT_VERSION_CHECK_MS, 0),
         "version check");
    /* Few workers, so that requests also wait for one. */
    must(claude_options_set_int(options, CLAUDE_OPT_MAX_WORKERS, 4), "workers");
    must(
        claude_options_set_int(options, CLAUDE_OPT_LOG_LEVEL, CLAUDE_LOG_DEBUG),
        "log level");
    must(claude_options_set_log_cb(options, on_log, NULL), "log");
    must(claude_options_set_stderr_cb(options, on_stderr, NULL), "stderr");
    must(claude_options_set_permission_cb(options, permit, NULL), "permission");
    /* hook_0, hook_1 and hook_2. */
    must(claude_options_add_hook(options, "PreToolUse", "Bash", 0, hook,
                                 "PreToolUse"),
         "hook");
    must(claude_options_add_hook(options, "PostToolUse", NULL, 30, hook,
                                 "PostToolUse"),
         "hook");
    must(claude_options_add_hook(options, "UserPromptSubmit", NULL, 0, hook,
                                 "UserPromptSubmit"),
         "hook");
    must(claude_options_add_mcp_server(options, server), "MCP server");
}

static void
finish(void)
{
    size_t i;

    atomic_store(&stopping, true);
    (void)claude_client_close(client);
    pthread_join(prober, NULL);
    claude_client_free(client);
    claude_options_free(options);
    claude_mcp_server_free(server);
    for (i = 0; i < nreplies; i++) {
        free(replies[i]);
    }
    free(replies);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    claude_error err;
    int rv;

    (void)argc;
    (void)argv;
    build_options();
    rv = claude_client_new(&client, options, &err);
    if (rv != 0) {
        fprintf(stderr, "fuzz_control: cannot open a client: %s (%s)\n",
                claude_strerror(rv), err.message);
        abort();
    }
    if (pthread_create(&prober, NULL, probe_main, NULL) != 0) {
        fail("cannot start a thread");
    }
    pthread_mutex_lock(&mtx);
    await_count(&probe_sent, 0, "our first request was never written");
    pthread_mutex_unlock(&mtx);
    atexit(finish);
    return 0;
}

/*
 * One input
 */

static id_count *
find_id(expect *e, const char *id)
{
    size_t i;

    for (i = 0; i < e->nids; i++) {
        if (strcmp(e->ids[i].id, id) == 0) {
            return &e->ids[i];
        }
    }
    return NULL;
}

/* Note what line should lead to, by the scan the reader makes. */
static void
note_line(expect *e, const char *line, size_t len, const char *our_id)
{
    cl_route r;
    id_count *ic;
    char *id;

    if (cl_scan_route(line, len, &r) != 0) {
        return;
    }
    if (cl_slice_eq(r.type, "control_request")) {
        if (r.request_id.p == NULL) {
            return;
        }
        id = decode_id(r.request_id);
        ic = find_id(e, id);
        if (ic == NULL) {
            reserve((void **)&e->ids, &e->ids_cap, e->nids, sizeof(*e->ids));
            ic = &e->ids[e->nids++];
            memset(ic, 0, sizeof(*ic));
            ic->id = id;
        } else {
            free(id);
        }
        ic->requests++;
    } else if (cl_slice_eq(r.type, "control_cancel_request")) {
        if (r.request_id.p == NULL) {
            return;
        }
        id = decode_id(r.request_id);
        ic = find_id(e, id);
        if (ic != NULL && ic->cancels < ic->requests) {
            ic->cancels++;
        }
        free(id);
    } else if (cl_slice_eq(r.type, "control_response")) {
        if (!e->probe_answered && cl_slice_eq(r.response_request_id, our_id)) {
            e->probe_answered = true;
            e->probe_rv = reply_result(line, len);
        }
    } else if (!cl_slice_eq(r.type, "keep_alive")) {
        reserve((void **)&e->messages, &e->messages_cap, e->nmessages,
                sizeof(*e->messages));
        e->messages[e->nmessages].p = xmalloc(len);
        memcpy(e->messages[e->nmessages].p, line, len);
        e->messages[e->nmessages++].n = len;
    }
}

/* The input with every PROBE_TOKEN replaced by id; NUL-terminated. */
static char *
substitute(const uint8_t *data, size_t size, const char *id, size_t *len)
{
    size_t tlen = strlen(PROBE_TOKEN);
    size_t idlen = strlen(id);
    char *out = xmalloc(size * (idlen > tlen ? idlen : tlen) / tlen + 1);
    size_t i = 0;
    size_t n = 0;

    while (i < size) {
        if (size - i >= tlen && memcmp(data + i, PROBE_TOKEN, tlen) == 0) {
            memcpy(out + n, id, idlen);
            n += idlen;
            i += tlen;
        } else {
            out[n++] = (char)data[i++];
        }
    }
    out[n] = '\0';
    *len = n;
    return out;
}

/* Receive every queued message; they must be the expected lines. */
static void
drain_messages(const expect *e)
{
    claude_message *m;
    claude_error err;
    const char *line;
    size_t len;
    size_t got = 0;

    while (claude_client_receive(client, &m, 0, &err) == 0) {
        line = claude_message_line(m, &len);
        if (got >= e->nmessages || len != e->messages[got].n ||
            memcmp(line, e->messages[got].p, len) != 0 ||
            claude_message_type(m) == NULL) {
            fail("a message was lost, made up or reordered");
        }
        got++;
        claude_message_free(m);
    }
    if (got != e->nmessages) {
        fail("a message was not queued");
    }
}

/* Every reply written must answer a request of this input, once. */
static void
check_replies(expect *e)
{
    id_count *ic;
    size_t i;

    for (i = 0; i < nreplies; i++) {
        ic = find_id(e, replies[i]);
        if (ic == NULL) {
            fprintf(stderr, "fuzz_control: reply to \"%s\"\n", replies[i]);
            fail("a reply to a request that was never made");
        }
        ic->replies++;
        free(replies[i]);
    }
    nreplies = 0;
    for (i = 0; i < e->nids; i++) {
        ic = &e->ids[i];
        if (ic->replies > ic->requests) {
            fprintf(stderr, "fuzz_control: \"%s\": %u requests, %u replies\n",
                    ic->id, ic->requests, ic->replies);
            fail("a request was answered twice");
        }
        if (ic->replies + ic->cancels < ic->requests) {
            fprintf(stderr,
                    "fuzz_control: \"%s\": %u requests, %u cancels, "
                    "%u replies\n",
                    ic->id, ic->requests, ic->cancels, ic->replies);
            fail("a request was never answered");
        }
    }
}

static void
expect_free(expect *e)
{
    size_t i;

    for (i = 0; i < e->nids; i++) {
        free(e->ids[i].id);
    }
    for (i = 0; i < e->nmessages; i++) {
        free(e->messages[i].p);
    }
    free(e->ids);
    free(e->messages);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long marks;
    char our_id[sizeof(probe_id)];
    char mark[32];
    unsigned long done_before;
    unsigned long sent_before;
    claude_stats st;
    claude_error err;
    cl_framer f;
    cl_frame kind;
    const char *line;
    size_t len;
    char *text;
    expect e;

    if (size > MAX_INPUT) {
        return 0;
    }
    memset(&e, 0, sizeof(e));

    pthread_mutex_lock(&mtx);
    memcpy(our_id, probe_id, sizeof(our_id));
    done_before = probe_done;
    sent_before = probe_sent;
    text = substitute(data, size, our_id, &len);
    strict_output = cl_utf8_valid(text, len);
    pthread_mutex_unlock(&mtx);
    atomic_store(&plain_input, memchr(text, '\\', len) == NULL);

    /* The lines, framed as the transport frames them. */
    cl_framer_init(&f, CLAUDE_LINE_UNLIMITED);
    if (cl_framer_feed(&f, text, len) != 0) {
        fail("out of memory");
    }
    cl_framer_finish(&f);
    while ((kind = cl_framer_next(&f, &line, &len)) != CL_FRAME_NONE &&
           kind != CL_FRAME_END) {
        if (kind == CL_FRAME_LINE) {
            note_line(&e, line, len, our_id);
            cl_client_route_line(client, line, len);
        }
    }
    cl_framer_destroy(&f);
    free(text);

    drain_messages(&e);
    if (cl_client_wait_idle(client, WAIT_MS) != 0) {
        fail("a control request is still running");
    }
    (void)claude_client_stats(client, &st);

    /* Our request completes when, and only when, its reply came. */
    pthread_mutex_lock(&mtx);
    if (e.probe_answered) {
        await_count(&probe_done, done_before, "our request never completed");
        if (probe_rv != e.probe_rv || !probe_out_ok) {
            fprintf(stderr, "fuzz_control: got %s, expected %s\n",
                    claude_strerror(probe_rv), claude_strerror(e.probe_rv));
            fail("our request completed with the wrong result");
        }
        await_count(&probe_sent, sent_before, "our next request never went");
    }
    pthread_mutex_unlock(&mtx);

    /* Every reply is written before the marker that follows them. */
    snprintf(mark, sizeof(mark), "fuzz-mark-%lu", ++marks);
    if (claude_client_send(client, mark, &err) != 0) {
        fail("cannot send the marker");
    }
    pthread_mutex_lock(&mtx);
    await_count(&marks_seen, marks - 1, "the marker never came back");
    if (!e.probe_answered && probe_done != done_before) {
        fail("our request completed without a reply");
    }
    check_replies(&e);
    pthread_mutex_unlock(&mtx);

    expect_free(&e);
    return 0;
}
