/*
 * header-test.c: compiles claude.h alone, as C11 and as C++11, and
 * uses every public macro once so that a broken one fails the build.
 */
#include <claude.h>

#include <stdio.h>
#include <string.h>

#if CLAUDE_VERSION_NUMBER < 0x000100
#error "CLAUDE_VERSION_NUMBER is not a preprocessor number"
#endif

#define COUNT_CODE(name, value, text) +1

int
main(void)
{
    claude_transport_options o = CLAUDE_TRANSPORT_OPTIONS_INIT;
    claude_error err;
    int ncodes = 0 CLAUDE_ERRNO_MAP(COUNT_CODE);
    const char *v = CLAUDE_VERSION;
    const char *s = CLAUDE_STRINGIFY(CLAUDE_VERSION_PATCH);
    size_t unlimited = CLAUDE_LINE_UNLIMITED;
    int levels[] = {CLAUDE_LOG_ERROR, CLAUDE_LOG_WARNING, CLAUDE_LOG_INFO,
                    CLAUDE_LOG_DEBUG};

    memset(&err, 0, sizeof(err));
    if (o.version != CLAUDE_TRANSPORT_OPTIONS_VERSION ||
        o.close_grace_ms != CLAUDE_CLOSE_GRACE_MS_DEFAULT ||
        o.term_grace_ms != CLAUDE_TERM_GRACE_MS_DEFAULT ||
        CLAUDE_MAX_LINE_SIZE_DEFAULT != (size_t)64 * 1024 * 1024 ||
        unlimited == 0 || levels[0] != 3 || ncodes < 19 ||
        sizeof(err.message) != CLAUDE_ERROR_MESSAGE_MAX ||
        sizeof(err.stderr_tail) != CLAUDE_ERROR_STDERR_MAX ||
        sizeof(err.line) != CLAUDE_ERROR_LINE_MAX || s[0] == '\0' ||
        CLAUDE_VERSION_MAJOR < 0 || CLAUDE_VERSION_MINOR < 0) {
        return 1;
    }
#ifndef __cplusplus
    if (strcmp(claude_version(), v) != 0 ||
        strcmp(claude_strerror(CLAUDE_EINVAL), "invalid argument") != 0) {
        return 1;
    }
#else
    (void)v;
#endif
    return 0;
}
