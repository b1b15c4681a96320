/*
 * claude.h: the public interface of libclaude.
 *
 * libclaude runs Claude Code agents from C and C++ programs: it starts
 * the claude CLI as a child process and speaks its stream-json protocol,
 * one JSON object per line, over the child's stdin and stdout.
 *
 * Every function may be called from any thread unless its man page says
 * otherwise.  Fallible functions return 0 or a negative CLAUDE_E* code.
 * The man pages in section 3 are the contract; the comments here are a
 * summary of them.
 */
#ifndef CLAUDE_H
#define CLAUDE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version.  The Makefile reads these three lines. */
#define CLAUDE_VERSION_MAJOR 0
#define CLAUDE_VERSION_MINOR 1
#define CLAUDE_VERSION_PATCH 0

#define CLAUDE_STRINGIFY_(x) #x
#define CLAUDE_STRINGIFY(x) CLAUDE_STRINGIFY_(x)

/* The version as a string literal, such as "0.1.0". */
#define CLAUDE_VERSION                                                         \
    CLAUDE_STRINGIFY(CLAUDE_VERSION_MAJOR)                                     \
    "." CLAUDE_STRINGIFY(CLAUDE_VERSION_MINOR) "." CLAUDE_STRINGIFY(           \
        CLAUDE_VERSION_PATCH)

/* The version as one number, 0xMMmmpp, for preprocessor comparisons. */
#define CLAUDE_VERSION_NUMBER                                                  \
    ((CLAUDE_VERSION_MAJOR << 16) | (CLAUDE_VERSION_MINOR << 8) |              \
     CLAUDE_VERSION_PATCH)

#if defined(__GNUC__) || defined(__clang__)
#define CLAUDE_API __attribute__((visibility("default")))
#define CLAUDE_NODISCARD __attribute__((warn_unused_result))
#else
#define CLAUDE_API
#define CLAUDE_NODISCARD
#endif

/* Opaque objects. */
typedef struct claude_transport claude_transport;
typedef struct claude_options claude_options;
typedef struct claude_client claude_client;
typedef struct claude_message claude_message;
typedef struct claude_request claude_request;
typedef struct claude_mcp_server claude_mcp_server;
typedef struct claude_mcp_call claude_mcp_call;
typedef struct claude_ledger claude_ledger;

/* jansson's value type; include <jansson.h> to use the values. */
struct json_t;

/*
 * Error codes.  Every code is negative and keeps its value forever; a
 * retired code stays in the list as a placeholder.
 */
#define CLAUDE_ERRNO_MAP(XX)                                                   \
    XX(EINVAL, -1, "invalid argument")                                         \
    XX(ENOMEM, -2, "out of memory")                                            \
    XX(ENOTOPEN, -3, "not open")                                               \
    XX(EALREADY, -4, "already open")                                           \
    XX(ECLOSED, -5, "closed")                                                  \
    XX(EINPUTENDED, -6, "input already ended")                                 \
    XX(ECHILDEXIT, -7, "the child process has exited")                         \
    XX(EPIPE, -8, "the child stopped reading its input")                       \
    XX(EBROKEN, -9, "an earlier write failed")                                 \
    XX(EIO, -10, "input/output error")                                         \
    XX(ETIMEDOUT, -11, "timed out")                                            \
    XX(EEOF, -12, "end of the child's output")                                 \
    XX(ETOOLONG, -13, "line longer than the maximum line size")                \
    XX(ENOCWD, -14, "working directory not found")                             \
    XX(ENOPROGRAM, -15, "program not found")                                   \
    XX(ESPAWN, -16, "could not start the child process")                       \
    XX(ESYS, -17, "system call failed")                                        \
    XX(ERECURSIVE, -18, "called from inside the object's own callback")        \
    XX(ENOSTATUS, -19, "the child's exit status was collected elsewhere")      \
    XX(EPROTO, -20, "the child broke the protocol")                            \
    XX(ECONTROL, -21, "the CLI answered a control request with an error")      \
    XX(ECANCELED, -22, "canceled")                                             \
    XX(ENOCLI, -23, "the claude CLI was not found")                            \
    XX(ERESULT, -24, "the run ended with an error result")

