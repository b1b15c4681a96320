/*
 * model-server.c: a scripted Anthropic Messages API on loopback, so that
 * tests can run the real Claude Code CLI without a network.
 *
 *     model-server --rules FILE [--port N] [--log FILE] [--port-file FILE]
 *
 * The CLI finds it through ANTHROPIC_BASE_URL. Each POST to /v1/messages
 * is answered by the first rule in FILE whose "match" holds, or else by
 * the file's "default" answer, streamed as server-sent events when the
 * request asks for a stream. Every request is logged as one JSON line, so
 * a test can check what the CLI sent. tools/model-server.md describes the
 * rules format and what the CLI sends.
 *
 * Threads: libmicrohttpd runs one thread per connection, so the CLI's
 * parallel subagents are answered at once; the main thread waits for
 * SIGTERM or SIGINT. After startup the rules and options are read-only,
 * except the fields marked "protected by mtx": rule use counts, the
 * counters and the stopping flag, which stop_cv announces to threads
 * waiting out a scripted delay. log_mtx guards the log stream. No thread
 * holds both locks at once. Each request works on its own copies of the
 * JSON it changes, so no json_t is changed while another thread reads it.
 *
 * This is a test tool: when memory runs out it says so and exits rather
 * than answer with a half-built reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <locale.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The largest request body accepted; the CLI's bodies grow with the
 * conversation and reach several megabytes with big tool results. */
#define MAX_BODY ((size_t)256 * 1024 * 1024)

/* Captures $0 to $9 of a "regex" rule. */
#define NCAPTURES 10

/* Streamed text arrives in deltas of about this many bytes, and a tool's
 * input in this many pieces, as the real API splits them. */
#define TEXT_CHUNK 24
#define INPUT_PIECES 3

struct buf {
    char *data; /* NUL-terminated once anything is added */
    size_t len;
    size_t cap;
};

struct rule {
    char *name;
    json_t *match;  /* borrowed from the rules document; may be NULL */
    json_t *answer; /* borrowed from the rules document */
    regex_t regex;
    int has_regex;
    long long times; /* at most this many uses; -1 for no limit */
    long long used;  /* protected by mtx */
};

struct server {
    json_t *doc; /* the rules file, which owns the rules' JSON */
    struct rule *rules;
    size_t nrules;
    json_t *default_answer; /* owned */
    FILE *log;
    pthread_mutex_t mtx;
    unsigned long requests; /* protected by mtx */
    unsigned long tool_ids; /* protected by mtx */
    int stopping;           /* protected by mtx */
    pthread_cond_t stop_cv; /* announces stopping */
    pthread_mutex_t log_mtx;
};

/* One HTTP request's body as it arrives. */
struct upload {
    struct buf body;
    int too_large;
};

/* What the rules look at, taken from one request body. */
struct facts {
    json_t *req;          /* the parsed body, owned */
    const char *agent_id; /* the x-claude-code-agent-id header, or NULL */
    const char *model;
    int stream;
    char *first_user_text;
    char *last_user_text;
    char *system_text;
    int has_tool_result;
    json_t *tool_results; /* texts of the last user message's results */
    json_t *tools;        /* names of the request's tools */
};

/* A streamed answer: the events, sent one by one by stream_read(). */
struct stream {
    struct server *srv;
    struct buf data;
    size_t *ends; /* where each event ends in data */
    size_t nevents;
    size_t next;   /* the event being sent */
    long delay_ms; /* pause before each event after the first */
};

/* An HTTP reply being built: a JSON body or a stream. */
struct reply {
    unsigned int status;
    struct buf body;
    struct stream *stream;
};

static void
die(const char *fmt, ...)
{
    va_list ap;

    fputs("model-server: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size);
    if (p == NULL) {
        die("out of memory");
    }
    return p;
}

static char *
xstrdup(const char *s)
{
    char *copy = strdup(s);

    if (copy == NULL) {
        die("out of memory");
    }
    return copy;
}

static char *
xdumps(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);

    if (text == NULL) {
        die("out of memory");
    }
    return text;
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = b->cap == 0 ? 256 : b->cap;
        while (b->len + n + 1 > b->cap) {
            b->cap *= 2;
        }
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void
buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Returns the buffer's string, "" if empty, for the caller to free. */
static char *
buf_take(struct buf *b)
{
    char *s = b->data != NULL ? b->data : xstrdup("");

    memset(b, 0, sizeof(*b));
    return s;
}

/* Waits ms milliseconds, or less once the server is stopping, so that a
 * long scripted delay does not hold up the exit. */
static void
wait_ms(struct server *srv, long ms)
{
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&srv->mtx);
    while (!srv->stopping && pthread_cond_timedwait(&srv->stop_cv, &srv->mtx,
                                                    &until) != ETIMEDOUT) {
        continue;
    }
    pthread_mutex_unlock(&srv->mtx);
}

