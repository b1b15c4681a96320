/*
 * check_scan.c: the routing scan, on hand-written lines and on objects
 * generated at random and checked against jansson.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "tests.h"

/* Assert that a slice holds lit, or is absent when lit is NULL. */
#define ck_slice(s, lit) check_slice((s), (lit), #s, __LINE__)

static void
check_slice(cl_slice s, const char *lit, const char *what, int line)
{
    if (lit == NULL) {
        ck_assert_msg(s.p == NULL, "line %d: %s is \"%.*s\", not absent", line,
                      what, (int)s.n, s.p);
        return;
    }
    ck_assert_msg(s.p != NULL, "line %d: %s is absent, not \"%s\"", line, what,
                  lit);
    ck_assert_msg(cl_slice_eq(s, lit), "line %d: %s is \"%.*s\", not \"%s\"",
                  line, what, (int)s.n, s.p, lit);
}

/* Scan a NUL-terminated line both ways; both must accept it. */
static cl_route
scan_ok(const char *line)
{
    cl_route r;
    cl_route whole;
    json_t *j = json_loads(line, 0, NULL);

    /* The line itself must be valid, or the test proves nothing. */
    ck_assert_msg(j != NULL, "not JSON: %s", line);
    json_decref(j);
    ck_assert_msg(cl_scan_route(line, strlen(line), &r) == 0, "rejected: %s",
                  line);
    ck_assert_msg(cl_scan_route_whole(line, strlen(line), &whole) == 0,
                  "rejected in whole: %s", line);
    return whole;
}

/* Both ways must reject the first len bytes of line. */
static void
scan_bad(const char *line, size_t len)
{
    cl_route r;

    ck_assert_msg(cl_scan_route_whole(line, len, &r) == CLAUDE_EPROTO,
                  "accepted: %.*s", (int)len, line);
    ck_assert_msg(cl_scan_route(line, len, &r) == CLAUDE_EPROTO,
                  "accepted by the early-stopping scan: %.*s", (int)len, line);
}

START_TEST(finds_the_top_level_keys)
{
    cl_route r = scan_ok("{\"type\":\"system\",\"subtype\":\"init\","
                         "\"request_id\":\"req_1\",\"cwd\":\"/tmp\"}");

    ck_slice(r.type, "system");
    ck_slice(r.subtype, "init");
    ck_slice(r.request_id, "req_1");
    ck_slice(r.request_subtype, NULL);
    ck_slice(r.response_request_id, NULL);
    ck_slice(r.response_subtype, NULL);
}
END_TEST

START_TEST(keys_are_found_in_any_order)
{
    static const char *const lines[] = {
        "{\"type\":\"result\",\"subtype\":\"success\",\"n\":[1,{}]}",
        "{\"subtype\":\"success\",\"type\":\"result\",\"n\":[1,{}]}",
        "{\"n\":[1,{}],\"subtype\":\"success\",\"type\":\"result\"}",
        "{\"n\":[1,{}],\"type\":\"result\",\"subtype\":\"success\"}",
        " { \"n\" : [ 1 , { } ] ,\t\"type\" :\"result\" , \"subtype\":"
        "\r\n\"success\" } \r\n",
    };
    cl_route r;
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        r = scan_ok(lines[i]);
        ck_slice(r.type, "result");
        ck_slice(r.subtype, "success");
        ck_assert_int_eq(cl_scan_route(lines[i], strlen(lines[i]), &r), 0);
        ck_slice(r.type, "result");
        ck_slice(r.subtype, "success");
    }
}
END_TEST

START_TEST(nested_decoys_do_not_count)
{
    cl_route r =
        scan_ok("{\"message\":{\"type\":\"decoy\",\"subtype\":\"x\","
                "\"content\":[{\"type\":\"text\",\"request_id\":\"no\"}]},"
                "\"list\":[\"type\",\"decoy\",{\"type\":\"decoy\"}],"
                "\"text\":\"\\\"type\\\":\\\"decoy\\\"\","
                "\"type\":\"user\"}");

    ck_slice(r.type, "user");
    ck_slice(r.subtype, NULL);
    ck_slice(r.request_id, NULL);
}
END_TEST