typedef enum claude_errno {
#define CLAUDE_ERRNO_ENUM_(name, value, text) CLAUDE_##name = value,
    CLAUDE_ERRNO_MAP(CLAUDE_ERRNO_ENUM_)
#undef CLAUDE_ERRNO_ENUM_
} claude_errno;

/* Sizes of the text fields of claude_error. */
#define CLAUDE_ERROR_MESSAGE_MAX 256
#define CLAUDE_ERROR_STDERR_MAX 2048
#define CLAUDE_ERROR_LINE_MAX 512

/*
 * Details of one failure, owned by the caller and filled by the call
 * that failed.  It holds no pointers: it needs no cleanup and may live
 * on the stack uninitialised.
 */
typedef struct claude_error {
    /* The code the failing call returned.  Calls that succeed leave
     * the whole struct untouched. */
    int code;
    /* The child's exit code, or -1 when it has not exited normally. */
    int exit_code;
    /* The signal that ended the child, or 0. */
    int exit_signal;
    /* The errno value behind a system call failure, or 0. */
    int sys_errno;
    /* One sentence that names what failed, NUL-terminated. */
    char message[CLAUDE_ERROR_MESSAGE_MAX];
    /* The last bytes the child wrote to stderr, NUL-terminated. */
    char stderr_tail[CLAUDE_ERROR_STDERR_MAX];
    /* The start of the offending line, NUL-terminated. */
    char line[CLAUDE_ERROR_LINE_MAX];
    /* The length of the offending line in bytes, or of as much of it
     * as was read before it passed the limit; 0 when there is none. */
    size_t line_len;
} claude_error;

/* Static text for an error code.  Never NULL.  MT-Safe. */
CLAUDE_API const char *claude_strerror(int code);

/* The library's run-time version, such as "0.1.0".  Static. */
CLAUDE_API const char *claude_version(void);

/* Log levels, as in syslog. */
typedef enum claude_log_level {
    CLAUDE_LOG_ERROR = 3,
    CLAUDE_LOG_WARNING = 4,
    CLAUDE_LOG_INFO = 6,
    CLAUDE_LOG_DEBUG = 7
} claude_log_level;

/* A log callback: level, one NUL-terminated line, the user pointer. */
typedef void (*claude_log_cb)(int level, const char *msg, void *user);

/* A stderr callback: one line of the child's stderr, NUL-terminated. */
typedef void (*claude_stderr_cb)(const char *line, size_t len, void *user);

/*
 * Transport: one child process and its three pipes.
 */

/* No limit on the length of a line. */
#define CLAUDE_LINE_UNLIMITED SIZE_MAX

#define CLAUDE_TRANSPORT_OPTIONS_VERSION 1

/*
 * Options for claude_transport_new().  Start from
 * CLAUDE_TRANSPORT_OPTIONS_INIT; every pointer is copied by
 * claude_transport_new(), so the struct and what it points to may be
 * freed once that call returns.
 */
typedef struct claude_transport_options {
    /* CLAUDE_TRANSPORT_OPTIONS_VERSION. */
    unsigned int version;
    /* The program and its arguments, NULL-terminated.  Required. */
    const char *const *argv;
    /* The child's environment, NULL-terminated; NULL inherits ours. */
    const char *const *envp;
    /* The child's working directory; NULL inherits ours. */
    const char *cwd;
    /* Milliseconds close waits for a voluntary exit before SIGTERM. */
    unsigned int close_grace_ms;
    /* Milliseconds close waits after SIGTERM before SIGKILL. */
    unsigned int term_grace_ms;
    /* Longest accepted stdout line in bytes; 0 means the default. */
    size_t max_line_size;
    /* Called with each line of the child's stderr, or NULL. */
    claude_stderr_cb stderr_cb;
    void *stderr_user;
    /* Called with log lines at or above log_level, or NULL. */
    claude_log_cb log_cb;
    void *log_user;
    int log_level;
} claude_transport_options;

