/*
 * message.h: making messages from lines.
 */
#ifndef CL_MESSAGE_H
#define CL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "claude.h"
#include "scan.h"

/*
 * A message holding a copy of line (len bytes; no NUL needed), in one
 * allocation with the message.  route is the scan the reader already
 * made of the line, so it is not scanned twice; with route NULL the
 * line is scanned here.  Returns 0, CLAUDE_ENOMEM, or CLAUDE_EPROTO for
 * a line the scan rejects.
 */
int cl_message_new(claude_message **out, const char *line, size_t len,
                   const cl_route *route);

/*
 * A stand-in for a line too long to keep, holding its first head_len
 * bytes: it takes the line's place in the queue, so that the
 * application learns of the loss where the line would have been.
 */
int cl_message_new_dropped(claude_message **out, const char *head,
                           size_t head_len, size_t line_len);

/* The length of the line m stands in for, or 0 for a real message. */
size_t cl_message_dropped(const claude_message *m);

/* The message's link in the client's queue: NULL until the client sets
 * it.  Only the queue's owner reads or writes it, under its lock. */
claude_message **cl_message_link(claude_message *m);

/* The length of the message's line: what it weighs in the queue. */
size_t cl_message_size(const claude_message *m);

/* Has the message's JSON been parsed (successfully or not)?  The
 * answer may change at any moment while other threads read m; to the
 * one thread that holds m, false after claude_message_json() returned
 * NULL means that memory ran out. */
bool cl_message_parsed(const claude_message *m);

#endif /* CL_MESSAGE_H */
