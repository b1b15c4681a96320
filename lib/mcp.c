/*
 * mcp.c: in-process MCP servers, whose tools are C functions that the
 * CLI calls through mcp_message control requests carrying JSON-RPC.
 *
 * Design notes.
 *
 * - A server is reference-counted.  Its creator holds one reference
 *   and each session that serves it another; whoever drops the last
 *   one frees it.  Its name and version never change.
 * - A server's mtx guards its tool list.  Tools are appended, never
 *   changed or removed, and freed only with the server, so a handler
 *   runs with no lock held and its tool stays valid throughout.
 * - A session's mtx guards its list of calls in flight.  Each entry
 *   lives on the stack of the thread running the call: it is linked
 *   before the handler starts and unlinked before that thread leaves
 *   cl_mcp_handle().  Other threads touch an entry only under the
 *   mutex, except its cancelled flag, which is atomic.
 * - No thread ever holds both mutexes, and neither is held while a
 *   handler runs.  Handlers of one server may run concurrently, on
 *   several workers of several sessions.
 * - Messages are only read, never changed, so an entry borrows the id
 *   of its request, and another thread may compare it under the
 *   session's mutex while the request is being handled.
 * - A notifications/cancelled that names no call in flight is dropped.
 *   The CLI sends one only after its own timeout, long after the call
 *   it names began; one that overtakes its call would be lost.
 * - Every request gets exactly one response: a result, an isError
 *   result for failures of the tool, or a JSON-RPC error for failures
 *   of the message.  Only when even the error cannot be built for lack
 *   of memory is the answer NULL.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "mcp.h"
#include "schema.h"
#include "util.h"

/* JSON-RPC error codes. */
enum {
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603
};

/* The MCP revisions we speak, newest first. */
static const char *const protocol_versions[] = {
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL};

#define DEFAULT_VERSION "1.0.0"
#define DEFAULT_TOOL_ERROR "the tool failed"

typedef struct mcp_tool {
    struct mcp_tool *next; /* protected by the server's mtx */
    char *name;
    char *description;
    json_t *schema;      /* an object that passed cl_schema_check() */
    json_t *annotations; /* an object, or NULL when none is set */
    claude_mcp_tool_cb cb;
    void *user;
} mcp_tool;

struct claude_mcp_server {
    atomic_size_t refs;
    char *name;
    char *version;
    pthread_mutex_t mtx;
    mcp_tool *tools; /* protected by mtx; in the order added */
    mcp_tool **tail; /* protected by mtx */
};

/* A tools/call being handled, as its session lists it. */
typedef struct mcp_inflight {
    struct mcp_inflight *next; /* protected by the session's mtx */
    const claude_mcp_server *server;
    json_t *id; /* borrowed from the request */
    atomic_bool cancelled;
} mcp_inflight;

struct cl_mcp_session {
    pthread_mutex_t mtx;
    mcp_inflight *calls; /* protected by mtx */
};

/*
 * A call as its handler sees it.  It lives on the stack of the thread
 * that runs the handler, and only that thread touches it.
 */
struct claude_mcp_call {
    const mcp_tool *tool;
    const claude_mcp_server *server;
    json_t *content;                      /* the blocks added, in order */
    char *error;                          /* the error text set, or NULL */
    const atomic_bool *control_cancelled; /* or NULL */
    const atomic_bool *mcp_cancelled;
};

/* Is s valid UTF-8, with no overlong forms or surrogates? */
static bool
utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned long cp;
    size_t n;
    size_t i;

    while (*p != '\0') {
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (*p >= 0xC2 && *p <= 0xDF) {
            n = 1;
            cp = *p & 0x1F;
        } else if ((*p & 0xF0) == 0xE0) {
            n = 2;
            cp = *p & 0x0F;
        } else if (*p >= 0xF0 && *p <= 0xF4) {
            n = 3;
            cp = *p & 0x07;
        } else {
            return false;
        }
        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        p += n + 1;
    }
    return true;
}

/* A name that can sit in mcp__<server>__<tool>: [A-Za-z0-9_-]+. */
static bool
name_valid(const char *name)
{
    const char *p;

    if (name == NULL || name[0] == '\0') {
        return false;
    }
    for (p = name; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) {
            return false;
        }
    }
    return true;
}

