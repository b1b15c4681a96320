/*
 * scan.h: finds the routing keys of one JSON line without parsing it.
 *
 * The reader routes every line by its "type", and control traffic by
 * its request id, but never builds a parse tree: a consumer that only
 * wants raw lines never pays for one.  The scan walks the structure,
 * skipping strings and nested values, and records where the wanted
 * string values lie.
 *
 * What the scan checks.  The members of the top-level object, and of a
 * top-level "request" or "response" object, are read token by token:
 * a key that is a string, a colon, a value, then a comma or the closing
 * brace, and after the top-level object nothing but white space.  Any
 * other value is skipped: a string up to its unescaped closing quote, a
 * nested object or array by counting brackets outside strings, with no
 * recursion, so depth costs nothing.  Inside skipped values only that
 * count is checked; the rest (the kind of each bracket, commas, escapes,
 * the spelling of numbers) is left to jansson, which parses a message
 * when it is first asked for its JSON and reports invalid JSON then.
 *
 * Keys are compared by their raw bytes, so a key written with escapes
 * ("typ\u0065") is not recognised.  When a key appears twice, the last
 * one wins, as in jansson.  A wanted key whose value is not a string is
 * reported absent.
 */
#ifndef CL_SCAN_H
#define CL_SCAN_H

#include <stddef.h>

/* A string value inside the line: the bytes between its quotes, escapes
 * left as they are.  p is NULL when the key is absent or not a string. */
typedef struct cl_slice {
    const char *p;
    size_t n;
} cl_slice;

typedef struct cl_route {
    cl_slice type;                /* top-level "type" */
    cl_slice subtype;             /* top-level "subtype" */
    cl_slice request_id;          /* top-level "request_id" */
    cl_slice request_subtype;     /* "request": {"subtype"} */
    cl_slice request;             /* the "request" object, braces and all */
    cl_slice response_request_id; /* "response": {"request_id"} */
    cl_slice response_subtype;    /* "response": {"subtype"} */
} cl_route;

/*
 * Scan a line that starts with '{'.  Returns 0, or CLAUDE_EPROTO when
 * the line is not a well-formed object as far as the scan can tell
 * (the values it skips are not checked in depth).
 *
 * The scan stops early, leaving the rest of the line unread and
 * unchecked, once it knows "type" and the type needs nothing more: the
 * type is not control_request, control_response or
 * control_cancel_request (which are always read to the end, for their
 * nested keys), and either "subtype" is known too or the type is
 * "assistant", "user" or "stream_event", which carry no subtype.  The
 * CLI writes "type" first, so the large lines (assistant and user
 * messages holding file contents and images) cost a few dozen bytes.
 * After an early stop, the fields not yet seen are reported absent, and
 * a line broken further on is accepted; its JSON is found invalid when
 * it is parsed.
 */
int cl_scan_route(const char *line, size_t len, cl_route *out);

/*
 * The same scan without the early stop: the whole line is read, and
 * every field is reported wherever it sits.  Returns 0 or CLAUDE_EPROTO.
 */
int cl_scan_route_whole(const char *line, size_t len, cl_route *out);

/*
 * The byte after the JSON value that starts at p, skipped as the scan
 * skips values (see above), or NULL when it does not end before end.
 */
const char *cl_scan_value_end(const char *p, const char *end);

/* Does the slice hold exactly the NUL-terminated string s? */
int cl_slice_eq(cl_slice s, const char *lit);

/*
 * Decode the JSON escapes of a slice into dst, which must have room
 * for s.n + 1 bytes (decoding never lengthens), and NUL-terminate it.
 * A \u escape becomes UTF-8 (a lone surrogate becomes U+FFFD); a
 * malformed escape is copied as it is.  A slice with p NULL gives "".
 * Returns the decoded length, which counts any NUL a \u0000 produced.
 */
size_t cl_slice_decode(cl_slice s, char *dst);

#endif /* CL_SCAN_H */
