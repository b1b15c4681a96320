/*
 * check_framer.c: the framer, fed without any I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framer.h"
#include "tests.h"

/* What the framer produced, one record per line: "L:", "N:", "T:". */
typedef struct out {
    char *buf;
    size_t len;
    size_t cap;
} out;

static void
out_add(out *o, const char *kind, const char *s, size_t n)
{
    size_t need = o->len + n + 4;

    if (need > o->cap) {
        o->cap = need * 2;
        o->buf = realloc(o->buf, o->cap);
        ck_assert_ptr_nonnull(o->buf);
    }
    memcpy(o->buf + o->len, kind, 2);
    memcpy(o->buf + o->len + 2, s, n);
    o->len += n + 2;
    o->buf[o->len++] = '\n';
    o->buf[o->len] = '\0';
}

/* Take every line the framer has ready. */
static void
drain(cl_framer *f, out *o)
{
    const char *line;
    size_t len;
    char num[32];
    cl_frame k;

    while ((k = cl_framer_next(f, &line, &len)) != CL_FRAME_NONE &&
           k != CL_FRAME_END) {
        if (k == CL_FRAME_LINE) {
            ck_assert_int_eq(line[len], '\0');
            out_add(o, "L:", line, len);
        } else if (k == CL_FRAME_NOISE) {
            out_add(o, "N:", line, len);
        } else {
            snprintf(num, sizeof(num), "%zu", len);
            out_add(o, "T:", num, strlen(num));
        }
    }
}

/* Feed data in pieces of the sizes chunk() picks, then finish. */
static out
frame(const char *data, size_t n, size_t max_line,
      size_t (*chunk)(size_t at, void *arg), void *arg)
{
    cl_framer f;
    out o = {NULL, 0, 0};
    size_t at = 0;
    size_t piece;

    cl_framer_init(&f, max_line);
    while (at < n) {
        piece = chunk(at, arg);
        if (piece > n - at) {
            piece = n - at;
        }
        ck_assert_int_eq(cl_framer_feed(&f, data + at, piece), 0);
        drain(&f, &o);
        at += piece;
    }
    cl_framer_finish(&f);
    drain(&f, &o);
    ck_assert_int_eq(cl_framer_next(&f, &(const char *){NULL}, &(size_t){0}),
                     CL_FRAME_END);
    cl_framer_destroy(&f);
    if (o.buf == NULL) {
        o.buf = calloc(1, 1);
    }
    return o;
}

static size_t
whole(size_t at, void *arg)
{
    (void)at;
    (void)arg;
    return SIZE_MAX;
}

static size_t
one_byte(size_t at, void *arg)
{
    (void)at;
    (void)arg;
    return 1;
}

/* The first piece ends at *split, the second takes the rest. */
static size_t
split_at(size_t at, void *arg)
{
    size_t split = *(size_t *)arg;

    return at < split ? split - at : SIZE_MAX;
}

/* Random pieces of 1 to 65,536 bytes. */
static size_t
random_piece(size_t at, void *arg)
{
    (void)at;
    return 1 + (size_t)rand_r(arg) % 65536;
}

static const char transcript[] =
    "{\"type\":\"system\",\"subtype\":\"init\"}\n"
    "{\"type\":\"assistant\",\"text\":\"caf\xc3\xa9 \xe2\x82\xac "
    "\xf0\x9f\x98\x80\"}\n"
    "\n"
    "   \n"
    "[SandboxDebug] noise\n"
    "{\"type\":\"result\",\"spaces\":\"  a  b  \"}\r\n"
    "  {\"padded\":true}  \n"
    "{\"last\":1}";

static const char transcript_lines[] =
    "L:{\"type\":\"system\",\"subtype\":\"init\"}\n"
    "L:{\"type\":\"assistant\",\"text\":\"caf\xc3\xa9 \xe2\x82\xac "
    "\xf0\x9f\x98\x80\"}\n"
    "N:[SandboxDebug] noise\n"
    "L:{\"type\":\"result\",\"spaces\":\"  a  b  \"}\n"
    "L:{\"padded\":true}\n"
    "L:{\"last\":1}\n";

