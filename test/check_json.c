/*
 * check_json.c: the raw JSON checker, member reader and writer, on
 * hand-written text and on text generated at random and checked
 * against jansson.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claude.h"
#include "json.h"
#include "tests.h"

/* Does jansson take text as one value? */
static bool
jansson_takes(const char *text, size_t n)
{
    json_t *j = json_loadb(text, n, JSON_DECODE_ANY, NULL);

    json_decref(j);
    return j != NULL;
}

static void
check_same(const char *text)
{
    size_t n = strlen(text);

    ck_assert_msg(cl_json_check(text, n) == jansson_takes(text, n),
                  "checker says %d, jansson %d: %s", cl_json_check(text, n),
                  jansson_takes(text, n), text);
}

START_TEST(agrees_with_jansson_on_hand_written_text)
{
    static const char *const texts[] = {
        "{}",
        "[]",
        "{\"a\":1}",
        " { \"a\" : [ 1 , 2 ] } ",
        "\"x\"",
        "0",
        "-0",
        "1.5e10",
        "-1E-2",
        "true",
        "false",
        "null",
        "[{},[],\"\"]",
        "{\"a\":\"\\u00e9\\n\\t\\\\\\\"\\/\"}",
        "\"caf\xc3\xa9\"",
        "\"\xf0\x9f\x98\x80\"",
        /* and what must be refused */
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "[1,]",
        "[1 2]",
        "{1:2}",
        "{\"a\":1}x",
        "01",
        "1.",
        ".5",
        "1e",
        "-",
        "+1",
        "tru",
        "nul",
        "True",
        "\"abc",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u12g4\"",
        "\"a\tb\"",
        "\"\xc3\"",
        "\"\xc0\xaf\"",
        "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"",
        "\"\xff\"",
        "{\"a\":[1,}]}",
        "[}",
        "{]",
        "{\"a\" 1}",
        "[1]]",
        "{}{}",
    };
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        check_same(texts[i]);
    }
}
END_TEST

START_TEST(refuses_nesting_past_its_depth)
{
    size_t depth = CL_JSON_MAX_DEPTH + 1;
    char *text = malloc(2 * depth + 1);
    size_t i;

    ck_assert_ptr_nonnull(text);
    for (i = 0; i < depth; i++) {
        text[i] = '[';
        text[2 * depth - 1 - i] = ']';
    }
    text[2 * depth] = '\0';
    ck_assert(!cl_json_check(text, 2 * depth));
    /* One level less is fine. */
    ck_assert(cl_json_check(text + 1, 2 * depth - 2));
    free(text);
}
END_TEST

/* A random value, as text, into buf; depth bounds the nesting. */
static void
gen_value(char *buf, size_t *len, size_t cap, unsigned int *seed, int depth)
{
    static const char *const atoms[] = {
        "0",    "-12",  "3.25",  "1e9",     "true",        "false",
        "null", "\"\"", "\"a\"", "\"\\n\"", "\"\\u00e9\"", "\"caf\xc3\xa9\"",
    };
    int kind = depth <= 0 ? 0 : (int)(rand_r(seed) % 3);
    int n;
    int i;

    if (*len + 64 >= cap) {
        kind = 0;
    }
    if (kind == 0) {
        const char *a = atoms[rand_r(seed) % (sizeof(atoms) / sizeof(*atoms))];

        if (*len + strlen(a) + 1 < cap) {
            memcpy(buf + *len, a, strlen(a));
            *len += strlen(a);
        }
        return;
    }
    buf[(*len)++] = kind == 1 ? '[' : '{';
    n = (int)(rand_r(seed) % 4);
    for (i = 0; i < n && *len + 64 < cap; i++) {
        if (i > 0) {
            buf[(*len)++] = ',';
        }
        if (kind == 2) {
            *len += (size_t)snprintf(buf + *len, cap - *len, "\"k%d\":", i);
        }
        gen_value(buf, len, cap, seed, depth - 1);
    }
    buf[(*len)++] = kind == 1 ? ']' : '}';
}

