/*
 * json.c: raw JSON text, checked, picked apart and written without a
 * parse tree.
 *
 * Design notes.
 *
 * - The checker walks the text once with an explicit stack of open
 *   containers, so nesting costs no recursion, and allocates nothing.
 *   It is what lets a reply echo a tool's input byte for byte instead
 *   of parsing it into a tree and printing the tree again.
 * - Runs of plain string bytes are skipped a table lookup at a time;
 *   multi-byte UTF-8 is checked sequence by sequence (no overlong
 *   forms, no surrogates, nothing above U+10FFFF), as jansson does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claude.h"
#include "json.h"

/* Does this string byte end a plain run?  The quote, the backslash,
 * control characters and every byte of a multi-byte sequence do. */
static bool
string_stop(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

static const char *
skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }
    return p;
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The byte after one UTF-8 sequence of two to four bytes at p, or NULL. */
static const unsigned char *
utf8_end(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    int more;
    int i;

    if (c >= 0xC2 && c <= 0xDF) {
        more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        more = 2;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        more = 3;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    } else {
        return NULL;
    }
    if (end - p <= more) {
        return NULL;
    }
    if (p[1] < lo || p[1] > hi) {
        return NULL;
    }
    for (i = 2; i <= more; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return NULL;
        }
    }
    return p + more + 1;
}

bool
cl_utf8_valid(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    const unsigned char *e = u + n;

    while (u < e) {
        if (*u < 0x80) {
            u++;
            continue;
        }
        u = utf8_end(u, e);
        if (u == NULL) {
            return false;
        }
    }
    return true;
}

/* The byte after a string whose body starts at p, or NULL. */
static const char *
check_string(const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *)p;
    const unsigned char *e = (const unsigned char *)end;
    int i;

    for (;;) {
        while (u < e && !string_stop(*u)) {
            u++;
        }
        if (u == e) {
            return NULL;
        }
        if (*u == '"') {
            return (const char *)u + 1;
        }
        if (*u == '\\') {
            if (e - u < 2) {
                return NULL;
            }
            if (u[1] == 'u') {
                if (e - u < 6) {
                    return NULL;
                }
                for (i = 2; i < 6; i++) {
                    if (!is_hex((char)u[i])) {
                        return NULL;
                    }
                }
                u += 6;
            } else if (strchr("\"\\/bfnrt", u[1]) != NULL && u[1] != '\0') {
                u += 2;
            } else {
                return NULL;
            }
            continue;
        }
        if (*u < 0x20) {
            return NULL;
        }
        u = utf8_end(u, e);
        if (u == NULL) {
            return NULL;
        }
    }
}

/* The byte after a number at p, or NULL. */
static const char *
check_number(const char *p, const char *end)
{
    if (p < end && *p == '-') {
        p++;
    }
    if (p == end) {
        return NULL;
    }
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && is_digit(*p)) {
            p++;
        }
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        p++;
        if (p == end || !is_digit(*p)) {
            return NULL;
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p == end || !is_digit(*p)) {
            return NULL;
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    return p;
}

static const char *
check_literal(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0) {
        return NULL;
    }
    return p + n;
}

bool
cl_json_check(const char *p, size_t n)
{
    const char *end = p + n;
    char open[CL_JSON_MAX_DEPTH];
    size_t depth = 0;

    if (p == NULL) {
        return false;
    }

value:
    p = skip_space(p, end);
    if (p == end) {
        return false;
    }
    switch (*p) {
    case '{':
    case '[':
        if (depth == CL_JSON_MAX_DEPTH) {
            return false;
        }
        open[depth++] = *p;
        p = skip_space(p + 1, end);
        if (p < end && *p == (open[depth - 1] == '{' ? '}' : ']')) {
            depth--;
            p++;
            goto after;
        }
        if (open[depth - 1] == '{') {
            goto key;
        }
        goto value;
    case '"':
        p = check_string(p + 1, end);
        break;
    case 't':
        p = check_literal(p, end, "true");
        break;
    case 'f':
        p = check_literal(p, end, "false");
        break;
    case 'n':
        p = check_literal(p, end, "null");
        break;
    default:
        p = check_number(p, end);
        break;
    }
    if (p == NULL) {
        return false;
    }

after:
    p = skip_space(p, end);
    if (depth == 0) {
        return p == end;
    }
    if (p == end) {
        return false;
    }
    if (*p == ',') {
        p++;
        if (open[depth - 1] == '{') {
            goto key;
        }
        goto value;
    }
    if (*p != (open[depth - 1] == '{' ? '}' : ']')) {
        return false;
    }
    depth--;
    p++;
    goto after;

key:
    p = skip_space(p, end);
    if (p == end || *p != '"') {
        return false;
    }
    p = check_string(p + 1, end);
    if (p == NULL) {
        return false;
    }
    p = skip_space(p, end);
    if (p == end || *p != ':') {
        return false;
    }
    p++;
    goto value;
}

json_t *
cl_json_load(const char *p, size_t n, size_t flags, json_error_t *jerr,
             bool *nomem)
{
    json_error_t local;
    const char *first;
    json_t *j;

    if (jerr == NULL) {
        jerr = &local;
    }

    /* The code of a failure jansson does not describe stays unknown. */
    memset(jerr, 0, sizeof(*jerr));
    j = json_loadb(p, n, flags, jerr);
    if (nomem == NULL) {
        return j;
    }
    *nomem = false;
    if (j != NULL) {
        return j;
    }
    switch (json_error_code(jerr)) {
    case json_error_numeric_overflow:
    case json_error_null_character:
    case json_error_null_byte_in_key:
    case json_error_duplicate_key:
    case json_error_stack_overflow:
        break;
    default:
        /* Without JSON_DECODE_ANY, only an object or array will do. */
        first = skip_space(p, p + n);
        *nomem = cl_json_check(p, n) &&
                 ((flags & JSON_DECODE_ANY) ||
                  (first < p + n && (*first == '{' || *first == '[')));
        break;
    }
    return NULL;
}

