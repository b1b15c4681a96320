/*
 * check_process.c: spawning, waiting, signalling and reaping a child,
 * without the transport around it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process.h"
#include "tests.h"
#include "util.h"

/* Children spawned while library threads start, and the starters. */
#define NAMING_SPAWNS 300
#define NAMING_STARTERS 2

/* Start /bin/sh -c script with /dev/null for its stdio. */
static void
spawn_sh(cl_process *p, const char *script)
{
    char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)script, NULL};
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int fds[3] = {null, null, null};
    claude_error err;

    ck_assert_int_ge(null, 0);
    cl_process_init(p);
    ck_assert_int_eq(cl_process_spawn(p, argv, NULL, NULL, fds, &err), 0);
    close(null);
}

/* Forget the pidfd, as on a kernel without pidfd_open. */
static void
drop_pidfd(cl_process *p)
{
    if (p->pidfd >= 0) {
        close(p->pidfd);
        p->pidfd = -1;
    }
}

static void
wait_for_exit_code(int use_pidfd)
{
    cl_process p;
    int status = -1;
    int zombies;

    spawn_sh(&p, "sleep 0.2; exit 3");
    if (!use_pidfd) {
        drop_pidfd(&p);
    }
    ck_assert(!cl_process_exited(&p, &status));
    ck_assert_int_eq(cl_process_wait(&p, 20, &status), CLAUDE_ETIMEDOUT);
    ck_assert_int_eq(cl_process_wait(&p, 10000, &status), 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 3);

    /* Seen but not reaped: the zombie keeps the pid ours. */
    ck_assert_int_eq(count_children(&zombies), 1);
    ck_assert_int_eq(zombies, 1);
    cl_process_reap(&p);
    ck_assert_int_eq(count_children(&zombies), 0);
    ck_assert(cl_process_exited(&p, &status));
    ck_assert_int_eq(WEXITSTATUS(status), 3);
    cl_process_destroy(&p);
}

START_TEST(wait_sees_the_exit_code_with_a_pidfd)
{
    wait_for_exit_code(1);
}
END_TEST

START_TEST(wait_sees_the_exit_code_without_a_pidfd)
{
    wait_for_exit_code(0);
}
END_TEST

START_TEST(signal_group_reaches_the_child_until_it_is_reaped)
{
    cl_process p;
    int status;

    spawn_sh(&p, "exec sleep 30");
    cl_process_signal_group(&p, SIGTERM);
    ck_assert_int_eq(cl_process_wait(&p, 10000, &status), 0);
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGTERM);
    cl_process_reap(&p);

    /* The pid may now belong to anyone: nothing is sent. */
    ck_assert(p.reaped);
    cl_process_signal_group(&p, SIGKILL);
    cl_process_reap(&p);
    cl_process_destroy(&p);
}
END_TEST

START_TEST(a_child_reaped_by_someone_else_counts_as_exited)
{
    cl_process p;
    int status;

    spawn_sh(&p, "exit 0");
    ck_assert_int_eq(waitpid(p.pid, &status, 0), p.pid);
    ck_assert(cl_process_exited(&p, &status));
    ck_assert_int_eq(status, CL_STATUS_LOST);
    ck_assert(p.reaped);
    cl_process_signal_group(&p, SIGKILL);
    cl_process_reap(&p);
    cl_process_destroy(&p);
}
END_TEST

START_TEST(a_program_that_cannot_run_gives_espawn)
{
    char *argv[] = {(char *)"/dev/null", NULL};
    int fds[3] = {0, 1, 2};
    cl_process p;
    claude_error err;

    cl_process_init(&p);
    ck_assert_int_eq(cl_process_spawn(&p, argv, NULL, NULL, fds, &err),
                     CLAUDE_ESPAWN);
    ck_assert_int_eq(err.sys_errno, EACCES);
    ck_assert_ptr_nonnull(strstr(err.message, "/dev/null"));
    ck_assert_int_eq(p.pid, -1);
    cl_process_destroy(&p);
}
END_TEST

/* The fake CLI's count of the descriptors it was started with. */
static int
inherited_fds(void)
{
    char *argv[] = {(char *)fake_cli(), (char *)"fds", NULL};
    char line[64];
    int out[2];
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int fds[3];
    cl_process p;
    claude_error err;
    size_t used = 0;
    ssize_t n;
    int count = -1;

    ck_assert_int_ge(null, 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    fds[0] = null;
    fds[1] = out[1];
    fds[2] = null;
    cl_process_init(&p);
    ck_assert_int_eq(cl_process_spawn(&p, argv, NULL, NULL, fds, &err), 0);
    close(out[1]);
    close(null);
    while (used < sizeof(line) - 1 &&
           (n = read(out[0], line + used, sizeof(line) - 1 - used)) > 0) {
        used += (size_t)n;
    }
    line[used] = '\0';
    close(out[0]);
    ck_assert_int_eq(cl_process_wait(&p, 10000, NULL), 0);
    cl_process_reap(&p);
    cl_process_destroy(&p);
    ck_assert_int_eq(sscanf(line, "{\"fds\":%d}", &count), 1);
    return count;
}

static atomic_bool starters_stop;

static void *
quick_thread(void *arg)
{
    return arg;
}

/* Start library threads, one after another, until told to stop. */
static void *
start_threads(void *arg)
{
    pthread_t t;

    while (!atomic_load(&starters_stop)) {
        if (cl_thread_start(&t, quick_thread, NULL, "claude-test") == 0) {
            pthread_join(t, NULL);
        }
    }
    return arg;
}

START_TEST(a_thread_being_started_leaks_no_descriptor_into_a_child)
{
    pthread_t starters[NAMING_STARTERS];
    int baseline = inherited_fds();
    int leaked = 0;
    int i;

    /* Naming a thread must open nothing a concurrent spawn could take. */
    atomic_store(&starters_stop, false);
    for (i = 0; i < NAMING_STARTERS; i++) {
        ck_assert_int_eq(
            pthread_create(&starters[i], NULL, start_threads, NULL), 0);
    }
    for (i = 0; i < NAMING_SPAWNS; i++) {
        if (inherited_fds() != baseline) {
            leaked++;
        }
    }
    atomic_store(&starters_stop, true);
    for (i = 0; i < NAMING_STARTERS; i++) {
        pthread_join(starters[i], NULL);
    }
    ck_assert_msg(leaked == 0, "%d of %d children inherited a descriptor",
                  leaked, NAMING_SPAWNS);
}
END_TEST

void
cl_process_tests(void)
{
    cl_test_add("process", "process: wait sees the exit code with a pidfd",
                wait_sees_the_exit_code_with_a_pidfd, 20);
    cl_test_add("process", "process: wait sees the exit code without a pidfd",
                wait_sees_the_exit_code_without_a_pidfd, 20);
    cl_test_add("process",
                "process: the group is signalled until the child is reaped",
                signal_group_reaches_the_child_until_it_is_reaped, 20);
    cl_test_add("process",
                "process: a child reaped by someone else counts as exited",
                a_child_reaped_by_someone_else_counts_as_exited, 20);
    cl_test_add("process",
                "process: a program that cannot run gives CLAUDE_ESPAWN",
                a_program_that_cannot_run_gives_espawn, 20);
    cl_test_add("process",
                "process: a thread being started leaks no descriptor into a "
                "child",
                a_thread_being_started_leaks_no_descriptor_into_a_child, 60);
}
