/*
 * json.c: raw JSON text, checked, picked apart and written without a
 * parse tree, and parsed into a jansson tree.
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
 * - The parser is ours, not jansson's, because jansson's goes on when
 *   its token buffer cannot grow and may then build a wrong tree or
 *   crash.  It builds the tree with jansson's constructors, each of
 *   which fails cleanly, and walks the text as the checker does, with
 *   an explicit stack of open containers (grown from jansson's
 *   allocator, failure checked) instead of recursion.  Each value is
 *   attached to its container as soon as it is made, so the root alone
 *   owns all that was built, and one json_decref() undoes a failed
 *   parse.  It takes what json_loadb() takes; only to word an error
 *   does it run json_loadb(), on text it already refused.
 */
#define _GNU_SOURCE /* strtod_l */

#include <assert.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/*
 * The parser
 */

/* The flags cl_json_load() knows; jansson's others change the grammar. */
#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Containers open before the stack moves to the heap. */
#define INLINE_DEPTH 32

/* Integers are read into a long long; jansson's are of that type. */
_Static_assert(sizeof(json_int_t) == sizeof(long long),
               "json_int_t is long long");

/*
 * Bytes decoded from a string with escapes, or a real's text, in the
 * parser's own storage until they outgrow it.  Memory comes from
 * jansson's allocator, so that json_set_alloc_funcs() sees every
 * allocation of a parse.
 */
typedef struct scratch {
    char *p;
    size_t len;
    size_t cap;
    char inline_buf[256];
} scratch;

typedef struct parser {
    const char *p; /* the next byte to read */
    const char *end;
    size_t flags;
    bool nomem;    /* an allocation failed */
    json_t *root;  /* owns the whole tree */
    json_t **open; /* the containers open, innermost last; borrowed */
    size_t depth;
    size_t cap;
    cl_slice key; /* the key of the member being read */
    scratch key_buf;
    scratch str_buf;
    locale_t c_locale;
    json_t *inline_open[INLINE_DEPTH];
} parser;

static void
scratch_init(scratch *s)
{
    s->p = s->inline_buf;
    s->len = 0;
    s->cap = sizeof(s->inline_buf);
}

static void
scratch_free(scratch *s)
{
    json_malloc_t malloc_fn;
    json_free_t free_fn;

    if (s->p != s->inline_buf) {
        json_get_alloc_funcs(&malloc_fn, &free_fn);
        free_fn(s->p);
    }
}

/* Append n bytes; false when memory ran out. */
static bool
scratch_add(scratch *s, const char *p, size_t n)
{
    json_malloc_t malloc_fn;
    json_free_t free_fn;
    size_t cap = s->cap;
    char *grown;

    if (s->cap - s->len < n) {
        while (cap - s->len < n) {
            if (cap > SIZE_MAX / 2) {
                return false;
            }
            cap *= 2;
        }
        json_get_alloc_funcs(&malloc_fn, &free_fn);
        grown = malloc_fn(cap);
        if (grown == NULL) {
            return false;
        }
        memcpy(grown, s->p, s->len);
        if (s->p != s->inline_buf) {
            free_fn(s->p);
        }
        s->p = grown;
        s->cap = cap;
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    return true;
}

/* Record a failed allocation when v is NULL; returns v. */
static json_t *
made(parser *ps, json_t *v)
{
    if (v == NULL) {
        ps->nomem = true;
    }
    return v;
}

/* The value of four hex digits at p, or -1. */
static long
hex4(const unsigned char *p)
{
    long v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        v <<= 4;
        if (is_digit((char)p[i])) {
            v |= p[i] - '0';
        } else if (p[i] >= 'a' && p[i] <= 'f') {
            v |= p[i] - 'a' + 10;
        } else if (p[i] >= 'A' && p[i] <= 'F') {
            v |= p[i] - 'A' + 10;
        } else {
            return -1;
        }
    }
    return v;
}

/*
 * Decode the escape at u (a backslash) into buf and return the byte
 * after it, or NULL.  A \u escape of a surrogate must be a high one
 * followed by a low one, as jansson has it; \u0000 sets *has_nul.
 */
