/*
 * fuzz_framer.c: libFuzzer harness for the line framer.
 *
 * The first byte of the input chooses the longest line accepted (small,
 * so that over-long lines are common, or large) and whether the stream
 * is repeated past the framer's initial buffer, so that small inputs
 * reach its growth and compaction; the next eight bytes are a cycle of
 * piece sizes.  The rest is the byte stream.  It is fed
 * three times: in the pieces the input names (alternating between
 * cl_framer_feed and cl_framer_reserve/commit), in one piece, and one
 * byte at a time.  Every line is drained after every piece and checked
 * on its own, and the three runs must give the same lines as a simple
 * reference splitter.  Any difference aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claude.h"
#include "framer.h"

/* The header: one byte for the limit, eight for the piece sizes. */
#define HEADER_SIZE 9
#define PIECE_SIZES 8

/* The limit used when the first byte asks for a large one. */
#define LARGE_MAX_LINE (1024 * 1024)

/* The first byte's flags: a large limit, and, rarely because it is
 * slow, a repeated stream (which only a large limit lets the framer
 * hold, so only it makes the buffer grow). */
#define FLAG_LARGE 0x80
#define REPEAT_BITS 0xfe
#define SMALL_MASK 0x3f

/* Where an FNV-1a hash starts. */
#define FNV_OFFSET 0xcbf29ce484222325ULL

/* A repeated stream is at least this long. */
#define REPEAT_SIZE (CL_FRAMER_INITIAL_SIZE + 4096)

/* The lines of one run, as a count and a hash of every kind and text,
 * so that a run of many lines costs no allocation. */
typedef struct frames {
    size_t n;
    uint64_t hash;
} frames;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a, one byte at a time. */
static void
hash_bytes(frames *fs, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;

    for (i = 0; i < n; i++) {
        fs->hash ^= b[i];
        fs->hash *= 0x100000001b3ULL;
    }
}