START_TEST(agrees_with_jansson_on_generated_and_broken_text)
{
    char buf[4096];
    char broken[4096];
    unsigned int seed = 7;
    size_t len;
    size_t at;
    int round;
    int cut;

    for (round = 0; round < 3000; round++) {
        len = 0;
        gen_value(buf, &len, sizeof(buf), &seed, 5);
        ck_assert_msg(cl_json_check(buf, len), "refused: %.*s", (int)len, buf);
        ck_assert(jansson_takes(buf, len));

        /* Every byte replaced by one that matters to the grammar. */
        for (cut = 0; cut < 4; cut++) {
            memcpy(broken, buf, len);
            at = (size_t)rand_r(&seed) % len;
            broken[at] = "{}[],:\"\\1 x\x80"[rand_r(&seed) % 12];
            ck_assert_msg(cl_json_check(broken, len) ==
                              jansson_takes(broken, len),
                          "disagree on: %.*s", (int)len, broken);
        }
        /* Every truncation is refused (a bare number may survive). */
        at = (size_t)rand_r(&seed) % len;
        ck_assert(cl_json_check(buf, at) == jansson_takes(buf, at));
    }
}
END_TEST

START_TEST(members_are_found_wherever_they_sit)
{
    static const char *const keys[] = {"a", "b", "c"};
    const char *obj = "{ \"b\" : [1,{\"a\":2}], \"x\":\"}\", \"a\":\"s\\\"t\","
                      "\"b\":{} }";
    cl_slice v[3];

    ck_assert_int_eq(cl_json_members(obj, strlen(obj), keys, v, 3), 0);
    ck_assert_int_eq((int)v[0].n, 6);
    ck_assert(memcmp(v[0].p, "\"s\\\"t\"", 6) == 0);
    /* The last of two wins. */
    ck_assert_int_eq((int)v[1].n, 2);
    ck_assert(memcmp(v[1].p, "{}", 2) == 0);
    ck_assert_ptr_null(v[2].p);
    ck_assert(cl_slice_eq(cl_json_string_body(v[0]), "s\\\"t"));
    ck_assert_ptr_null(cl_json_string_body(v[1]).p);

    ck_assert_int_eq(cl_json_members("{}", 2, keys, v, 3), 0);
    ck_assert_ptr_null(v[0].p);
    ck_assert_int_eq(cl_json_members("[]", 2, keys, v, 3), CLAUDE_EPROTO);
    ck_assert_int_eq(cl_json_members("{\"a\":1", 6, keys, v, 3), CLAUDE_EPROTO);
    ck_assert_int_eq(cl_json_members("{\"a\" 1}", 7, keys, v, 3),
                     CLAUDE_EPROTO);
    ck_assert_int_eq(cl_json_members("{\"a\":1 2}", 9, keys, v, 3),
                     CLAUDE_EPROTO);
}
END_TEST

START_TEST(written_strings_read_back_the_same)
{
    char text[256];
    cl_out o;
    json_t *j;
    int i;

    /* Every byte from 1 to 255 but the multi-byte ones, and UTF-8. */
    for (i = 1; i < 128; i++) {
        text[i - 1] = (char)i;
    }
    memcpy(text + 127, "caf\xc3\xa9 \xf0\x9f\x98\x80", 10);
    text[137] = '\0';

    cl_out_init(&o);
    cl_out_quoted(&o, text);
    ck_assert(!cl_out_failed(&o));
    ck_assert(cl_json_check(o.p, o.len));
    j = json_loadb(o.p, o.len, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(j), text);
    json_decref(j);
    cl_out_free(&o);

    /* Past the inline storage, and a jansson value. */
    cl_out_init(&o);
    for (i = 0; i < 100; i++) {
        cl_out_str(&o, "0123456789");
    }
    ck_assert_uint_eq(o.len, 1000);
    j = json_pack("{s:[i,s]}", "k", 1, "v");
    cl_out_raw(&o, "", 0);
    cl_out_json(&o, j);
    json_decref(j);
    ck_assert(!cl_out_failed(&o));
    ck_assert_str_eq(o.p + 1000, "{\"k\":[1,\"v\"]}");
    cl_out_free(&o);
}
END_TEST

