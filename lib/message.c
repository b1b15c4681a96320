/*
 * message.c: one line from the CLI, and what its JSON says.
 *
 * Design notes.
 *
 * - A message is made on the reader thread from a line the scan has
 *   routed; only the type and subtype are taken then.  The JSON is
 *   parsed with jansson the first time an accessor needs it, on the
 *   caller's thread, so consumers parse in parallel and a consumer of
 *   raw lines never parses.
 * - The lazily computed values (the parse tree and the joined assistant
 *   text) are published without a lock.  A thread that finds one
 *   missing computes its own copy and installs it with a single
 *   compare-and-swap; a thread that loses the race frees its copy and
 *   uses the winner's.  So every caller sees the same pointer, and a
 *   race costs only a wasted parse.  Once installed, a value never
 *   changes until claude_message_free.
 * - The parse tree is never modified after it is installed, which is
 *   what jansson asks of a value that several threads read.  Every
 *   string and json_t an accessor returns is borrowed from it.
 * - type and subtype are written once, before the message is handed to
 *   any other thread, and are read-only afterwards.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "claude.h"
#include "json.h"
#include "message.h"
#include "scan.h"

struct claude_message {
    const char *line; /* in names, after the type and subtype */
    size_t len;
    const char *type;     /* in names; "" when the line has none */
    const char *subtype;  /* in names, or NULL */
    claude_message *next; /* the client's queue link */
    _Atomic(json_t *) json;
    atomic_bool json_invalid;   /* the line does not parse */
    _Atomic(const char *) text; /* joined text, or no_text, or NULL */
    size_t dropped;             /* a dropped line's length, or 0 */
    char names[]; /* the decoded type and subtype, then the line */
};

/* Stored as the text of a message that has none, once that is known. */
static const char no_text[] = "";

/* The separator between the text blocks of one assistant message. */
#define TEXT_SEPARATOR "\n"

int
cl_message_new(claude_message **out, const char *line, size_t len,
               const cl_route *route)
{
    claude_message *m;
    cl_route r;
    size_t type_size;
    size_t subtype_size;
    char *copy;
    int rv;

    *out = NULL;
    if (route == NULL) {
        rv = cl_scan_route(line, len, &r);
        if (rv != 0) {
            return rv;
        }
        route = &r;
    }

    /*
     * One block holds the message, its names and its line: the line is
     * copied once, from the reader's buffer, and freed with the rest.
     * Decoding never lengthens a slice.
     */
    type_size = route->type.n + 1;
    subtype_size = route->subtype.p != NULL ? route->subtype.n + 1 : 0;
    if (len > SIZE_MAX - sizeof(*m) - type_size - subtype_size - 1) {
        return CLAUDE_ENOMEM;
    }
    m = malloc(sizeof(*m) + type_size + subtype_size + len + 1);
    if (m == NULL) {
        return CLAUDE_ENOMEM;
    }
    cl_slice_decode(route->type, m->names);
    m->type = m->names;
    m->subtype = NULL;
    if (route->subtype.p != NULL) {
        cl_slice_decode(route->subtype, m->names + type_size);
        m->subtype = m->names + type_size;
    }
    copy = m->names + type_size + subtype_size;
    memcpy(copy, line, len);
    copy[len] = '\0';
    m->line = copy;
    m->len = len;
    m->next = NULL;
    atomic_init(&m->json, NULL);
    atomic_init(&m->json_invalid, false);
    atomic_init(&m->text, NULL);
    m->dropped = 0;
    *out = m;
    return 0;
}

int
cl_message_new_dropped(claude_message **out, const char *head, size_t head_len,
                       size_t line_len)
{
    claude_message *m;

    *out = NULL;
    m = malloc(sizeof(*m) + 1 + head_len + 1);
    if (m == NULL) {
        return CLAUDE_ENOMEM;
    }
    m->names[0] = '\0';
    m->type = m->names;
    m->subtype = NULL;
    memcpy(m->names + 1, head, head_len);
    m->names[1 + head_len] = '\0';
    m->line = m->names + 1;
    m->len = head_len;
    m->next = NULL;
    atomic_init(&m->json, NULL);
    atomic_init(&m->json_invalid, true);
    atomic_init(&m->text, NULL);
    m->dropped = line_len > 0 ? line_len : 1;
    *out = m;
    return 0;
}

