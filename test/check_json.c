/*
 * check_json.c: the raw JSON checker, the parser, the member reader
 * and the writer, on hand-written text and on text generated at random
 * and checked against jansson.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claude.h"
#include "json.h"
#include "counting-alloc.h"
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

/* Atoms past this many are valid JSON that jansson may refuse. */
#define PLAIN_ATOMS 12

/*
 * A random value, as text, into buf; depth bounds the nesting.  Keys
 * repeat.  Unless tricky, every value is one jansson takes.
 */
static void
gen_value(char *buf, size_t *len, size_t cap, unsigned int *seed, int depth,
          bool tricky)
{
    static const char *const atoms[] = {
        "0",
        "-12",
        "3.25",
        "1e9",
        "true",
        "false",
        "null",
        "\"\"",
        "\"a\"",
        "\"\\n\"",
        "\"\\u00e9\"",
        "\"caf\xc3\xa9\"",
        "-0",
        "0.1e-2",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "1e400",
        "1e-400",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\u0000\"",
        "\"\\\"\\/\\b\\f\\r\\t\"",
    };
    size_t n_atoms = tricky ? sizeof(atoms) / sizeof(*atoms) : PLAIN_ATOMS;
    int kind = depth <= 0 ? 0 : (int)(rand_r(seed) % 3);
    int n;
    int i;

    if (*len + 64 >= cap) {
        kind = 0;
    }
    if (kind == 0) {
        const char *a = atoms[rand_r(seed) % n_atoms];

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
            /* Few keys, so that some repeat; a tricky one holds NUL. */
            *len += (size_t)snprintf(
                buf + *len, cap - *len,
                "\"k%s%d\":", tricky && rand_r(seed) % 50 == 0 ? "\\u0000" : "",
                (int)(rand_r(seed) % 4));
        }
        gen_value(buf, len, cap, seed, depth - 1, tricky);
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
        gen_value(buf, &len, sizeof(buf), &seed, 5, false);
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

/* The flags the library parses with, alone and together. */
static const size_t load_flags[] = {
    0,
    JSON_REJECT_DUPLICATES,
    JSON_ALLOW_NUL,
    JSON_DECODE_ANY,
    JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
};

#define N_LOAD_FLAGS (sizeof(load_flags) / sizeof(load_flags[0]))

/* Does text contain a NUL byte? */
static bool
has_nul_byte(const char *text, size_t n)
{
    return memchr(text, '\0', n) != NULL;
}

/*
 * cl_json_load() and json_loadb() agree on [text, text + n): both
 * refuse it, with the same code, or both take it, into trees that are
 * equal (an integer is never equal to a real) and print the same
 * (members in the same order).  jansson reads a NUL byte that follows a
 * number or a literal as white space; there the parser may refuse
 * what jansson takes.
 */
static void
check_load_same(const char *text, size_t n, size_t flags)
{
    json_error_t ours_err;
    json_error_t theirs_err;
    json_t *ours = cl_json_load(text, n, flags, &ours_err, NULL);
    json_t *theirs = json_loadb(text, n, flags, &theirs_err);
    json_t *bare;
    bool nomem = true;
    char *ours_text;
    char *theirs_text;

    if (ours == NULL && theirs != NULL && has_nul_byte(text, n)) {
        json_decref(theirs);
        return;
    }
    ck_assert_msg((ours != NULL) == (theirs != NULL),
                  "flags %zx: parser %s, jansson %s: %.*s", flags,
                  ours ? "takes" : "refuses", theirs ? "takes" : "refuses",
                  (int)n, text);
    if (ours == NULL) {
        ck_assert_int_eq(json_error_code(&ours_err),
                         json_error_code(&theirs_err));
        ck_assert_str_eq(ours_err.text, theirs_err.text);
        ck_assert_int_eq(ours_err.position, theirs_err.position);
    } else {
        ck_assert_msg(json_equal(ours, theirs), "trees differ: %.*s", (int)n,
                      text);
        ours_text = json_dumps(ours, JSON_COMPACT | JSON_ENCODE_ANY);
        theirs_text = json_dumps(theirs, JSON_COMPACT | JSON_ENCODE_ANY);
        ck_assert_str_eq(ours_text, theirs_text);
        free(ours_text);
        free(theirs_text);
    }

    /* Without jerr, and saying that memory did not run out. */
    bare = cl_json_load(text, n, flags, NULL, &nomem);
    ck_assert((bare != NULL) == (ours != NULL));
    ck_assert(!nomem);
    json_decref(bare);
    json_decref(ours);
    json_decref(theirs);
}

static void
check_load_same_all_flags(const char *text, size_t n)
{
    size_t i;

    for (i = 0; i < N_LOAD_FLAGS; i++) {
        check_load_same(text, n, load_flags[i]);
    }
}

START_TEST(loads_like_jansson_on_hand_written_text)
{
    static const char *const texts[] = {
        "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
        "[\"\\ud83d\\ude00\"]",
        "[\"\\uD83D\\uDE00 and \\u00e9\\u20ac\"]",
        "[\"\\ud83d\"]",
        "[\"\\ude00\"]",
        "[\"\\ud83d\\u0041\"]",
        "[\"\\ud83dx\"]",
        "[\"\\ud83d\\\"]",
        "[\"\\ud83d\\ud83d\"]",
        "[\"\\u0000\"]",
        "[\"a\\u0000b\"]",
        "{\"a\\u0000\":1}",
        "{\"\\u0000\":1}",
        "{\"a\":1,\"a\":2}",
        "{\"a\":[1],\"b\":2,\"a\":{}}",
        "{\"a\":1,\"\\u0061\":2}",
        "{\"\":1}",
        "{\"\\n\\\"\":[]}",
        "[9223372036854775807]",
        "[9223372036854775808]",
        "[-9223372036854775808]",
        "[-9223372036854775809]",
        "[99999999999999999999999]",
        "[1e308]",
        "[1.7976931348623157e308]",
        "[1.7976931348623159e308]",
        "[1e309]",
        "[-1e309]",
        "[1e-400]",
        "[0.1,-0,-0.0,0e0,1E+2,1e-2,12.5e1]",
        "[123456789012345678901234567890.5]",
        "[0.30000000000000004]",
        "[2.2250738585072011e-308]",
        "[4.9e-324]",
        "[01]",
        "[-]",
        "[-a]",
        "[1.]",
        "[.5]",
        "[1e]",
        "[1e+]",
        "[+1]",
        "[1.5.5]",
        "[0x10]",
        "[Infinity]",
        "[NaN]",
        "[truex]",
        "[true1]",
        "[nul]",
        "[tru]",
        "1",
        "\"x\"",
        "null",
        "  [1]  ",
        "\t\n\r[1]\r\n\t",
        "[1]\f",
        "\f[1]",
        "[1] [2]",
        "[1],",
        "",
        "   ",
        "[",
        "{",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1",
        "{\"a\":1,",
        "{\"a\" 1}",
        "{\"a\":1 \"b\":2}",
        "{1:2}",
        "{\"a\":1,}",
        "[1,]",
        "[,1]",
        "[1 2]",
        "[}",
        "{]",
        "[\"a\tb\"]",
        "[\"a\nb\"]",
        "[\"\\x\"]",
        "[\"\\u12\"]",
        "[\"\\u12g4\"]",
        "[\"\xc3\"]",
        "[\"\xc0\xaf\"]",
        "[\"\xed\xa0\x80\"]",
        "[\"\xf4\x90\x80\x80\"]",
        "[\"\xff\"]",
        "[\"caf\xc3\xa9 \xf0\x9f\x98\x80\"]",
        "[\xc3\xa9]",
        "[\"unterminated",
        "[\"a\\",
    };
    /* jansson takes the first three, reading the NUL as white space. */
    static const struct {
        const char *text;
        size_t n;
    } nul_texts[] = {
        {"1\0", 2},   {"true\0", 5},   {"[1\0 ]", 5},
        {"[1\0]", 4}, {"[true\0]", 7}, {"[\"\0\"]", 5},
        {"[1]\0", 4}, {"\0[1]", 4},    {"[\0]", 3},
    };
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        check_load_same_all_flags(texts[i], strlen(texts[i]));
    }
    for (i = 0; i < sizeof(nul_texts) / sizeof(nul_texts[0]); i++) {
        ck_assert_ptr_null(cl_json_load(nul_texts[i].text, nul_texts[i].n,
                                        JSON_DECODE_ANY, NULL, NULL));
        check_load_same_all_flags(nul_texts[i].text, nul_texts[i].n);
    }
}
END_TEST