#define CLAUDE_CLOSE_GRACE_MS_DEFAULT 5000
#define CLAUDE_TERM_GRACE_MS_DEFAULT 5000
#define CLAUDE_MAX_LINE_SIZE_DEFAULT ((size_t)64 * 1024 * 1024)
#define CLAUDE_MAX_BUFFERED_DEFAULT ((size_t)4 * 1024 * 1024)

#define CLAUDE_TRANSPORT_OPTIONS_INIT                                          \
    {                                                                          \
        CLAUDE_TRANSPORT_OPTIONS_VERSION, NULL, NULL, NULL,                    \
            CLAUDE_CLOSE_GRACE_MS_DEFAULT, CLAUDE_TERM_GRACE_MS_DEFAULT, 0,    \
            NULL, NULL, NULL, NULL, CLAUDE_LOG_WARNING                         \
    }

/* Create a transport; nothing is started.  *out is set on success. */
CLAUDE_API CLAUDE_NODISCARD int
claude_transport_new(claude_transport **out,
                     const claude_transport_options *opts);

/* Start the child.  Fails with its own code for a missing cwd or
 * program.  err may be NULL. */
CLAUDE_API CLAUDE_NODISCARD int claude_transport_open(claude_transport *t,
                                                      claude_error *err);

/* Write one line: len bytes of JSON text with no newline; the
 * transport adds it.  Blocks until the line is written whole or
 * close is called.  err may be NULL. */
CLAUDE_API int claude_transport_write(claude_transport *t, const char *json,
                                      size_t len, claude_error *err);

/* Close the child's stdin after the writes in progress.  Idempotent. */
CLAUDE_API int claude_transport_end_input(claude_transport *t);

/* Read the next line of the child's stdout, waiting up to timeout_ms
 * (-1: no limit).  The line is NUL-terminated and valid until the
 * next read on this transport.  Only one thread reads at a time. */
CLAUDE_API int claude_transport_read_line(claude_transport *t,
                                          const char **line, size_t *len,
                                          int timeout_ms, claude_error *err);

/* Wait up to timeout_ms (-1: no limit) for the child to exit and store
 * its wait status in *status. */
CLAUDE_API int claude_transport_wait(claude_transport *t, int timeout_ms,
                                     int *status);

/* The child's process id, or -1 before open. */
CLAUDE_API pid_t claude_transport_pid(claude_transport *t);

/* Copy the last bytes of the child's stderr into buf (NUL-terminated);
 * return the number of bytes copied. */
CLAUDE_API size_t claude_transport_stderr_tail(claude_transport *t, char *buf,
                                               size_t size);

/* End stdin, wait for the child, then SIGTERM and SIGKILL its process
 * group, and reap it.  Wakes blocked writers and readers.  Any thread,
 * any time, more than once. */
CLAUDE_API int claude_transport_close(claude_transport *t);

/* Close if needed, join the transport's thread and free it.  NULL is
 * accepted. */
CLAUDE_API void claude_transport_free(claude_transport *t);

/*
 * Options: everything a session is opened with.  An options object is
 * copied by claude_client_new(); it may then be changed, reused or
 * freed.  Setters copy their arguments.
 */

