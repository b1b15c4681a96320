/*
 * framer.h: bytes in, complete lines out.
 *
 * The framer does no I/O and knows nothing of threads or JSON; its
 * owner serialises every call.  Lines are split on '\n' only; a
 * complete line loses its surrounding white space (which makes CRLF
 * harmless) and nothing inside it is touched, so UTF-8 sequences split
 * across reads come out whole.
 */
#ifndef CL_FRAMER_H
#define CL_FRAMER_H

#include <stdbool.h>
#include <stddef.h>

/* What cl_framer_next() found. */
typedef enum cl_frame {
    CL_FRAME_NONE = 0, /* no complete line yet: feed more bytes */
    CL_FRAME_LINE,     /* a line that starts with '{' */
    CL_FRAME_NOISE,    /* a non-blank line that does not start with '{' */
    CL_FRAME_TOOLONG,  /* a line over the maximum, dropped */
    CL_FRAME_END       /* end of input, every line delivered */
} cl_frame;

typedef struct cl_framer {
    char *buf;
    size_t cap;
    size_t start;    /* first byte not yet delivered */
    size_t end;      /* end of the bytes held */
    size_t scan;     /* [start, scan) is known to hold no '\n' */
    size_t max_line; /* longest line accepted, in bytes */
    bool discarding; /* dropping the rest of an over-long line */
    bool eof;        /* no more bytes will come */
} cl_framer;

#define CL_FRAMER_INITIAL_SIZE (64 * 1024)

void cl_framer_init(cl_framer *f, size_t max_line);
void cl_framer_destroy(cl_framer *f);

/*
 * Make room for at least want more bytes and return where to put them
 * and how many fit.  Lines returned earlier become invalid.  Returns 0
 * or CLAUDE_ENOMEM.
 */
int cl_framer_reserve(cl_framer *f, size_t want, char **ptr, size_t *avail);

/* Account for n bytes written at the pointer cl_framer_reserve gave. */
void cl_framer_commit(cl_framer *f, size_t n);

/* Copy n bytes in.  Returns 0 or CLAUDE_ENOMEM. */
int cl_framer_feed(cl_framer *f, const char *data, size_t n);

/* No more bytes will come: a last line without '\n' is delivered. */
void cl_framer_finish(cl_framer *f);

/*
 * Take the next line.  For CL_FRAME_LINE and CL_FRAME_NOISE, *line is
 * NUL-terminated and stays valid until the next call that feeds or
 * reserves.  For CL_FRAME_TOOLONG, *line is the start of the dropped
 * line and *len the bytes seen of it so far.
 */
cl_frame cl_framer_next(cl_framer *f, const char **line, size_t *len);

#endif /* CL_FRAMER_H */