static unsigned long
next_count(struct server *srv, unsigned long *counter)
{
    unsigned long n;

    pthread_mutex_lock(&srv->mtx);
    n = ++*counter;
    pthread_mutex_unlock(&srv->mtx);
    return n;
}

static int
is_type(json_t *block, const char *type)
{
    const char *t = json_string_value(json_object_get(block, "type"));

    return t != NULL && strcmp(t, type) == 0;
}

/* Appends s to b as a line of its own. */
static void
add_line(struct buf *b, const char *s)
{
    if (s == NULL) {
        return;
    }
    if (b->len > 0) {
        buf_add(b, "\n", 1);
    }
    buf_adds(b, s);
}

/* Appends the text of a message content, a string or an array of blocks,
 * to b: text blocks only, each on its own line. */
static void
add_content_text(struct buf *b, json_t *content)
{
    size_t i;
    json_t *block;

    if (json_is_string(content)) {
        add_line(b, json_string_value(content));
        return;
    }
    json_array_foreach(content, i, block)
    {
        if (is_type(block, "text")) {
            add_line(b, json_string_value(json_object_get(block, "text")));
        }
    }
}

static char *
content_text(json_t *content)
{
    struct buf b = {0};

    add_content_text(&b, content);
    return buf_take(&b);
}

static int
has_role(json_t *message, const char *role)
{
    const char *r = json_string_value(json_object_get(message, "role"));

    return r != NULL && strcmp(r, role) == 0;
}

/* Fills f from a request body. The CLI puts part of its system prompt in
 * messages whose role is "system", so those count as system text. */
static void
gather_facts(struct facts *f, json_t *req, const char *agent_id)
{
    json_t *messages = json_object_get(req, "messages");
    json_t *first = NULL;
    json_t *last = NULL;
    json_t *m;
    json_t *block;
    json_t *tool;
    struct buf system = {0};
    size_t i;

    memset(f, 0, sizeof(*f));
    f->req = req;
    f->agent_id = agent_id;
    f->model = json_string_value(json_object_get(req, "model"));
    f->stream = json_is_true(json_object_get(req, "stream"));

    add_content_text(&system, json_object_get(req, "system"));
    json_array_foreach(messages, i, m)
    {
        if (has_role(m, "user")) {
            first = first != NULL ? first : m;
            last = m;
        } else if (has_role(m, "system")) {
            add_content_text(&system, json_object_get(m, "content"));
        }
    }
    f->system_text = buf_take(&system);
    f->first_user_text = content_text(json_object_get(first, "content"));
    f->last_user_text = content_text(json_object_get(last, "content"));

    f->tool_results = json_array();
    json_array_foreach(json_object_get(last, "content"), i, block)
    {
        if (is_type(block, "tool_result")) {
            char *text = content_text(json_object_get(block, "content"));

            f->has_tool_result = 1;
            json_array_append_new(f->tool_results, json_string(text));
            free(text);
        }
    }

    f->tools = json_array();
    json_array_foreach(json_object_get(req, "tools"), i, tool)
    {
        json_t *name = json_object_get(tool, "name");

        if (json_is_string(name)) {
            json_array_append(f->tools, name);
        }
    }
}

static void
free_facts(struct facts *f)
{
    json_decref(f->req);
    free(f->first_user_text);
    free(f->last_user_text);
    free(f->system_text);
    json_decref(f->tool_results);
    json_decref(f->tools);
}

/* Says whether the string under key in match, if any, occurs in text. */
static int
contains(json_t *match, const char *key, const char *text)
{
    json_t *want = json_object_get(match, key);

    return want == NULL || strstr(text, json_string_value(want)) != NULL;
}

/* Says whether the string under key in match, if any, occurs in one of
 * the strings of list; with exact, equals one of them. */
