/*
 * scan.c: finds the routing keys of one JSON line without parsing it.
 *
 * This runs on the reader thread for every line of the stream, and
 * lines reach tens of megabytes, so skipping is what it spends its time
 * on.  A string is skipped with memchr(3) for its quote, looking back
 * only over the backslashes just before each quote found; a nested
 * value is skipped with a table lookup per byte and a bracket count.
 * scan.h says what is checked and what is left to jansson.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "claude.h"
#include "scan.h"

/* Whose members the scan is reading. */
enum level { LEVEL_TOP, LEVEL_REQUEST, LEVEL_RESPONSE };

/* Where the scan is inside the object it reads. */
enum expect {
    EXPECT_FIRST,  /* after '{': a key or '}' */
    EXPECT_MEMBER, /* after ',': a key */
    EXPECT_NEXT    /* after a value: ',' or '}' */
};

/* The bytes that matter inside a skipped value. */
static const unsigned char structural[256] = {
    ['"'] = 1, ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1,
};

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *
skip_space(const char *p, const char *end)
{
    while (p < end && is_space(*p)) {
        p++;
    }
    return p;
}

/*
 * The closing quote of a string whose body starts at p, or NULL.  A
 * quote is escaped when an odd number of backslashes precede it; the
 * backslashes are counted back to p at most, which is either the
 * body's start or just past a quote.
 */
static const char *
string_end(const char *p, const char *end)
{
    const char *q;
    const char *b;

    for (;;) {
        q = memchr(p, '"', (size_t)(end - p));
        if (q == NULL) {
            return NULL;
        }
        b = q;
        while (b > p && b[-1] == '\\') {
            b--;
        }
        if (((q - b) & 1) == 0) {
            return q;
        }
        p = q + 1;
    }
}

