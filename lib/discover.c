/*
 * discover.c: finding the claude CLI on disk and asking it for its
 * version.
 *
 * The search follows the official SDKs: an explicit path, then PATH,
 * then the places the installers use.  The version probe is a child of
 * its own, bounded by a deadline; past it the probe's whole process
 * group is killed and reaped, so a hung CLI never hangs the caller.
 * The probe only writes to us, so no write of ours can raise SIGPIPE.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discover.h"
#include "error.h"
#include "process.h"
#include "util.h"

/* How long to wait for a killed probe before leaving it unreaped. */
#define KILL_WAIT_MS 2000

/* How much of the probe's output is kept for parsing and errors. */
#define PROBE_TEXT_MAX 256

#define INSTALL_HINT                                                           \
    "install it with `npm install -g @anthropic-ai/claude-code`, or set "      \
    "CLAUDE_OPT_CLI_PATH"

/* The directories searched for claude after PATH, in order. */
static const struct {
    bool under_home;
    const char *dir;
} fallbacks[] = {
    {true, ".npm-global/bin"}, {false, "/usr/local/bin"},
    {true, ".local/bin"},      {true, "node_modules/.bin"},
    {true, ".yarn/bin"},       {true, ".claude/local"},
};

static bool
is_executable_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, X_OK) == 0;
}

/* dir (len bytes of it) and name joined by one slash, or NULL. */
static char *
join_path(const char *dir, size_t len, const char *name)
{
    bool slash = len > 0 && dir[len - 1] != '/';
    size_t size = len + slash + strlen(name) + 1;
    char *path = malloc(size);

    if (path == NULL) {
        return NULL;
    }
    memcpy(path, dir, len);
    if (slash) {
        path[len] = '/';
    }
    strcpy(path + len + slash, name);
    return path;
}

/*
 * Make a relative path absolute against the current directory, so
 * that spawning it with another working directory finds the same
 * file.  Takes ownership of path; NULL when out of memory.
 */
static char *
absolute_path(char *path)
{
    size_t size = 256;
    char *cwd = NULL;
    char *grown;
    char *full;

    if (path == NULL || path[0] == '/') {
        return path;
    }
    for (;;) {
        grown = realloc(cwd, size);
        if (grown == NULL) {
            free(cwd);
            free(path);
            return NULL;
        }
        cwd = grown;
        if (getcwd(cwd, size) != NULL) {
            break;
        }
        if (errno != ERANGE) {
            /* No usable cwd: the relative path is all there is. */
            free(cwd);
            return path;
        }
        size *= 2;
    }
    full = join_path(cwd, strlen(cwd), path);
    free(cwd);
    free(path);
    return full;
}

/* Store candidate in *out if it is an executable file: 1, 0 or ENOMEM. */
static int
try_candidate(char *candidate, char **out, claude_error *err)
{
    if (candidate == NULL) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    if (!is_executable_file(candidate)) {
        free(candidate);
        return 0;
    }
    candidate = absolute_path(candidate);
    if (candidate == NULL) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    *out = candidate;
    return 1;
}

static int
search_path(const char *path_env, char **out, claude_error *err)
{
    const char *dir = path_env;
    const char *end;
    size_t len;
    int rv;

    while (*dir != '\0') {
        end = strchr(dir, ':');
        len = end != NULL ? (size_t)(end - dir) : strlen(dir);

        /* An empty entry means ".", where a planted binary could sit. */
        if (len > 0) {
            rv = try_candidate(join_path(dir, len, "claude"), out, err);
            if (rv != 0) {
                return rv;
            }
        }
        if (end == NULL) {
            break;
        }
        dir = end + 1;
    }
    return 0;
}

static int
search_fallbacks(const char *home, char **out, claude_error *err)
{
    const char *base;
    char *candidate;
    size_t size;
    size_t i;
    int rv;

    for (i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++) {
        base = fallbacks[i].under_home ? home : "";
        if (base == NULL) {
            continue;
        }

        /* base/dir/claude, or dir/claude for an absolute dir. */
        size = strlen(base) + strlen(fallbacks[i].dir) + sizeof("//claude");
        candidate = malloc(size);
        if (candidate != NULL) {
            snprintf(candidate, size, "%s%s%s/claude", base,
                     base[0] != '\0' ? "/" : "", fallbacks[i].dir);
        }
        rv = try_candidate(candidate, out, err);
        if (rv != 0) {
            return rv;
        }
    }
    return 0;
}