START_TEST(escapes_before_the_keys_are_skipped)
{
    cl_route r = scan_ok("{\"a\":\"x\\\"y\\\\\",\"b\":\"\\\\\","
                         "\"c\":\"\\\\\\\"}\\\\\",\"d\":[\"]\\\"\"],"
                         "\"k\\\"ey\":1,\"type\":\"system\","
                         "\"subtype\":\"status\"}");

    ck_slice(r.type, "system");
    ck_slice(r.subtype, "status");
}
END_TEST

START_TEST(utf8_and_unicode_escapes_pass_through)
{
    char buf[64];
    cl_route r = scan_ok("{\"text\":\"h\xc3\xa9llo \xf0\x9f\x98\x80\","
                         "\"type\":\"caf\xc3\xa9\","
                         "\"subtype\":\"caf\\u00e9 \\ud83d\\ude00\"}");

    ck_slice(r.type, "caf\xc3\xa9");
    ck_slice(r.subtype, "caf\\u00e9 \\ud83d\\ude00");
    ck_assert_uint_eq(cl_slice_decode(r.subtype, buf), 10);
    ck_assert_str_eq(buf, "caf\xc3\xa9 \xf0\x9f\x98\x80");
}
END_TEST

START_TEST(a_key_written_with_escapes_does_not_match)
{
    cl_route r = scan_ok("{\"typ\\u0065\":\"system\",\"sub\\type\":\"x\"}");

    ck_slice(r.type, NULL);
    ck_slice(r.subtype, NULL);
}
END_TEST

START_TEST(a_wanted_key_that_is_not_a_string_is_absent)
{
    cl_route r = scan_ok("{\"type\":7,\"subtype\":null,\"request_id\":"
                         "{\"request_id\":\"x\"},\"request\":\"s\","
                         "\"response\":[{\"request_id\":\"y\"}]}");

    ck_slice(r.type, NULL);
    ck_slice(r.subtype, NULL);
    ck_slice(r.request_id, NULL);
    ck_slice(r.request_subtype, NULL);
    ck_slice(r.response_request_id, NULL);
}
END_TEST

START_TEST(the_last_of_duplicate_keys_wins)
{
    cl_route r = scan_ok("{\"subtype\":\"a\",\"subtype\":\"b\","
                         "\"response\":{\"request_id\":\"1\"},"
                         "\"response\":{\"subtype\":\"error\"},"
                         "\"request_id\":\"x\",\"request_id\":false,"
                         "\"request\":{\"subtype\":\"a\"},\"request\":{},"
                         "\"type\":\"control_response\"}");

    ck_slice(r.subtype, "b");
    ck_slice(r.request_id, NULL);
    ck_slice(r.response_request_id, NULL);
    ck_slice(r.response_subtype, "error");
    ck_slice(r.request_subtype, NULL);
}
END_TEST

START_TEST(finds_the_keys_after_a_10_mb_value)
{
    static const char head[] = "{\"message\":{\"content\":[{\"text\":\"";
    static const char piece[] = "text with \\\"quotes\\\", {braces} [and] "
                                "back\\\\slashes\\n ";
    static const char tail[] = "\"}]},\"session_id\":\"s\","
                               "\"type\":\"assistant\"}";
    size_t pieces = 10 * 1024 * 1024 / (sizeof(piece) - 1);
    size_t len = strlen(head) + pieces * strlen(piece) + strlen(tail);
    char *line = malloc(len + 1);
    char *p = line;
    cl_route r;
    size_t i;

    ck_assert_ptr_nonnull(line);
    p += sprintf(p, "%s", head);
    for (i = 0; i < pieces; i++) {
        memcpy(p, piece, strlen(piece));
        p += strlen(piece);
    }
    sprintf(p, "%s", tail);

    ck_assert_int_eq(cl_scan_route(line, len, &r), 0);
    ck_slice(r.type, "assistant");
    ck_assert_int_eq(cl_scan_route_whole(line, len, &r), 0);
    ck_slice(r.type, "assistant");
    free(line);
}
END_TEST