/*
 * Each allocation of a parse fails in turn; a NULL answer must then say
 * that memory ran out.  No token is longer than jansson's first lexer
 * buffer, whose growth jansson does not handle when it fails.
 */
START_TEST(a_parse_that_runs_out_of_memory_says_so)
{
    static const char text[] =
        "{\"type\":\"result\",\"n\":[1,2.5,true,null],\"o\":{\"k\":\"v\"}}";
    static const char *const not_memory[] = {
        "{\"a\":", "\"text\"", "{\"a\":1e999}", "{\"a\":\"\\u0000\"}", "[1,]"};
    json_t *j = NULL;
    bool nomem;
    size_t i;
    int n;

    for (n = 1; j == NULL; n++) {
        test_jansson_fail_nth(n);
        j = cl_json_load(text, strlen(text), 0, NULL, &nomem);
        ck_assert_msg(j != NULL || nomem,
                      "allocation %d failed and nomem is not set", n);
    }
    /* The parse that worked was the first one that nothing failed. */
    ck_assert_int_gt(n, 3);
    ck_assert(test_jansson_armed());
    test_jansson_fail_nth(0);
    json_decref(j);

    /* Text that jansson refuses is not a lack of memory. */
    for (i = 0; i < sizeof(not_memory) / sizeof(not_memory[0]); i++) {
        j = cl_json_load(not_memory[i], strlen(not_memory[i]), 0, NULL, &nomem);
        ck_assert_ptr_null(j);
        ck_assert_msg(!nomem, "%s reads as out of memory", not_memory[i]);
    }
}
END_TEST

/* A dump that runs out of memory fails whole; it never loses a part. */
START_TEST(a_dump_that_runs_out_of_memory_fails_whole)
{
    json_t *j = json_pack(
        "{s:s,s:s,s:{s:s,s:[{s:s,s:s}]},s:n}", "type", "user", "session_id", "",
        "message", "role", "user", "content", "type", "text", "text",
        "a text long enough to make the buffers grow", "parent_tool_use_id");
    char *want = cl_json_dumps(j);
    char *got;
    int n;

    ck_assert_ptr_nonnull(want);
    for (n = 1;; n++) {
        test_jansson_fail_nth(n);
        got = cl_json_dumps(j);
        if (got != NULL) {
            ck_assert_str_eq(got, want);
        }
        free(got);
        if (test_jansson_armed()) {
            break;
        }
    }
    test_jansson_fail_nth(0);
    ck_assert_int_gt(n, 1);
    free(want);
    json_decref(j);
}
END_TEST

void
cl_json_tests(void)
{
    cl_test_add("json",
                "json: the checker agrees with jansson on "
                "hand-written text",
                agrees_with_jansson_on_hand_written_text, 10);
    cl_test_add("json", "json: the checker refuses nesting past its depth",
                refuses_nesting_past_its_depth, 10);
    cl_test_add("json",
                "json: the checker agrees with jansson on generated and "
                "broken text",
                agrees_with_jansson_on_generated_and_broken_text, 60);
    cl_test_add("json", "json: members are found wherever they sit",
                members_are_found_wherever_they_sit, 10);
    cl_test_add("json", "json: written strings read back the same",
                written_strings_read_back_the_same, 10);
    cl_test_add("json", "json: a parse that runs out of memory says so",
                a_parse_that_runs_out_of_memory_says_so, 10);
    cl_test_add("json", "json: a dump that runs out of memory fails whole",
                a_dump_that_runs_out_of_memory_fails_whole, 10);
}
