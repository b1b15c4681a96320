/*
 * fuzz_message.c: libFuzzer harness for the routing scan and messages.
 *
 * The input is one line; only lines that start with '{' are tried, as
 * the framer hands over no others.  Each is scanned with cl_scan_route
 * and cl_scan_route_whole, made into a message, and every accessor is
 * called twice.  When jansson accepts the line, the scan must agree
 * with jansson's parse as far as scan.h promises:
 *
 * - on jansson's compact re-encoding of the line, where every key is
 *   written without escapes and appears once, the whole scan must find
 *   all six fields exactly, and the early-stopping scan must find the
 *   type, and every other field unless its early stop explains why not;
 * - on the line itself, when it holds no backslash (so no key can be
 *   escaped), the whole scan must find all six fields exactly.
 *
 * Any disagreement aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "claude.h"
#include "message.h"
#include "scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The same flags the message uses when it parses its line. */
#define PARSE_FLAGS JSON_ALLOW_NUL

/* Does the slice hold exactly the string value v (or is both absent)? */
static bool
slice_matches(cl_slice s, json_t *v)
{
    char *decoded;
    size_t n;
    bool same;

    if (!json_is_string(v)) {
        return s.p == NULL;
    }
    if (s.p == NULL) {
        return false;
    }
    decoded = malloc(s.n + 1);
    if (decoded == NULL) {
        abort();
    }
    n = cl_slice_decode(s, decoded);
    same = n == json_string_length(v) &&
           memcmp(decoded, json_string_value(v), n) == 0;
    free(decoded);
    return same;
}

/* The member key of the object member obj, if obj is an object. */
static json_t *
nested(json_t *root, const char *obj, const char *key)
{
    json_t *o = json_object_get(root, obj);

    return json_is_object(o) ? json_object_get(o, key) : NULL;
}

/* The whole scan finds every field exactly where jansson does. */
static void
check_whole(const cl_route *r, json_t *root)
{
    if (!slice_matches(r->type, json_object_get(root, "type")) ||
        !slice_matches(r->subtype, json_object_get(root, "subtype")) ||
        !slice_matches(r->request_id, json_object_get(root, "request_id")) ||
        !slice_matches(r->request_subtype,
                       nested(root, "request", "subtype")) ||
        !slice_matches(r->response_request_id,
                       nested(root, "response", "request_id")) ||
        !slice_matches(r->response_subtype,
                       nested(root, "response", "subtype"))) {
        abort();
    }
}

/* A field the early-stopping scan reports must be right; one it does
 * not report must be absent, unless the scan stopped early. */
static void
check_field(cl_slice s, json_t *v, bool stopped)
{
    if (s.p == NULL && stopped) {
        return;
    }
    if (!slice_matches(s, v)) {
        abort();
    }
}

/* Is v the string lit, with no NUL inside? */
static bool
is_name(json_t *v, const char *lit)
{
    return json_is_string(v) && json_string_length(v) == strlen(lit) &&
           strcmp(json_string_value(v), lit) == 0;
}

/* The early-stopping scan, on a line where every key appears once. */
static void
check_early(const cl_route *r, json_t *root)
{
    json_t *type = json_object_get(root, "type");
    json_t *subtype = json_object_get(root, "subtype");
    bool control;
    bool stopped;

    /* The type is always found: the scan stops only once it knows it. */
    if (!slice_matches(r->type, type)) {
        abort();
    }

    /* Control types are always read to the end.  Other types may stop
     * as soon as the type is known, and the subtype too unless the type
     * carries none. */
    control = is_name(type, "control_request") ||
              is_name(type, "control_response") ||
              is_name(type, "control_cancel_request");
    stopped = json_is_string(type) && !control;
    if (stopped && !is_name(type, "assistant") && !is_name(type, "user") &&
        !is_name(type, "stream_event")) {
        /* For these types the scan stops only once the subtype is
         * known, so a subtype in the line must be reported. */
        check_field(r->subtype, subtype, false);
    } else {
        check_field(r->subtype, subtype, stopped);
    }
    check_field(r->request_id, json_object_get(root, "request_id"), stopped);
    check_field(r->request_subtype, nested(root, "request", "subtype"),
                stopped);
    check_field(r->response_request_id, nested(root, "response", "request_id"),
                stopped);
    check_field(r->response_subtype, nested(root, "response", "subtype"),
                stopped);
}