/* Standard base64 characters, with at most two '=' at the end. */
static bool
base64_valid(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    for (i = 0; i < 2 && n > 0 && s[n - 1] == '='; i++) {
        n--;
    }
    if (n == 0) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/')) {
            return false;
        }
    }
    return true;
}

/* A new string, formatted; NULL when out of memory. */
static char *
vformat(const char *fmt, va_list ap)
{
    va_list copy;
    char *s;
    int n;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        return NULL;
    }
    s = malloc((size_t)n + 1);
    if (s != NULL) {
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    }
    return s;
}

static char *format(const char *fmt, ...) CL_PRINTF(1, 2);

static char *
format(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

/*
 * Servers.
 */

static void
tool_free(mcp_tool *t)
{
    if (t == NULL) {
        return;
    }
    free(t->name);
    free(t->description);
    json_decref(t->schema);
    json_decref(t->annotations);
    free(t);
}

int
claude_mcp_server_new(claude_mcp_server **out, const char *name,
                      const char *version)
{
    claude_mcp_server *s;

    if (out == NULL) {
        return CLAUDE_EINVAL;
    }
    *out = NULL;
    if (version == NULL) {
        version = DEFAULT_VERSION;
    }
    if (!name_valid(name) || version[0] == '\0' || !utf8_valid(version)) {
        return CLAUDE_EINVAL;
    }

    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return CLAUDE_ENOMEM;
    }
    s->name = strdup(name);
    s->version = strdup(version);
    if (s->name == NULL || s->version == NULL) {
        free(s->name);
        free(s->version);
        free(s);
        return CLAUDE_ENOMEM;
    }
    atomic_init(&s->refs, 1);
    cl_mutex_init(&s->mtx);
    s->tools = NULL;
    s->tail = &s->tools;
    *out = s;
    return 0;
}

claude_mcp_server *
cl_mcp_server_ref(claude_mcp_server *s)
{
    if (s != NULL) {
        atomic_fetch_add(&s->refs, 1);
    }
    return s;
}

void
cl_mcp_server_unref(claude_mcp_server *s)
{
    mcp_tool *t;
    mcp_tool *next;

    if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1) {
        return;
    }

    /* The last reference: no other thread can reach s any more. */
    for (t = s->tools; t != NULL; t = next) {
        next = t->next;
        tool_free(t);
    }
    pthread_mutex_destroy(&s->mtx);
    free(s->name);
    free(s->version);
    free(s);
}

void
claude_mcp_server_free(claude_mcp_server *s)
{
    cl_mcp_server_unref(s);
}

const char *
cl_mcp_server_name(const claude_mcp_server *s)
{
    return s != NULL ? s->name : NULL;
}

/*
 * Parse and check a tool's input schema.  Arguments are always an
 * object, so the top-level type must say so, and says so when absent.
 */
static int
parse_schema(const char *text, json_t **out)
{
    json_t *schema;
    json_t *type;
    json_error_t jerr;
    bool nomem;

    *out = NULL;
    if (text == NULL) {
        schema = json_pack("{s:s}", "type", "object");
        if (schema == NULL) {
            return CLAUDE_ENOMEM;
        }
        *out = schema;
        return 0;
    }
    schema =
        cl_json_load(text, strlen(text), JSON_REJECT_DUPLICATES, &jerr, &nomem);
    if (nomem) {
        return CLAUDE_ENOMEM;
    }
    if (!json_is_object(schema)) {
        json_decref(schema);
        return CLAUDE_EINVAL;
    }
    type = json_object_get(schema, "type");
    if (type == NULL) {
        if (json_object_set_new(schema, "type", json_string("object")) != 0) {
            json_decref(schema);
            return CLAUDE_ENOMEM;
        }
    } else if (!json_is_string(type) ||
               strcmp(json_string_value(type), "object") != 0) {
        json_decref(schema);
        return CLAUDE_EINVAL;
    }
    if (cl_schema_check(schema) != 0) {
        json_decref(schema);
        return CLAUDE_EINVAL;
    }
    *out = schema;
    return 0;
}