/* n containers deep: arrays or objects, and a value innermost or not. */
static char *
nested(size_t n, bool objects, const char *inner)
{
    size_t open_len = objects ? 5 : 1; /* {"a": or [ */
    size_t len = n * (open_len + 1) + strlen(inner);
    char *text = malloc(len + 1);
    char *p = text;
    size_t i;

    ck_assert_ptr_nonnull(text);
    for (i = 0; i < n; i++) {
        memcpy(p, objects ? "{\"a\":" : "[", open_len);
        p += open_len;
    }
    memcpy(p, inner, strlen(inner));
    p += strlen(inner);
    for (i = 0; i < n; i++) {
        *p++ = objects ? '}' : ']';
    }
    *p = '\0';
    return text;
}

START_TEST(loads_like_jansson_at_the_depth_limit)
{
    static const size_t depths[] = {1,    31,   32,   33,   100,
                                    2046, 2047, 2048, 2049, 3000};
    json_error_t jerr;
    char *text;
    size_t i;

    for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
        text = nested(depths[i], false, "");
        check_load_same_all_flags(text, strlen(text));
        free(text);
        text = nested(depths[i], false, "1");
        check_load_same_all_flags(text, strlen(text));
        free(text);
        text = nested(depths[i], true, "[]");
        check_load_same_all_flags(text, strlen(text));
        free(text);
    }

    /* The deepest arrays jansson takes, and one deeper. */
    text = nested(JSON_PARSER_MAX_DEPTH, false, "");
    json_decref(cl_json_load(text, strlen(text), 0, &jerr, NULL));
    ck_assert_str_eq(jerr.text, "");
    free(text);
    text = nested(JSON_PARSER_MAX_DEPTH + 1, false, "");
    ck_assert_ptr_null(cl_json_load(text, strlen(text), 0, &jerr, NULL));
    ck_assert_int_eq(json_error_code(&jerr), json_error_stack_overflow);
    free(text);
}
END_TEST

