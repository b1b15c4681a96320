/*
 * check_discover.c: finding the CLI on a made-up PATH and HOME, and
 * probing fake CLIs (small shell scripts) for their version.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discover.h"
#include "tests.h"

#define USR_LOCAL_CLI "/usr/local/bin/claude"

static char root[64];

/* A path under the test's temporary directory. */
static const char *
at(char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s/%s", root, rel);
    return buf;
}

/* mkdir -p for rel under root. */
static void
make_dirs(const char *rel)
{
    char path[512];
    char *p;

    at(path, sizeof(path), rel);
    for (p = path + strlen(root) + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            (void)mkdir(path, 0755);
            *p = '/';
        }
    }
    (void)mkdir(path, 0755);
}

/* Write rel under root, creating its directories, with mode. */
static void
write_file(const char *rel, const char *body, mode_t mode)
{
    char path[512];
    char dir[512];
    char *slash;
    FILE *f;

    snprintf(dir, sizeof(dir), "%s", rel);
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        make_dirs(dir);
    }
    f = fopen(at(path, sizeof(path), rel), "w");
    ck_assert_ptr_nonnull(f);
    fputs(body, f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* A fake CLI at rel running the shell body; its path goes in buf. */
static const char *
fake_script(char *buf, size_t size, const char *rel, const char *body)
{
    char text[2048];

    snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
    write_file(rel, text, 0755);
    return at(buf, size, rel);
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
setup(void)
{
    make_temp_dir(root, sizeof(root));
}

static void
teardown(void)
{
    ck_assert_int_eq(nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static int
usr_local_cli_exists(void)
{
    return access(USR_LOCAL_CLI, X_OK) == 0;
}

/* Find with no explicit path; assert the result is expected. */
static void
expect_found(const char *path_env, const char *home, const char *expected)
{
    claude_error err;
    char *out = NULL;
    int rv;

    rv = cl_find_cli(NULL, path_env, home, &out, &err);
    ck_assert_msg(rv == 0, "not found: %s", err.message);
    ck_assert_str_eq(out, expected);
    free(out);
}

START_TEST(an_explicit_path_wins_over_path)
{
    char path_env[512];
    char mine[512];
    claude_error err;
    char *out = NULL;

    setup();
    fake_script(path_env, sizeof(path_env), "bin/claude", "echo 2.1.0");
    fake_script(mine, sizeof(mine), "mine/my-claude", "echo 2.1.0");
    at(path_env, sizeof(path_env), "bin");

    ck_assert_int_eq(cl_find_cli(mine, path_env, root, &out, &err), 0);
    ck_assert_str_eq(out, mine);
    free(out);
    teardown();
}
END_TEST

/* An explicit path that is no executable file; nothing else tried. */
static void
expect_explicit_refused(const char *explicit_path, const char *path_env)
{
    claude_error err;
    char *out = NULL;

    ck_assert_int_eq(cl_find_cli(explicit_path, path_env, root, &out, &err),
                     CLAUDE_ENOCLI);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(err.code, CLAUDE_ENOCLI);
    ck_assert_msg(strstr(err.message, explicit_path) != NULL,
                  "message does not name the path: %s", err.message);
}

START_TEST(an_explicit_path_that_is_missing_fails_without_falling_back)
{
    char path_env[512];
    char path[512];

    setup();

    /* A valid claude on PATH and under HOME must not be picked. */
    fake_script(path, sizeof(path), "bin/claude", "echo 2.1.0");
    fake_script(path, sizeof(path), ".local/bin/claude", "echo 2.1.0");
    at(path_env, sizeof(path_env), "bin");

    expect_explicit_refused(at(path, sizeof(path), "missing/claude"), path_env);
    write_file("plain/claude", "#!/bin/sh\n", 0644);
    expect_explicit_refused(at(path, sizeof(path), "plain/claude"), path_env);
    make_dirs("dir/claude");
    expect_explicit_refused(at(path, sizeof(path), "dir/claude"), path_env);
    teardown();
}
END_TEST

START_TEST(the_first_executable_claude_on_path_wins)
{
    char path_env[3072];
    char expected[512];
    char d[5][512];

    setup();
    write_file("d1/claude", "#!/bin/sh\necho 2.1.0\n", 0644);
    make_dirs("d2/claude");
    make_dirs("empty");
    fake_script(expected, sizeof(expected), "d3/claude", "echo 2.1.0");
    fake_script(d[4], sizeof(d[4]), "d4/claude", "echo 2.1.0");

    /* Not executable, a directory, no claude, empty, then two hits. */
    snprintf(path_env, sizeof(path_env), "%s::%s:%s:%s/:%s",
             at(d[0], sizeof(d[0]), "d1"), at(d[1], sizeof(d[1]), "d2"),
             at(d[2], sizeof(d[2]), "empty"), at(d[3], sizeof(d[3]), "d3"),
             at(d[4], sizeof(d[4]), "d4"));
    expect_found(path_env, NULL, expected);
    teardown();
}
END_TEST

START_TEST(a_relative_path_entry_gives_an_absolute_path)
{
    char cwd[512];
    char expected[1024];
    char path[512];

    setup();
    fake_script(path, sizeof(path), "rel/bin/claude", "echo 2.1.0");
    ck_assert_int_eq(chdir(root), 0);
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    snprintf(expected, sizeof(expected), "%s/rel/bin/claude", cwd);

    expect_found("/nonexistent:rel/bin", NULL, expected);
    ck_assert_int_eq(chdir("/"), 0);
    teardown();
}
END_TEST

START_TEST(the_fallback_locations_are_searched_in_order_under_home)
{
    static const char *const order[] = {
        ".claude/local/claude", ".yarn/bin/claude", "node_modules/.bin/claude",
        ".local/bin/claude", ".npm-global/bin/claude"};
    char path_env[512];
    char home[512];
    char path[512];
    size_t i;

    setup();
    make_dirs("empty");
    at(path_env, sizeof(path_env), "empty");
    at(home, sizeof(home), "home");

    /* Each new file sits earlier in the order and must win. */
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        char rel[256];

        snprintf(rel, sizeof(rel), "home/%s", order[i]);
        fake_script(path, sizeof(path), rel, "echo 2.1.0");
        if (i + 1 < sizeof(order) / sizeof(order[0]) &&
            usr_local_cli_exists()) {
            /* /usr/local/bin comes between .npm-global and the rest. */
            expect_found(path_env, home, USR_LOCAL_CLI);
        } else {
            expect_found(path_env, home, path);
        }
    }
    expect_found(NULL, home, path);
    expect_found("", home, path);
    teardown();
}
END_TEST

START_TEST(nothing_found_gives_enocli_with_an_install_hint)
{
    static const char *const wanted[] = {
        "PATH",
        "~/.npm-global/bin",
        "/usr/local/bin",
        "~/.local/bin",
        "~/.claude/local",
        "npm install -g @anthropic-ai/claude-code",
        "CLAUDE_OPT_CLI_PATH"};
    char path_env[512];
    char home[512];
    claude_error err;
    char *out = NULL;
    size_t i;

    if (usr_local_cli_exists()) {
        /* The one location outside the test's reach is taken. */
        expect_found(NULL, NULL, USR_LOCAL_CLI);
        return;
    }
    setup();
    make_dirs("empty");
    make_dirs("home");
    at(path_env, sizeof(path_env), "empty");
    at(home, sizeof(home), "home");

    ck_assert_int_eq(cl_find_cli(NULL, path_env, home, &out, &err),
                     CLAUDE_ENOCLI);
    ck_assert_ptr_null(out);
    for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        ck_assert_msg(strstr(err.message, wanted[i]) != NULL,
                      "no \"%s\" in: %s", wanted[i], err.message);
    }
    teardown();
}
END_TEST

START_TEST(home_locations_are_skipped_without_home)
{
    claude_error err;
    char path[512];
    char *out = NULL;

    if (usr_local_cli_exists()) {
        expect_found(NULL, NULL, USR_LOCAL_CLI);
        return;
    }
    setup();
    fake_script(path, sizeof(path), ".local/bin/claude", "echo 2.1.0");
    ck_assert_int_eq(chdir(root), 0);

    /* HOME unset must not turn ".local/bin" into a relative lookup. */
    ck_assert_int_eq(cl_find_cli(NULL, NULL, NULL, &out, &err), CLAUDE_ENOCLI);
    ck_assert_int_eq(cl_find_cli(NULL, NULL, "", &out, &err), CLAUDE_ENOCLI);
    ck_assert_ptr_null(out);
    ck_assert_ptr_null(strstr(err.message, "~/"));
    ck_assert_int_eq(chdir("/"), 0);
    teardown();
}
END_TEST

START_TEST(the_version_is_parsed_from_the_cli_output)
{
    int major = -1;
    int minor = -1;
    int patch = -1;
    claude_error err;
    char cli[512];
    int rv;

    setup();
    fake_script(cli, sizeof(cli), "claude",
                "[ \"$#\" = 1 ] && [ \"$1\" = -v ] || exit 1\n"
                "echo '2.1.332 (Claude Code)'");
    rv = cl_cli_version(cli, 5000, &major, &minor, &patch, &err);
    ck_assert_msg(rv == 0, "probe failed: %s", err.message);
    ck_assert_int_eq(major, 2);
    ck_assert_int_eq(minor, 1);
    ck_assert_int_eq(patch, 332);

    /* The first complete N.N.N counts, not a shorter number before it. */
    fake_script(cli, sizeof(cli), "other", "echo 'node 22 claude v10.0.7'");
    rv = cl_cli_version(cli, 5000, &major, &minor, &patch, &err);
    ck_assert_msg(rv == 0, "probe failed: %s", err.message);
    ck_assert_int_eq(major, 10);
    ck_assert_int_eq(minor, 0);
    ck_assert_int_eq(patch, 7);
    teardown();
}
END_TEST

START_TEST(output_without_a_version_gives_eproto_with_the_text)
{
    claude_error err;
    char cli[512];
    int major;
    int minor;
    int patch;

    setup();
    fake_script(cli, sizeof(cli), "claude",
                "echo 'env: node 2.1: not found'; exit 127");
    ck_assert_int_eq(cl_cli_version(cli, 5000, &major, &minor, &patch, &err),
                     CLAUDE_EPROTO);
    ck_assert_msg(strstr(err.message, "env: node 2.1: not found") != NULL,
                  "text missing from: %s", err.message);
    ck_assert_str_eq(err.line, "env: node 2.1: not found");
    ck_assert_int_eq(err.exit_code, 127);
    teardown();
}
END_TEST

/* Probe cli with a 300 ms deadline; assert it is stopped in time. */
static void
expect_killed_at_deadline(const char *cli)
{
    claude_error err;
    int fds_before = count_open_fds();
    int zombies;
    int64_t start;
    int64_t took;
    int major;
    int minor;
    int patch;

    start = test_now_ms();
    ck_assert_int_eq(cl_cli_version(cli, 300, &major, &minor, &patch, &err),
                     CLAUDE_ETIMEDOUT);
    took = test_now_ms() - start;
    ck_assert_msg(took >= 290 && took < 2000, "took %lld ms", (long long)took);
    ck_assert_int_eq(err.code, CLAUDE_ETIMEDOUT);
    ck_assert_ptr_nonnull(strstr(err.message, cli));
    ck_assert_int_eq(count_children(&zombies), 0);
    ck_assert_int_eq(count_open_fds(), fds_before);
}

START_TEST(a_probe_that_never_exits_is_killed_and_reaped_at_the_deadline)
{
    char pidfile[512];
    char script[1024];
    char cli[512];
    long pid = 0;
    FILE *f;
    int i;

    setup();

    /* The sleep holds the pipe open: only killing the group ends it. */
    snprintf(script, sizeof(script), "sleep 1000 &\necho $! > '%s'\nwait",
             at(pidfile, sizeof(pidfile), "pid"));
    fake_script(cli, sizeof(cli), "claude", script);
    expect_killed_at_deadline(cli);

    f = fopen(pidfile, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    for (i = 0; i < 100 && process_alive(pid); i++) {
        test_sleep_ms(10);
    }
    ck_assert_msg(!process_alive(pid), "the probe's sleep survived");
    teardown();
}
END_TEST

START_TEST(a_probe_that_writes_without_end_is_stopped_at_the_deadline)
{
    char cli[512];

    setup();
    fake_script(cli, sizeof(cli), "claude", "exec yes 'no version here'");
    expect_killed_at_deadline(cli);
    teardown();
}
END_TEST

START_TEST(a_missing_cli_fails_the_probe_without_leaks)
{
    int fds_before = count_open_fds();
    claude_error err;
    char cli[512];
    int zombies;
    int major;
    int minor;
    int patch;

    setup();
    at(cli, sizeof(cli), "no-such-claude");
    ck_assert_int_eq(cl_cli_version(cli, 5000, &major, &minor, &patch, &err),
                     CLAUDE_ENOPROGRAM);
    ck_assert_ptr_nonnull(strstr(err.message, cli));
    ck_assert_int_eq(count_children(&zombies), 0);
    ck_assert_int_eq(count_open_fds(), fds_before);
    teardown();
}
END_TEST

/* A log callback that counts lines by level and keeps the last warning. */
typedef struct recording {
    int warnings;
    int debugs;
    int others;
    char warning[1024];
} recording;

static void
record(int level, const char *msg, void *user)
{
    recording *r = user;

    if (level == CLAUDE_LOG_WARNING) {
        r->warnings++;
        snprintf(r->warning, sizeof(r->warning), "%s", msg);
    } else if (level == CLAUDE_LOG_DEBUG) {
        r->debugs++;
    } else {
        r->others++;
    }
}

static void
check_version(const char *cli, int timeout_ms, recording *r)
{
    cl_logger log = {record, r, CLAUDE_LOG_DEBUG};

    memset(r, 0, sizeof(*r));
    cl_check_cli_version(cli, timeout_ms, &log);
}

START_TEST(an_old_cli_logs_exactly_one_warning)
{
    recording r;
    char cli[512];

    setup();
    fake_script(cli, sizeof(cli), "claude", "echo '1.9.9 (Claude Code)'");
    check_version(cli, 5000, &r);
    ck_assert_int_eq(r.warnings, 1);
    ck_assert_int_eq(r.others, 0);
    ck_assert_msg(strstr(r.warning, cli) != NULL &&
                      strstr(r.warning, "1.9.9") != NULL &&
                      strstr(r.warning, CL_CLI_MIN_VERSION) != NULL,
                  "warning lacks the path or a version: %s", r.warning);
    teardown();
}
END_TEST

START_TEST(a_current_cli_logs_no_warning)
{
    recording r;
    char cli[512];

    setup();
    fake_script(cli, sizeof(cli), "claude", "echo '2.0.0 (Claude Code)'");
    check_version(cli, 5000, &r);
    ck_assert_int_eq(r.warnings, 0);
    ck_assert_int_eq(r.debugs, 1);
    teardown();
}
END_TEST

START_TEST(the_skip_variable_and_a_zero_timeout_skip_the_check)
{
    char marker[512];
    char script[1024];
    recording r;
    char cli[512];

    setup();
    snprintf(script, sizeof(script), "touch '%s'\necho 1.0.0",
             at(marker, sizeof(marker), "ran"));
    fake_script(cli, sizeof(cli), "claude", script);

    ck_assert_int_eq(setenv(CL_SKIP_VERSION_CHECK_ENV, "1", 1), 0);
    check_version(cli, 5000, &r);
    ck_assert_int_eq(r.warnings, 0);
    ck_assert_int_eq(r.debugs, 1);
    ck_assert_int_ne(access(marker, F_OK), 0);

    ck_assert_int_eq(unsetenv(CL_SKIP_VERSION_CHECK_ENV), 0);
    check_version(cli, 0, &r);
    ck_assert_int_eq(r.warnings, 0);
    ck_assert_int_eq(r.debugs, 1);
    ck_assert_int_ne(access(marker, F_OK), 0);

    /* An empty value does not skip: the old version is reported. */
    ck_assert_int_eq(setenv(CL_SKIP_VERSION_CHECK_ENV, "", 1), 0);
    check_version(cli, 5000, &r);
    ck_assert_int_eq(r.warnings, 1);
    ck_assert_int_eq(access(marker, F_OK), 0);
    ck_assert_int_eq(unsetenv(CL_SKIP_VERSION_CHECK_ENV), 0);
    teardown();
}
END_TEST

START_TEST(a_cli_that_cannot_be_probed_logs_one_warning)
{
    recording r;
    char cli[512];

    setup();
    at(cli, sizeof(cli), "no-such-claude");
    check_version(cli, 5000, &r);
    ck_assert_int_eq(r.warnings, 1);
    ck_assert_ptr_nonnull(strstr(r.warning, cli));

    /* Without a logger the check still runs and returns. */
    cl_check_cli_version(cli, 5000, NULL);
    teardown();
}
END_TEST

void
cl_discover_tests(void)
{
    cl_test_add("discover", "discover: an explicit path wins over PATH",
                an_explicit_path_wins_over_path, 20);
    cl_test_add("discover",
                "discover: a missing explicit path fails without falling "
                "back",
                an_explicit_path_that_is_missing_fails_without_falling_back,
                20);
    cl_test_add("discover",
                "discover: the first executable claude on PATH wins",
                the_first_executable_claude_on_path_wins, 20);
    cl_test_add("discover",
                "discover: a relative PATH entry gives an absolute path",
                a_relative_path_entry_gives_an_absolute_path, 20);
    cl_test_add("discover",
                "discover: fallback locations are searched in order under "
                "HOME",
                the_fallback_locations_are_searched_in_order_under_home, 20);
    cl_test_add("discover",
                "discover: nothing found gives CLAUDE_ENOCLI with an install "
                "hint",
                nothing_found_gives_enocli_with_an_install_hint, 20);
    cl_test_add("discover",
                "discover: HOME locations are skipped without a HOME",
                home_locations_are_skipped_without_home, 20);
    cl_test_add("discover",
                "discover: the version is parsed from \"2.1.332 (Claude "
                "Code)\"",
                the_version_is_parsed_from_the_cli_output, 20);
    cl_test_add("discover",
                "discover: output without a version gives CLAUDE_EPROTO with "
                "the text",
                output_without_a_version_gives_eproto_with_the_text, 20);
    cl_test_add("discover",
                "discover: a probe that never exits is killed and reaped at "
                "the deadline",
                a_probe_that_never_exits_is_killed_and_reaped_at_the_deadline,
                20);
    cl_test_add("discover",
                "discover: a probe that writes without end is stopped at the "
                "deadline",
                a_probe_that_writes_without_end_is_stopped_at_the_deadline, 20);
    cl_test_add("discover",
                "discover: a missing CLI fails the probe without leaks",
                a_missing_cli_fails_the_probe_without_leaks, 20);
    cl_test_add("discover", "discover: an old CLI logs exactly one warning",
                an_old_cli_logs_exactly_one_warning, 20);
    cl_test_add("discover", "discover: a current CLI logs no warning",
                a_current_cli_logs_no_warning, 20);
    cl_test_add("discover",
                "discover: the skip variable and a zero timeout skip the "
                "check",
                the_skip_variable_and_a_zero_timeout_skip_the_check, 20);
    cl_test_add("discover",
                "discover: a CLI that cannot be probed logs one warning",
                a_cli_that_cannot_be_probed_logs_one_warning, 20);
}
