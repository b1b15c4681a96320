/*
 * helpers.c: helpers for the test suites.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests.h"

#define MAX_ACTIONS 64

const char *
fake_cli(void)
{
    const char *p = getenv("FAKE_CLI");

    ck_assert_msg(p != NULL, "FAKE_CLI is not set; run through make");
    return p;
}

void
fake_options(claude_transport_options *o, const char *action, ...)
{
    static const char *argv[MAX_ACTIONS + 2];
    claude_transport_options init = CLAUDE_TRANSPORT_OPTIONS_INIT;
    va_list ap;
    int n = 0;

    *o = init;
    argv[n++] = fake_cli();
    va_start(ap, action);
    while (action != NULL && n < MAX_ACTIONS) {
        argv[n++] = action;
        action = va_arg(ap, const char *);
    }
    va_end(ap);
    argv[n] = NULL;
    o->argv = argv;
    o->close_grace_ms = 2000;
    o->term_grace_ms = 2000;
}

claude_transport *
fake_open(claude_transport_options *o)
{
    claude_transport *t = NULL;
    claude_error err;
    int rv;

    ck_assert_int_eq(claude_transport_new(&t, o), 0);
    rv = claude_transport_open(t, &err);
    ck_assert_msg(rv == 0, "open failed: %s", err.message);
    return t;
}

int
count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/* The state letter and parent of a process, from /proc/PID/stat. */
static int
read_stat(const char *pid, char *state, long *ppid)
{
    char path[64];
    char buf[512];
    FILE *f;
    char *p;

    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    if (fgets(buf, sizeof(buf), f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    /* The command name may hold spaces; the state follows its ')'. */
    p = strrchr(buf, ')');
    if (p == NULL || sscanf(p + 1, " %c %ld", state, ppid) != 2) {
        return -1;
    }
    return 0;
}

int
count_children(int *zombies)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    long self = (long)getpid();
    long ppid;
    char state;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    *zombies = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') {
            continue;
        }
        if (read_stat(e->d_name, &state, &ppid) == 0 && ppid == self) {
            n++;
            if (state == 'Z') {
                (*zombies)++;
            }
        }
    }
    closedir(d);
    return n;
}

int
process_alive(long pid)
{
    char name[32];
    char state;
    long ppid;

    snprintf(name, sizeof(name), "%ld", pid);
    return read_stat(name, &state, &ppid) == 0 && state != 'Z' && state != 'X';
}

int64_t
test_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0) {
    }
}

static _Thread_local int jansson_countdown;

static void *
failing_malloc(size_t size)
{
    if (jansson_countdown > 0 && --jansson_countdown == 0) {
        return NULL;
    }
    return malloc(size);
}

void
test_jansson_fail_nth(int n)
{
    json_set_alloc_funcs(failing_malloc, free);
    jansson_countdown = n;
}

int
test_jansson_armed(void)
{
    return jansson_countdown > 0;
}

void
make_temp_dir(char *buf, size_t size)
{
    snprintf(buf, size, "/tmp/claude-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(buf));
}

/* Options that start the fake CLI with the given actions. */
claude_options *
fake_client_options(const char *action, ...)
{
    claude_options *o = NULL;
    char spec[8192];
    size_t used = 0;
    va_list ap;
    int n;

    spec[0] = '\0';
    va_start(ap, action);
    while (action != NULL) {
        n = snprintf(spec + used, sizeof(spec) - used, "%s%s",
                     used ? "\x1f" : "", action);
        ck_assert(n > 0 && (size_t)n < sizeof(spec) - used);
        used += (size_t)n;
        action = va_arg(ap, const char *);
    }
    va_end(ap);

    ck_assert_int_eq(claude_options_new(&o), 0);
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, fake_cli()), 0);
    ck_assert_int_eq(claude_options_set_env(o, "FAKE_CLI_ARGS", spec), 0);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_CLOSE_GRACE_MS, 2000),
                     0);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_TERM_GRACE_MS, 1000),
                     0);
    return o;
}

claude_client *
test_open_client(const claude_options *o)
{
    claude_client *c = NULL;
    claude_error err;
    int rv = claude_client_new(&c, o, &err);

    ck_assert_msg(rv == 0, "claude_client_new: %s (%s)", claude_strerror(rv),
                  err.message);
    return c;
}

claude_message *
test_next_message(claude_client *c, const char *type)
{
    claude_message *m = NULL;
    claude_error err;
    int rv = claude_client_receive(c, &m, 10000, &err);

    ck_assert_msg(rv == 0, "receive: %s (%s)", claude_strerror(rv),
                  err.message);
    if (type != NULL) {
        ck_assert_str_eq(claude_message_type(m), type);
    }
    return m;
}

json_t *
test_next_json(claude_client *c, const char *type)
{
    claude_message *m = test_next_message(c, type);
    json_t *j = json_incref(claude_message_json(m));

    ck_assert_ptr_nonnull(j);
    claude_message_free(m);
    return j;
}

int
test_figures(void)
{
    return getenv("CLAUDE_TEST_FIGURES") != NULL;
}