START_TEST(skips_nesting_a_million_levels_deep)
{
    size_t depth = 1000 * 1000;
    size_t len = 5 * depth + 64;
    char *line = malloc(len);
    size_t n = 0;
    size_t i;
    cl_route r;

    ck_assert_ptr_nonnull(line);
    n += (size_t)sprintf(line, "{\"deep\":");
    for (i = 0; i < depth; i++) {
        line[n++] = i % 2 ? '[' : '{';
        if (i % 2 == 0) {
            memcpy(line + n, "\"k\":", 4);
            n += 4;
        }
    }
    for (i = depth; i-- > 0;) {
        line[n++] = i % 2 ? ']' : '}';
    }
    n += (size_t)sprintf(line + n, ",\"type\":\"system\"}");
    ck_assert_uint_lt(n, len);

    ck_assert_int_eq(cl_scan_route_whole(line, n, &r), 0);
    ck_slice(r.type, "system");
    scan_bad(line, n - 20);
    free(line);
}
END_TEST

START_TEST(rejects_what_is_not_an_object)
{
    static const char *const lines[] = {
        "", "   ", "[{\"type\":\"system\"}]", "\"type\"", "42", "null", "}",
    };
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        scan_bad(lines[i], strlen(lines[i]));
    }
}
END_TEST

START_TEST(rejects_broken_structure)
{
    static const char *const lines[] = {
        "{\"type\" \"system\"}",            /* no colon */
        "{\"type\":\"system\" \"a\":1}",    /* no comma */
        "{\"a\":1,}",                       /* comma before the brace */
        "{,\"a\":1}",                       /* comma first */
        "{\"a\":}",                         /* no value */
        "{\"a\":,\"b\":1}",                 /* no value */
        "{\"a\"}",                          /* no colon, no value */
        "{a:1}",                            /* a key that is no string */
        "{\"a\":x}",                        /* a value that is nothing */
        "{\"a\":1}}",                       /* a brace too many */
        "{\"a\":1} x",                      /* garbage after the object */
        "{\"a\":1}{\"b\":2}",               /* two objects */
        "{\"a\":[1,2}",                     /* unclosed array */
        "{\"a\":{\"b\":[]}",                /* unclosed object */
        "{\"a\":\"open}",                   /* unterminated string */
        "{\"a\":\"x\\\"}",                  /* the quote is escaped */
        "{\"request\":{\"subtype\" 1}}",    /* no colon, nested */
        "{\"response\":{\"a\":1,}}",        /* trailing comma, nested */
        "{\"response\":{\"a\":1 \"b\":2}}", /* no comma, nested */
    };
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        scan_bad(lines[i], strlen(lines[i]));
    }
}
END_TEST

START_TEST(rejects_every_truncation_of_a_control_line)
{
    static const char *const lines[] = {
        "{\"type\":\"control_request\",\"request_id\":\"a1\","
        "\"request\":{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\","
        "\"input\":{\"command\":\"echo \\\"}\\\"\"}}}",
        "{\"response\":{\"subtype\":\"success\",\"response\":"
        "{\"n\":[1.5e3,true,null,\"\\\\\"]},\"request_id\":\"r\"},"
        "\"type\":\"control_response\"}",
    };
    size_t i;
    size_t cut;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        (void)scan_ok(lines[i]);
        for (cut = 0; cut < strlen(lines[i]); cut++) {
            scan_bad(lines[i], cut);
        }
    }
}
END_TEST