/* The annotations object of a tool; NULL when nothing is set. */
static int
make_annotations(const claude_mcp_annotations *ann, json_t **out)
{
    const struct {
        const char *key;
        int value;
    } hints[] = {
        {"readOnlyHint", ann != NULL ? ann->read_only : -1},
        {"destructiveHint", ann != NULL ? ann->destructive : -1},
        {"idempotentHint", ann != NULL ? ann->idempotent : -1},
        {"openWorldHint", ann != NULL ? ann->open_world : -1},
    };
    json_t *obj;
    size_t i;
    int failed = 0;

    *out = NULL;
    if (ann == NULL) {
        return 0;
    }
    for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        if (hints[i].value < -1 || hints[i].value > 1) {
            return CLAUDE_EINVAL;
        }
    }
    if (ann->title != NULL && !utf8_valid(ann->title)) {
        return CLAUDE_EINVAL;
    }

    obj = json_object();
    if (obj == NULL) {
        return CLAUDE_ENOMEM;
    }
    if (ann->title != NULL) {
        failed |= json_object_set_new(obj, "title", json_string(ann->title));
    }
    for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        if (hints[i].value != -1) {
            failed |= json_object_set_new(obj, hints[i].key,
                                          json_boolean(hints[i].value));
        }
    }
    if (failed) {
        json_decref(obj);
        return CLAUDE_ENOMEM;
    }
    if (json_object_size(obj) == 0) {
        json_decref(obj);
        obj = NULL;
    }
    *out = obj;
    return 0;
}

/* Call with s->mtx held. */
static mcp_tool *
find_tool_locked(claude_mcp_server *s, const char *name)
{
    mcp_tool *t;

    for (t = s->tools; t != NULL; t = t->next) {
        if (strcmp(t->name, name) == 0) {
            return t;
        }
    }
    return NULL;
}

int
claude_mcp_server_add_tool(claude_mcp_server *s, const char *name,
                           const char *description, const char *input_schema,
                           const claude_mcp_annotations *ann,
                           claude_mcp_tool_cb cb, void *user)
{
    mcp_tool *t;
    int rv;

    if (s == NULL || !name_valid(name) || description == NULL ||
        !utf8_valid(description) || cb == NULL) {
        return CLAUDE_EINVAL;
    }

    /* Build the whole tool first, so that it is published complete. */
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return CLAUDE_ENOMEM;
    }
    t->cb = cb;
    t->user = user;
    rv = parse_schema(input_schema, &t->schema);
    if (rv == 0) {
        rv = make_annotations(ann, &t->annotations);
    }
    if (rv == 0) {
        t->name = strdup(name);
        t->description = strdup(description);
        if (t->name == NULL || t->description == NULL) {
            rv = CLAUDE_ENOMEM;
        }
    }
    if (rv != 0) {
        tool_free(t);
        return rv;
    }

    cl_lock(&s->mtx);
    if (find_tool_locked(s, name) != NULL) {
        cl_unlock(&s->mtx);
        tool_free(t);
        return CLAUDE_EINVAL;
    }
    *s->tail = t;
    s->tail = &t->next;
    cl_unlock(&s->mtx);
    return 0;
}

/*
 * Sessions.
 */

int
cl_mcp_session_new(cl_mcp_session **out)
{
    cl_mcp_session *ms;

    if (out == NULL) {
        return CLAUDE_EINVAL;
    }
    *out = NULL;
    ms = calloc(1, sizeof(*ms));
    if (ms == NULL) {
        return CLAUDE_ENOMEM;
    }
    cl_mutex_init(&ms->mtx);
    ms->calls = NULL;
    *out = ms;
    return 0;
}

void
cl_mcp_session_free(cl_mcp_session *ms)
{
    if (ms == NULL) {
        return;
    }
    pthread_mutex_destroy(&ms->mtx);
    free(ms);
}

/* Link a call in flight, unless its id is already in flight. */
static bool
inflight_add(cl_mcp_session *ms, mcp_inflight *entry)
{
    mcp_inflight *e;

    cl_lock(&ms->mtx);
    for (e = ms->calls; e != NULL; e = e->next) {
        if (e->server == entry->server && json_equal(e->id, entry->id)) {
            cl_unlock(&ms->mtx);
            return false;
        }
    }
    entry->next = ms->calls;
    ms->calls = entry;
    cl_unlock(&ms->mtx);
    return true;
}

