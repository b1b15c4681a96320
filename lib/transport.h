/*
 * transport.h: what the client layer reads from a transport beyond the
 * public interface.
 */
#ifndef CL_TRANSPORT_H
#define CL_TRANSPORT_H

#include <stdbool.h>

#include "claude.h"

/*
 * Bytes written to the child's stdin, the longest time a writer waited
 * for the transport mutex, in nanoseconds, and the lines of the child's
 * output skipped because they do not begin as JSON.
 */
void cl_transport_counters(claude_transport *t, unsigned long long *bytes_out,
                           unsigned long long *max_wait_ns,
                           unsigned long long *noise);

/* Is the calling thread the transport's own (its stderr thread)? */
bool cl_transport_on_own_thread(const claude_transport *t);

/*
 * claude_transport_end_input(), giving up with CLAUDE_ETIMEDOUT after
 * timeout_ms when a writer blocked on a full pipe holds the lock.
 */
int cl_transport_end_input_within(claude_transport *t, int timeout_ms);

/*
 * claude_transport_write() for a line that nobody waits on (a reply to
 * the CLI): when another thread is writing, the line is handed to it
 * and the call returns 0 at once; a later failure is not reported.
 * The line must hold no newline.
 */
int cl_transport_send(claude_transport *t, const char *json, size_t len,
                      claude_error *err);

/*
 * Stop using the transport, as claude_transport_close() begins to: wake
 * and fail every reader and writer, now and later, with CLAUDE_ECLOSED.
 * The child is left to close, which still ends and reaps it.  Never
 * blocks; any thread.
 */
void cl_transport_abort(claude_transport *t);

#endif /* CL_TRANSPORT_H */