/* The byte after the object or array that starts at p, or NULL. */
static const char *
container_end(const char *p, const char *end)
{
    size_t depth = 0;
    unsigned char c;

    for (;;) {
        while (p < end && !structural[(unsigned char)*p]) {
            p++;
        }
        if (p == end) {
            return NULL;
        }
        c = (unsigned char)*p;
        if (c == '"') {
            p = string_end(p + 1, end);
            if (p == NULL) {
                return NULL;
            }
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (--depth == 0) {
            return p + 1;
        }
        p++;
    }
}

/* The byte after a number, true, false or null that starts at p. */
static const char *
scalar_end(const char *p, const char *end)
{
    char c = *p;

    if (c != '-' && (c < '0' || c > '9') && c != 't' && c != 'f' && c != 'n') {
        return NULL;
    }
    while (p < end && !is_space(*p) && *p != ',' && *p != '}' && *p != ']') {
        p++;
    }
    return p;
}

/*
 * The byte after the value that starts at p (p < end), or NULL.  When
 * the value is a string, *str gets its body; otherwise str->p is NULL.
 */
static const char *
value_end(const char *p, const char *end, cl_slice *str)
{
    const char *q;

    str->p = NULL;
    str->n = 0;
    if (*p == '"') {
        q = string_end(p + 1, end);
        if (q == NULL) {
            return NULL;
        }
        str->p = p + 1;
        str->n = (size_t)(q - p - 1);
        return q + 1;
    }
    if (*p == '{' || *p == '[') {
        return container_end(p, end);
    }
    return scalar_end(p, end);
}

/* The slot a key's string value goes to at this level, or NULL. */
static cl_slice *
slot_for(cl_route *r, enum level level, cl_slice key)
{
    switch (level) {
    case LEVEL_TOP:
        if (cl_slice_eq(key, "type")) {
            return &r->type;
        }
        if (cl_slice_eq(key, "subtype")) {
            return &r->subtype;
        }
        if (cl_slice_eq(key, "request_id")) {
            return &r->request_id;
        }
        return NULL;
    case LEVEL_REQUEST:
        return cl_slice_eq(key, "subtype") ? &r->request_subtype : NULL;
    case LEVEL_RESPONSE:
        if (cl_slice_eq(key, "request_id")) {
            return &r->response_request_id;
        }
        return cl_slice_eq(key, "subtype") ? &r->response_subtype : NULL;
    }
    return NULL;
}

/*
 * For a top-level "request" or "response" key, forget what an earlier
 * one with the same name gave (the last one wins) and return the level
 * its members are read at; LEVEL_TOP for any other key.
 */
static enum level
nested_level(cl_route *r, cl_slice key)
{
    static const cl_slice none = {NULL, 0};

    if (cl_slice_eq(key, "request")) {
        r->request_subtype = none;
        r->request = none;
        return LEVEL_REQUEST;
    }
    if (cl_slice_eq(key, "response")) {
        r->response_request_id = none;
        r->response_subtype = none;
        return LEVEL_RESPONSE;
    }
    return LEVEL_TOP;
}

/* Has the scan learnt all that routing this line needs?  See scan.h. */
static bool
route_known(const cl_route *r)
{
    if (r->type.p == NULL || cl_slice_eq(r->type, "control_request") ||
        cl_slice_eq(r->type, "control_response") ||
        cl_slice_eq(r->type, "control_cancel_request")) {
        return false;
    }
    return r->subtype.p != NULL || cl_slice_eq(r->type, "assistant") ||
           cl_slice_eq(r->type, "user") || cl_slice_eq(r->type, "stream_event");
}

static int
scan(const char *line, size_t len, cl_route *out, bool stop_early)
{
    const char *p = line;
    const char *end = line + len;
    enum level level = LEVEL_TOP;
    enum level nested;
    enum expect expect = EXPECT_FIRST;
    const char *q;
    cl_slice key;
    cl_slice str;
    cl_slice *slot;

    memset(out, 0, sizeof(*out));
    p = skip_space(p, end);
    if (p == end || *p != '{') {
        return CLAUDE_EPROTO;
    }
    p++;

    for (;;) {
        p = skip_space(p, end);
        if (p == end) {
            return CLAUDE_EPROTO;
        }

        /* An empty object closes like one after its last value. */
        if (expect == EXPECT_FIRST && *p == '}') {
            expect = EXPECT_NEXT;
        }

        if (expect == EXPECT_NEXT) {
            if (*p == ',') {
                expect = EXPECT_MEMBER;
                p++;
                continue;
            }
            if (*p != '}') {
                return CLAUDE_EPROTO;
            }
            p++;
            if (level == LEVEL_TOP) {
                break;
            }
            /* The request or response object was a top-level value. */
            if (level == LEVEL_REQUEST) {
                out->request.n = (size_t)(p - out->request.p);
            }
            level = LEVEL_TOP;
            if (stop_early && route_known(out)) {
                return 0;
            }
            continue;
        }

        /* A member: a key, a colon, a value. */
        if (*p != '"') {
            return CLAUDE_EPROTO;
        }
        q = string_end(p + 1, end);
        if (q == NULL) {
            return CLAUDE_EPROTO;
        }
        key.p = p + 1;
        key.n = (size_t)(q - p - 1);
        p = skip_space(q + 1, end);
        if (p == end || *p != ':') {
            return CLAUDE_EPROTO;
        }
        p = skip_space(p + 1, end);
        if (p == end) {
            return CLAUDE_EPROTO;
        }
        expect = EXPECT_NEXT;

        nested = level == LEVEL_TOP ? nested_level(out, key) : LEVEL_TOP;
        if (nested != LEVEL_TOP && *p == '{') {
            if (nested == LEVEL_REQUEST) {
                out->request.p = p;
            }
            level = nested;
            expect = EXPECT_FIRST;
            p++;
            continue;
        }

        slot = slot_for(out, level, key);
        p = value_end(p, end, &str);
        if (p == NULL) {
            return CLAUDE_EPROTO;
        }
        if (slot != NULL) {
            *slot = str;
        }
        if (stop_early && level == LEVEL_TOP && route_known(out)) {
            return 0;
        }
    }

    /* Nothing but white space may follow the object. */
    return skip_space(p, end) == end ? 0 : CLAUDE_EPROTO;
}

const char *
cl_scan_value_end(const char *p, const char *end)
{
    cl_slice str;

    return p < end ? value_end(p, end, &str) : NULL;
}

int
cl_scan_route(const char *line, size_t len, cl_route *out)
{
    return scan(line, len, out, true);
}

int
cl_scan_route_whole(const char *line, size_t len, cl_route *out)
{
    return scan(line, len, out, false);
}

int
cl_slice_eq(cl_slice s, const char *lit)
{
    size_t n = strlen(lit);

    return s.p != NULL && s.n == n && memcmp(s.p, lit, n) == 0;
}

/* The value of n hexadecimal digits at p, or -1. */
static long
hex_value(const char *p, const char *end, int n)
{
    long v = 0;
    char c;
    int i;

    if (end - p < n) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        c = p[i];
        if (c >= '0' && c <= '9') {
            v = v * 16 + (c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v = v * 16 + (c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v = v * 16 + (c - 'A' + 10);
        } else {
            return -1;
        }
    }
    return v;
}

static char *
put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/*
 * Decode the \u escape at p (p[0] is the backslash, p[1] the 'u') into
 * *o; returns the byte after it, or NULL when it is malformed.  Six
 * bytes give at most three, and a surrogate pair's twelve give four.
 */
static const char *
decode_unicode(const char *p, const char *end, char **o)
{
    long cp = hex_value(p + 2, end, 4);
    long low;

    if (cp < 0) {
        return NULL;
    }
    p += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' &&
        p[1] == 'u') {
        low = hex_value(p + 2, end, 4);
        if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            p += 6;
        }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        cp = 0xFFFD;
    }
    *o = put_utf8(*o, (unsigned long)cp);
    return p;
}

size_t
cl_slice_decode(cl_slice s, char *dst)
{
    const char *p = s.p;
    const char *end;
    const char *bs;
    const char *next;
    char *o = dst;
    size_t run;
    char c;

    /* An absent slice has no end: NULL plus 0 is not defined. */
    if (p == NULL) {
        dst[0] = '\0';
        return 0;
    }
    end = p + s.n;
    while (p < end) {
        bs = memchr(p, '\\', (size_t)(end - p));
        run = bs != NULL ? (size_t)(bs - p) : (size_t)(end - p);
        memcpy(o, p, run);
        o += run;
        p += run;
        if (bs == NULL) {
            break;
        }

        c = p + 1 < end ? p[1] : '\0';
        next = p + 2;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            *o++ = c;
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u':
            next = decode_unicode(p, end, &o);
            break;
        default:
            next = NULL;
            break;
        }
        if (next == NULL) {
            /* A malformed escape: keep its backslash as it is. */
            *o++ = '\\';
            next = p + 1;
        }
        p = next;
    }
    *o = '\0';
    return (size_t)(o - dst);
}