static const unsigned char *
decode_escape(parser *ps, scratch *buf, const unsigned char *u,
              const unsigned char *e, bool *has_nul)
{
    static const char plain[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
    const char *hit;
    char out[4];
    long c;
    long lo;
    size_t n;

    if (e - u < 2) {
        return NULL;
    }
    if (u[1] != 'u') {
        hit = u[1] == '\0' ? NULL : strchr(plain, u[1]);
        if (hit == NULL || (hit - plain) % 2 != 0) {
            return NULL;
        }
        if (!scratch_add(buf, hit + 1, 1)) {
            ps->nomem = true;
            return NULL;
        }
        return u + 2;
    }
    if (e - u < 6 || (c = hex4(u + 2)) < 0) {
        return NULL;
    }
    u += 6;
    if (c >= 0xDC00 && c <= 0xDFFF) {
        return NULL;
    }
    if (c >= 0xD800 && c <= 0xDBFF) {
        if (e - u < 6 || u[0] != '\\' || u[1] != 'u') {
            return NULL;
        }
        lo = hex4(u + 2);
        if (lo < 0xDC00 || lo > 0xDFFF) {
            return NULL;
        }
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
        u += 6;
    }
    *has_nul = *has_nul || c == 0;

    /* UTF-8, one to four bytes. */
    if (c < 0x80) {
        out[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (c >> 18));
        out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    if (!scratch_add(buf, out, n)) {
        ps->nomem = true;
        return NULL;
    }
    return u;
}

/*
 * Read the string whose body starts at ps->p into *out: the text
 * itself when it has no escape, else its decoding in buf.  False on
 * invalid text or when memory ran out.
 */
static bool
read_string(parser *ps, scratch *buf, cl_slice *out, bool *has_nul)
{
    const unsigned char *u = (const unsigned char *)ps->p;
    const unsigned char *e = (const unsigned char *)ps->end;
    const unsigned char *run = u;
    bool escaped = false;

    *has_nul = false;
    for (;;) {
        while (u < e && !string_stop(*u)) {
            u++;
        }
        if (u == e || *u < 0x20) {
            return false;
        }
        if (*u == '"') {
            break;
        }
        if (*u >= 0x80) {
            u = utf8_end(u, e);
            if (u == NULL) {
                return false;
            }
            continue;
        }

        /* A backslash: what came before it is copied, then decoded. */
        if (!escaped) {
            buf->len = 0;
            escaped = true;
        }
        if (!scratch_add(buf, (const char *)run, (size_t)(u - run))) {
            ps->nomem = true;
            return false;
        }
        u = decode_escape(ps, buf, u, e, has_nul);
        if (u == NULL) {
            return false;
        }
        run = u;
    }
    if (!escaped) {
        out->p = ps->p;
        out->n = (size_t)((const char *)u - ps->p);
    } else {
        if (!scratch_add(buf, (const char *)run, (size_t)(u - run))) {
            ps->nomem = true;
            return false;
        }
        out->p = buf->p;
        out->n = buf->len;
    }
    ps->p = (const char *)u + 1;
    return true;
}

/* An integer of digits [p, end), negative or not, or false on overflow. */
static bool
read_integer(const char *p, const char *end, bool negative, long long *out)
{
    unsigned long long limit = negative ? (unsigned long long)LLONG_MAX + 1
                                        : (unsigned long long)LLONG_MAX;
    unsigned long long v = 0;
    unsigned int d;

    for (; p < end; p++) {
        d = (unsigned int)(*p - '0');
        if (v > (limit - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    if (!negative) {
        *out = (long long)v;
    } else if (v == (unsigned long long)LLONG_MAX + 1) {
        *out = LLONG_MIN;
    } else {
        *out = -(long long)v;
    }
    return true;
}

/*
 * The real [p, end), or false when it overflows or memory ran out.
 * strtod reads a '.' only in the C locale, whatever the host's is.
 */
static bool
read_real(parser *ps, const char *p, const char *end, double *out)
{
    if (ps->c_locale == (locale_t)0) {
        ps->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        if (ps->c_locale == (locale_t)0) {
            ps->nomem = true;
            return false;
        }
    }
    ps->str_buf.len = 0;
    if (!scratch_add(&ps->str_buf, p, (size_t)(end - p)) ||
        !scratch_add(&ps->str_buf, "", 1)) {
        ps->nomem = true;
        return false;
    }
    *out = strtod_l(ps->str_buf.p, NULL, ps->c_locale);
    return !isinf(*out);
}

/* The number at ps->p: an integer without fraction or exponent. */
static json_t *
read_number(parser *ps)
{
    const char *start = ps->p;
    const char *digits;
    const char *end = check_number(start, ps->end);
    long long i;
    double d;

    if (end == NULL) {
        return NULL;
    }
    ps->p = end;
    digits = start + (*start == '-');
    if (memchr(digits, '.', (size_t)(end - digits)) == NULL &&
        memchr(digits, 'e', (size_t)(end - digits)) == NULL &&
        memchr(digits, 'E', (size_t)(end - digits)) == NULL) {
        if (!read_integer(digits, end, digits != start, &i)) {
            return NULL;
        }
        return made(ps, json_integer(i));
    }
    if (!read_real(ps, start, end, &d)) {
        return NULL;
    }
    return made(ps, json_real(d));
}

static bool
read_word(parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        return false;
    }
    ps->p += n;
    return true;
}

/* A value that is not a container, at ps->p; NULL if invalid. */
static json_t *
read_scalar(parser *ps)
{
    cl_slice s;
    bool has_nul;

    switch (*ps->p) {
    case '"':
        ps->p++;
        if (!read_string(ps, &ps->str_buf, &s, &has_nul) ||
            (has_nul && !(ps->flags & JSON_ALLOW_NUL))) {
            return NULL;
        }
        return made(ps, json_stringn_nocheck(s.p, s.n));
    case 't':
        return read_word(ps, "true", 4) ? json_true() : NULL;
    case 'f':
        return read_word(ps, "false", 5) ? json_false() : NULL;
    case 'n':
        return read_word(ps, "null", 4) ? json_null() : NULL;
    default:
        return read_number(ps);
    }
}

/* The key of a member, at ps->p (past its quote), into ps->key. */
static bool
read_key(parser *ps)
{
    bool has_nul;

    if (!read_string(ps, &ps->key_buf, &ps->key, &has_nul) || has_nul) {
        return false;
    }
    return !(ps->flags & JSON_REJECT_DUPLICATES) ||
           json_object_getn(ps->open[ps->depth - 1], ps->key.p, ps->key.n) ==
               NULL;
}

/*
 * Give v, which the caller made, to the container open innermost under
 * the key just read, or make it the root.  The container frees v when
 * it cannot take it.
 */
static bool
attach(parser *ps, json_t *v)
{
    json_t *parent;
    int rc;

    if (v == NULL) {
        return false;
    }
    if (ps->depth == 0) {
        ps->root = v;
        return true;
    }
    parent = ps->open[ps->depth - 1];
    if (json_is_array(parent)) {
        rc = json_array_append_new(parent, v);
    } else {
        rc = json_object_setn_new_nocheck(parent, ps->key.p, ps->key.n, v);
    }
    if (rc != 0) {
        ps->nomem = true;
        return false;
    }
    return true;
}

/* Open container c, which is already attached. */
static bool
push(parser *ps, json_t *c)
{
    json_malloc_t malloc_fn;
    json_free_t free_fn;
    json_t **grown;

    if (ps->depth == ps->cap) {
        json_get_alloc_funcs(&malloc_fn, &free_fn);
        grown = malloc_fn(2 * ps->cap * sizeof(*grown));
        if (grown == NULL) {
            ps->nomem = true;
            return false;
        }
        memcpy(grown, ps->open, ps->depth * sizeof(*grown));
        if (ps->open != ps->inline_open) {
            free_fn(ps->open);
        }
        ps->open = grown;
        ps->cap *= 2;
    }
    ps->open[ps->depth++] = c;
    return true;
}

/*
 * The parse proper, one state per label, as in cl_json_check(): each
 * value is attached to its container as soon as it is made, so that
 * the root alone owns all that was built.
 */
static json_t *
parse(parser *ps)
{
    const char *end = ps->end;
    json_t *v;
    bool in_object;
    char c;

    ps->p = skip_space(ps->p, end);
    if (!(ps->flags & JSON_DECODE_ANY) &&
        (ps->p == end || (*ps->p != '{' && *ps->p != '['))) {
        return NULL;
    }

value:
    ps->p = skip_space(ps->p, end);
    /* jansson counts the value being read in the depth. */
    if (ps->p == end || ps->depth >= JSON_PARSER_MAX_DEPTH) {
        goto fail;
    }
    c = *ps->p;
    if (c != '{' && c != '[') {
        if (!attach(ps, read_scalar(ps))) {
            goto fail;
        }
        goto after;
    }
    v = made(ps, c == '{' ? json_object() : json_array());
    if (!attach(ps, v) || !push(ps, v)) {
        goto fail;
    }
    ps->p = skip_space(ps->p + 1, end);
    if (ps->p < end && *ps->p == (c == '{' ? '}' : ']')) {
        ps->depth--;
        ps->p++;
        goto after;
    }
    if (c == '{') {
        goto key;
    }
    goto value;

after:
    ps->p = skip_space(ps->p, end);
    if (ps->depth == 0) {
        if (ps->p == end) {
            return ps->root;
        }
        goto fail;
    }
    if (ps->p == end) {
        goto fail;
    }
    in_object = json_is_object(ps->open[ps->depth - 1]);
    if (*ps->p == ',') {
        ps->p++;
        if (in_object) {
            goto key;
        }
        goto value;
    }
    if (*ps->p != (in_object ? '}' : ']')) {
        goto fail;
    }
    ps->depth--;
    ps->p++;
    goto after;

key:
    ps->p = skip_space(ps->p, end);
    if (ps->p == end || *ps->p != '"') {
        goto fail;
    }
    ps->p++;
    if (!read_key(ps)) {
        goto fail;
    }
    ps->p = skip_space(ps->p, end);
    if (ps->p == end || *ps->p != ':') {
        goto fail;
    }
    ps->p++;
    goto value;

fail:
    json_decref(ps->root);
    ps->root = NULL;
    return NULL;
}

/* Fill jerr as jansson does, text and code; jerr may be NULL. */
static void
set_error(json_error_t *jerr, enum json_error_code code, const char *text)
{
    if (jerr == NULL) {
        return;
    }
    memset(jerr, 0, sizeof(*jerr));
    jerr->line = -1;
    jerr->column = -1;
    snprintf(jerr->source, sizeof(jerr->source), "<buffer>");
    snprintf(jerr->text, sizeof(jerr->text), "%s", text);
    jerr->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)code;
}

/*
 * Say why [p, p + n), which the parser refused, is not JSON, in
 * jansson's words, position and code, which tests and error messages
 * quote: jansson's parser runs on the text, which it refuses too.
 */
static void
explain(const char *p, size_t n, size_t flags, json_error_t *jerr)
{
    json_t *j;

    if (jerr == NULL) {
        return;
    }
    j = json_loadb(p, n, flags, jerr);
    if (j != NULL) {
        /* jansson reads a NUL byte just after a number or a literal
         * as white space; the parser never takes one. */
        json_decref(j);
        set_error(jerr, json_error_invalid_syntax, "NUL byte in the text");
    }
}

json_t *
cl_json_load(const char *p, size_t n, size_t flags, json_error_t *jerr,
             bool *nomem)
{
    parser ps;
    json_t *root;

    if (nomem != NULL) {
        *nomem = false;
    }
    assert((flags & ~(size_t)LOAD_FLAGS) == 0);
    if ((flags & ~(size_t)LOAD_FLAGS) != 0) {
        set_error(jerr, json_error_invalid_argument,
                  "flags cl_json_load() does not support");
        return NULL;
    }
    if (p == NULL) {
        explain(p, n, flags, jerr);
        return NULL;
    }

    memset(&ps, 0, offsetof(parser, inline_open));
    ps.p = p;
    ps.end = p + n;
    ps.flags = flags;
    ps.open = ps.inline_open;
    ps.cap = INLINE_DEPTH;
    scratch_init(&ps.key_buf);
    scratch_init(&ps.str_buf);
    root = parse(&ps);
    if (ps.open != ps.inline_open) {
        json_free_t free_fn;
        json_malloc_t malloc_fn;

        json_get_alloc_funcs(&malloc_fn, &free_fn);
        free_fn(ps.open);
    }
    scratch_free(&ps.key_buf);
    scratch_free(&ps.str_buf);
    if (ps.c_locale != (locale_t)0) {
        freelocale(ps.c_locale);
    }

    if (root != NULL) {
        set_error(jerr, json_error_unknown, "");
        if (jerr != NULL) {
            jerr->position = (int)n;
        }
        return root;
    }
    if (ps.nomem) {
        if (nomem != NULL) {
            *nomem = true;
        }
        set_error(jerr, json_error_out_of_memory, "out of memory");
        return NULL;
    }
    explain(p, n, flags, jerr);
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