START_TEST(reads_every_control_frame_shape)
{
    cl_route r;

    /* A request from the CLI; the request id may come last. */
    r = scan_ok("{\"type\":\"control_request\",\"request\":{\"subtype\":"
                "\"can_use_tool\",\"tool_name\":\"Write\",\"input\":"
                "{\"subtype\":\"no\",\"request_id\":\"no\"},"
                "\"permission_suggestions\":[]},\"flush\":true,"
                "\"request_id\":\"7f1c\"}");
    ck_slice(r.type, "control_request");
    ck_slice(r.request_id, "7f1c");
    ck_slice(r.request_subtype, "can_use_tool");
    ck_slice(r.subtype, NULL);

    /* A success reply, its payload holding decoys. */
    r = scan_ok("{\"response\":{\"response\":{\"request_id\":\"no\","
                "\"subtype\":\"no\"},\"request_id\":\"req_1_ab12cd34\","
                "\"subtype\":\"success\"},\"type\":\"control_response\"}");
    ck_slice(r.type, "control_response");
    ck_slice(r.response_request_id, "req_1_ab12cd34");
    ck_slice(r.response_subtype, "success");
    ck_slice(r.request_id, NULL);

    /* An error reply. */
    r = scan_ok("{\"type\":\"control_response\",\"response\":{\"subtype\":"
                "\"error\",\"request_id\":\"req_2\",\"error\":\"Unsupported "
                "control request subtype: bogus_subtype\",\"error_code\":"
                "\"unsupported_request\"}}");
    ck_slice(r.response_subtype, "error");
    ck_slice(r.response_request_id, "req_2");

    /* A reply with no payload at all, and an empty request. */
    r = scan_ok("{\"type\":\"control_response\",\"response\":{}}");
    ck_slice(r.response_request_id, NULL);
    r = scan_ok("{\"type\":\"control_request\",\"request_id\":\"x\","
                "\"request\":{}}");
    ck_slice(r.request_subtype, NULL);

    r = scan_ok(
        "{\"type\":\"control_cancel_request\",\"request_id\":\"7f1c\"}");
    ck_slice(r.type, "control_cancel_request");
    ck_slice(r.request_id, "7f1c");

    r = scan_ok("{\"type\":\"keep_alive\"}");
    ck_slice(r.type, "keep_alive");
    r = scan_ok("{\"type\":\"keep_alive\",\"startup_mark\":\"prewarm\"}");
    ck_slice(r.type, "keep_alive");
    r = scan_ok("{}");
    ck_slice(r.type, NULL);
}
END_TEST

START_TEST(stops_after_the_type_when_nothing_else_is_needed)
{
    static const char assistant[] = "{\"type\":\"assistant\",\"message\":{";
    static const char system[] = "{\"type\":\"system\",\"big\":[1,2,3],"
                                 "\"subtype\":\"init\",\"rest\":[";
    static const char control[] = "{\"type\":\"control_request\",\"request\":"
                                  "{\"subtype\":\"hook_callback\"},\"x\":[";
    cl_route r;

    /* The broken rest of an assistant line is not read. */
    ck_assert_int_eq(cl_scan_route(assistant, strlen(assistant), &r), 0);
    ck_slice(r.type, "assistant");
    ck_assert_int_eq(cl_scan_route_whole(assistant, strlen(assistant), &r),
                     CLAUDE_EPROTO);

    /* A system line is read until its subtype. */
    ck_assert_int_eq(cl_scan_route(system, strlen(system), &r), 0);
    ck_slice(r.subtype, "init");

    /* Control lines are always read to the end. */
    scan_bad(control, strlen(control));
}
END_TEST

START_TEST(slice_eq_compares_whole_slices)
{
    cl_slice s = {"control_request", 7};
    cl_slice none = {NULL, 0};
    cl_slice empty = {"x", 0};

    ck_assert(cl_slice_eq(s, "control"));
    ck_assert(!cl_slice_eq(s, "contro"));
    ck_assert(!cl_slice_eq(s, "control_request"));
    ck_assert(!cl_slice_eq(none, ""));
    ck_assert(cl_slice_eq(empty, ""));
}
END_TEST

