/*
 * error.c: error texts, the caller-owned error record and logging.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "error.h"
#include "process.h"

const char *
claude_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define CL_STRERROR_CASE(name, value, text)                                    \
    case CLAUDE_##name:                                                        \
        return text;
        CLAUDE_ERRNO_MAP(CL_STRERROR_CASE)
#undef CL_STRERROR_CASE
    default:
        return "unknown error";
    }
}

const char *
claude_version(void)
{
    return CLAUDE_VERSION;
}

void
cl_errno_text(int errnum, char *buf, size_t size)
{
    /* The XSI strerror_r, which fills buf; _GNU_SOURCE is not set. */
    if (strerror_r(errnum, buf, size) != 0) {
        snprintf(buf, size, "errno %d", errnum);
    }
}

static void
reset(claude_error *err, int code)
{
    err->code = code;
    err->exit_code = -1;
    err->exit_signal = 0;
    err->sys_errno = 0;
    err->message[0] = '\0';
    err->stderr_tail[0] = '\0';
    err->line[0] = '\0';
    err->line_len = 0;
}

int
cl_error_set(claude_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return code;
    }
    reset(err, code);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

int
cl_error_sys(claude_error *err, int code, int errnum, const char *fmt, ...)
{
    va_list ap;
    char text[128];
    size_t used;

    if (err == NULL) {
        return code;
    }
    reset(err, code);
    err->sys_errno = errnum;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);

    cl_errno_text(errnum, text, sizeof(text));
    used = strlen(err->message);
    snprintf(err->message + used, sizeof(err->message) - used, ": %s", text);
    return code;
}

void
cl_error_status(claude_error *err, int status)
{
    if (err == NULL || status == CL_STATUS_LOST) {
        return;
    }
    if (WIFEXITED(status)) {
        err->exit_code = WEXITSTATUS(status);
        err->exit_signal = 0;
    } else if (WIFSIGNALED(status)) {
        err->exit_code = -1;
        err->exit_signal = WTERMSIG(status);
    }
}

void
cl_log(const cl_logger *lg, int level, const char *fmt, ...)
{
    va_list ap;
    char msg[1024];

    if (!cl_log_enabled(lg, level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lg->cb(level, msg, lg->user);
}

bool
cl_log_format(const cl_logger *lg, int level, char *msg, size_t size,
              const char *fmt, ...)
{
    va_list ap;

    if (!cl_log_enabled(lg, level)) {
        return false;
    }
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return true;
}