typedef enum claude_option {
    /* Strings. */
    CLAUDE_OPT_SYSTEM_PROMPT = 1,    /* the whole system prompt */
    CLAUDE_OPT_SYSTEM_PROMPT_FILE,   /* a file holding it */
    CLAUDE_OPT_SYSTEM_PROMPT_PRESET, /* "claude_code": the CLI's own */
    CLAUDE_OPT_APPEND_SYSTEM_PROMPT, /* appended to the preset */
    CLAUDE_OPT_MODEL,
    CLAUDE_OPT_FALLBACK_MODEL,
    CLAUDE_OPT_PERMISSION_MODE,        /* default, acceptEdits, plan, ... */
    CLAUDE_OPT_PERMISSION_PROMPT_TOOL, /* an MCP tool that answers asks */
    CLAUDE_OPT_CWD,
    CLAUDE_OPT_RESUME,           /* session id or title */
    CLAUDE_OPT_SESSION_ID,       /* a UUID for a new session */
    CLAUDE_OPT_SETTINGS,         /* a settings file path or JSON text */
    CLAUDE_OPT_THINKING,         /* adaptive, enabled or disabled */
    CLAUDE_OPT_THINKING_DISPLAY, /* summarized or omitted */
    CLAUDE_OPT_EFFORT,           /* low, medium, high, xhigh, max */
    CLAUDE_OPT_CLI_PATH,
    /* JSON text. */
    CLAUDE_OPT_AGENTS = 100, /* {"name": AgentDefinition, ...} */
    CLAUDE_OPT_MCP_SERVERS,  /* {"name": {"type": "stdio", ...}, ...} */
    CLAUDE_OPT_SANDBOX,      /* sandbox settings, merged into settings */
    CLAUDE_OPT_JSON_SCHEMA,  /* structured output */
    /* Lists: each call of claude_options_add() appends one item. */
    CLAUDE_OPT_TOOLS = 200, /* the base tool set; empty: none */
    CLAUDE_OPT_ALLOWED_TOOLS,
    CLAUDE_OPT_DISALLOWED_TOOLS,
    CLAUDE_OPT_ADD_DIR,
    CLAUDE_OPT_SETTING_SOURCES, /* user, project, local; empty: none */
    CLAUDE_OPT_PLUGIN_DIR,
    CLAUDE_OPT_BETAS,
    /* Integers (booleans are 0 or 1). */
    CLAUDE_OPT_MAX_TURNS = 300,
    CLAUDE_OPT_MAX_THINKING_TOKENS,
    CLAUDE_OPT_CONTINUE,
    CLAUDE_OPT_FORK_SESSION,
    CLAUDE_OPT_STRICT_MCP_CONFIG,
    CLAUDE_OPT_INCLUDE_PARTIAL_MESSAGES,
    CLAUDE_OPT_INCLUDE_HOOK_EVENTS,
    CLAUDE_OPT_MAX_LINE_SIZE,
    CLAUDE_OPT_INIT_TIMEOUT_MS,    /* default 60000 */
    CLAUDE_OPT_CONTROL_TIMEOUT_MS, /* default 60000 */
    CLAUDE_OPT_CLOSE_GRACE_MS,     /* default 5000 */
    CLAUDE_OPT_TERM_GRACE_MS,      /* default 5000 */
    CLAUDE_OPT_VERSION_CHECK_MS,   /* default 2000; 0 skips the check */
    CLAUDE_OPT_MAX_WORKERS,        /* default 64 */
    CLAUDE_OPT_LOG_LEVEL,          /* default CLAUDE_LOG_WARNING */
    CLAUDE_OPT_MAX_BUFFERED,       /* unread message bytes; 0: no limit */
    /* Numbers. */
    CLAUDE_OPT_MAX_BUDGET_USD = 400
} claude_option;

CLAUDE_API CLAUDE_NODISCARD int claude_options_new(claude_options **out);
CLAUDE_API void claude_options_free(claude_options *o);

/* Set a string or JSON-text option; NULL unsets it. */
CLAUDE_API int claude_options_set_string(claude_options *o, claude_option opt,
                                         const char *value);
/* Append one item to a list option.  claude_options_clear() empties. */
CLAUDE_API int claude_options_add(claude_options *o, claude_option opt,
                                  const char *item);
CLAUDE_API int claude_options_set_int(claude_options *o, claude_option opt,
                                      long long value);
CLAUDE_API int claude_options_set_double(claude_options *o, claude_option opt,
                                         double value);
/* Unset any option; a list becomes unset, not empty. */
CLAUDE_API int claude_options_clear(claude_options *o, claude_option opt);
/* A list option set to the empty list (--tools "", no sources). */
CLAUDE_API int claude_options_set_empty(claude_options *o, claude_option opt);

/* Set (value non-NULL) or remove (NULL) a variable of the child's
 * environment, which is ours with CLAUDECODE removed. */
CLAUDE_API int claude_options_set_env(claude_options *o, const char *name,
                                      const char *value);
/* An extra CLI flag, without its dashes; value NULL for a bare flag. */
CLAUDE_API int claude_options_add_extra_arg(claude_options *o, const char *flag,
                                            const char *value);