static void
inflight_remove(cl_mcp_session *ms, mcp_inflight *entry)
{
    mcp_inflight **pp;

    cl_lock(&ms->mtx);
    for (pp = &ms->calls; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == entry) {
            *pp = entry->next;
            break;
        }
    }
    cl_unlock(&ms->mtx);
}

/* notifications/cancelled: flag the call it names, if still running. */
static void
cancel_call(claude_mcp_server *s, cl_mcp_session *ms, json_t *params)
{
    json_t *id = json_object_get(params, "requestId");
    mcp_inflight *e;

    if (ms == NULL || id == NULL || json_is_null(id)) {
        return;
    }
    cl_lock(&ms->mtx);
    for (e = ms->calls; e != NULL; e = e->next) {
        if (e->server == s && json_equal(e->id, id)) {
            atomic_store(&e->cancelled, true);
        }
    }
    cl_unlock(&ms->mtx);
}

/*
 * JSON-RPC answers.  Each returns a new reference, or NULL when out of
 * memory; value is stolen even then.
 */

static json_t *
rpc_reply(json_t *id, const char *key, json_t *value)
{
    json_t *copy = id != NULL ? json_deep_copy(id) : json_null();

    return json_pack("{s:s,s:o,s:o}", "jsonrpc", "2.0", "id", copy, key, value);
}

static json_t *rpc_error(json_t *id, int code, const char *fmt, ...)
    CL_PRINTF(3, 4);

static json_t *
rpc_error(json_t *id, int code, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    json_t *reply;

    va_start(ap, fmt);
    msg = vformat(fmt, ap);
    va_end(ap);
    reply = rpc_reply(id, "error",
                      json_pack("{s:i,s:s}", "code", code, "message",
                                msg != NULL ? msg : "out of memory"));
    free(msg);
    return reply;
}

/* A tools/call result that reports a failure in text. */
static json_t *
tool_error(json_t *id, const char *text)
{
    if (text == NULL) {
        return rpc_error(id, RPC_INTERNAL_ERROR, "out of memory");
    }
    return rpc_reply(id, "result",
                     json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text",
                               "text", text, "isError", 1));
}

static json_t *
initialize(claude_mcp_server *s, json_t *id, json_t *params)
{
    json_t *asked = json_object_get(params, "protocolVersion");
    const char *version = protocol_versions[0];
    size_t i;

    for (i = 0; protocol_versions[i] != NULL; i++) {
        if (json_is_string(asked) &&
            strcmp(json_string_value(asked), protocol_versions[i]) == 0) {
            version = protocol_versions[i];
        }
    }
    return rpc_reply(id, "result",
                     json_pack("{s:s,s:{s:{}},s:{s:s,s:s}}", "protocolVersion",
                               version, "capabilities", "tools", "serverInfo",
                               "name", s->name, "version", s->version));
}

static json_t *
describe_tool(const mcp_tool *t)
{
    json_t *d;
    json_t *ann;

    d = json_pack("{s:s,s:s,s:o}", "name", t->name, "description",
                  t->description, "inputSchema", json_deep_copy(t->schema));
    if (d == NULL || t->annotations == NULL) {
        return d;
    }
    ann = json_deep_copy(t->annotations);
    if (json_object_set_new(d, "annotations", ann) != 0) {
        json_decref(d);
        return NULL;
    }
    return d;
}

static json_t *
list_tools(claude_mcp_server *s, json_t *id)
{
    json_t *tools = json_array();
    const mcp_tool *t;
    bool failed = tools == NULL;

    cl_lock(&s->mtx);
    for (t = s->tools; t != NULL && !failed; t = t->next) {
        failed = json_array_append_new(tools, describe_tool(t)) != 0;
    }
    cl_unlock(&s->mtx);
    if (failed) {
        json_decref(tools);
        return rpc_error(id, RPC_INTERNAL_ERROR, "out of memory");
    }
    return rpc_reply(id, "result", json_pack("{s:o}", "tools", tools));
}