static int
list_has(json_t *match, const char *key, json_t *list, int exact)
{
    json_t *want = json_object_get(match, key);
    json_t *item;
    size_t i;

    if (want == NULL) {
        return 1;
    }
    json_array_foreach(list, i, item)
    {
        const char *s = json_string_value(item);

        if (exact ? strcmp(s, json_string_value(want)) == 0
                  : strstr(s, json_string_value(want)) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* Says whether rule r matches f, apart from its use count. On a match of
 * a regex rule, fills captures with copies of the groups that took part. */
static int
rule_matches(const struct rule *r, const struct facts *f, char **captures)
{
    json_t *m = r->match;
    json_t *v;
    regmatch_t groups[NCAPTURES];
    int i;

    if (!contains(m, "last_user_text", f->last_user_text) ||
        !contains(m, "first_user_text", f->first_user_text) ||
        !contains(m, "system_contains", f->system_text) ||
        !list_has(m, "tool_result_contains", f->tool_results, 0) ||
        !list_has(m, "tools_include", f->tools, 1)) {
        return 0;
    }
    v = json_object_get(m, "has_tool_result");
    if (v != NULL && json_is_true(v) != f->has_tool_result) {
        return 0;
    }
    v = json_object_get(m, "agent");
    if (v != NULL && (strcmp(json_string_value(v), "subagent") == 0) !=
                         (f->agent_id != NULL)) {
        return 0;
    }
    if (!r->has_regex) {
        return 1;
    }
    if (regexec(&r->regex, f->last_user_text, NCAPTURES, groups, 0) != 0) {
        return 0;
    }
    for (i = 0; i < NCAPTURES; i++) {
        if (groups[i].rm_so >= 0) {
            captures[i] = strndup(f->last_user_text + groups[i].rm_so,
                                  groups[i].rm_eo - groups[i].rm_so);
        }
    }
    return 1;
}

/* Finds the first rule that matches f and still has uses left, and counts
 * the use. Matching and counting happen under one lock so that parallel
 * requests cannot both take a rule's last use. */
static struct rule *
choose_rule(struct server *srv, const struct facts *f, char **captures)
{
    struct rule *found = NULL;
    size_t i;

    pthread_mutex_lock(&srv->mtx);
    for (i = 0; i < srv->nrules && found == NULL; i++) {
        struct rule *r = &srv->rules[i];

        if ((r->times < 0 || r->used < r->times) &&
            rule_matches(r, f, captures)) {
            r->used++;
            found = r;
        }
    }
    pthread_mutex_unlock(&srv->mtx);
    return found;
}

/* Returns s with $0..$9 replaced by the captures ("" for a group that did
 * not take part) and $$ by $, for the caller to free. */
static char *
expand(const char *s, char *const *captures)
{
    struct buf b = {0};
    const char *p;

    for (p = s; *p != '\0'; p++) {
        if (p[0] == '$' && p[1] >= '0' && p[1] <= '9') {
            if (captures[p[1] - '0'] != NULL) {
                buf_adds(&b, captures[p[1] - '0']);
            }
            p++;
        } else if (p[0] == '$' && p[1] == '$') {
            buf_add(&b, "$", 1);
            p++;
        } else {
            buf_add(&b, p, 1);
        }
    }
    return buf_take(&b);
}

/* Expands the captures in every string inside value. */
static void
expand_all(json_t *value, char *const *captures)
{
    const char *key;
    json_t *item;
    size_t i;
    char *s;

    switch (json_typeof(value)) {
    case JSON_OBJECT:
        json_object_foreach(value, key, item)
        {
            expand_all(item, captures);
        }
        break;
    case JSON_ARRAY:
        json_array_foreach(value, i, item)
        {
            expand_all(item, captures);
        }
        break;
    case JSON_STRING:
        s = expand(json_string_value(value), captures);
        /* A capture that splits a UTF-8 sequence leaves the string as the
         * rules file wrote it. */
        (void)json_string_set(value, s);
        free(s);
        break;
    default:
        break;
    }
}

/* Builds the content blocks of an answer: its text first, then its tool
 * uses, each with its own id or a fresh one. */
static json_t *
answer_content(struct server *srv, json_t *answer)
{
    json_t *content = json_array();
    json_t *text = json_object_get(answer, "text");
    json_t *use;
    size_t i;

    if (text != NULL) {
        json_array_append_new(
            content, json_pack("{s:s, s:O}", "type", "text", "text", text));
    }
    json_array_foreach(json_object_get(answer, "tool_uses"), i, use)
    {
        json_t *id = json_object_get(use, "id");
        json_t *input = json_object_get(use, "input");
        char fresh[32];

        if (id == NULL) {
            snprintf(fresh, sizeof(fresh), "toolu_%lu",
                     next_count(srv, &srv->tool_ids));
        }
        json_array_append_new(
            content,
            json_pack("{s:s, s:s, s:O, s:o}", "type", "tool_use", "id",
                      id != NULL ? json_string_value(id) : fresh, "name",
                      json_object_get(use, "name"), "input",
                      input != NULL ? json_incref(input) : json_object()));
    }
    return content;
}

/* A rough token count, about four bytes a token, as the real API's
 * numbers run for English text and JSON. */
static json_int_t
tokens(size_t bytes)
{
    return (json_int_t)(bytes / 4 + 1);
}

static void
stream_event(struct stream *st, const char *name, json_t *data)
{
    char *text = xdumps(data);

    buf_adds(&st->data, "event: ");
    buf_adds(&st->data, name);
    buf_adds(&st->data, "\ndata: ");
    buf_adds(&st->data, text);
    buf_adds(&st->data, "\n\n");
    free(text);
    json_decref(data);

    st->ends = xrealloc(st->ends, (st->nevents + 1) * sizeof(*st->ends));
    st->ends[st->nevents++] = st->data.len;
}

/* Returns the length of the first piece of s, at least want bytes unless
 * s is shorter, that does not split a UTF-8 sequence. */
static size_t
piece_length(const char *s, size_t len, size_t want)
{
    size_t n = want < len ? want : len;

    while (n < len && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n++;
    }
    return n;
}

/* Streams one content block as start, deltas and stop events. */
static void
stream_block(struct stream *st, size_t index, json_t *block)
{
    json_t *start = json_deep_copy(block);
    const char *s;
    const char *delta_type;
    const char *field;
    char *input = NULL;
    size_t len;
    size_t want;
    size_t off;

    if (is_type(block, "text")) {
        json_object_set_new(start, "text", json_string(""));
        s = json_string_value(json_object_get(block, "text"));
        delta_type = "text_delta";
        field = "text";
        want = TEXT_CHUNK;
    } else {
        json_object_set_new(start, "input", json_object());
        input = xdumps(json_object_get(block, "input"));
        s = input;
        delta_type = "input_json_delta";
        field = "partial_json";
        want = strlen(input) / INPUT_PIECES + 1;
    }
    stream_event(st, "content_block_start",
                 json_pack("{s:s, s:I, s:o}", "type", "content_block_start",
                           "index", (json_int_t)index, "content_block", start));

    len = strlen(s);
    for (off = 0; off < len;) {
        size_t n = piece_length(s + off, len - off, want);

        stream_event(st, "content_block_delta",
                     json_pack("{s:s, s:I, s:{s:s, s:s%}}", "type",
                               "content_block_delta", "index",
                               (json_int_t)index, "delta", "type", delta_type,
                               field, s + off, n));
        off += n;
    }
    free(input);

    stream_event(st, "content_block_stop",
                 json_pack("{s:s, s:I}", "type", "content_block_stop", "index",
                           (json_int_t)index));
}

static struct stream *
build_stream(struct server *srv, json_t *message, long delay_ms)
{
    struct stream *st = xrealloc(NULL, sizeof(*st));
    json_t *start = json_deep_copy(message);
    json_t *usage = json_object_get(message, "usage");
    json_t *block;
    size_t i;

    memset(st, 0, sizeof(*st));
    st->srv = srv;
    st->delay_ms = delay_ms;

    /* The start carries no content yet and one output token, as the real
     * API's does; the final count comes with message_delta. */
    json_object_set_new(start, "content", json_array());
    json_object_set_new(start, "stop_reason", json_null());
    json_object_set_new(json_object_get(start, "usage"), "output_tokens",
                        json_integer(1));
    stream_event(
        st, "message_start",
        json_pack("{s:s, s:o}", "type", "message_start", "message", start));
    stream_event(st, "ping", json_pack("{s:s}", "type", "ping"));

    json_array_foreach(json_object_get(message, "content"), i, block)
    {
        stream_block(st, i, block);
    }

    stream_event(st, "message_delta",
                 json_pack("{s:s, s:{s:O, s:n}, s:{s:O}}", "type",
                           "message_delta", "delta", "stop_reason",
                           json_object_get(message, "stop_reason"),
                           "stop_sequence", "usage", "output_tokens",
                           json_object_get(usage, "output_tokens")));
    stream_event(st, "message_stop",
                 json_pack("{s:s}", "type", "message_stop"));
    return st;
}

/* Hands libmicrohttpd the stream an event at a time, pausing between
 * events when the answer asks for it. Each call starts where the last one
 * ended, so a call at an event's start comes once per event. */
static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream *st = cls;
    size_t event_start;
    size_t n;

    if (pos >= st->data.len) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    while (st->next < st->nevents && st->ends[st->next] <= pos) {
        st->next++;
    }
    event_start = st->next > 0 ? st->ends[st->next - 1] : 0;
    if (pos == event_start && pos > 0 && st->delay_ms > 0) {
        wait_ms(st->srv, st->delay_ms);
    }
    n = st->ends[st->next] - pos;
    n = n < max ? n : max;
    memcpy(out, st->data.data + pos, n);
    return (ssize_t)n;
}

static void
stream_free(void *cls)
{
    struct stream *st = cls;

    free(st->data.data);
    free(st->ends);
    free(st);
}

static const char *
error_type(unsigned int status)
{
    switch (status) {
    case 400:
        return "invalid_request_error";
    case 401:
        return "authentication_error";
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_error";
    case 529:
        return "overloaded_error";
    default:
        return "api_error";
    }
}

static void
set_json_body(struct reply *rp, unsigned int status, json_t *body)
{
    char *text = xdumps(body);

    rp->status = status;
    buf_adds(&rp->body, text);
    free(text);
    json_decref(body);
}

/* Sets an Anthropic-style error reply; type and message may be NULL. */
static void
set_error(struct reply *rp, unsigned int status, const char *type,
          const char *message)
{
    char fallback[64];

    if (message == NULL) {
        snprintf(fallback, sizeof(fallback), "model-server: status %u", status);
        message = fallback;
    }
    set_json_body(rp, status,
                  json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error",
                            "type", type != NULL ? type : error_type(status),
                            "message", message));
}

/* Answers a POST to /v1/messages by the first matching rule. */
static void
serve_messages(struct server *srv, const struct facts *f, unsigned long n,
               size_t body_len, struct reply *rp, json_t *log)
{
    char *captures[NCAPTURES] = {0};
    struct rule *r = choose_rule(srv, f, captures);
    json_t *answer;
    json_t *content;
    json_t *message;
    json_t *v;
    const char *stop_reason;
    char *content_dump;
    char id[32];
    int i;

    json_object_set_new(log, "rule",
                        json_string(r != NULL ? r->name : "default"));
    answer = json_deep_copy(r != NULL ? r->answer : srv->default_answer);
    if (r != NULL && r->has_regex) {
        expand_all(answer, captures);
    }
    for (i = 0; i < NCAPTURES; i++) {
        free(captures[i]);
    }

    v = json_object_get(answer, "delay_ms");
    if (v != NULL) {
        wait_ms(srv, (long)json_integer_value(v));
    }

    v = json_object_get(answer, "status");
    if (v != NULL && json_integer_value(v) != 200) {
        set_error(rp, (unsigned int)json_integer_value(v),
                  json_string_value(json_object_get(answer, "error_type")),
                  json_string_value(json_object_get(answer, "error_message")));
        json_decref(answer);
        return;
    }

    content = answer_content(srv, answer);
    stop_reason = json_string_value(json_object_get(answer, "stop_reason"));
    if (stop_reason == NULL) {
        stop_reason = json_array_size(json_object_get(answer, "tool_uses"))
                          ? "tool_use"
                          : "end_turn";
    }
    content_dump = xdumps(content);
    snprintf(id, sizeof(id), "msg_%lu", n);
    message =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:n, s:{s:I, s:i, s:i, s:I}}",
                  "id", id, "type", "message", "role", "assistant", "model",
                  f->model != NULL ? f->model : "claude-model-server",
                  "content", content, "stop_reason", stop_reason,
                  "stop_sequence", "usage", "input_tokens", tokens(body_len),
                  "cache_creation_input_tokens", 0, "cache_read_input_tokens",
                  0, "output_tokens", tokens(strlen(content_dump)));
    free(content_dump);

    if (f->stream) {
        v = json_object_get(answer, "chunk_delay_ms");
        rp->status = 200;
        rp->stream = build_stream(srv, message, (long)json_integer_value(v));
        json_decref(message);
    } else {
        set_json_body(rp, 200, message);
    }
    json_decref(answer);
}