int
cl_json_members(const char *p, size_t n, const char *const *keys,
                cl_slice *values, size_t n_keys)
{
    const char *end = p + n;
    const char *q;
    cl_slice key;
    size_t i;

    for (i = 0; i < n_keys; i++) {
        values[i].p = NULL;
        values[i].n = 0;
    }
    p = skip_space(p, end);
    if (p == end || *p != '{') {
        return CLAUDE_EPROTO;
    }
    p = skip_space(p + 1, end);
    if (p < end && *p == '}') {
        return 0;
    }
    for (;;) {
        if (p == end || *p != '"') {
            return CLAUDE_EPROTO;
        }
        q = cl_scan_value_end(p, end);
        if (q == NULL) {
            return CLAUDE_EPROTO;
        }
        key.p = p + 1;
        key.n = (size_t)(q - p - 2);
        p = skip_space(q, end);
        if (p == end || *p != ':') {
            return CLAUDE_EPROTO;
        }
        p = skip_space(p + 1, end);
        q = cl_scan_value_end(p, end);
        if (q == NULL) {
            return CLAUDE_EPROTO;
        }
        for (i = 0; i < n_keys; i++) {
            if (cl_slice_eq(key, keys[i])) {
                values[i].p = p;
                values[i].n = (size_t)(q - p);
            }
        }
        p = skip_space(q, end);
        if (p == end) {
            return CLAUDE_EPROTO;
        }
        if (*p == '}') {
            return 0;
        }
        if (*p != ',') {
            return CLAUDE_EPROTO;
        }
        p = skip_space(p + 1, end);
    }
}

cl_slice
cl_json_string_body(cl_slice raw)
{
    cl_slice s = {NULL, 0};

    if (raw.p != NULL && raw.n >= 2 && raw.p[0] == '"') {
        s.p = raw.p + 1;
        s.n = raw.n - 2;
    }
    return s;
}

/*
 * The output buffer
 */

void
cl_out_init(cl_out *o)
{
    o->p = o->inline_buf;
    o->len = 0;
    o->cap = sizeof(o->inline_buf);
    o->failed = false;
}

void
cl_out_free(cl_out *o)
{
    if (o->p != o->inline_buf) {
        free(o->p);
    }
    cl_out_init(o);
}

bool
cl_out_failed(const cl_out *o)
{
    return o->failed;
}

/* Room for n more bytes and a NUL. */
static bool
grow(cl_out *o, size_t n)
{
    size_t cap = o->cap;
    char *p;

    if (o->failed) {
        return false;
    }
    if (o->cap - o->len > n) {
        return true;
    }
    if (n > SIZE_MAX / 4 - o->len) {
        o->failed = true;
        return false;
    }
    while (cap - o->len <= n) {
        cap *= 2;
    }
    if (o->p == o->inline_buf) {
        p = malloc(cap);
        if (p != NULL) {
            memcpy(p, o->p, o->len);
        }
    } else {
        p = realloc(o->p, cap);
    }
    if (p == NULL) {
        o->failed = true;
        return false;
    }
    o->p = p;
    o->cap = cap;
    return true;
}

void
cl_out_raw(cl_out *o, const char *p, size_t n)
{
    if (grow(o, n)) {
        memcpy(o->p + o->len, p, n);
        o->len += n;
        o->p[o->len] = '\0';
    }
}

void
cl_out_str(cl_out *o, const char *s)
{
    cl_out_raw(o, s, strlen(s));
}

void
cl_out_quoted(cl_out *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    const unsigned char *run;
    char esc[7];

    cl_out_raw(o, "\"", 1);
    for (;;) {
        run = u;
        while (*u != '\0' && *u >= 0x20 && *u != '"' && *u != '\\') {
            u++;
        }
        cl_out_raw(o, (const char *)run, (size_t)(u - run));
        if (*u == '\0') {
            break;
        }
        esc[0] = '\\';
        switch (*u) {
        case '"':
        case '\\':
            esc[1] = (char)*u;
            cl_out_raw(o, esc, 2);
            break;
        case '\n':
            cl_out_raw(o, "\\n", 2);
            break;
        case '\r':
            cl_out_raw(o, "\\r", 2);
            break;
        case '\t':
            cl_out_raw(o, "\\t", 2);
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[*u >> 4];
            esc[5] = hex[*u & 15];
            cl_out_raw(o, esc, 6);
            break;
        }
        u++;
    }
    cl_out_raw(o, "\"", 1);
}

static int
dump_part(const char *buffer, size_t size, void *data)
{
    cl_out *o = data;

    cl_out_raw(o, buffer, size);
    return cl_out_failed(o) ? -1 : 0;
}

void
cl_out_json(cl_out *o, const json_t *j)
{
    if (j == NULL || json_dump_callback(j, dump_part, o,
                                        JSON_COMPACT | JSON_ENCODE_ANY) != 0) {
        o->failed = true;
    }
}

/* The buffer's first failure is sticky, so no part is ever skipped. */
char *
cl_json_dumps(const json_t *j)
{
    cl_out o;
    char *s;

    cl_out_init(&o);
    cl_out_json(&o, j);
    if (cl_out_failed(&o)) {
        cl_out_free(&o);
        return NULL;
    }
    if (o.p != o.inline_buf) {
        return o.p;
    }
    s = malloc(o.len + 1);
    if (s != NULL) {
        memcpy(s, o.p, o.len + 1);
    }
    return s;
}
