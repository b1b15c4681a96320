/*
 * event-loop.c: a session driven from a poll(2) loop, with no thread of
 * the program blocked on the client.  Each line of standard input is a
 * prompt, sent once the turn before it has ended; the client's
 * descriptor says when messages wait; a timer tells the user, every
 * second of a turn, that Claude is still working.
 *
 *     event-loop
 *     printf 'Name a prime.\nAnd the next one?\n' | event-loop
 *
 * The same loop works with epoll, libuv or GLib: watch claude_client_fd
 * for input, and receive with a timeout of 0 until CLAUDE_ETIMEDOUT.
 *
 * The CLI is the one CLAUDE_CLI_PATH names, or else the one the
 * library finds on PATH and in the usual install places (see
 * claude_client_new(3)).  Build with
 *
 *     cc event-loop.c $(pkg-config --cflags --libs libclaude)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <claude.h>

#define TICK_MS 1000

/*
 * Take every message that waits, without blocking.  Returns
 * CLAUDE_ETIMEDOUT when none is left for now, or why the session ended.
 */
static int
take_messages(claude_client *c, int *busy, claude_error *err)
{
    claude_message *m;
    const char *text;
    int rv;

    while ((rv = claude_client_receive(c, &m, 0, err)) == 0) {
        text = claude_message_text(m);
        if (text != NULL) {
            printf("%s\n", text);
        }
        if (strcmp(claude_message_type(m), "result") == 0) {
            *busy = 0;
        }
        claude_message_free(m);
    }
    fflush(stdout);
    return rv;
}

/* Send the next line of stdin, or end the session's input at its end. */
static int
next_prompt(claude_client *c, int *busy, int *more, claude_error *err)
{
    char line[4096];

    if (fgets(line, sizeof(line), stdin) == NULL) {
        /* The CLI finishes, exits, and receive returns CLAUDE_EEOF. */
        *more = 0;
        return claude_client_end_input(c);
    }
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '\0') {
        return 0;
    }
    *busy = 1;
    return claude_client_send(c, line, err);
}

int
main(void)
{
    const char *cli = getenv("CLAUDE_CLI_PATH");
    claude_options *o = NULL;
    claude_client *c = NULL;
    claude_error err = {0};
    struct pollfd fds[2];
    int busy = 0;
    int more = 1;
    int ticks = 0;
    int rv;
    int n;

    /*
     * Unbuffered, fgets() takes no more than one line from descriptor
     * 0, so that poll() sees the lines that are left.
     */
    setvbuf(stdin, NULL, _IONBF, 0);
    if (claude_options_new(&o) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (cli != NULL) {
        claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, cli);
    }
    rv = claude_client_new(&c, o, &err);
    claude_options_free(o);

    while (rv == 0) {
        /* A negative descriptor is left out: stdin waits during turns. */
        fds[0].fd = claude_client_fd(c);
        fds[0].events = POLLIN;
        fds[1].fd = more && !busy ? 0 : -1;
        fds[1].events = POLLIN;
        n = poll(fds, 2, busy ? TICK_MS : -1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            snprintf(err.message, sizeof(err.message), "poll: %s",
                     strerror(errno));
            rv = CLAUDE_ESYS;
            break;
        }

        /* Nothing came within a tick of a turn: the timer went off. */
        if (n == 0) {
            fprintf(stderr, "(still working, %d s)\n", ++ticks);
            continue;
        }
        if (fds[0].revents & POLLIN) {
            rv = take_messages(c, &busy, &err);
            rv = rv == CLAUDE_ETIMEDOUT ? 0 : rv;
        }
        if (rv == 0 && !busy && (fds[1].revents & (POLLIN | POLLHUP))) {
            ticks = 0;
            rv = next_prompt(c, &busy, &more, &err);
        }
    }

    /* CLAUDE_EEOF: the CLI exited normally after the input ended. */
    if (rv != CLAUDE_EEOF) {
        fprintf(stderr, "event-loop: %s: %s\n", claude_strerror(rv),
                err.message);
    }
    claude_client_free(c);
    return rv == CLAUDE_EEOF ? 0 : 1;
}
