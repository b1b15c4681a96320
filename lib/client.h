/*
 * client.h: what the tests and the fuzzer reach inside a client beyond
 * the public interface.
 */
#ifndef CL_CLIENT_H
#define CL_CLIENT_H

#include <stddef.h>

#include "claude.h"

/*
 * Route one line as if the reader had read it from the child's output,
 * through the same code: a message is queued for receive before the
 * call returns, a control request is queued for the workers, a reply
 * completes its waiter and a cancel marks its request.  line holds len
 * bytes and a NUL after them, as the framer gives it.  Any thread may
 * call it, alongside the reader.
 */
void cl_client_route_line(claude_client *c, const char *line, size_t len);

/*
 * Wait up to timeout_ms (-1: no limit) until every control request the
 * CLI sent has been answered or dropped and released, and every worker
 * sleeps.  Returns 0, or CLAUDE_ETIMEDOUT.
 */
int cl_client_wait_idle(claude_client *c, int timeout_ms);

#endif /* CL_CLIENT_H */