static enum MHD_Result
add_argument(void *cls, enum MHD_ValueKind kind, const char *key,
             const char *value)
{
    struct buf *query = cls;

    (void)kind;
    if (query->len > 0) {
        buf_add(query, "&", 1);
    }
    buf_adds(query, key);
    if (value != NULL) {
        buf_add(query, "=", 1);
        buf_adds(query, value);
    }
    return MHD_YES;
}

static void
write_log(struct server *srv, json_t *log)
{
    char *line = xdumps(log);

    pthread_mutex_lock(&srv->log_mtx);
    fputs(line, srv->log);
    fputc('\n', srv->log);
    fflush(srv->log);
    pthread_mutex_unlock(&srv->log_mtx);
    free(line);
}

/* Builds the reply to a whole request and fills in its log entry. */
static void
route(struct server *srv, struct MHD_Connection *conn, const char *url,
      const char *method, struct upload *up, unsigned long n, struct reply *rp,
      json_t *log)
{
    int messages = strcmp(url, "/v1/messages") == 0;
    int count = strcmp(url, "/v1/messages/count_tokens") == 0;
    const char *agent_id = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, "x-claude-code-agent-id");
    struct facts f;
    json_error_t err;
    json_t *req;
    char why[160];

    json_object_set_new(log, "agent_id",
                        agent_id != NULL ? json_string(agent_id) : json_null());
    if (up->too_large) {
        set_error(rp, 413, NULL, "model-server: request body too large");
        return;
    }
    if (strcmp(method, "POST") != 0 || (!messages && !count)) {
        /* The CLI checks that the server is there with HEAD /api/hello
         * unless nonessential traffic is off. */
        if (strcmp(url, "/api/hello") == 0) {
            set_json_body(rp, 200, json_object());
            return;
        }
        snprintf(why, sizeof(why), "model-server: no route for %s %.100s",
                 method, url);
        set_error(rp, 404, NULL, why);
        return;
    }

    req = json_loadb(up->body.data != NULL ? up->body.data : "", up->body.len,
                     0, &err);
    if (!json_is_object(req)) {
        snprintf(why, sizeof(why), "model-server: body is not JSON: %.100s",
                 err.text);
        json_decref(req);
        set_error(rp, 400, NULL, why);
        return;
    }
    gather_facts(&f, req, agent_id);
    json_object_set_new(log, "model", json_string(f.model));
    json_object_set_new(log, "stream", json_boolean(f.stream));
    json_object_set_new(log, "last_user_text", json_string(f.last_user_text));
    json_object_set_new(log, "has_tool_result",
                        json_boolean(f.has_tool_result));
    json_object_set(log, "tool_results", f.tool_results);
    json_object_set(log, "tools", f.tools);

    if (messages) {
        serve_messages(srv, &f, n, up->body.len, rp, log);
    } else {
        set_json_body(rp, 200,
                      json_pack("{s:I}", "input_tokens", tokens(up->body.len)));
    }
    free_facts(&f);
}