START_TEST(decodes_the_escapes_of_a_slice)
{
    static const struct {
        const char *raw;
        const char *decoded;
        size_t len;
    } cases[] = {
        {"plain", "plain", 5},
        {"a\\\"b\\\\c\\/d", "a\"b\\c/d", 7},
        {"\\b\\f\\n\\r\\t", "\b\f\n\r\t", 5},
        {"\\u0041\\u00e9\\u20ac", "A\xc3\xa9\xe2\x82\xac", 6},
        {"\\uD83D\\uDE00", "\xf0\x9f\x98\x80", 4},
        {"\\ud83d!", "\xef\xbf\xbd!", 4},
        {"\\ude00", "\xef\xbf\xbd", 3},
        {"\\u12", "\\u12", 4},
        {"\\x", "\\x", 2},
        {"end\\", "end\\", 4},
        {"a\\u0000b", "a", 3},
    };
    char buf[64];
    cl_slice s;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s.p = cases[i].raw;
        s.n = strlen(cases[i].raw);
        ck_assert_uint_eq(cl_slice_decode(s, buf), cases[i].len);
        ck_assert_str_eq(buf, cases[i].decoded);
    }
    s.p = NULL;
    s.n = 0;
    ck_assert_uint_eq(cl_slice_decode(s, buf), 0);
    ck_assert_str_eq(buf, "");
}
END_TEST

/*
 * Generated objects.  Each has a random selection of the routing keys,
 * in random order among filler members, with random white space, and
 * nested values that hold decoy routing keys and every kind of escape.
 */

typedef struct gen {
    char *buf;
    size_t len;
    size_t cap;
    unsigned int seed;
} gen;

static void
put(gen *g, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
        va_end(ap);
        ck_assert_int_ge(n, 0);
        if ((size_t)n < g->cap - g->len) {
            g->len += (size_t)n;
            return;
        }
        g->cap = g->cap * 2 + (size_t)n;
        g->buf = realloc(g->buf, g->cap);
        ck_assert_ptr_nonnull(g->buf);
    }
}

static int
roll(gen *g, int n)
{
    return rand_r(&g->seed) % n;
}

static void
space(gen *g)
{
    static const char *const ws[] = {"", "", "", " ", "\t", "\r\n", "  "};

    put(g, "%s", ws[roll(g, 7)]);
}

static const char *const decoy_keys[] = {
    "type", "subtype", "request_id", "request", "response", "k", "",
};

static void
gen_string(gen *g)
{
    static const char *const pieces[] = {
        "x", "type", "\\\"", "\\\\", "\\n", "\\u00e9", "\xc3\xa9", "{",
        "}", "[",    "]",    ",",    ":",   "\\/",     "\\\\\\\"", " ",
    };
    int n = roll(g, 8);

    put(g, "\"");
    while (n-- > 0) {
        put(g, "%s", pieces[roll(g, 16)]);
    }
    put(g, "\"");
}

/* A value nested up to depth levels; containers hold decoy keys. */
static void
gen_value(gen *g, int depth)
{
    static const char *const scalars[] = {
        "0", "-1", "3.25", "1e-7", "true", "false", "null", "12345678901",
    };
    int kind = roll(g, depth > 0 ? 5 : 3);
    int n;
    int i;

    if (kind == 0) {
        gen_string(g);
        return;
    }
    if (kind <= 2) {
        put(g, "%s", scalars[roll(g, 8)]);
        return;
    }
    n = roll(g, 4);
    put(g, kind == 3 ? "[" : "{");
    for (i = 0; i < n; i++) {
        space(g);
        if (i > 0) {
            put(g, ",");
            space(g);
        }
        if (kind == 4) {
            put(g, "\"%s\"", decoy_keys[roll(g, 7)]);
            space(g);
            put(g, ":");
            space(g);
        }
        gen_value(g, depth - 1);
    }
    space(g);
    put(g, kind == 3 ? "]" : "}");
}

/* A routing value: usually a string without escapes, else anything. */
static void
gen_routing_value(gen *g, int depth)
{
    static const char *const names[] = {
        "control_request",
        "control_response",
        "control_cancel_request",
        "assistant",
        "user",
        "system",
        "result",
        "init",
        "success",
        "error",
        "req_1_ab12cd34",
        "caf\xc3\xa9",
        "",
        "keep_alive",
        "stream_event",
    };

    if (roll(g, 8) == 0) {
        gen_value(g, depth);
    } else {
        put(g, "\"%s\"", names[roll(g, 15)]);
    }
}