size_t
cl_message_dropped(const claude_message *m)
{
    return m->dropped;
}

claude_message **
cl_message_link(claude_message *m)
{
    return &m->next;
}

size_t
cl_message_size(const claude_message *m)
{
    return m->len;
}

bool
cl_message_parsed(const claude_message *m)
{
    return atomic_load(&((claude_message *)m)->json) != NULL ||
           atomic_load(&((claude_message *)m)->json_invalid);
}

void
claude_message_free(claude_message *m)
{
    const char *text;

    if (m == NULL) {
        return;
    }
    json_decref(atomic_load(&m->json));
    text = atomic_load(&m->text);
    if (text != no_text) {
        free((char *)text);
    }
    free(m);
}

const char *
claude_message_type(const claude_message *m)
{
    return m != NULL ? m->type : "";
}

const char *
claude_message_subtype(const claude_message *m)
{
    return m != NULL ? m->subtype : NULL;
}

const char *
claude_message_line(const claude_message *m, size_t *len)
{
    if (len != NULL) {
        *len = m != NULL ? m->len : 0;
    }
    return m != NULL ? m->line : NULL;
}

json_t *
claude_message_json(claude_message *m)
{
    json_t *j;
    json_t *installed = NULL;
    bool nomem;

    if (m == NULL) {
        return NULL;
    }
    j = atomic_load(&m->json);
    if (j != NULL || atomic_load(&m->json_invalid)) {
        return j;
    }

    /* NUL inside strings is accepted: a binary file's contents may
     * come back from a tool as "\u0000". */
    j = cl_json_load(m->line, m->len, JSON_ALLOW_NUL, NULL, &nomem);
    if (j == NULL) {
        /* Running out of memory says nothing about the line; a later
         * call may try again. */
        if (!nomem) {
            atomic_store(&m->json_invalid, true);
        }
        return NULL;
    }
    if (!atomic_compare_exchange_strong(&m->json, &installed, j)) {
        json_decref(j);
        j = installed;
    }
    return j;
}

static bool
type_is(const claude_message *m, const char *type)
{
    return m != NULL && strcmp(m->type, type) == 0;
}

/* Is m an assistant message whose JSON memory ran out for, so far? */
static bool
json_unread(claude_message *m)
{
    return type_is(m, "assistant") && atomic_load(&m->json) == NULL &&
           !atomic_load(&m->json_invalid);
}

/* The content blocks of an assistant message, or NULL. */
static json_t *
assistant_content(claude_message *m)
{
    json_t *content;

    if (!type_is(m, "assistant")) {
        return NULL;
    }
    content = json_object_get(
        json_object_get(claude_message_json(m), "message"), "content");
    return json_is_array(content) ? content : NULL;
}

/* Is the block {"type": kind, ...}? */
static bool
block_is(json_t *block, const char *kind)
{
    const char *type = json_string_value(json_object_get(block, "type"));

    return type != NULL && strcmp(type, kind) == 0;
}

/* The text blocks joined, no_text when there are none, NULL on ENOMEM. */
static char *
join_text(json_t *content)
{
    const size_t sep_len = strlen(TEXT_SEPARATOR);
    size_t total = 0;
    size_t blocks = 0;
    size_t i;
    size_t n;
    json_t *block;
    json_t *text;
    char *out;
    char *o;

    for (i = 0; i < json_array_size(content); i++) {
        block = json_array_get(content, i);
        text = json_object_get(block, "text");
        if (block_is(block, "text") && json_is_string(text)) {
            total += json_string_length(text) + (blocks > 0 ? sep_len : 0);
            blocks++;
        }
    }
    if (blocks == 0) {
        return (char *)no_text;
    }

    out = malloc(total + 1);
    if (out == NULL) {
        return NULL;
    }
    o = out;
    blocks = 0;
    for (i = 0; i < json_array_size(content); i++) {
        block = json_array_get(content, i);
        text = json_object_get(block, "text");
        if (block_is(block, "text") && json_is_string(text)) {
            if (blocks++ > 0) {
                memcpy(o, TEXT_SEPARATOR, sep_len);
                o += sep_len;
            }
            n = json_string_length(text);
            memcpy(o, json_string_value(text), n);
            o += n;
        }
    }
    *o = '\0';
    return out;
}