static mcp_tool *
find_tool(claude_mcp_server *s, const char *name)
{
    mcp_tool *t;

    cl_lock(&s->mtx);
    t = find_tool_locked(s, name);
    cl_unlock(&s->mtx);
    return t;
}

/* The result of a call whose handler has returned. */
static json_t *
call_result(json_t *id, claude_mcp_call *call, bool failed)
{
    json_t *content = call->content;
    json_t *head;

    call->content = NULL;
    if (!failed) {
        return rpc_reply(id, "result", json_pack("{s:o}", "content", content));
    }
    head = json_pack("{s:s,s:s}", "type", "text", "text",
                     call->error != NULL ? call->error : DEFAULT_TOOL_ERROR);
    if (json_array_insert_new(content, 0, head) != 0) {
        json_decref(content);
        return rpc_error(id, RPC_INTERNAL_ERROR, "out of memory");
    }
    return rpc_reply(id, "result",
                     json_pack("{s:o,s:b}", "content", content, "isError", 1));
}

/* Run a tool's handler on this thread, with no lock held. */
static json_t *
run_tool(claude_mcp_server *s, cl_mcp_session *ms, const mcp_tool *t,
         json_t *id, json_t *args, const atomic_bool *cancelled)
{
    mcp_inflight entry;
    claude_mcp_call call;
    json_t *reply;
    int rv;

    call.content = json_array();
    if (call.content == NULL) {
        return rpc_error(id, RPC_INTERNAL_ERROR, "out of memory");
    }
    entry.next = NULL;
    entry.server = s;
    entry.id = id;
    atomic_init(&entry.cancelled, false);
    if (ms != NULL && !inflight_add(ms, &entry)) {
        json_decref(call.content);
        return rpc_error(id, RPC_INVALID_REQUEST,
                         "Request id already in flight");
    }

    call.tool = t;
    call.server = s;
    call.error = NULL;
    call.control_cancelled = cancelled;
    call.mcp_cancelled = &entry.cancelled;
    rv = t->cb(&call, args, t->user);

    if (ms != NULL) {
        inflight_remove(ms, &entry);
    }
    reply = call_result(id, &call, rv != 0 || call.error != NULL);
    free(call.error);
    return reply;
}

static json_t *
call_tool(claude_mcp_server *s, cl_mcp_session *ms, json_t *id, json_t *params,
          const atomic_bool *cancelled)
{
    json_t *name = json_object_get(params, "name");
    json_t *args = json_object_get(params, "arguments");
    json_t *empty = NULL;
    const mcp_tool *t;
    json_t *reply;
    char *why;
    char *text;
    int rv;

    if (!json_is_object(params)) {
        return rpc_error(id, RPC_INVALID_PARAMS,
                         "Invalid params: tools/call needs a params object");
    }
    if (!json_is_string(name)) {
        return rpc_error(id, RPC_INVALID_PARAMS,
                         "Invalid params: name is not a string");
    }
    t = find_tool(s, json_string_value(name));
    if (t == NULL) {
        text = format("Unknown tool: %s", json_string_value(name));
        reply = tool_error(id, text);
        free(text);
        return reply;
    }

    /* Absent arguments are no arguments. */
    if (args == NULL || json_is_null(args)) {
        empty = json_object();
        if (empty == NULL) {
            return rpc_error(id, RPC_INTERNAL_ERROR, "out of memory");
        }
        args = empty;
    }
    rv = cl_schema_validate(t->schema, args, &why);
    if (rv == 0) {
        reply = run_tool(s, ms, t, id, args, cancelled);
    } else if (rv == 1) {
        text = format("Invalid arguments: %s", why);
        reply = tool_error(id, text);
        free(text);
        free(why);
    } else {
        reply = rpc_error(id, RPC_INTERNAL_ERROR, "out of memory");
    }
    json_decref(empty);
    return reply;
}