static enum MHD_Result
handle_request(void *cls, struct MHD_Connection *conn, const char *url,
               const char *method, const char *version, const char *upload_data,
               size_t *upload_data_size, void **con_cls)
{
    struct server *srv = cls;
    struct upload *up = *con_cls;
    struct MHD_Response *response;
    struct reply rp = {0};
    struct buf query = {0};
    json_t *log;
    unsigned long n;
    enum MHD_Result ret;
    char request_id[32];

    (void)version;

    /* The first call announces the request; the next ones bring the body
     * in pieces; the last one, with no data, asks for the reply. */
    if (up == NULL) {
        up = xrealloc(NULL, sizeof(*up));
        memset(up, 0, sizeof(*up));
        *con_cls = up;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (up->body.len + *upload_data_size > MAX_BODY) {
            up->too_large = 1;
        } else {
            buf_add(&up->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    n = next_count(srv, &srv->requests);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_argument,
                              &query);
    log = json_pack("{s:I, s:s, s:s, s:s}", "n", (json_int_t)n, "path", url,
                    "query", query.data != NULL ? query.data : "", "method",
                    method);
    free(query.data);
    json_object_set_new(log, "agent_id", json_null());
    json_object_set_new(log, "model", json_null());
    json_object_set_new(log, "stream", json_false());
    json_object_set_new(log, "last_user_text", json_null());
    json_object_set_new(log, "has_tool_result", json_false());
    json_object_set_new(log, "tool_results", json_array());
    json_object_set_new(log, "tools", json_array());
    json_object_set_new(log, "rule", json_null());
    route(srv, conn, url, method, up, n, &rp, log);

    if (rp.stream != NULL) {
        response = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, rp.stream, stream_free);
    } else {
        response = MHD_create_response_from_buffer(rp.body.len, rp.body.data,
                                                   MHD_RESPMEM_MUST_FREE);
    }
    if (response == NULL) {
        die("cannot create a response");
    }
    snprintf(request_id, sizeof(request_id), "req_model_server_%lu", n);
    MHD_add_response_header(response, "request-id", request_id);
    MHD_add_response_header(response, "content-type",
                            rp.stream != NULL ? "text/event-stream"
                                              : "application/json");
    if (rp.stream != NULL) {
        MHD_add_response_header(response, "cache-control", "no-cache");
    }
    ret = MHD_queue_response(conn, rp.status, response);
    MHD_destroy_response(response);

    json_object_set_new(log, "status", json_integer(rp.status));
    write_log(srv, log);
    json_decref(log);
    return ret;
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                  enum MHD_RequestTerminationCode code)
{
    struct upload *up = *con_cls;

    (void)cls;
    (void)conn;
    (void)code;
    if (up != NULL) {
        free(up->body.data);
        free(up);
        *con_cls = NULL;
    }
}

/* Says whether every key of obj is in the NULL-terminated list keys; if
 * not, names the first stranger in why. */
static int
known_keys(json_t *obj, const char *const *keys, const char *what, char *why,
           size_t size)
{
    const char *key;
    json_t *value;
    size_t i;

    json_object_foreach(obj, key, value)
    {
        for (i = 0; keys[i] != NULL && strcmp(keys[i], key) != 0; i++) {
            continue;
        }
        if (keys[i] == NULL) {
            snprintf(why, size, "unknown %s key \"%s\"", what, key);
            return 0;
        }
    }
    return 1;
}

static int
check_match(json_t *match, char *why, size_t size)
{
    static const char *const keys[] = {
        "last_user_text",  "first_user_text",      "regex",
        "has_tool_result", "tool_result_contains", "agent",
        "tools_include",   "system_contains",      NULL};
    const char *key;
    json_t *value;

    if (!json_is_object(match)) {
        snprintf(why, size, "\"match\" is not an object");
        return 0;
    }
    if (!known_keys(match, keys, "match", why, size)) {
        return 0;
    }
    json_object_foreach(match, key, value)
    {
        int want_bool = strcmp(key, "has_tool_result") == 0;

        if (want_bool ? !json_is_boolean(value) : !json_is_string(value)) {
            snprintf(why, size, "match \"%s\" wants a %s", key,
                     want_bool ? "boolean" : "string");
            return 0;
        }
    }
    value = json_object_get(match, "agent");
    if (value != NULL && strcmp(json_string_value(value), "main") != 0 &&
        strcmp(json_string_value(value), "subagent") != 0) {
        snprintf(why, size, "match \"agent\" is \"main\" or \"subagent\"");
        return 0;
    }
    return 1;
}

static int
check_tool_use(json_t *use, char *why, size_t size)
{
    static const char *const keys[] = {"name", "input", "id", NULL};
    json_t *input = json_object_get(use, "input");
    json_t *id = json_object_get(use, "id");

    if (!json_is_object(use)) {
        snprintf(why, size, "a tool use is not an object");
        return 0;
    }
    if (!known_keys(use, keys, "tool use", why, size)) {
        return 0;
    }
    if (!json_is_string(json_object_get(use, "name")) ||
        (input != NULL && !json_is_object(input)) ||
        (id != NULL && !json_is_string(id))) {
        snprintf(why, size,
                 "a tool use wants a string \"name\", and may "
                 "have an object \"input\" and a string \"id\"");
        return 0;
    }
    return 1;
}

static int
check_answer(json_t *answer, char *why, size_t size)
{
    static const char *const keys[] = {
        "text",           "tool_uses",     "delay_ms",
        "chunk_delay_ms", "status",        "stop_reason",
        "error_type",     "error_message", NULL};
    static const char *const counts[] = {"delay_ms", "chunk_delay_ms", "status",
                                         NULL};
    static const char *const strings[] = {"text", "stop_reason", "error_type",
                                          "error_message", NULL};
    json_t *use;
    json_t *v;
    size_t i;

    if (!json_is_object(answer)) {
        snprintf(why, size, "an answer is not an object");
        return 0;
    }
    if (!known_keys(answer, keys, "answer", why, size)) {
        return 0;
    }
    for (i = 0; counts[i] != NULL; i++) {
        v = json_object_get(answer, counts[i]);
        if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0)) {
            snprintf(why, size, "answer \"%s\" wants a count", counts[i]);
            return 0;
        }
    }
    for (i = 0; strings[i] != NULL; i++) {
        v = json_object_get(answer, strings[i]);
        if (v != NULL && !json_is_string(v)) {
            snprintf(why, size, "answer \"%s\" wants a string", strings[i]);
            return 0;
        }
    }
    v = json_object_get(answer, "status");
    if (v != NULL &&
        (json_integer_value(v) < 200 || json_integer_value(v) > 599)) {
        snprintf(why, size, "answer \"status\" is an HTTP status");
        return 0;
    }
    v = json_object_get(answer, "tool_uses");
    if (v != NULL && !json_is_array(v)) {
        snprintf(why, size, "answer \"tool_uses\" wants an array");
        return 0;
    }
    json_array_foreach(v, i, use)
    {
        if (!check_tool_use(use, why, size)) {
            return 0;
        }
    }
    return 1;
}