const char *
claude_message_text(claude_message *m)
{
    const char *text;
    const char *installed = NULL;
    json_t *content;

    if (m == NULL) {
        return NULL;
    }
    text = atomic_load(&m->text);
    if (text == NULL) {
        content = assistant_content(m);

        /* JSON that memory ran out for may yet give text: keep asking. */
        if (content == NULL && json_unread(m)) {
            return NULL;
        }
        text = content != NULL ? join_text(content) : no_text;
        if (text == NULL) {
            return NULL;
        }
        if (!atomic_compare_exchange_strong(&m->text, &installed, text)) {
            if (text != no_text) {
                free((char *)text);
            }
            text = installed;
        }
    }
    return text != no_text ? text : NULL;
}

size_t
claude_message_tool_use_count(claude_message *m)
{
    json_t *content = assistant_content(m);
    json_t *block;
    size_t count = 0;
    size_t i;

    for (i = 0; i < json_array_size(content); i++) {
        block = json_array_get(content, i);
        if (block_is(block, "tool_use")) {
            count++;
        }
    }
    return count;
}

int
claude_message_tool_use(claude_message *m, size_t index, const char **id,
                        const char **name, json_t **input)
{
    json_t *content = assistant_content(m);
    json_t *block;
    size_t seen = 0;
    size_t i;

    for (i = 0; i < json_array_size(content); i++) {
        block = json_array_get(content, i);
        if (!block_is(block, "tool_use") || seen++ != index) {
            continue;
        }
        if (id != NULL) {
            *id = json_string_value(json_object_get(block, "id"));
        }
        if (name != NULL) {
            *name = json_string_value(json_object_get(block, "name"));
        }
        if (input != NULL) {
            *input = json_object_get(block, "input");
        }
        return 0;
    }
    return content == NULL && json_unread(m) ? CLAUDE_ENOMEM : CLAUDE_EINVAL;
}

/* A top-level field of a result message, or NULL. */
static json_t *
result_field(claude_message *m, const char *key)
{
    if (!type_is(m, "result")) {
        return NULL;
    }
    return json_object_get(claude_message_json(m), key);
}

int
claude_message_is_error(claude_message *m)
{
    if (!type_is(m, "result")) {
        return 0;
    }

    /* A result that cannot be read cannot be trusted to be a success. */
    if (claude_message_json(m) == NULL) {
        return 1;
    }
    if (json_is_true(result_field(m, "is_error"))) {
        return 1;
    }
    return m->subtype != NULL && strncmp(m->subtype, "error", 5) == 0;
}

const char *
claude_message_result(claude_message *m)
{
    return json_string_value(result_field(m, "result"));
}

const char *
claude_message_session_id(claude_message *m)
{
    return json_string_value(
        json_object_get(claude_message_json(m), "session_id"));
}

double
claude_message_cost_usd(claude_message *m)
{
    json_t *cost = result_field(m, "total_cost_usd");

    return json_is_number(cost) ? json_number_value(cost) : -1.0;
}

long long
claude_message_duration_ms(claude_message *m)
{
    json_t *ms = result_field(m, "duration_ms");
    double real;

    if (json_is_integer(ms)) {
        return (long long)json_integer_value(ms);
    }

    /* A fraction is dropped; a value no long long holds is absurd. */
    real = json_real_value(ms);
    if (json_is_real(ms) && real >= 0.0 && real < 9.2e18) {
        return (long long)real;
    }
    return -1;
}

json_t *
claude_message_usage(claude_message *m)
{
    json_t *usage = result_field(m, "usage");

    return json_is_object(usage) ? usage : NULL;
}

json_t *
claude_message_structured_output(claude_message *m)
{
    json_t *value = result_field(m, "structured_output");

    return json_is_null(value) ? NULL : value;
}

json_t *
claude_message_errors(claude_message *m)
{
    json_t *errors = result_field(m, "errors");

    return json_is_array(errors) ? errors : NULL;
}