json_t *
cl_mcp_handle(claude_mcp_server *s, cl_mcp_session *ms, json_t *message,
              const atomic_bool *cancelled)
{
    json_t *id;
    json_t *method;
    json_t *params;
    const char *m;

    if (s == NULL || !json_is_object(message)) {
        return rpc_error(NULL, RPC_INTERNAL_ERROR,
                         "the message is not a JSON object");
    }
    id = json_object_get(message, "id");
    method = json_object_get(message, "method");
    params = json_object_get(message, "params");

    /* A response to a request of ours (we send none), or a notification. */
    if (method == NULL) {
        return NULL;
    }
    if (id == NULL || json_is_null(id)) {
        if (json_is_string(method) &&
            strcmp(json_string_value(method), "notifications/cancelled") == 0) {
            cancel_call(s, ms, params);
        }
        return NULL;
    }

    if (!json_is_string(id) && !json_is_number(id)) {
        return rpc_error(id, RPC_INTERNAL_ERROR,
                         "the id is not a string or a number");
    }
    if (!json_is_string(method)) {
        return rpc_error(id, RPC_INTERNAL_ERROR, "the method is not a string");
    }
    if (params != NULL && !json_is_null(params) && !json_is_object(params)) {
        return rpc_error(id, RPC_INVALID_PARAMS,
                         "Invalid params: params is not an object");
    }

    m = json_string_value(method);
    if (strcmp(m, "initialize") == 0) {
        return initialize(s, id, params);
    }
    if (strcmp(m, "ping") == 0) {
        return rpc_reply(id, "result", json_object());
    }
    if (strcmp(m, "tools/list") == 0) {
        return list_tools(s, id);
    }
    if (strcmp(m, "tools/call") == 0) {
        return call_tool(s, ms, id, params, cancelled);
    }
    return rpc_error(id, RPC_METHOD_NOT_FOUND, "Method '%s' not found", m);
}

bool
cl_mcp_is_request(const json_t *message)
{
    json_t *id = json_object_get(message, "id");

    return json_object_get(message, "method") != NULL && id != NULL &&
           !json_is_null(id);
}

/*
 * Calls, as handlers see them.
 */

int
claude_mcp_call_add_text(claude_mcp_call *call, const char *text)
{
    json_t *block;

    if (call == NULL || text == NULL || !utf8_valid(text)) {
        return CLAUDE_EINVAL;
    }
    block = json_pack("{s:s,s:s}", "type", "text", "text", text);
    if (json_array_append_new(call->content, block) != 0) {
        return CLAUDE_ENOMEM;
    }
    return 0;
}

int
claude_mcp_call_add_image(claude_mcp_call *call, const char *base64_data,
                          const char *mime_type)
{
    json_t *block;

    if (call == NULL || base64_data == NULL || !base64_valid(base64_data) ||
        mime_type == NULL || mime_type[0] == '\0' || !utf8_valid(mime_type)) {
        return CLAUDE_EINVAL;
    }
    block = json_pack("{s:s,s:s,s:s}", "type", "image", "data", base64_data,
                      "mimeType", mime_type);
    if (json_array_append_new(call->content, block) != 0) {
        return CLAUDE_ENOMEM;
    }
    return 0;
}

int
claude_mcp_call_add_content(claude_mcp_call *call, json_t *block)
{
    if (call == NULL || !json_is_object(block) ||
        !json_is_string(json_object_get(block, "type"))) {
        return CLAUDE_EINVAL;
    }

    /* A copy, so the caller may go on changing or sharing its block. */
    if (json_array_append_new(call->content, json_deep_copy(block)) != 0) {
        return CLAUDE_ENOMEM;
    }
    return 0;
}

int
claude_mcp_call_set_error(claude_mcp_call *call, const char *text)
{
    char *copy;

    if (call == NULL || text == NULL || !utf8_valid(text)) {
        return CLAUDE_EINVAL;
    }
    copy = strdup(text);
    if (copy == NULL) {
        return CLAUDE_ENOMEM;
    }
    free(call->error);
    call->error = copy;
    return 0;
}

int
claude_mcp_call_cancelled(const claude_mcp_call *call)
{
    if (call == NULL) {
        return 0;
    }
    if (call->control_cancelled != NULL &&
        atomic_load(call->control_cancelled)) {
        return 1;
    }
    return atomic_load(call->mcp_cancelled) ? 1 : 0;
}

const char *
claude_mcp_call_tool(const claude_mcp_call *call)
{
    return call != NULL ? call->tool->name : NULL;
}

const char *
claude_mcp_call_server(const claude_mcp_call *call)
{
    return call != NULL ? call->server->name : NULL;
}
