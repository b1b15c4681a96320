/*
 * error.h: filling a caller's claude_error, and logging through the
 * caller's callback.  Neither keeps any state of its own.
 */
#ifndef CL_ERROR_H
#define CL_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "claude.h"

#define CL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Reset err (which may be NULL) and record code with a message.
 * Returns code, so a failing path can end in one statement.
 */
int cl_error_set(claude_error *err, int code, const char *fmt, ...)
    CL_PRINTF(3, 4);

/* Like cl_error_set, and append the text of errnum to the message. */
int cl_error_sys(claude_error *err, int code, int errnum, const char *fmt, ...)
    CL_PRINTF(4, 5);

/* Record a wait status in err: exit code or signal. */
void cl_error_status(claude_error *err, int status);

/* Copy errnum's text into buf without touching shared state. */
void cl_errno_text(int errnum, char *buf, size_t size);

typedef struct cl_logger {
    claude_log_cb cb;
    void *user;
    int level;
} cl_logger;

static inline bool
cl_log_enabled(const cl_logger *lg, int level)
{
    return lg->cb != NULL && level <= lg->level;
}

void cl_log(const cl_logger *lg, int level, const char *fmt, ...)
    CL_PRINTF(3, 4);

/*
 * Format a log line into msg if level is enabled, and say whether it
 * is: for callers that must release a lock before the callback runs.
 */
bool cl_log_format(const cl_logger *lg, int level, char *msg, size_t size,
                   const char *fmt, ...) CL_PRINTF(5, 6);

#endif /* CL_ERROR_H */