static void
frames_add(frames *fs, cl_frame kind, const char *text, size_t len)
{
    unsigned char k = (unsigned char)kind;

    fs->n++;
    hash_bytes(fs, &k, 1);

    /* Over-long lines are compared by kind only: how much of one the
     * framer had seen when it gave up depends on the pieces. */
    if (kind != CL_FRAME_TOOLONG) {
        hash_bytes(fs, &len, sizeof(len));
        hash_bytes(fs, text, len);
    }
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Check what the framer promises of one line on its own. */
static void
check_frame(cl_frame kind, const char *line, size_t len, size_t max_line)
{
    if (kind == CL_FRAME_TOOLONG) {
        if (len <= max_line) {
            abort();
        }
        return;
    }
    if (kind != CL_FRAME_LINE && kind != CL_FRAME_NOISE) {
        abort();
    }

    /* Non-empty, NUL-terminated at len, trimmed, one line, in bounds. */
    if (len == 0 || len > max_line || line[len] != '\0') {
        abort();
    }
    if (is_space(line[0]) || is_space(line[len - 1])) {
        abort();
    }
    if (memchr(line, '\n', len) != NULL) {
        abort();
    }
    if ((kind == CL_FRAME_LINE) != (line[0] == '{')) {
        abort();
    }
}

/* Take every line the framer holds; returns 1 once it reports the end. */
static int
drain(cl_framer *f, frames *out)
{
    const char *line;
    size_t len;
    cl_frame kind;

    for (;;) {
        kind = cl_framer_next(f, &line, &len);
        if (kind == CL_FRAME_NONE) {
            return 0;
        }
        if (kind == CL_FRAME_END) {
            return 1;
        }
        check_frame(kind, line, len, f->max_line);
        frames_add(out, kind, line, len);
    }
}

/* Feed the stream in pieces of the sizes given, cycling through them. */
static void
run(const uint8_t *stream, size_t n, const size_t *sizes, size_t nsizes,
    size_t max_line, frames *out)
{
    cl_framer f;
    size_t done = 0;
    size_t i = 0;
    size_t piece;
    size_t avail;
    char *ptr;

    cl_framer_init(&f, max_line);
    while (done < n) {
        piece = sizes[i % nsizes];
        if (piece > n - done) {
            piece = n - done;
        }

        /* Every other piece goes through reserve and commit. */
        if (i % 2 == 1) {
            if (cl_framer_reserve(&f, piece, &ptr, &avail) != 0) {
                abort();
            }
            if (avail < piece) {
                abort();
            }
            memcpy(ptr, stream + done, piece);
            cl_framer_commit(&f, piece);
        } else if (cl_framer_feed(&f, (const char *)stream + done, piece) !=
                   0) {
            abort();
        }
        done += piece;
        i++;
        if (drain(&f, out)) {
            abort();
        }
    }

    cl_framer_finish(&f);
    if (!drain(&f, out)) {
        abort();
    }

    /* After the end, the framer keeps saying so. */
    if (!drain(&f, out)) {
        abort();
    }
    cl_framer_destroy(&f);
}

/* What the framer should give: split on '\n', trim, drop blank lines. */
static void
reference(const uint8_t *stream, size_t n, size_t max_line, frames *out)
{
    const char *s = (const char *)stream;
    const char *nl;
    size_t start = 0;
    size_t raw;
    size_t a;
    size_t b;

    while (start < n) {
        nl = memchr(s + start, '\n', n - start);
        raw = nl != NULL ? (size_t)(nl - s) - start : n - start;
        if (raw > max_line) {
            frames_add(out, CL_FRAME_TOOLONG, NULL, raw);
        } else {
            a = start;
            b = start + raw;
            while (a < b && is_space(s[a])) {
                a++;
            }
            while (b > a && is_space(s[b - 1])) {
                b--;
            }
            if (b > a) {
                frames_add(out, s[a] == '{' ? CL_FRAME_LINE : CL_FRAME_NOISE,
                           s + a, b - a);
            }
        }
        start += raw + 1;
    }
}

static void
compare(const frames *a, const frames *b)
{
    if (a->n != b->n || a->hash != b->hash) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t sizes[PIECE_SIZES];
    size_t whole;
    size_t one = 1;
    size_t max_line;
    size_t i;
    frames expected = {0, FNV_OFFSET};
    frames pieces = {0, FNV_OFFSET};
    frames single = {0, FNV_OFFSET};
    frames bytes = {0, FNV_OFFSET};
    const uint8_t *stream;
    uint8_t *repeated = NULL;
    size_t n;

    if (size < HEADER_SIZE) {
        return 0;
    }

    /* A small limit makes over-long lines common. */
    max_line =
        data[0] & FLAG_LARGE ? LARGE_MAX_LINE : (size_t)(data[0] & SMALL_MASK);
    for (i = 0; i < PIECE_SIZES; i++) {
        sizes[i] = (size_t)data[1 + i] + 1;
    }
    stream = data + HEADER_SIZE;
    n = size - HEADER_SIZE;

    /* Repeat the stream past the initial buffer when asked. */
    if ((data[0] & REPEAT_BITS) == REPEAT_BITS && n > 0 && n < REPEAT_SIZE) {
        size_t copies = (REPEAT_SIZE + n - 1) / n;

        repeated = malloc(copies * n);
        if (repeated == NULL) {
            abort();
        }
        for (i = 0; i < copies; i++) {
            memcpy(repeated + i * n, stream, n);
        }
        stream = repeated;
        n *= copies;
    }
    whole = n > 0 ? n : 1;

    reference(stream, n, max_line, &expected);
    run(stream, n, sizes, PIECE_SIZES, max_line, &pieces);
    run(stream, n, &whole, 1, max_line, &single);
    /* Byte by byte costs too much for a repeated stream; its pieces
     * are cut from the same cycle of sizes, so they still vary. */
    if (repeated == NULL) {
        run(stream, n, &one, 1, max_line, &bytes);
    } else {
        run(stream, n, sizes, PIECE_SIZES / 2, max_line, &bytes);
    }

    compare(&expected, &pieces);
    compare(&expected, &single);
    compare(&expected, &bytes);

    free(repeated);
    return 0;
}
