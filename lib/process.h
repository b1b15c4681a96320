/*
 * process.h: one child process, started with posix_spawn, signalled
 * and reaped by pid.
 *
 * Nothing here touches process-wide state: no SIGCHLD handler, no
 * signal dispositions.  The child leads its own process group, and the
 * group is signalled only while the leader is unreaped, so the group
 * id can never have been reused by an unrelated process.
 */
#ifndef CL_PROCESS_H
#define CL_PROCESS_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "claude.h"

/* The status recorded when someone else reaped the child. */
#define CL_STATUS_LOST (-1)

typedef struct cl_process {
    pthread_mutex_t mtx; /* guards every field below */
    pid_t pid;           /* -1 before spawn */
    int pidfd;           /* readable once the child exits; -1 if none */
    bool exited;         /* the exit was seen; status holds it */
    bool reaped;         /* waitpid collected it; pid is no longer ours */
    int status;          /* wait status once exited, or CL_STATUS_LOST */
} cl_process;

void cl_process_init(cl_process *p);
void cl_process_destroy(cl_process *p);

/*
 * Start argv[0] with the given fds as its stdin, stdout and stderr, in
 * its own process group.  A missing cwd gives CLAUDE_ENOCWD and a
 * missing program CLAUDE_ENOPROGRAM, each naming the path.
 */
int cl_process_spawn(cl_process *p, char *const *argv, char *const *envp,
                     const char *cwd, const int fds[3], claude_error *err);

/* Has the child exited?  Never blocks; does not reap. */
bool cl_process_exited(cl_process *p, int *status);

/*
 * Wait up to timeout_ms (-1: no limit) for the child to exit, without
 * reaping it.  Returns 0 or CLAUDE_ETIMEDOUT.
 */
int cl_process_wait(cl_process *p, int timeout_ms, int *status);

/* Send sig to the child's process group unless it was reaped. */
void cl_process_signal_group(cl_process *p, int sig);

/* Collect an exited child.  Call once cl_process_wait returned 0. */
void cl_process_reap(cl_process *p);

/* Forget a reaped child, so that the process can be spawned again. */
void cl_process_forget(cl_process *p);

#endif /* CL_PROCESS_H */