/* Reads one rule; on failure, says why in why. */
static int
load_rule(struct rule *r, json_t *spec, size_t index, char *why, size_t size)
{
    static const char *const keys[] = {"name", "match", "answer", "times",
                                       NULL};
    json_t *name = json_object_get(spec, "name");
    json_t *times = json_object_get(spec, "times");
    json_t *regex;
    char text[64];
    int rc;

    if (!json_is_object(spec)) {
        snprintf(why, size, "not an object");
        return -1;
    }
    if (!known_keys(spec, keys, "rule", why, size)) {
        return -1;
    }
    if (name != NULL && !json_is_string(name)) {
        snprintf(why, size, "\"name\" wants a string");
        return -1;
    }
    snprintf(text, sizeof(text), "rule %zu", index);
    r->name = xstrdup(name != NULL ? json_string_value(name) : text);

    r->match = json_object_get(spec, "match");
    if (r->match != NULL && !check_match(r->match, why, size)) {
        return -1;
    }
    r->answer = json_object_get(spec, "answer");
    if (r->answer == NULL) {
        snprintf(why, size, "no \"answer\"");
        return -1;
    }
    if (!check_answer(r->answer, why, size)) {
        return -1;
    }
    if (times != NULL &&
        (!json_is_integer(times) || json_integer_value(times) < 0)) {
        snprintf(why, size, "\"times\" wants a count");
        return -1;
    }
    r->times = times != NULL ? json_integer_value(times) : -1;

    regex = json_object_get(r->match, "regex");
    if (regex != NULL) {
        rc = regcomp(&r->regex, json_string_value(regex),
                     REG_EXTENDED | REG_NEWLINE);
        if (rc != 0) {
            regerror(rc, &r->regex, text, sizeof(text));
            snprintf(why, size, "bad \"regex\": %s", text);
            return -1;
        }
        r->has_regex = 1;
    }
    return 0;
}

