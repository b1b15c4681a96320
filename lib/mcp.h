/*
 * mcp.h: in-process MCP servers, as the client drives them.
 *
 * The client hands each mcp_message to cl_mcp_handle() on a worker
 * thread.  A session object keeps the tool calls in flight, so that an
 * MCP notifications/cancelled can reach the handler it names.
 */
#ifndef CL_MCP_H
#define CL_MCP_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "claude.h"

/* The calls in flight in one client's session. */
typedef struct cl_mcp_session cl_mcp_session;

int cl_mcp_session_new(cl_mcp_session **out);
/* Free ms once no cl_mcp_handle() call on it is running. */
void cl_mcp_session_free(cl_mcp_session *ms);

/* Take and drop references to a server. */
claude_mcp_server *cl_mcp_server_ref(claude_mcp_server *s);
void cl_mcp_server_unref(claude_mcp_server *s);
const char *cl_mcp_server_name(const claude_mcp_server *s);

/*
 * Handle one JSON-RPC message for server s, in session ms.  Returns a
 * new reference to the JSON-RPC response to send back, or NULL when the
 * message needs none (a notification, or a response).  cancelled is the
 * control request's flag, set when the CLI cancels it; it may be NULL,
 * and so may ms (then no call can be cancelled by notification).  Runs
 * the tool's handler on the calling thread with no lock held.  Never
 * fails the session: whatever goes wrong becomes a JSON-RPC error or an
 * isError result, and only when even that cannot be built for lack of
 * memory is the answer to a request NULL.
 */
json_t *cl_mcp_handle(claude_mcp_server *s, cl_mcp_session *ms, json_t *message,
                      const atomic_bool *cancelled);

/* Is message a JSON-RPC request, which cl_mcp_handle() answers unless
 * memory runs out? */
bool cl_mcp_is_request(const json_t *message);

#endif /* CL_MCP_H */
