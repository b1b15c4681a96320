/*
 * schema.c: a JSON Schema subset, enough to check the arguments the
 * model gives an in-process MCP tool before its handler sees them.
 *
 * Both walks recurse, one level per nested schema, and stop at
 * CL_SCHEMA_MAX_DEPTH, so neither a hostile schema nor hostile
 * arguments can exhaust the stack: a value is only descended into
 * where its schema says how, so the schema's depth bounds both.
 *
 * Nothing here writes to a json_t, so any number of threads may
 * validate against one schema at once.  The error text is built only
 * on failure, from a chain of path steps kept on the stack.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claude.h"
#include "error.h"
#include "json.h"
#include "schema.h"

/* The longest enum list quoted in an error, in bytes. */
#define ENUM_QUOTE_MAX 200

/* One step of the path from the arguments to the value at hand. */
typedef struct path {
    const struct path *up; /* NULL for a property of the arguments */
    const char *key;       /* a property name, or NULL for an index */
    size_t index;
} path;

/* A growing string; once an allocation fails it stays failed. */
typedef struct text {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
} text;

static const char *const type_names[] = {
    "string", "number", "integer", "boolean", "object", "array", "null", NULL};

static bool
text_reserve(text *t, size_t n)
{
    size_t cap;
    char *p;

    if (t->failed) {
        return false;
    }
    if (t->len + n + 1 <= t->cap) {
        return true;
    }
    cap = t->cap == 0 ? 64 : t->cap;
    while (cap < t->len + n + 1) {
        cap *= 2;
    }
    p = realloc(t->p, cap);
    if (p == NULL) {
        t->failed = true;
        return false;
    }
    t->p = p;
    t->cap = cap;
    return true;
}