CLAUDE_API int claude_options_set_stderr_cb(claude_options *o,
                                            claude_stderr_cb cb, void *user);
CLAUDE_API int claude_options_set_log_cb(claude_options *o, claude_log_cb cb,
                                         void *user);

/*
 * Permission checks (can_use_tool).  The callback fills *result; it
 * returns 0, or non-zero to answer the CLI with an error.
 */
typedef struct claude_permission {
    const char *tool_name;
    /* The tool's input as the CLI wrote it: a JSON object, checked, not
     * NUL-terminated; claude_request_input() gives it parsed. */
    const char *input_json;
    size_t input_len;
    const char *tool_use_id;
    const char *agent_id;        /* NULL on the main agent */
    const char *blocked_path;    /* NULL if none */
    const char *decision_reason; /* NULL if none */
} claude_permission;

typedef struct claude_permission_result {
    int allow; /* 1: allow; 0: deny (the default) */
    /* allow: replacement input, or NULL to keep it; the library takes
     * the reference. */
    struct json_t *updated_input;
    /* allow: PermissionUpdate[] to apply, or NULL; taken likewise. */
    struct json_t *updated_permissions;
    /* deny: why, shown to the model; NULL: a default text.  Read after
     * the callback returns: a literal, or memory that outlives it. */
    const char *message;
    int interrupt; /* deny: also stop the turn */
} claude_permission_result;

typedef int (*claude_permission_cb)(claude_request *req,
                                    const claude_permission *perm,
                                    claude_permission_result *result,
                                    void *user);

CLAUDE_API int claude_options_set_permission_cb(claude_options *o,
                                                claude_permission_cb cb,
                                                void *user);

/*
 * Hooks (hook_callback).  The callback gets the hook input and sets
 * *output to a new reference to the output object, or leaves it NULL
 * for {}; it returns 0, or non-zero to answer with an error.
 */
typedef int (*claude_hook_cb)(claude_request *req, struct json_t *input,
                              struct json_t **output, void *user);

/* Register cb for event (such as "PreToolUse"); matcher may be NULL;
 * timeout_s 0 leaves the CLI's default. */
CLAUDE_API int claude_options_add_hook(claude_options *o, const char *event,
                                       const char *matcher, int timeout_s,
                                       claude_hook_cb cb, void *user);

/*
 * A control request from the CLI, as a callback sees it.
 */
CLAUDE_API const char *claude_request_subtype(const claude_request *req);
CLAUDE_API const char *claude_request_id(const claude_request *req);
/* The "request" object, parsed on the first call; borrowed for the
 * length of the callback.  NULL if the line does not parse. */
CLAUDE_API struct json_t *claude_request_json(const claude_request *req);
/* Its "input" member, likewise. */
CLAUDE_API struct json_t *claude_request_input(const claude_request *req);
/* Non-zero once the CLI has cancelled the request. */
CLAUDE_API int claude_request_cancelled(const claude_request *req);
/* The text of the error reply sent when the callback fails. */
CLAUDE_API int claude_request_set_error(claude_request *req, const char *text);

/*
 * Messages from the CLI.  A message is owned by whoever received it;
 * its JSON is parsed on first use, on the caller's thread.
 */
CLAUDE_API void claude_message_free(claude_message *m);
/* "assistant", "user", "result", "system", ...; never NULL. */
CLAUDE_API const char *claude_message_type(const claude_message *m);
/* The subtype, or NULL when the message has none. */
CLAUDE_API const char *claude_message_subtype(const claude_message *m);
/* The raw line, NUL-terminated. */
CLAUDE_API const char *claude_message_line(const claude_message *m,
                                           size_t *len);
/* The parsed object, borrowed from the message; NULL if the line is not
 * valid JSON. */
CLAUDE_API struct json_t *claude_message_json(claude_message *m);
/* Assistant: its text blocks joined; NULL when there are none. */
CLAUDE_API const char *claude_message_text(claude_message *m);
/* Assistant: the number of tool_use blocks, and one of them. */
CLAUDE_API size_t claude_message_tool_use_count(claude_message *m);
CLAUDE_API int claude_message_tool_use(claude_message *m, size_t index,
                                       const char **id, const char **name,
                                       struct json_t **input);