/* Members of an object, the wanted keys among fillers in random order. */
static void
gen_members(gen *g, const char *const *wanted, int nwanted, int nested)
{
    const char *keys[16];
    const char *tmp;
    int nkeys = 0;
    int fillers = roll(g, 5);
    int i;
    int j;

    for (i = 0; i < nwanted; i++) {
        if (roll(g, 4) != 0) {
            keys[nkeys++] = wanted[i];
        }
    }
    for (i = 0; i < fillers; i++) {
        keys[nkeys++] = NULL;
    }
    for (i = nkeys - 1; i > 0; i--) {
        j = roll(g, i + 1);
        tmp = keys[i];
        keys[i] = keys[j];
        keys[j] = tmp;
    }

    put(g, "{");
    for (i = 0; i < nkeys; i++) {
        space(g);
        if (i > 0) {
            put(g, ",");
            space(g);
        }
        if (keys[i] == NULL) {
            put(g, "\"filler%d\"", i);
        } else {
            put(g, "\"%s\"", keys[i]);
        }
        space(g);
        put(g, ":");
        space(g);
        if (keys[i] == NULL) {
            gen_value(g, 4);
        } else if (!nested && (strcmp(keys[i], "request") == 0 ||
                               strcmp(keys[i], "response") == 0)) {
            if (roll(g, 6) == 0) {
                gen_value(g, 2);
            } else if (strcmp(keys[i], "request") == 0) {
                gen_members(g, (const char *const[]){"subtype"}, 1, 1);
            } else {
                gen_members(g, (const char *const[]){"request_id", "subtype"},
                            2, 1);
            }
        } else {
            gen_routing_value(g, 2);
        }
    }
    space(g);
    put(g, "}");
}

/* Does the slice agree with the string value of obj[key]? */
static void
agree(cl_slice s, json_t *obj, const char *key, const gen *g)
{
    json_t *v = json_object_get(obj, key);
    const char *str = json_string_value(v);
    char *decoded;
    size_t n;

    if (str == NULL) {
        ck_assert_msg(s.p == NULL, "%s found in %s", key, g->buf);
        return;
    }
    ck_assert_msg(s.p != NULL, "%s not found in %s", key, g->buf);
    decoded = malloc(s.n + 1);
    ck_assert_ptr_nonnull(decoded);
    n = cl_slice_decode(s, decoded);
    ck_assert_msg(n == json_string_length(v) && memcmp(decoded, str, n) == 0,
                  "%s differs in %s", key, g->buf);
    free(decoded);
}

/* A field the early-stopping scan found must be the one the whole
 * scan found. */
static void
same_or_absent(cl_slice fast, cl_slice whole, const gen *g)
{
    if (fast.p != NULL) {
        ck_assert_msg(fast.p == whole.p && fast.n == whole.n,
                      "the scans differ on %s", g->buf);
    }
}

