/*
 * claude.h: the public interface of libclaude.
 *
 * libclaude runs Claude Code agents from C and C++ programs: it starts
 * the claude CLI as a child process and speaks its stream-json protocol,
 * one JSON object per line, over the child's stdin and stdout.
 *
 * Every function may be called from any thread unless its man page says
 * otherwise.  Fallible functions return 0 or a negative CLAUDE_E* code.
 * The man pages in section 3 are the contract; the comments here are a
 * summary of them.
 */
#ifndef CLAUDE_H
#define CLAUDE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version.  The Makefile reads these three lines. */
#define CLAUDE_VERSION_MAJOR 0
#define CLAUDE_VERSION_MINOR 1
#define CLAUDE_VERSION_PATCH 0

#define CLAUDE_STRINGIFY_(x) #x
#define CLAUDE_STRINGIFY(x) CLAUDE_STRINGIFY_(x)

/* The version as a string literal, such as "0.1.0". */
#define CLAUDE_VERSION                                                         \
    CLAUDE_STRINGIFY(CLAUDE_VERSION_MAJOR)                                     \
    "." CLAUDE_STRINGIFY(CLAUDE_VERSION_MINOR) "." CLAUDE_STRINGIFY(           \
        CLAUDE_VERSION_PATCH)

/* The version as one number, 0xMMmmpp, for preprocessor comparisons. */
#define CLAUDE_VERSION_NUMBER                                                  \
    ((CLAUDE_VERSION_MAJOR << 16) | (CLAUDE_VERSION_MINOR << 8) |              \
     CLAUDE_VERSION_PATCH)

#if defined(__GNUC__) || defined(__clang__)
#define CLAUDE_API __attribute__((visibility("default")))
#define CLAUDE_NODISCARD __attribute__((warn_unused_result))
#else
#define CLAUDE_API
#define CLAUDE_NODISCARD
#endif

/* Opaque objects. */
typedef struct claude_transport claude_transport;

/*
 * Error codes.  Every code is negative and keeps its value forever; a
 * retired code stays in the list as a placeholder.
 */
#define CLAUDE_ERRNO_MAP(XX)                                                   \
    XX(EINVAL, -1, "invalid argument")                                         \
    XX(ENOMEM, -2, "out of memory")                                            \
    XX(ENOTOPEN, -3, "not open")                                               \
    XX(EALREADY, -4, "already open")                                           \
    XX(ECLOSED, -5, "closed")                                                  \
    XX(EINPUTENDED, -6, "input already ended")                                 \
    XX(ECHILDEXIT, -7, "the child process has exited")                         \
    XX(EPIPE, -8, "the child stopped reading its input")                       \
    XX(EBROKEN, -9, "an earlier write failed")                                 \
    XX(EIO, -10, "input/output error")                                         \
    XX(ETIMEDOUT, -11, "timed out")                                            \
    XX(EEOF, -12, "end of the child's output")                                 \
    XX(ETOOLONG, -13, "line longer than the maximum line size")                \
    XX(ENOCWD, -14, "working directory not found")                             \
    XX(ENOPROGRAM, -15, "program not found")                                   \
    XX(ESPAWN, -16, "could not start the child process")                       \
    XX(ESYS, -17, "system call failed")                                        \
    XX(ERECURSIVE, -18, "called from inside the object's own callback")        \
    XX(ENOSTATUS, -19, "the child's exit status was collected elsewhere")

typedef enum claude_errno {
#define CLAUDE_ERRNO_ENUM_(name, value, text) CLAUDE_##name = value,
    CLAUDE_ERRNO_MAP(CLAUDE_ERRNO_ENUM_)
#undef CLAUDE_ERRNO_ENUM_
} claude_errno;

/* Sizes of the text fields of claude_error. */
#define CLAUDE_ERROR_MESSAGE_MAX 256
#define CLAUDE_ERROR_STDERR_MAX 2048
#define CLAUDE_ERROR_LINE_MAX 512

/*
 * Details of one failure, owned by the caller and filled by the call
 * that failed.  It holds no pointers: it needs no cleanup and may live
 * on the stack uninitialised.
 */
typedef struct claude_error {
    /* The code the failing call returned.  Calls that succeed leave
     * the whole struct untouched. */
    int code;
    /* The child's exit code, or -1 when it has not exited normally. */
    int exit_code;
    /* The signal that ended the child, or 0. */
    int exit_signal;
    /* The errno value behind a system call failure, or 0. */
    int sys_errno;
    /* One sentence that names what failed, NUL-terminated. */
    char message[CLAUDE_ERROR_MESSAGE_MAX];
    /* The last bytes the child wrote to stderr, NUL-terminated. */
    char stderr_tail[CLAUDE_ERROR_STDERR_MAX];
    /* The start of the offending line, NUL-terminated. */
    char line[CLAUDE_ERROR_LINE_MAX];
    /* The length of the offending line in bytes, or of as much of it
     * as was read before it passed the limit; 0 when there is none. */
    size_t line_len;
} claude_error;

/* Static text for an error code.  Never NULL.  MT-Safe. */
CLAUDE_API const char *claude_strerror(int code);

