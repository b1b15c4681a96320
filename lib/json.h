/*
 * json.h: raw JSON text, checked, picked apart and written without a
 * parse tree, and parsed into a jansson tree.
 *
 * The CLI's control requests are answered on this path: a permission
 * check needs its tool name and the input to echo back, not a tree of
 * every member.  The checker is strict JSON (RFC 8259) so that what is
 * echoed is always valid; the writer escapes what it is given.
 */
#ifndef CL_JSON_H
#define CL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "scan.h"

/* Nesting deeper than this is refused by the checker. */
#define CL_JSON_MAX_DEPTH 512

/*
 * Is [p, p + n) exactly one JSON value, with white space around it at
 * most?  Strings must hold valid UTF-8 and no raw control character.
 */
bool cl_json_check(const char *p, size_t n);

/* Is [p, p + n) valid UTF-8, as cl_json_check() wants it in strings? */
bool cl_utf8_valid(const char *p, size_t n);

/*
 * Parse [p, p + n) into a jansson tree, as json_loadb() does with the
 * same flags, of which JSON_REJECT_DUPLICATES, JSON_DECODE_ANY and
 * JSON_ALLOW_NUL are known (another is a bug in the caller: an assert
 * stops it, or without asserts the parse fails).  Unlike jansson, a NUL
 * byte in the text is never taken.  When memory runs out the parse
 * fails whole, frees what it built and sets *nomem; on invalid text
 * *nomem is false.  nomem may be NULL.  jerr, which may be NULL, says
 * why: for invalid text jansson's own text, position and code (jansson
 * parses the text again to tell), else "out of memory".
 */
json_t *cl_json_load(const char *p, size_t n, size_t flags, json_error_t *jerr,
                     bool *nomem);

/*
 * Read the members of the object [p, p + n) (which must start with '{'
 * after white space) and, for each of the n_keys keys, set values[i] to
 * the raw text of its value (a string keeps its quotes), or {NULL, 0}
 * when the key is absent.  The last of duplicate keys wins.  Nested
 * values are skipped by bracket counting, not checked: run
 * cl_json_check() on a value before trusting it.  Returns 0 or
 * CLAUDE_EPROTO.
 */
int cl_json_members(const char *p, size_t n, const char *const *keys,
                    cl_slice *values, size_t n_keys);

/* The body of a raw string value (between its quotes), or {NULL, 0}
 * when the raw value is absent or not a string. */
cl_slice cl_json_string_body(cl_slice raw);

/*
 * A growing output buffer that starts in its own storage, so that a
 * short line costs no allocation.  After a failed allocation every
 * later append does nothing and cl_out_failed() says so.
 */
typedef struct cl_out {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
    char inline_buf[512];
} cl_out;

void cl_out_init(cl_out *o);
void cl_out_free(cl_out *o);
bool cl_out_failed(const cl_out *o);

/* Append bytes as they are. */
void cl_out_raw(cl_out *o, const char *p, size_t n);
void cl_out_str(cl_out *o, const char *s);

/* Append a NUL-terminated string as a JSON string, quotes and all. */
void cl_out_quoted(cl_out *o, const char *s);

/* Append a jansson value, compact. */
void cl_out_json(cl_out *o, const json_t *j);

/*
 * json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY), malloc'd, or NULL when
 * out of memory.  jansson's own json_dumps goes on without a key it
 * could not copy for lack of memory, and returns text that is not
 * JSON; this one fails the whole dump instead.
 */
char *cl_json_dumps(const json_t *j);

#endif /* CL_JSON_H */