START_TEST(splits_at_every_byte_position)
{
    size_t n = sizeof(transcript) - 1;
    size_t split;
    out o;

    for (split = 0; split <= n; split++) {
        o = frame(transcript, n, 1024, split_at, &split);
        ck_assert_msg(strcmp(o.buf, transcript_lines) == 0,
                      "split at %zu gave:\n%s", split, o.buf);
        free(o.buf);
    }
}
END_TEST

START_TEST(one_byte_feeds_give_the_same_lines)
{
    out o = frame(transcript, sizeof(transcript) - 1, 1024, one_byte, NULL);

    ck_assert_str_eq(o.buf, transcript_lines);
    free(o.buf);
}
END_TEST

START_TEST(crlf_line_ends_are_trimmed)
{
    static const char in[] = "{\"a\":1}\r\n{\"b\":\"x\\r\"}\r\n\r\n";
    out o = frame(in, sizeof(in) - 1, 1024, one_byte, NULL);

    ck_assert_str_eq(o.buf, "L:{\"a\":1}\nL:{\"b\":\"x\\r\"}\n");
    free(o.buf);
}
END_TEST

START_TEST(utf8_split_across_feeds_stays_whole)
{
    /* A four-byte, a three-byte and a two-byte character. */
    static const char in[] =
        "{\"t\":\"\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9\"}\n";
    size_t split;
    out o;

    for (split = 6; split <= 15; split++) {
        o = frame(in, sizeof(in) - 1, 1024, split_at, &split);
        ck_assert_mem_eq(o.buf + 2, in, sizeof(in) - 1);
        free(o.buf);
    }
}
END_TEST

START_TEST(a_line_of_spaces_survives_random_pieces)
{
    size_t n = 400 * 1000;
    char *in = malloc(n + 64);
    unsigned int seed;
    size_t len;
    out o;

    ck_assert_ptr_nonnull(in);
    memcpy(in, "{\"text\":\"", 9);
    memset(in + 9, ' ', n);
    memcpy(in + 9 + n, "x\"}\n{\"next\":true}\n", 19);
    len = 9 + n + 18;

    for (seed = 1; seed <= 20; seed++) {
        o = frame(in, len, CLAUDE_MAX_LINE_SIZE_DEFAULT, random_piece, &seed);
        ck_assert_uint_eq(o.len, 2 + (9 + n + 3) + 1 + 2 + 13 + 1);
        ck_assert_mem_eq(o.buf + 2, in, 9 + n + 3);
        ck_assert_str_eq(o.buf + 2 + 9 + n + 3 + 1, "L:{\"next\":true}\n");
        free(o.buf);
    }
    free(in);
}
END_TEST

START_TEST(a_long_line_is_an_error_and_the_next_arrives)
{
    char in[300];
    size_t split;
    out o;

    /* 200 bytes over a limit of 100, then a good line. */
    memset(in, 'y', 200);
    in[0] = '{';
    memcpy(in + 200, "\n{\"ok\":1}\n", 11);

    o = frame(in, 210, 100, whole, NULL);
    ck_assert_str_eq(o.buf, "T:200\nL:{\"ok\":1}\n");
    free(o.buf);

    /* Streamed: reported as soon as the limit is passed. */
    o = frame(in, 210, 100, one_byte, NULL);
    ck_assert_str_eq(o.buf, "T:101\nL:{\"ok\":1}\n");
    free(o.buf);

    /* Split anywhere: a first piece past the limit is reported alone. */
    for (split = 1; split < 210; split++) {
        char want[64];

        snprintf(want, sizeof(want), "T:%zu\nL:{\"ok\":1}\n",
                 split > 100 && split <= 200 ? split : (size_t)200);
        o = frame(in, 210, 100, split_at, &split);
        ck_assert_msg(strcmp(o.buf, want) == 0, "split at %zu gave %s", split,
                      o.buf);
        free(o.buf);
    }
}
END_TEST