/* Result fields. */
CLAUDE_API int claude_message_is_error(claude_message *m);
CLAUDE_API const char *claude_message_result(claude_message *m);
CLAUDE_API const char *claude_message_session_id(claude_message *m);
CLAUDE_API double claude_message_cost_usd(claude_message *m);
CLAUDE_API long long claude_message_duration_ms(claude_message *m);
CLAUDE_API struct json_t *claude_message_usage(claude_message *m);
CLAUDE_API struct json_t *claude_message_structured_output(claude_message *m);
CLAUDE_API struct json_t *claude_message_errors(claude_message *m);

/*
 * In-process MCP servers: tools that live in the host program, called
 * by the CLI through mcp_message control requests.  A server is
 * reference-counted: each session that uses it holds a reference, so it
 * may serve several sessions at once and be freed by its creator at any
 * time.
 */

/* Tool annotations; a field left at -1 (or NULL) is not sent. */
typedef struct claude_mcp_annotations {
    int read_only;   /* readOnlyHint */
    int destructive; /* destructiveHint */
    int idempotent;  /* idempotentHint */
    int open_world;  /* openWorldHint */
    const char *title;
} claude_mcp_annotations;

#define CLAUDE_MCP_ANNOTATIONS_INIT                                            \
    {                                                                          \
        -1, -1, -1, -1, NULL                                                   \
    }

/*
 * A tool handler.  It runs on a worker thread, perhaps concurrently with
 * itself, with the call's validated arguments (borrowed); it adds
 * content to the call and returns 0, or returns non-zero (or calls
 * claude_mcp_call_set_error()) for an error result.
 */
typedef int (*claude_mcp_tool_cb)(claude_mcp_call *call,
                                  struct json_t *arguments, void *user);

CLAUDE_API CLAUDE_NODISCARD int claude_mcp_server_new(claude_mcp_server **out,
                                                      const char *name,
                                                      const char *version);
/* Drop the caller's reference; sessions keep theirs. */
CLAUDE_API void claude_mcp_server_free(claude_mcp_server *s);
/* Add a tool; input_schema is JSON text (NULL: any object). */
CLAUDE_API int claude_mcp_server_add_tool(claude_mcp_server *s,
                                          const char *name,
                                          const char *description,
                                          const char *input_schema,
                                          const claude_mcp_annotations *ann,
                                          claude_mcp_tool_cb cb, void *user);

/* Content of a call's result. */
CLAUDE_API int claude_mcp_call_add_text(claude_mcp_call *call,
                                        const char *text);
CLAUDE_API int claude_mcp_call_add_image(claude_mcp_call *call,
                                         const char *base64_data,
                                         const char *mime_type);
/* Any content block; the call keeps a copy. */
CLAUDE_API int claude_mcp_call_add_content(claude_mcp_call *call,
                                           struct json_t *block);
/* Make the result an error result with this text. */
CLAUDE_API int claude_mcp_call_set_error(claude_mcp_call *call,
                                         const char *text);
/* Non-zero once the CLI has cancelled the call. */
CLAUDE_API int claude_mcp_call_cancelled(const claude_mcp_call *call);
/* The tool's name, and the server's. */
CLAUDE_API const char *claude_mcp_call_tool(const claude_mcp_call *call);
CLAUDE_API const char *claude_mcp_call_server(const claude_mcp_call *call);

/* Serve s in sessions opened with these options; takes a reference. */
CLAUDE_API int claude_options_add_mcp_server(claude_options *o,
                                             claude_mcp_server *s);

/*
 * Client: one Claude Code session.
 */

/* Start the CLI and complete the initialize handshake. */
CLAUDE_API CLAUDE_NODISCARD int claude_client_new(claude_client **out,
                                                  const claude_options *opts,
                                                  claude_error *err);
/* Send a user message: plain text, or a JSON array of content blocks. */
CLAUDE_API int claude_client_send(claude_client *c, const char *text,
                                  claude_error *err);
CLAUDE_API int claude_client_send_content(claude_client *c,
                                          const char *content_json,
                                          claude_error *err);