/* The library's run-time version, such as "0.1.0".  Static. */
CLAUDE_API const char *claude_version(void);

/* Log levels, as in syslog. */
typedef enum claude_log_level {
    CLAUDE_LOG_ERROR = 3,
    CLAUDE_LOG_WARNING = 4,
    CLAUDE_LOG_INFO = 6,
    CLAUDE_LOG_DEBUG = 7
} claude_log_level;

/* A log callback: level, one NUL-terminated line, the user pointer. */
typedef void (*claude_log_cb)(int level, const char *msg, void *user);

/* A stderr callback: one line of the child's stderr, NUL-terminated. */
typedef void (*claude_stderr_cb)(const char *line, size_t len, void *user);

/*
 * Transport: one child process and its three pipes.
 */

/* No limit on the length of a line. */
#define CLAUDE_LINE_UNLIMITED SIZE_MAX

#define CLAUDE_TRANSPORT_OPTIONS_VERSION 1

/*
 * Options for claude_transport_new().  Start from
 * CLAUDE_TRANSPORT_OPTIONS_INIT; every pointer is copied by
 * claude_transport_new(), so the struct and what it points to may be
 * freed once that call returns.
 */
typedef struct claude_transport_options {
    /* CLAUDE_TRANSPORT_OPTIONS_VERSION. */
    unsigned int version;
    /* The program and its arguments, NULL-terminated.  Required. */
    const char *const *argv;
    /* The child's environment, NULL-terminated; NULL inherits ours. */
    const char *const *envp;
    /* The child's working directory; NULL inherits ours. */
    const char *cwd;
    /* Milliseconds close waits for a voluntary exit before SIGTERM. */
    unsigned int close_grace_ms;
    /* Milliseconds close waits after SIGTERM before SIGKILL. */
    unsigned int term_grace_ms;
    /* Longest accepted stdout line in bytes; 0 means the default. */
    size_t max_line_size;
    /* Called with each line of the child's stderr, or NULL. */
    claude_stderr_cb stderr_cb;
    void *stderr_user;
    /* Called with log lines at or above log_level, or NULL. */
    claude_log_cb log_cb;
    void *log_user;
    int log_level;
} claude_transport_options;

#define CLAUDE_CLOSE_GRACE_MS_DEFAULT 5000
#define CLAUDE_TERM_GRACE_MS_DEFAULT 5000
#define CLAUDE_MAX_LINE_SIZE_DEFAULT ((size_t)64 * 1024 * 1024)

#define CLAUDE_TRANSPORT_OPTIONS_INIT                                          \
    {                                                                          \
        CLAUDE_TRANSPORT_OPTIONS_VERSION, NULL, NULL, NULL,                    \
            CLAUDE_CLOSE_GRACE_MS_DEFAULT, CLAUDE_TERM_GRACE_MS_DEFAULT, 0,    \
            NULL, NULL, NULL, NULL, CLAUDE_LOG_WARNING                         \
    }

/* Create a transport; nothing is started.  *out is set on success. */
CLAUDE_API CLAUDE_NODISCARD int
claude_transport_new(claude_transport **out,
                     const claude_transport_options *opts);

/* Start the child.  Fails with its own code for a missing cwd or
 * program.  err may be NULL. */
CLAUDE_API CLAUDE_NODISCARD int claude_transport_open(claude_transport *t,
                                                      claude_error *err);

/* Write one line: len bytes of JSON text with no newline; the
 * transport adds it.  Blocks until the line is written whole or
 * close is called.  err may be NULL. */
CLAUDE_API int claude_transport_write(claude_transport *t, const char *json,
                                      size_t len, claude_error *err);

/* Close the child's stdin after the writes in progress.  Idempotent. */
CLAUDE_API int claude_transport_end_input(claude_transport *t);

/* Read the next line of the child's stdout, waiting up to timeout_ms
 * (-1: no limit).  The line is NUL-terminated and valid until the
 * next read on this transport.  Only one thread reads at a time. */
CLAUDE_API int claude_transport_read_line(claude_transport *t,
                                          const char **line, size_t *len,
                                          int timeout_ms, claude_error *err);

/* Wait up to timeout_ms (-1: no limit) for the child to exit and store
 * its wait status in *status. */
CLAUDE_API int claude_transport_wait(claude_transport *t, int timeout_ms,
                                     int *status);

/* The child's process id, or -1 before open. */
CLAUDE_API pid_t claude_transport_pid(claude_transport *t);

/* Copy the last bytes of the child's stderr into buf (NUL-terminated);
 * return the number of bytes copied. */
CLAUDE_API size_t claude_transport_stderr_tail(claude_transport *t, char *buf,
                                               size_t size);

/* End stdin, wait for the child, then SIGTERM and SIGKILL its process
 * group, and reap it.  Wakes blocked writers and readers.  Any thread,
 * any time, more than once. */
CLAUDE_API int claude_transport_close(claude_transport *t);

/* Close if needed, join the transport's thread and free it.  NULL is
 * accepted. */
CLAUDE_API void claude_transport_free(claude_transport *t);

#ifdef __cplusplus
}
#endif

#endif /* CLAUDE_H */