static void
load_rules(struct server *srv, const char *path)
{
    json_error_t err;
    json_t *rules;
    json_t *spec;
    size_t i;
    char why[200];

    srv->doc = json_load_file(path, 0, &err);
    if (srv->doc == NULL) {
        die("%s:%d:%d: %s", path, err.line, err.column, err.text);
    }
    if (!json_is_object(srv->doc)) {
        die("%s: not a JSON object", path);
    }
    if (!known_keys(srv->doc, (const char *const[]){"rules", "default", NULL},
                    "top-level", why, sizeof(why))) {
        die("%s: %s", path, why);
    }

    rules = json_object_get(srv->doc, "rules");
    if (rules != NULL && !json_is_array(rules)) {
        die("%s: \"rules\" is not an array", path);
    }
    srv->nrules = json_array_size(rules);
    srv->rules = xrealloc(NULL, (srv->nrules + 1) * sizeof(*srv->rules));
    memset(srv->rules, 0, (srv->nrules + 1) * sizeof(*srv->rules));
    json_array_foreach(rules, i, spec)
    {
        if (load_rule(&srv->rules[i], spec, i, why, sizeof(why)) != 0) {
            die("%s: rule %zu: %s", path, i, why);
        }
    }

    srv->default_answer = json_object_get(srv->doc, "default");
    if (srv->default_answer != NULL) {
        if (!check_answer(srv->default_answer, why, sizeof(why))) {
            die("%s: default: %s", path, why);
        }
        json_incref(srv->default_answer);
    } else {
        srv->default_answer = json_pack("{s:s}", "text", "OK");
    }
}