static int
not_found(bool searched_path, const char *home, claude_error *err)
{
    char places[128];
    size_t used = 0;
    size_t i;
    const char *sep = "";

    places[0] = '\0';
    if (searched_path) {
        used += (size_t)snprintf(places, sizeof(places), "PATH");
        sep = ", ";
    }
    for (i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++) {
        if (fallbacks[i].under_home && home == NULL) {
            continue;
        }
        if (used >= sizeof(places)) {
            break;
        }
        used += (size_t)snprintf(places + used, sizeof(places) - used, "%s%s%s",
                                 sep, fallbacks[i].under_home ? "~/" : "",
                                 fallbacks[i].dir);
        sep = ", ";
    }
    return cl_error_set(err, CLAUDE_ENOCLI,
                        "claude CLI not found in %s%s; " INSTALL_HINT, places,
                        home == NULL ? "; HOME unset" : "");
}

int
cl_find_cli(const char *explicit_path, const char *path_env, const char *home,
            char **out, claude_error *err)
{
    bool searched_path;
    int rv;

    *out = NULL;

    /* A path the caller chose is never second-guessed by a search. */
    if (explicit_path != NULL) {
        if (explicit_path[0] == '\0') {
            return cl_error_set(err, CLAUDE_ENOCLI,
                                "the claude CLI path is empty");
        }
        rv = try_candidate(strdup(explicit_path), out, err);
        if (rv == 0) {
            return cl_error_set(err, CLAUDE_ENOCLI,
                                "claude CLI not found at %s: not an "
                                "executable file",
                                explicit_path);
        }
        return rv < 0 ? rv : 0;
    }

    searched_path = path_env != NULL && path_env[0] != '\0';
    if (home != NULL && home[0] == '\0') {
        home = NULL;
    }
    rv = 0;
    if (searched_path) {
        rv = search_path(path_env, out, err);
    }
    if (rv == 0) {
        rv = search_fallbacks(home, out, err);
    }
    if (rv == 0) {
        return not_found(searched_path, home, err);
    }
    return rv < 0 ? rv : 0;
}

/* One number of at most 9 digits at *s; advances *s past it. */
static bool
parse_number(const char **s, int *value)
{
    const char *p = *s;
    int n = 0;
    int digits = 0;

    while (isdigit((unsigned char)*p)) {
        if (++digits > 9) {
            return false;
        }
        n = n * 10 + (*p - '0');
        p++;
    }
    if (digits == 0) {
        return false;
    }
    *value = n;
    *s = p;
    return true;
}

/* The first N.N.N in text that does not start inside another number. */
static bool
parse_version(const char *text, int *major, int *minor, int *patch)
{
    const char *p;
    const char *s;
    int v[3];

    for (p = text; *p != '\0'; p++) {
        if (!isdigit((unsigned char)*p) ||
            (p > text && isdigit((unsigned char)p[-1]))) {
            continue;
        }
        s = p;
        if (parse_number(&s, &v[0]) && *s++ == '.' && parse_number(&s, &v[1]) &&
            *s++ == '.' && parse_number(&s, &v[2])) {
            *major = v[0];
            *minor = v[1];
            *patch = v[2];
            return true;
        }
    }
    return false;
}

/*
 * Read fd into text (keeping the first size - 1 bytes, NUL-terminated)
 * until EOF.  Returns 0, CLAUDE_ETIMEDOUT or CLAUDE_EIO.
 */
static int
read_output(int fd, int64_t deadline, char *text, size_t size,
            claude_error *err)
{
    struct pollfd pfd;
    char chunk[512];
    size_t used = 0;
    size_t keep;
    ssize_t n;
    int rv;

    text[0] = '\0';
    for (;;) {
        /* Checked first, so a probe that never stops writing ends too. */
        if (cl_remaining(deadline) == 0) {
            return CLAUDE_ETIMEDOUT;
        }
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        rv = cl_poll(&pfd, 1, cl_remaining(deadline));
        if (rv < 0) {
            return cl_error_sys(err, CLAUDE_EIO, errno,
                                "cannot wait for the version probe");
        }
        if (rv == 0) {
            continue;
        }

        n = read(fd, chunk, sizeof(chunk));
        if (n == 0) {
            return 0;
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return cl_error_sys(err, CLAUDE_EIO, errno,
                                "cannot read from the version probe");
        }
        keep = size - 1 - used;
        if ((size_t)n < keep) {
            keep = (size_t)n;
        }
        memcpy(text + used, chunk, keep);
        used += keep;
        text[used] = '\0';
    }
}

/* Turn control characters into spaces and drop trailing blanks. */
static void
tidy_text(char *text)
{
    size_t len;
    char *p;

    for (p = text; *p != '\0'; p++) {
        if (iscntrl((unsigned char)*p)) {
            *p = ' ';
        }
    }
    len = strlen(text);
    while (len > 0 && text[len - 1] == ' ') {
        text[--len] = '\0';
    }
}