static void
text_add(text *t, const char *s, size_t n)
{
    if (!text_reserve(t, n)) {
        return;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void
text_vprintf(text *t, const char *fmt, va_list ap)
{
    va_list copy;
    int n;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        t->failed = true;
        return;
    }
    if (!text_reserve(t, (size_t)n)) {
        return;
    }
    vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
    t->len += (size_t)n;
}

static void text_printf(text *t, const char *fmt, ...) CL_PRINTF(2, 3);
static int fail(text *why, const path *at, const char *fmt, ...)
    CL_PRINTF(3, 4);

static void
text_printf(text *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    text_vprintf(t, fmt, ap);
    va_end(ap);
}

/* Write a path as a reader would: outer.inner, list[2]. */
static void
text_path(text *t, const path *at)
{
    if (at == NULL) {
        return;
    }
    text_path(t, at->up);
    if (at->key == NULL) {
        text_printf(t, "[%zu]", at->index);
        return;
    }
    if (at->up != NULL) {
        text_add(t, ".", 1);
    }
    text_add(t, at->key, strlen(at->key));
}

/* Record why the value at a path fails, as "path: rule"; returns 1. */
static int
fail(text *why, const path *at, const char *fmt, ...)
{
    va_list ap;

    if (at != NULL) {
        text_path(why, at);
        text_add(why, ": ", 2);
    }
    va_start(ap, fmt);
    text_vprintf(why, fmt, ap);
    va_end(ap);
    return 1;
}

/* Record a rule about a property as "rule path"; returns 1. */
static int
fail_property(text *why, const char *rule, const path *at)
{
    text_add(why, rule, strlen(rule));
    text_add(why, " ", 1);
    text_path(why, at);
    return 1;
}

static bool
known_type(json_t *name)
{
    size_t i;

    if (!json_is_string(name)) {
        return false;
    }
    for (i = 0; type_names[i] != NULL; i++) {
        if (strcmp(json_string_value(name), type_names[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool
type_ok(json_t *type)
{
    size_t i;
    json_t *name;

    if (json_is_string(type)) {
        return known_type(type);
    }
    if (!json_is_array(type) || json_array_size(type) == 0) {
        return false;
    }
    json_array_foreach(type, i, name)
    {
        if (!known_type(name)) {
            return false;
        }
    }
    return true;
}

static bool
strings_ok(json_t *list)
{
    size_t i;
    json_t *name;

    if (!json_is_array(list)) {
        return false;
    }
    json_array_foreach(list, i, name)
    {
        if (!json_is_string(name)) {
            return false;
        }
    }
    return true;
}

static bool
count_ok(json_t *n)
{
    return n == NULL || (json_is_integer(n) && json_integer_value(n) >= 0);
}

static int
check_at(json_t *schema, int depth)
{
    json_t *v;
    json_t *sub;
    const char *key;

    if (depth > CL_SCHEMA_MAX_DEPTH) {
        return CLAUDE_EINVAL;
    }
    if (json_is_boolean(schema)) {
        return 0;
    }
    if (!json_is_object(schema)) {
        return CLAUDE_EINVAL;
    }

    /* The keywords that hold plain values. */
    v = json_object_get(schema, "type");
    if (v != NULL && !type_ok(v)) {
        return CLAUDE_EINVAL;
    }
    v = json_object_get(schema, "required");
    if (v != NULL && !strings_ok(v)) {
        return CLAUDE_EINVAL;
    }
    v = json_object_get(schema, "enum");
    if (v != NULL && !json_is_array(v)) {
        return CLAUDE_EINVAL;
    }
    v = json_object_get(schema, "minimum");
    if (v != NULL && !json_is_number(v)) {
        return CLAUDE_EINVAL;
    }
    v = json_object_get(schema, "maximum");
    if (v != NULL && !json_is_number(v)) {
        return CLAUDE_EINVAL;
    }
    if (!count_ok(json_object_get(schema, "minLength")) ||
        !count_ok(json_object_get(schema, "maxLength"))) {
        return CLAUDE_EINVAL;
    }

    /* The keywords that hold schemas. */
    v = json_object_get(schema, "properties");
    if (v != NULL) {
        if (!json_is_object(v)) {
            return CLAUDE_EINVAL;
        }
        json_object_foreach(v, key, sub)
        {
            if (check_at(sub, depth + 1) != 0) {
                return CLAUDE_EINVAL;
            }
        }
    }
    v = json_object_get(schema, "additionalProperties");
    if (v != NULL && check_at(v, depth + 1) != 0) {
        return CLAUDE_EINVAL;
    }
    v = json_object_get(schema, "items");
    if (v != NULL && check_at(v, depth + 1) != 0) {
        return CLAUDE_EINVAL;
    }
    return 0;
}

int
cl_schema_check(json_t *schema)
{
    return check_at(schema, 0);
}

/* Is v a whole number, as JSON Schema's "integer" asks? */
static bool
is_integral(json_t *v)
{
    double d;

    if (json_is_integer(v)) {
        return true;
    }
    if (!json_is_real(v)) {
        return false;
    }
    d = json_real_value(v);
    return d >= -9.2e18 && d <= 9.2e18 && (double)(long long)d == d;
}

static bool
has_type(json_t *v, const char *name)
{
    if (strcmp(name, "string") == 0) {
        return json_is_string(v);
    }
    if (strcmp(name, "number") == 0) {
        return json_is_number(v);
    }
    if (strcmp(name, "integer") == 0) {
        return is_integral(v);
    }
    if (strcmp(name, "boolean") == 0) {
        return json_is_boolean(v);
    }
    if (strcmp(name, "object") == 0) {
        return json_is_object(v);
    }
    if (strcmp(name, "array") == 0) {
        return json_is_array(v);
    }
    return json_is_null(v);
}

/* "a string", "an integer", "null". */
static const char *
article(const char *name)
{
    if (strcmp(name, "null") == 0) {
        return "";
    }
    if (name[0] == 'i' || name[0] == 'o' || name[0] == 'a') {
        return "an ";
    }
    return "a ";
}

static int
check_type(json_t *type, json_t *v, const path *at, text *why)
{
    size_t i;
    size_t n;
    json_t *name;

    if (json_is_string(type)) {
        if (has_type(v, json_string_value(type))) {
            return 0;
        }
        return fail(why, at, "expected %s%s", article(json_string_value(type)),
                    json_string_value(type));
    }
    json_array_foreach(type, i, name)
    {
        if (has_type(v, json_string_value(name))) {
            return 0;
        }
    }

    /* "expected a string, a number or null". */
    fail(why, at, "expected ");
    n = json_array_size(type);
    json_array_foreach(type, i, name)
    {
        if (i > 0) {
            text_add(why, i + 1 == n ? " or " : ", ", i + 1 == n ? 4 : 2);
        }
        text_printf(why, "%s%s", article(json_string_value(name)),
                    json_string_value(name));
    }
    return 1;
}

static int
check_enum(json_t *list, json_t *v, const path *at, text *why)
{
    size_t i;
    size_t len;
    json_t *allowed;
    char *quoted;

    json_array_foreach(list, i, allowed)
    {
        if (json_equal(allowed, v)) {
            return 0;
        }
    }

    /* Quote the list, cut at a character boundary if it is long. */
    quoted = cl_json_dumps(list);
    if (quoted == NULL) {
        return fail(why, at, "expected one of the listed values");
    }
    len = strlen(quoted);
    if (len > ENUM_QUOTE_MAX) {
        len = ENUM_QUOTE_MAX;
        while (len > 0 && ((unsigned char)quoted[len] & 0xC0) == 0x80) {
            len--;
        }
        fail(why, at, "expected one of %.*s...", (int)len, quoted);
    } else {
        fail(why, at, "expected one of %s", quoted);
    }
    free(quoted);
    return 1;
}

/* The length of a UTF-8 string in code points. */
static size_t
code_points(json_t *s)
{
    const unsigned char *p = (const unsigned char *)json_string_value(s);
    size_t n = json_string_length(s);
    size_t count = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            count++;
        }
    }
    return count;
}

static int
check_length(json_t *schema, json_t *v, const path *at, text *why)
{
    json_t *min = json_object_get(schema, "minLength");
    json_t *max = json_object_get(schema, "maxLength");
    json_int_t n = (json_int_t)code_points(v);

    if (min != NULL && n < json_integer_value(min)) {
        return fail(
            why, at, "expected at least %" JSON_INTEGER_FORMAT " character%s",
            json_integer_value(min), json_integer_value(min) == 1 ? "" : "s");
    }
    if (max != NULL && n > json_integer_value(max)) {
        return fail(
            why, at, "expected at most %" JSON_INTEGER_FORMAT " character%s",
            json_integer_value(max), json_integer_value(max) == 1 ? "" : "s");
    }
    return 0;
}

/* Compare two numbers: exactly when both are integers. */
static int
compare(json_t *a, json_t *b)
{
    double da;
    double db;

    if (json_is_integer(a) && json_is_integer(b)) {
        return (json_integer_value(a) > json_integer_value(b)) -
               (json_integer_value(a) < json_integer_value(b));
    }
    da = json_number_value(a);
    db = json_number_value(b);
    return (da > db) - (da < db);
}

static void
format_number(json_t *n, char *buf, size_t size)
{
    if (json_is_integer(n)) {
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(n));
    } else {
        snprintf(buf, size, "%.15g", json_real_value(n));
    }
}

static int
check_bounds(json_t *schema, json_t *v, const path *at, text *why)
{
    json_t *min = json_object_get(schema, "minimum");
    json_t *max = json_object_get(schema, "maximum");
    char num[64];

    if (min != NULL && compare(v, min) < 0) {
        format_number(min, num, sizeof(num));
        return fail(why, at, "expected a number >= %s", num);
    }
    if (max != NULL && compare(v, max) > 0) {
        format_number(max, num, sizeof(num));
        return fail(why, at, "expected a number <= %s", num);
    }
    return 0;
}

static int validate_at(json_t *schema, json_t *v, const path *at, int depth,
                       text *why);

static int
check_object(json_t *schema, json_t *v, const path *at, int depth, text *why)
{
    json_t *required = json_object_get(schema, "required");
    json_t *props = json_object_get(schema, "properties");
    json_t *extra = json_object_get(schema, "additionalProperties");
    json_t *name;
    json_t *sub;
    json_t *member;
    const char *key;
    size_t i;
    path step;

    step.up = at;
    step.index = 0;
    json_array_foreach(required, i, name)
    {
        step.key = json_string_value(name);
        if (json_object_get(v, step.key) == NULL) {
            return fail_property(why, "missing required property", &step);
        }
    }
    json_object_foreach(props, key, sub)
    {
        member = json_object_get(v, key);
        step.key = key;
        if (member != NULL &&
            validate_at(sub, member, &step, depth + 1, why) != 0) {
            return 1;
        }
    }
    if (extra == NULL || json_is_true(extra)) {
        return 0;
    }
    json_object_foreach(v, key, member)
    {
        if (json_object_get(props, key) != NULL) {
            continue;
        }
        step.key = key;
        if (json_is_false(extra)) {
            return fail_property(why, "unexpected property", &step);
        }
        if (validate_at(extra, member, &step, depth + 1, why) != 0) {
            return 1;
        }
    }
    return 0;
}

static int
check_items(json_t *items, json_t *v, const path *at, int depth, text *why)
{
    json_t *member;
    path step;

    step.up = at;
    step.key = NULL;
    json_array_foreach(v, step.index, member)
    {
        if (validate_at(items, member, &step, depth + 1, why) != 0) {
            return 1;
        }
    }
    return 0;
}

static int
validate_at(json_t *schema, json_t *v, const path *at, int depth, text *why)
{
    json_t *type;
    json_t *list;
    json_t *items;

    if (depth > CL_SCHEMA_MAX_DEPTH) {
        return fail(why, at, "nested too deeply");
    }
    if (json_is_boolean(schema)) {
        return json_is_true(schema) ? 0 : fail(why, at, "not allowed");
    }
    type = json_object_get(schema, "type");
    if (type != NULL && check_type(type, v, at, why) != 0) {
        return 1;
    }
    list = json_object_get(schema, "enum");
    if (list != NULL && check_enum(list, v, at, why) != 0) {
        return 1;
    }

    /* The other keywords apply to values of their own kind only. */
    if (json_is_string(v)) {
        return check_length(schema, v, at, why);
    }
    if (json_is_number(v)) {
        return check_bounds(schema, v, at, why);
    }
    if (json_is_object(v)) {
        return check_object(schema, v, at, depth, why);
    }
    items = json_object_get(schema, "items");
    if (json_is_array(v) && items != NULL) {
        return check_items(items, v, at, depth, why);
    }
    return 0;
}

int
cl_schema_validate(json_t *schema, json_t *value, char **why)
{
    text t = {NULL, 0, 0, false};

    *why = NULL;
    if (validate_at(schema, value, NULL, 0, &t) == 0) {
        free(t.p);
        return 0;
    }
    if (t.failed || t.p == NULL) {
        free(t.p);
        return CLAUDE_ENOMEM;
    }
    *why = t.p;
    return 1;
}