/* A string of n bytes, every k-th of them escaped, as a JSON text. */
static char *
long_string(size_t n, size_t k)
{
    char *text = malloc(6 * n + 5);
    size_t len = 0;
    size_t i;

    ck_assert_ptr_nonnull(text);
    memcpy(text, "[\"", 2);
    len = 2;
    for (i = 0; i < n; i++) {
        if (k > 0 && i % k == 0) {
            memcpy(text + len, i % 2 ? "\\u00e9" : "\\n", i % 2 ? 6 : 2);
            len += i % 2 ? 6 : 2;
        } else {
            text[len++] = (char)('a' + i % 26);
        }
    }
    memcpy(text + len, "\"]", 3);
    return text;
}

START_TEST(loads_like_jansson_on_long_tokens)
{
    char number[700];
    char *text;

    text = long_string(1000, 0);
    check_load_same_all_flags(text, strlen(text));
    free(text);
    text = long_string(1000, 7);
    check_load_same_all_flags(text, strlen(text));
    free(text);
    text = long_string(300, 1);
    check_load_same_all_flags(text, strlen(text));
    free(text);

    /* A real longer than the parser's own storage for it. */
    memset(number, '1', sizeof(number));
    memcpy(number, "[0.", 3);
    memcpy(number + sizeof(number) - 3, "9]", 3);
    check_load_same_all_flags(number, strlen(number));
    number[sizeof(number) - 5] = 'e';
    check_load_same_all_flags(number, strlen(number));
}
END_TEST

START_TEST(loads_like_jansson_on_generated_and_broken_text)
{
    char buf[4096];
    char broken[4096];
    unsigned int seed = 11;
    size_t len;
    size_t at;
    int round;
    int cut;

    for (round = 0; round < 1500; round++) {
        len = 0;
        gen_value(buf, &len, sizeof(buf), &seed, 5, true);
        check_load_same_all_flags(buf, len);

        /* A byte replaced by one that matters to the grammar. */
        for (cut = 0; cut < 3; cut++) {
            memcpy(broken, buf, len);
            at = (size_t)rand_r(&seed) % len;
            broken[at] = "{}[],:\"\\1 xu.e-\x80"[rand_r(&seed) % 16];
            check_load_same_all_flags(broken, len);
        }
        /* A byte removed, and a truncation. */
        at = (size_t)rand_r(&seed) % len;
        memcpy(broken, buf, at);
        memcpy(broken + at, buf + at + 1, len - at - 1);
        check_load_same_all_flags(broken, len - 1);
        check_load_same_all_flags(buf, (size_t)rand_r(&seed) % len);
    }
}
END_TEST