START_TEST(a_line_at_the_maximum_is_accepted)
{
    char in[102];

    memset(in, 'z', 100);
    in[0] = '{';
    in[99] = '}';
    in[100] = '\n';
    out o = frame(in, 101, 100, one_byte, NULL);

    ck_assert_uint_eq(o.len, 103);
    ck_assert_mem_eq(o.buf, "L:{", 3);
    free(o.buf);
}
END_TEST

START_TEST(a_last_line_without_newline_is_delivered)
{
    out o = frame("{\"a\":1}\n{\"b\":2", 14, 1024, whole, NULL);

    ck_assert_str_eq(o.buf, "L:{\"a\":1}\nL:{\"b\":2\n");
    free(o.buf);
}
END_TEST

START_TEST(noise_is_reported_apart_from_lines)
{
    static const char in[] = "hello\n{\"a\":1}\n  [x]  \n]\n";
    out o = frame(in, sizeof(in) - 1, 1024, whole, NULL);

    ck_assert_str_eq(o.buf, "N:hello\nL:{\"a\":1}\nN:[x]\nN:]\n");
    free(o.buf);
}
END_TEST

START_TEST(the_buffer_grows_for_a_long_line)
{
    size_t n = 4 * 1024 * 1024;
    char *in = malloc(n + 2);
    unsigned int seed = 7;
    out o;

    ck_assert_ptr_nonnull(in);
    memset(in, 'q', n);
    in[0] = '{';
    in[n] = '\n';
    o = frame(in, n + 1, CLAUDE_MAX_LINE_SIZE_DEFAULT, random_piece, &seed);
    ck_assert_uint_eq(o.len, n + 3);
    ck_assert_mem_eq(o.buf + 2, in, n);
    free(o.buf);
    free(in);
}
END_TEST

START_TEST(an_impossible_reservation_is_enomem)
{
    cl_framer f;
    char *ptr;
    size_t avail;

    cl_framer_init(&f, CLAUDE_LINE_UNLIMITED);
    ck_assert_int_eq(cl_framer_feed(&f, "{\"a\"", 5), 0);
    ck_assert_int_eq(cl_framer_reserve(&f, SIZE_MAX - 2, &ptr, &avail),
                     CLAUDE_ENOMEM);

    /* What was held is still there. */
    ck_assert_int_eq(cl_framer_feed(&f, ":1}\n", 4), 0);
    ck_assert_int_eq(cl_framer_next(&f, &(const char *){NULL}, &avail),
                     CL_FRAME_LINE);
    ck_assert_uint_eq(avail, 8);
    cl_framer_destroy(&f);
}
END_TEST

void
cl_framer_tests(void)
{
    cl_test_add("framer", "framer: splits a transcript at every byte position",
                splits_at_every_byte_position, 10);
    cl_test_add("framer", "framer: one-byte feeds give the same lines",
                one_byte_feeds_give_the_same_lines, 10);
    cl_test_add("framer", "framer: CRLF line ends are trimmed",
                crlf_line_ends_are_trimmed, 10);
    cl_test_add("framer", "framer: UTF-8 split across feeds stays whole",
                utf8_split_across_feeds_stays_whole, 10);
    cl_test_add("framer",
                "framer: a 400 KB line of spaces survives random "
                "pieces",
                a_line_of_spaces_survives_random_pieces, 30);
    cl_test_add("framer",
                "framer: a line over the maximum is an error and "
                "the next line arrives",
                a_long_line_is_an_error_and_the_next_arrives, 10);
    cl_test_add("framer", "framer: a line at the maximum is accepted",
                a_line_at_the_maximum_is_accepted, 10);
    cl_test_add("framer", "framer: a last line without newline is delivered",
                a_last_line_without_newline_is_delivered, 10);
    cl_test_add("framer", "framer: non-JSON lines are reported as noise",
                noise_is_reported_apart_from_lines, 10);
    cl_test_add("framer", "framer: the buffer grows for a 4 MiB line",
                the_buffer_grows_for_a_long_line, 30);
    cl_test_add("framer", "framer: an impossible reservation is ENOMEM",
                an_impossible_reservation_is_enomem, 10);
}