static int
unparsable(const char *cli, char *text, int status, claude_error *err)
{
    size_t len;

    tidy_text(text);
    if (text[0] == '\0') {
        cl_error_set(err, CLAUDE_EPROTO, "%s -v printed no version", cli);
    } else {
        cl_error_set(err, CLAUDE_EPROTO, "%s -v printed no version: \"%s\"",
                     cli, text);
    }
    if (err != NULL) {
        cl_error_status(err, status);
        len = strlen(text);
        if (len >= sizeof(err->line)) {
            len = sizeof(err->line) - 1;
        }
        memcpy(err->line, text, len);
        err->line[len] = '\0';
        err->line_len = len;
    }
    return CLAUDE_EPROTO;
}

int
cl_cli_version(const char *cli, int timeout_ms, int *major, int *minor,
               int *patch, claude_error *err)
{
    char *argv[] = {(char *)cli, (char *)"-v", NULL};
    int64_t deadline = cl_deadline(timeout_ms);
    char text[PROBE_TEXT_MAX];
    cl_process probe;
    int pipefd[2];
    int fds[3];
    int status = 0;
    int null;
    int rv;

    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) {
        return cl_error_sys(err, CLAUDE_ESYS, errno, "cannot open /dev/null");
    }
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        rv = cl_error_sys(err, CLAUDE_ESYS, errno, "cannot create a pipe");
        close(null);
        return rv;
    }

    cl_process_init(&probe);
    fds[0] = null;
    fds[1] = pipefd[1];
    fds[2] = null;
    rv = cl_process_spawn(&probe, argv, NULL, NULL, fds, err);

    /* Only the child keeps the write end, so its exit brings EOF. */
    close(pipefd[1]);
    close(null);
    if (rv != 0) {
        goto out_close_pipe;
    }

    rv = read_output(pipefd[0], deadline, text, sizeof(text), err);
    if (rv == 0 &&
        cl_process_wait(&probe, cl_remaining(deadline), &status) != 0) {
        rv = CLAUDE_ETIMEDOUT;
    }

    /* The leader is unreaped here, so the group id is still ours. */
    if (rv != 0) {
        cl_process_signal_group(&probe, SIGKILL);
        (void)cl_process_wait(&probe, KILL_WAIT_MS, &status);
    }
    cl_process_reap(&probe);

    if (rv == CLAUDE_ETIMEDOUT) {
        rv = cl_error_set(err, CLAUDE_ETIMEDOUT,
                          "%s -v did not finish within %d ms; killed it", cli,
                          timeout_ms);
    } else if (rv == 0 && !parse_version(text, major, minor, patch)) {
        rv = unparsable(cli, text, status, err);
    }

out_close_pipe:
    close(pipefd[0]);
    cl_process_destroy(&probe);
    return rv;
}

static bool
older_than_minimum(int major, int minor, int patch)
{
    if (major != CL_CLI_MIN_MAJOR) {
        return major < CL_CLI_MIN_MAJOR;
    }
    if (minor != CL_CLI_MIN_MINOR) {
        return minor < CL_CLI_MIN_MINOR;
    }
    return patch < CL_CLI_MIN_PATCH;
}

void
cl_check_cli_version(const char *cli, int timeout_ms, const cl_logger *log)
{
    static const cl_logger silent = {NULL, NULL, 0};
    const char *skip = getenv(CL_SKIP_VERSION_CHECK_ENV);
    claude_error err;
    int major;
    int minor;
    int patch;

    if (log == NULL) {
        log = &silent;
    }
    if (timeout_ms == 0 || (skip != NULL && skip[0] != '\0')) {
        cl_log(log, CLAUDE_LOG_DEBUG, "skipping the version check of %s", cli);
        return;
    }

    if (cl_cli_version(cli, timeout_ms, &major, &minor, &patch, &err) != 0) {
        cl_log(log, CLAUDE_LOG_WARNING,
               "cannot check the version of the claude CLI: %s", err.message);
        return;
    }
    if (older_than_minimum(major, minor, patch)) {
        cl_log(log, CLAUDE_LOG_WARNING,
               "the claude CLI at %s is version %d.%d.%d; libclaude needs "
               "%s or newer",
               cli, major, minor, patch, CL_CLI_MIN_VERSION);
        return;
    }
    cl_log(log, CLAUDE_LOG_DEBUG, "the claude CLI at %s is version %d.%d.%d",
           cli, major, minor, patch);
}
