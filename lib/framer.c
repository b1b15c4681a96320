/*
 * framer.c: splits a byte stream into lines.
 *
 * The buffer holds at most one partial line plus whatever was read
 * after it.  It grows by doubling, so a long line costs linear time,
 * and it keeps one spare byte past the data so that every line,
 * even a last one without '\n', can be NUL-terminated in place.
 */
#include <stdlib.h>
#include <string.h>

#include "claude.h"
#include "framer.h"

void
cl_framer_init(cl_framer *f, size_t max_line)
{
    memset(f, 0, sizeof(*f));
    f->max_line = max_line;
}

void
cl_framer_destroy(cl_framer *f)
{
    free(f->buf);
    memset(f, 0, sizeof(*f));
}

/*
 * Past this size the buffer grows by whole steps of it rather than
 * doubling, so that a 4 MiB line does not hold 8 MiB: glibc's realloc
 * moves a large block by remapping its pages, not by copying, so the
 * growth stays linear.  A buffer this large that is mostly free is
 * given back.
 */
#define LARGE_STEP ((size_t)1024 * 1024)

/* Move the partial line to the front. */
static void
compact(cl_framer *f)
{
    size_t held = f->end - f->start;

    if (f->start > 0) {
        memmove(f->buf, f->buf + f->start, held);
        f->scan -= f->start;
        f->start = 0;
        f->end = held;
    }
}

static int
resize(cl_framer *f, size_t cap)
{
    char *buf = realloc(f->buf, cap);

    if (buf == NULL) {
        return CLAUDE_ENOMEM;
    }
    f->buf = buf;
    f->cap = cap;
    return 0;
}

int
cl_framer_reserve(cl_framer *f, size_t want, char **ptr, size_t *avail)
{
    size_t held;
    size_t need;
    size_t cap;

    if (f->start == f->end) {
        f->start = f->end = f->scan = 0;
    }
    held = f->end - f->start;
    if (want > SIZE_MAX / 2 - held - LARGE_STEP) {
        return CLAUDE_ENOMEM;
    }
    need = held + want + 1;

    /* After a long line, give its memory back. */
    if (f->cap > LARGE_STEP && need < f->cap / 4) {
        compact(f);
        cap = CL_FRAMER_INITIAL_SIZE;
        while (cap < need) {
            cap *= 2;
        }
        if (resize(f, cap) != 0) {
            return CLAUDE_ENOMEM;
        }
    }

    /* Room for the bytes asked for and the spare byte for the NUL. */
    if (f->cap - f->end > want) {
        goto out;
    }
    compact(f);
    if (f->cap - f->end > want) {
        goto out;
    }

    cap = f->cap ? f->cap : CL_FRAMER_INITIAL_SIZE;
    while (cap < need && cap < LARGE_STEP) {
        cap *= 2;
    }
    if (cap < need) {
        cap = (need + LARGE_STEP - 1) / LARGE_STEP * LARGE_STEP;
    }
    if (resize(f, cap) != 0) {
        return CLAUDE_ENOMEM;
    }

out:
    *ptr = f->buf + f->end;
    *avail = f->cap - f->end - 1;
    return 0;
}

void
cl_framer_commit(cl_framer *f, size_t n)
{
    f->end += n;
}

int
cl_framer_feed(cl_framer *f, const char *data, size_t n)
{
    char *ptr;
    size_t avail;
    int rv;

    rv = cl_framer_reserve(f, n, &ptr, &avail);
    if (rv != 0) {
        return rv;
    }
    memcpy(ptr, data, n);
    cl_framer_commit(f, n);
    return 0;
}

void
cl_framer_finish(cl_framer *f)
{
    f->eof = true;
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim [*s, *s + *n) in place and classify what is left. */
static cl_frame
classify(char **s, size_t *n)
{
    char *p = *s;
    size_t len = *n;

    while (len > 0 && is_space(p[0])) {
        p++;
        len--;
    }
    while (len > 0 && is_space(p[len - 1])) {
        len--;
    }
    p[len] = '\0';
    *s = p;
    *n = len;
    if (len == 0) {
        return CL_FRAME_NONE;
    }
    return p[0] == '{' ? CL_FRAME_LINE : CL_FRAME_NOISE;
}

cl_frame
cl_framer_next(cl_framer *f, const char **line, size_t *len)
{
    char *p;
    char *nl;
    size_t n;
    cl_frame kind;

    for (;;) {
        if (f->start == f->end) {
            return f->eof ? CL_FRAME_END : CL_FRAME_NONE;
        }

        /* Drop the rest of an over-long line up to its newline. */
        if (f->discarding) {
            nl = memchr(f->buf + f->start, '\n', f->end - f->start);
            if (nl == NULL) {
                f->start = f->scan = f->end;
                continue;
            }
            f->start = f->scan = (size_t)(nl - f->buf) + 1;
            f->discarding = false;
            continue;
        }

        p = f->buf + f->start;
        nl = memchr(f->buf + f->scan, '\n', f->end - f->scan);
        if (nl == NULL) {
            n = f->end - f->start;
            if (n > f->max_line) {
                /* Report now rather than hold the line in memory. */
                *line = p;
                *len = n;
                f->start = f->scan = f->end;
                f->discarding = !f->eof;
                return CL_FRAME_TOOLONG;
            }
            if (!f->eof) {
                f->scan = f->end;
                return CL_FRAME_NONE;
            }
            /* The last line has no newline; the spare byte ends it. */
            f->start = f->scan = f->end;
        } else {
            n = (size_t)(nl - p);
            f->start = f->scan = (size_t)(nl - f->buf) + 1;
            if (n > f->max_line) {
                *line = p;
                *len = n;
                return CL_FRAME_TOOLONG;
            }
        }

        kind = classify(&p, &n);
        if (kind != CL_FRAME_NONE) {
            *line = p;
            *len = n;
            return kind;
        }
    }
}