/* Scan jansson's compact re-encoding of root. */
static void
check_canonical(json_t *root)
{
    char *text;
    size_t len;
    cl_route r;

    text = json_dumps(root, JSON_COMPACT);
    if (text == NULL) {
        abort();
    }
    len = strlen(text);
    if (memchr(text, '\0', len) != NULL) {
        abort();
    }
    if (cl_scan_route_whole(text, len, &r) != 0) {
        abort();
    }
    check_whole(&r, root);
    if (cl_scan_route(text, len, &r) != 0) {
        abort();
    }
    check_early(&r, root);
    free(text);
}

/* Call every accessor; the answers must not change between calls. */
static void
use_message(claude_message *m)
{
    const char *id;
    const char *name;
    json_t *input;
    size_t count;
    size_t len;
    size_t i;

    (void)claude_message_type(m);
    (void)claude_message_subtype(m);
    if (claude_message_line(m, &len) == NULL) {
        abort();
    }
    (void)claude_message_json(m);
    (void)claude_message_text(m);
    count = claude_message_tool_use_count(m);
    for (i = 0; i <= count; i++) {
        (void)claude_message_tool_use(m, i, &id, &name, &input);
    }
    (void)claude_message_tool_use(m, 0, NULL, NULL, NULL);
    (void)claude_message_is_error(m);
    (void)claude_message_result(m);
    (void)claude_message_session_id(m);
    (void)claude_message_cost_usd(m);
    (void)claude_message_duration_ms(m);
    (void)claude_message_usage(m);
    (void)claude_message_structured_output(m);
    (void)claude_message_errors(m);
}

/* Check the message against the scan and against jansson. */
static void
check_message(claude_message *m, const cl_route *r, const uint8_t *data,
              size_t size, json_t *root)
{
    const char *line;
    size_t len;
    char *type;
    json_t *j;
    const char *text1;

    line = claude_message_line(m, &len);
    if (len != size || memcmp(line, data, size) != 0 || line[len] != '\0') {
        abort();
    }

    /* The message's type and subtype are the scan's, decoded. */
    type = malloc(r->type.n + 1);
    if (type == NULL) {
        abort();
    }
    cl_slice_decode(r->type, type);
    if (strcmp(type, claude_message_type(m)) != 0) {
        abort();
    }
    free(type);
    if ((r->subtype.p == NULL) != (claude_message_subtype(m) == NULL)) {
        abort();
    }

    /*
     * The message parses exactly the lines jansson accepts, but for a
     * NUL byte after a number or a literal, which jansson reads as the
     * end of the text and the library's parser refuses.
     */
    j = claude_message_json(m);
    if (j == NULL && root != NULL && memchr(data, '\0', size) != NULL) {
        root = NULL;
    }
    if ((j == NULL) != (root == NULL)) {
        abort();
    }
    if (j != NULL && !json_equal(j, root)) {
        abort();
    }

    /* Lazily computed answers are computed once. */
    text1 = claude_message_text(m);
    if (claude_message_text(m) != text1 || claude_message_json(m) != j) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *exact;
    cl_route r;
    cl_route whole;
    json_t *root;
    json_error_t jerr;
    claude_message *m;
    int scanned;

    if (size == 0 || data[0] != '{') {
        return 0;
    }

    /* A copy with no byte after it, so that ASan sees an over-read. */
    exact = malloc(size);
    if (exact == NULL) {
        abort();
    }
    memcpy(exact, data, size);
    scanned = cl_scan_route(exact, size, &r);
    if (cl_scan_route_whole(exact, size, &whole) != 0) {
        memset(&whole, 0, sizeof(whole));
    }

    root = json_loadb((const char *)data, size, PARSE_FLAGS, &jerr);
    if (root != NULL) {
        /* jansson accepts it, so the scans must. */
        if (scanned != 0 || cl_scan_route_whole(exact, size, &whole) != 0) {
            abort();
        }
        if (!json_is_object(root)) {
            abort();
        }
        if (memchr(data, '\\', size) == NULL) {
            check_whole(&whole, root);
        }
        check_canonical(root);
    }

    /* The message copies the line, as the reader makes them. */
    if (scanned == 0) {
        if (cl_message_new(&m, (const char *)data, size, &r) != 0) {
            abort();
        }
        use_message(m);
        use_message(m);
        check_message(m, &r, data, size, root);
        claude_message_free(m);
    }

    json_decref(root);
    free(exact);
    return 0;
}