/*
 * Parse text with each allocation failing in turn: every failure is a
 * clean NULL with *nomem set and nothing left allocated, and the parse
 * that nothing failed gives the tree jansson gives.
 */
static void
check_every_allocation_fails_cleanly(const char *text, size_t flags)
{
    json_t *want = json_loadb(text, strlen(text), flags, NULL);
    json_t *j;
    bool nomem;
    long n;

    ck_assert_ptr_nonnull(want);
    json_set_alloc_funcs(counting_malloc, counting_free);
    for (n = 1;; n++) {
        live_blocks = 0;
        allocations = 0;
        fail_at = n;
        j = cl_json_load(text, strlen(text), flags, NULL, &nomem);
        if (allocations < n) {
            break;
        }
        ck_assert_msg(j == NULL && nomem,
                      "allocation %ld failed, and the parse %s", n,
                      j != NULL ? "went on" : "did not say memory ran out");
        ck_assert_msg(live_blocks == 0, "allocation %ld failed; %ld leaked", n,
                      live_blocks);
    }
    json_set_alloc_funcs(malloc, free);
    ck_assert_msg(j != NULL && !nomem, "a parse with no failure failed");
    ck_assert(json_equal(j, want));
    ck_assert_int_gt(n, 1);
    json_decref(j);
    json_decref(want);
}

START_TEST(a_parse_that_runs_out_of_memory_fails_cleanly)
{
    static const char *const texts[] = {
        "{\"type\":\"result\",\"n\":[1,2.5,true,null],\"o\":{\"k\":\"v\"}}",
        "{\"a\":1,\"a\":[2],\"a\":{\"b\":3},\"\\u0062\\n\":\"\\u00e9\"}",
        "[\"\\ud83d\\ude00\",-9223372036854775808,1e-400,0.5]",
    };
    char *text;
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        check_every_allocation_fails_cleanly(texts[i], 0);
    }
    check_every_allocation_fails_cleanly(texts[0], JSON_REJECT_DUPLICATES);
    check_every_allocation_fails_cleanly("[\"a\\u0000b\"]", JSON_ALLOW_NUL);
    check_every_allocation_fails_cleanly("\"x\"", JSON_DECODE_ANY);

    /* The stack of open containers and the decoded text both grow. */
    text = nested(100, true, "[1]");
    check_every_allocation_fails_cleanly(text, JSON_REJECT_DUPLICATES);
    free(text);
    text = long_string(700, 3);
    check_every_allocation_fails_cleanly(text, 0);
    free(text);
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

/* Text that jansson refuses is not a lack of memory. */
START_TEST(invalid_text_is_not_a_lack_of_memory)
{
    static const char *const not_memory[] = {
        "{\"a\":", "\"text\"", "{\"a\":1e999}", "{\"a\":\"\\u0000\"}", "[1,]"};
    json_t *j;
    bool nomem;
    size_t i;

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
    cl_test_add("json",
                "json: the parser loads like jansson on hand-written text",
                loads_like_jansson_on_hand_written_text, 10);
    cl_test_add("json",
                "json: the parser loads like jansson at the depth limit",
                loads_like_jansson_at_the_depth_limit, 30);
    cl_test_add("json", "json: the parser loads like jansson on long tokens",
                loads_like_jansson_on_long_tokens, 10);
    cl_test_add("json",
                "json: the parser loads like jansson on generated and "
                "broken text",
                loads_like_jansson_on_generated_and_broken_text, 120);
    cl_test_add("json", "json: a parse that runs out of memory fails cleanly",
                a_parse_that_runs_out_of_memory_fails_cleanly, 60);
    cl_test_add("json", "json: invalid text is not a lack of memory",
                invalid_text_is_not_a_lack_of_memory, 10);
    cl_test_add("json", "json: a dump that runs out of memory fails whole",
                a_dump_that_runs_out_of_memory_fails_whole, 10);
}