static void
free_rules(struct server *srv)
{
    size_t i;

    for (i = 0; i < srv->nrules; i++) {
        free(srv->rules[i].name);
        if (srv->rules[i].has_regex) {
            regfree(&srv->rules[i].regex);
        }
    }
    free(srv->rules);
    json_decref(srv->default_answer);
    json_decref(srv->doc);
}

/* Writes the port to path through a temporary file, so that a test
 * polling for path never reads half a number. */
static void
write_port_file(const char *path, unsigned int port)
{
    char tmp[4096];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        die("cannot write %s: %s", path, strerror(errno));
    }
}

static void
usage(FILE *out)
{
    fputs("usage: model-server --rules FILE [--port N] [--log FILE] "
          "[--port-file FILE]\n"
          "Serves the Anthropic Messages API on 127.0.0.1 from scripted "
          "rules;\nsee tools/model-server.md.\n",
          out);
}

int
main(int argc, char **argv)
{
    static const struct option options[] = {
        {"rules", required_argument, NULL, 'r'},
        {"port", required_argument, NULL, 'p'},
        {"log", required_argument, NULL, 'l'},
        {"port-file", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct server srv;
    struct sockaddr_in addr;
    struct MHD_Daemon *daemon;
    const union MHD_DaemonInfo *info;
    const char *rules_path = NULL;
    const char *log_path = NULL;
    const char *port_path = NULL;
    unsigned long port = 0;
    char *end;
    pthread_condattr_t cond_attr;
    sigset_t stop_signals;
    int sig;
    int c;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            rules_path = optarg;
            break;
        case 'p':
            port = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || port > 65535) {
                die("bad port \"%s\"", optarg);
            }
            break;
        case 'l':
            log_path = optarg;
            break;
        case 'f':
            port_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (rules_path == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }

    /* Regex rules see UTF-8 text, so let them match characters, not
     * bytes, where the C.UTF-8 locale exists. */
    (void)setlocale(LC_CTYPE, "C.UTF-8");

    /* Seed jansson's hash tables before any thread can make an object. */
    json_object_seed(0);
    memset(&srv, 0, sizeof(srv));
    load_rules(&srv, rules_path);
    srv.log = stderr;
    if (log_path != NULL) {
        srv.log = fopen(log_path, "w");
        if (srv.log == NULL) {
            die("cannot open %s: %s", log_path, strerror(errno));
        }
    }
    pthread_mutex_init(&srv.mtx, NULL);
    pthread_mutex_init(&srv.log_mtx, NULL);
    pthread_condattr_init(&cond_attr);
    pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
    pthread_cond_init(&srv.stop_cv, &cond_attr);
    pthread_condattr_destroy(&cond_attr);

    /* Block the stop signals before any thread starts, so that every
     * thread inherits the mask and sigwait() below receives them. A
     * client that hangs up mid-reply must not kill the server. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
            MHD_USE_ITC | MHD_USE_AUTO | MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, handle_request, &srv, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
        request_completed, NULL, MHD_OPTION_END);
    if (daemon == NULL) {
        die("cannot listen on 127.0.0.1:%lu", port);
    }
    info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL || info->port == 0) {
        die("cannot learn the port");
    }
    printf("listening on 127.0.0.1:%u\n", (unsigned int)info->port);
    fflush(stdout);
    if (port_path != NULL) {
        write_port_file(port_path, info->port);
    }

    while (sigwait(&stop_signals, &sig) != 0) {
        continue;
    }

    /* Cut scripted delays short, then wait for the connections. */
    pthread_mutex_lock(&srv.mtx);
    srv.stopping = 1;
    pthread_cond_broadcast(&srv.stop_cv);
    pthread_mutex_unlock(&srv.mtx);
    MHD_stop_daemon(daemon);
    free_rules(&srv);
    pthread_mutex_destroy(&srv.mtx);
    pthread_mutex_destroy(&srv.log_mtx);
    pthread_cond_destroy(&srv.stop_cv);
    if (srv.log != stderr) {
        fclose(srv.log);
    }
    return 0;
}
