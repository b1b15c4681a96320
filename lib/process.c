/*
 * process.c: spawning, waiting for and reaping the child.
 *
 * Locking: p->mtx guards the pid and the exit state.  Waits happen
 * with it released; every kill and waitpid happens with it held, so a
 * signal can never reach a pid that was reaped and reused.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "process.h"
#include "util.h"

extern char **environ;

void
cl_process_init(cl_process *p)
{
    cl_mutex_init(&p->mtx);
    p->pid = -1;
    p->pidfd = -1;
    p->exited = false;
    p->reaped = false;
    p->status = 0;
}

void
cl_process_destroy(cl_process *p)
{
    if (p->pidfd >= 0) {
        close(p->pidfd);
    }
    pthread_mutex_destroy(&p->mtx);
}

static int
is_directory(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A descriptor that wakes poll(2) when the child exits, or -1. */
static int
open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    long fd = syscall(SYS_pidfd_open, pid, 0);

    return fd < 0 ? -1 : (int)fd;
#else
    (void)pid;
    return -1;
#endif
}

static int
spawn_error(const char *prog, const char *cwd, int rv, claude_error *err)
{
    /* chdir and exec both fail with ENOENT; the cwd decides which. */
    if (rv == ENOENT && cwd != NULL && !is_directory(cwd)) {
        return cl_error_set(err, CLAUDE_ENOCWD,
                            "working directory not found: %s", cwd);
    }
    if (rv == ENOENT || rv == ENOTDIR) {
        return cl_error_set(err, CLAUDE_ENOPROGRAM, "program not found: %s",
                            prog);
    }
    return cl_error_sys(err, CLAUDE_ESPAWN, rv, "cannot start %s", prog);
}

int
cl_process_spawn(cl_process *p, char *const *argv, char *const *envp,
                 const char *cwd, const int fds[3], claude_error *err)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t mask;
    pid_t pid;
    int rv;
    int i;

    if (cwd != NULL && !is_directory(cwd)) {
        return cl_error_set(err, CLAUDE_ENOCWD,
                            "working directory not found: %s", cwd);
    }

    if (posix_spawn_file_actions_init(&actions) != 0) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }

    /* The pipes are close-on-exec; dup2 gives the child plain copies. */
    rv = 0;
    for (i = 0; i < 3 && rv == 0; i++) {
        rv = posix_spawn_file_actions_adddup2(&actions, fds[i], i);
    }
    if (rv == 0 && cwd != NULL) {
        rv = posix_spawn_file_actions_addchdir_np(&actions, cwd);
    }

    /* Own process group; empty signal mask; default dispositions. */
    if (rv == 0) {
        rv = posix_spawnattr_setpgroup(&attr, 0);
    }
    if (rv == 0) {
        sigemptyset(&mask);
        rv = posix_spawnattr_setsigmask(&attr, &mask);
    }
    if (rv == 0) {
        sigfillset(&mask);
        sigdelset(&mask, SIGKILL);
        sigdelset(&mask, SIGSTOP);
        rv = posix_spawnattr_setsigdefault(&attr, &mask);
    }
    if (rv == 0) {
        rv = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                                 POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF);
    }
    if (rv != 0) {
        rv = cl_error_sys(err, CLAUDE_ESPAWN, rv, "cannot prepare to start %s",
                          argv[0]);
        goto out_destroy;
    }

    if (envp == NULL) {
        envp = environ;
    }
    /* A name without a slash is looked up in our PATH. */
    if (strchr(argv[0], '/') != NULL) {
        rv = posix_spawn(&pid, argv[0], &actions, &attr, argv, envp);
    } else {
        rv = posix_spawnp(&pid, argv[0], &actions, &attr, argv, envp);
    }
    if (rv != 0) {
        rv = spawn_error(argv[0], cwd, rv, err);
        goto out_destroy;
    }

    cl_lock(&p->mtx);
    p->pid = pid;
    p->pidfd = open_pidfd(pid);
    p->exited = false;
    p->reaped = false;
    cl_unlock(&p->mtx);

out_destroy:
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rv;
}

/* Look for an exit without reaping.  Call with p->mtx held. */
static bool
exited_locked(cl_process *p)
{
    siginfo_t info;

    if (p->exited || p->pid < 0) {
        return p->exited;
    }
    memset(&info, 0, sizeof(info));
    if (waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
        if (errno == ECHILD) {
            /*
             * Someone else reaped it: the host ignores SIGCHLD or
             * waits for any child.  The status is lost and the pid is
             * no longer ours to signal.
             */
            p->exited = true;
            p->reaped = true;
            p->status = CL_STATUS_LOST;
        }
        return p->exited;
    }
    if (info.si_pid == 0) {
        return false;
    }
    p->exited = true;
    if (info.si_code == CLD_EXITED) {
        p->status = (info.si_status & 0xff) << 8;
    } else {
        p->status =
            (info.si_status & 0x7f) | (info.si_code == CLD_DUMPED ? 0x80 : 0);
    }
    return true;
}

bool
cl_process_exited(cl_process *p, int *status)
{
    bool exited;

    cl_lock(&p->mtx);
    exited = exited_locked(p);
    if (exited && status != NULL) {
        *status = p->status;
    }
    cl_unlock(&p->mtx);
    return exited;
}

int
cl_process_wait(cl_process *p, int timeout_ms, int *status)
{
    int64_t deadline = cl_deadline(timeout_ms);
    struct pollfd pfd;
    int nap = 1;
    int left;

    for (;;) {
        if (cl_process_exited(p, status)) {
            return 0;
        }
        left = cl_remaining(deadline);
        if (left == 0) {
            return CLAUDE_ETIMEDOUT;
        }
        if (p->pidfd >= 0) {
            pfd.fd = p->pidfd;
            pfd.events = POLLIN;
            (void)cl_poll(&pfd, 1, left);
            continue;
        }

        /* No pidfd: sleep in growing steps, at most 20 ms. */
        if (left < 0 || left > nap) {
            left = nap;
        }
        (void)poll(NULL, 0, left);
        if (nap < 20) {
            nap *= 2;
        }
    }
}

void
cl_process_signal_group(cl_process *p, int sig)
{
    cl_lock(&p->mtx);
    if (p->pid > 0 && !p->reaped) {
        /* The group may already be empty but for the zombie leader. */
        (void)kill(-p->pid, sig);
    }
    cl_unlock(&p->mtx);
}

void
cl_process_reap(cl_process *p)
{
    int status;
    pid_t rv;

    cl_lock(&p->mtx);
    if (p->pid > 0 && !p->reaped && exited_locked(p)) {
        do {
            rv = waitpid(p->pid, &status, 0);
        } while (rv < 0 && errno == EINTR);
        p->reaped = true;
    }
    cl_unlock(&p->mtx);
}

void
cl_process_forget(cl_process *p)
{
    cl_lock(&p->mtx);
    if (p->pidfd >= 0) {
        close(p->pidfd);
    }
    p->pid = -1;
    p->pidfd = -1;
    p->exited = false;
    p->reaped = false;
    p->status = 0;
    cl_unlock(&p->mtx);
}