START_TEST(agrees_with_jansson_on_generated_objects)
{
    static const char *const top[] = {"type", "subtype", "request_id",
                                      "request", "response"};
    gen g = {NULL, 0, 0, 0};
    json_error_t jerr;
    json_t *j;
    cl_route r;
    cl_route w;
    size_t cut;
    int i;

    g.cap = 4096;
    g.buf = malloc(g.cap);
    ck_assert_ptr_nonnull(g.buf);
    for (i = 0; i < 5000; i++) {
        g.seed = (unsigned int)i;
        g.len = 0;
        gen_members(&g, top, 5, 0);
        j = json_loadb(g.buf, g.len, 0, &jerr);
        ck_assert_msg(j != NULL, "seed %d: jansson rejects %s: %s", i, g.buf,
                      jerr.text);

        ck_assert_int_eq(cl_scan_route_whole(g.buf, g.len, &w), 0);
        agree(w.type, j, "type", &g);
        agree(w.subtype, j, "subtype", &g);
        agree(w.request_id, j, "request_id", &g);
        agree(w.request_subtype, json_object_get(j, "request"), "subtype", &g);
        agree(w.response_request_id, json_object_get(j, "response"),
              "request_id", &g);
        agree(w.response_subtype, json_object_get(j, "response"), "subtype",
              &g);

        /* The early stop loses nothing routing needs. */
        ck_assert_int_eq(cl_scan_route(g.buf, g.len, &r), 0);
        ck_assert(r.type.p == w.type.p && r.type.n == w.type.n);
        if (cl_slice_eq(w.type, "control_request") ||
            cl_slice_eq(w.type, "control_response") ||
            cl_slice_eq(w.type, "control_cancel_request")) {
            ck_assert_mem_eq(&r, &w, sizeof(r));
        }
        if (!cl_slice_eq(w.type, "assistant") && !cl_slice_eq(w.type, "user") &&
            !cl_slice_eq(w.type, "stream_event")) {
            ck_assert(r.subtype.p == w.subtype.p);
        }
        same_or_absent(r.request_id, w.request_id, &g);
        same_or_absent(r.request_subtype, w.request_subtype, &g);
        same_or_absent(r.response_request_id, w.response_request_id, &g);
        same_or_absent(r.response_subtype, w.response_subtype, &g);

        /* No part of an object is an object. */
        for (cut = 0; cut < g.len; cut += 1 + (size_t)roll(&g, 3)) {
            ck_assert_msg(cl_scan_route_whole(g.buf, cut, &w) == CLAUDE_EPROTO,
                          "accepted %zu bytes of %s", cut, g.buf);
        }
        json_decref(j);
    }
    free(g.buf);
}
END_TEST

void
cl_scan_tests(void)
{
    cl_test_add("scan", "scan: finds type, subtype and request_id",
                finds_the_top_level_keys, 10);
    cl_test_add("scan", "scan: finds the keys in any order",
                keys_are_found_in_any_order, 10);
    cl_test_add("scan", "scan: a type key inside a nested value does not count",
                nested_decoys_do_not_count, 10);
    cl_test_add("scan", "scan: escaped quotes and backslashes are skipped",
                escapes_before_the_keys_are_skipped, 10);
    cl_test_add("scan", "scan: UTF-8 and \\u escapes pass through",
                utf8_and_unicode_escapes_pass_through, 10);
    cl_test_add("scan", "scan: a key written with escapes does not match",
                a_key_written_with_escapes_does_not_match, 10);
    cl_test_add("scan", "scan: a routing key that is not a string is absent",
                a_wanted_key_that_is_not_a_string_is_absent, 10);
    cl_test_add("scan", "scan: the last of duplicate keys wins",
                the_last_of_duplicate_keys_wins, 10);
    cl_test_add("scan", "scan: finds the type after a 10 MB value",
                finds_the_keys_after_a_10_mb_value, 30);
    cl_test_add("scan", "scan: skips nesting a million levels deep",
                skips_nesting_a_million_levels_deep, 30);
    cl_test_add("scan", "scan: rejects what is not an object",
                rejects_what_is_not_an_object, 10);
    cl_test_add("scan", "scan: rejects broken structure",
                rejects_broken_structure, 10);
    cl_test_add("scan", "scan: rejects every truncation of a control line",
                rejects_every_truncation_of_a_control_line, 10);
    cl_test_add("scan", "scan: reads every control frame shape",
                reads_every_control_frame_shape, 10);
    cl_test_add("scan",
                "scan: stops after the type when routing needs nothing "
                "more",
                stops_after_the_type_when_nothing_else_is_needed, 10);
    cl_test_add("scan", "scan: cl_slice_eq compares whole slices",
                slice_eq_compares_whole_slices, 10);
    cl_test_add("scan", "scan: decodes the escapes of a slice",
                decodes_the_escapes_of_a_slice, 10);
    cl_test_add("scan", "scan: agrees with jansson on 5,000 generated objects",
                agrees_with_jansson_on_generated_objects, 60);
}