/* The next message, waiting up to timeout_ms (-1: no limit). */
CLAUDE_API int claude_client_receive(claude_client *c, claude_message **out,
                                     int timeout_ms, claude_error *err);
/* A descriptor that is readable while messages wait. */
CLAUDE_API int claude_client_fd(claude_client *c);
CLAUDE_API int claude_client_end_input(claude_client *c);
CLAUDE_API int claude_client_close(claude_client *c);
CLAUDE_API void claude_client_free(claude_client *c);

/* Outgoing controls.  Each waits for its reply, up to the control
 * timeout; *out, where given, gets a new reference to the reply. */
CLAUDE_API int claude_client_interrupt(claude_client *c, claude_error *err);
CLAUDE_API int claude_client_set_permission_mode(claude_client *c,
                                                 const char *mode,
                                                 claude_error *err);
CLAUDE_API int claude_client_set_model(claude_client *c, const char *model,
                                       claude_error *err);
CLAUDE_API int claude_client_set_max_thinking_tokens(claude_client *c,
                                                     long long tokens,
                                                     claude_error *err);
CLAUDE_API int claude_client_mcp_status(claude_client *c, struct json_t **out,
                                        claude_error *err);
CLAUDE_API int claude_client_context_usage(claude_client *c,
                                           struct json_t **out,
                                           claude_error *err);
CLAUDE_API int claude_client_rewind_files(claude_client *c,
                                          const char *user_message_id,
                                          int dry_run, struct json_t **out,
                                          claude_error *err);
CLAUDE_API int claude_client_stop_task(claude_client *c, const char *task_id,
                                       claude_error *err);
CLAUDE_API int claude_client_mcp_reconnect(claude_client *c, const char *server,
                                           claude_error *err);
CLAUDE_API int claude_client_mcp_toggle(claude_client *c, const char *server,
                                        int enabled, claude_error *err);
/* Any control request: subtype plus the other fields as a JSON object
 * text (or NULL); timeout_ms -1 uses the control timeout. */
CLAUDE_API int claude_client_control(claude_client *c, const char *subtype,
                                     const char *fields_json, int timeout_ms,
                                     struct json_t **out, claude_error *err);

/* Per-session figures. */
typedef struct claude_stats {
    unsigned long long can_use_tool; /* CLI requests handled, by kind */
    unsigned long long hook_callback;
    unsigned long long mcp_message;
    unsigned long long other_requests;
    unsigned long long cancelled;         /* cancelled by the CLI */
    unsigned int peak_in_flight;          /* CLI requests at once */
    unsigned long long max_write_wait_us; /* longest wait for the lock */
    unsigned long long bytes_in;          /* read from the child's stdout */
    unsigned long long bytes_out;         /* written to its stdin */
    unsigned long long messages;          /* queued for the application */
    unsigned long long bad_lines;         /* invalid or over-long lines */
    unsigned int in_flight;               /* CLI requests being handled */
} claude_stats;

CLAUDE_API int claude_client_stats(claude_client *c, claude_stats *out);

/*
 * When the CLI's input may end, for an application that reads the
 * messages itself: track each message, then ask.  may_end_input returns
 * 1 when input may end, 0 when not yet (*wait_ms: how long until it may
 * with no further message, or -1), or a negative error code.
 */
CLAUDE_API CLAUDE_NODISCARD int claude_ledger_new(claude_ledger **out);
CLAUDE_API int claude_ledger_track(claude_ledger *l, claude_message *m);
CLAUDE_API int claude_ledger_may_end_input(claude_ledger *l, int *wait_ms);
CLAUDE_API unsigned int claude_ledger_tasks(claude_ledger *l);
CLAUDE_API void claude_ledger_free(claude_ledger *l);

/*
 * One-shot: run prompt to its result, handing each message to cb (which
 * owns it).  Returns 0 for a successful result, CLAUDE_ERESULT for an
 * error result, or another code.
 */
typedef int (*claude_message_cb)(claude_message *m, void *user);

CLAUDE_API int claude_query(const claude_options *opts, const char *prompt,
                            claude_message_cb cb, void *user,
                            claude_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CLAUDE_H */
