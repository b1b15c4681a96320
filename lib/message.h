/*
 * message.h: making messages from lines.
 */
#ifndef CL_MESSAGE_H
#define CL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "claude.h"

/*
 * A message that owns line (malloc'd, len bytes plus a NUL), which
 * cl_scan_route() has accepted.  On failure line is freed.  Returns 0
 * or CLAUDE_ENOMEM.
 *
 * The line is scanned again here, for its type and subtype, which the
 * message keeps as decoded copies; with the scan's early stop that
 * costs a few dozen bytes for the lines the CLI writes.  The line
 * needs room for len + 1 bytes: the byte at line[len] is set to NUL.
 * A line the scan rejects gives CLAUDE_EPROTO (and is freed).
 */
int cl_message_new(claude_message **out, char *line, size_t len);

/* Has the message's JSON been parsed (successfully or not)?  For tests
 * and statistics; the answer may change at any moment. */
bool cl_message_parsed(const claude_message *m);

#endif /* CL_MESSAGE_H */
