/*
 * discover.h: finding the claude CLI and checking its version.
 *
 * Nothing here reads the environment except the version check's skip
 * variable: callers pass PATH and HOME in, so the search can be tested
 * with made-up values.
 */
#ifndef CL_DISCOVER_H
#define CL_DISCOVER_H

#include "claude.h"
#include "error.h"

/* The oldest CLI the library speaks to without a warning. */
#define CL_CLI_MIN_MAJOR 2
#define CL_CLI_MIN_MINOR 0
#define CL_CLI_MIN_PATCH 0
#define CL_CLI_MIN_VERSION                                                     \
    CLAUDE_STRINGIFY(CL_CLI_MIN_MAJOR)                                         \
    "." CLAUDE_STRINGIFY(CL_CLI_MIN_MINOR) "." CLAUDE_STRINGIFY(               \
        CL_CLI_MIN_PATCH)

/* A non-empty value in this variable turns the version check off. */
#define CL_SKIP_VERSION_CHECK_ENV "CLAUDE_AGENT_SDK_SKIP_VERSION_CHECK"

/*
 * Find the CLI and store a malloc'd absolute path to it in *out.
 *
 * An explicit_path (non-NULL) is the only candidate: it must be an
 * executable regular file, or the call fails naming it.  Otherwise
 * every directory of path_env (a PATH value; NULL or empty: none) is
 * searched for an executable regular file named claude, then the fixed
 * install locations, those under home skipped when home is NULL or
 * empty.  Empty PATH entries are skipped rather than read as the
 * current directory.  Not found: CLAUDE_ENOCLI, with a message that
 * says where it looked and how to install the CLI.
 */
int cl_find_cli(const char *explicit_path, const char *path_env,
                const char *home, char **out, claude_error *err);

/*
 * Run "cli -v", with stdin and stderr on /dev/null, and parse the
 * first N.N.N it prints.  Reading and the exit together must finish
 * within timeout_ms (-1: no limit); past that the probe's process
 * group is killed and reaped, and the call returns CLAUDE_ETIMEDOUT.
 * Output without a version gives CLAUDE_EPROTO, with the text in the
 * message and in err->line.  Blocks; MT-Safe.
 */
int cl_cli_version(const char *cli, int timeout_ms, int *major, int *minor,
                   int *patch, claude_error *err);

/*
 * Check the CLI's version and log a warning through log (which may be
 * NULL) when it is older than CL_CLI_MIN_VERSION or cannot be read.
 * Skipped, with a debug line, when timeout_ms is 0 or the skip
 * variable is set.  Never fails the caller.
 */
void cl_check_cli_version(const char *cli, int timeout_ms,
                          const cl_logger *log);

#endif /* CL_DISCOVER_H */
