/*
 * options.h: the options object, and what the client makes of it: the
 * CLI's argument vector, its environment and the initialize request.
 */
#ifndef CL_OPTIONS_H
#define CL_OPTIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "claude.h"

typedef struct cl_strlist {
    char **items; /* NULL-terminated once set; NULL when unset */
    size_t n;
    bool set; /* set but possibly empty */
} cl_strlist;

typedef struct cl_hook {
    char *event;
    char *matcher; /* NULL: every tool */
    int timeout_s; /* 0: the CLI's default */
    claude_hook_cb cb;
    void *user;
} cl_hook;

typedef struct cl_env {
    char *name;
    char *value; /* NULL: remove from the child's environment */
} cl_env;

typedef struct cl_extra_arg {
    char *flag;  /* without dashes */
    char *value; /* NULL: a bare flag */
} cl_extra_arg;

/*
 * String and JSON options are indexed by CL_STR_INDEX(opt), lists by
 * CL_LIST_INDEX(opt) and integers by CL_INT_INDEX(opt).  The macros
 * assume a known option of the right kind; the setters check that.
 */
#define CL_NSTR 32
#define CL_NLIST 16
#define CL_NINT 32
#define CL_JSON_BASE 16
#define CL_STR_INDEX(opt)                                                      \
    ((int)(opt) >= (int)CLAUDE_OPT_AGENTS                                      \
         ? CL_JSON_BASE + (int)(opt) - (int)CLAUDE_OPT_AGENTS                  \
         : (int)(opt) - (int)CLAUDE_OPT_SYSTEM_PROMPT)
#define CL_LIST_INDEX(opt) ((int)(opt) - (int)CLAUDE_OPT_TOOLS)
#define CL_INT_INDEX(opt) ((int)(opt) - (int)CLAUDE_OPT_MAX_TURNS)

struct claude_options {
    char *str[CL_NSTR];        /* strings and JSON texts, by option */
    cl_strlist list[CL_NLIST]; /* lists, by option */
    long long num[CL_NINT];    /* integers, by option */
    bool num_set[CL_NINT];
    double budget_usd;
    bool budget_set;

    cl_env *env;
    size_t nenv;
    cl_extra_arg *extra;
    size_t nextra;
    cl_hook *hooks;
    size_t nhooks;
    claude_mcp_server **mcp; /* in-process servers, one reference each */
    size_t nmcp;

    claude_permission_cb permission_cb;
    void *permission_user;
    claude_stderr_cb stderr_cb;
    void *stderr_user;
    claude_log_cb log_cb;
    void *log_user;
};

/*
 * Accessors that apply the defaults.  cl_options_string gives string
 * and JSON options as set (NULL when unset), cl_options_int the value
 * or the default (0 for an unset integer without one; -1 for an
 * unlimited CLAUDE_OPT_MAX_LINE_SIZE, and the timeouts may be -1: no
 * limit), cl_options_list the list (never NULL for a list option;
 * check its set flag).  An option of another kind gives NULL or 0.
 */
const char *cl_options_string(const claude_options *o, claude_option opt);
long long cl_options_int(const claude_options *o, claude_option opt);
const cl_strlist *cl_options_list(const claude_options *o, claude_option opt);

/* CLAUDE_OPT_MAX_LINE_SIZE as the transport takes it: the default for
 * unset or 0, CLAUDE_LINE_UNLIMITED for -1. */
size_t cl_options_max_line_size(const claude_options *o);

/* The option's name, such as "CLAUDE_OPT_MODEL", or NULL if unknown. */
const char *cl_option_name(claude_option opt);

/* Whether event is one of the hook events the CLI knows. */
bool cl_hook_event_known(const char *event);

/* A deep copy, callbacks and user pointers included. */
int cl_options_copy(claude_options **out, const claude_options *o);

/* Refuse invalid values and combinations, naming them in err. */
int cl_options_validate(const claude_options *o, claude_error *err);

/*
 * The CLI's argument vector, argv[0] = cli (NULL: CLAUDE_OPT_CLI_PATH),
 * NULL-terminated, every string malloc'd (free with cl_strv_free).  It
 * runs cl_options_validate first.  No value can become a flag: one
 * that starts with '-' is written --flag=value.
 */
int cl_options_argv(const claude_options *o, const char *cli, char ***out,
                    claude_error *err);

/* The child's environment: ours, less CLAUDECODE, with the options'
 * changes and the library's own variables. */
int cl_options_envp(const claude_options *o, char ***out, claude_error *err);

/*
 * The "request" object of the initialize control request: subtype,
 * hooks (callback ids "hook_<index into o->hooks>"), agents.  A new
 * reference, or NULL when out of memory.
 */
json_t *cl_options_init_request(const claude_options *o);

/*
 * Whether the CLI will need answers: a permission callback, hooks or
 * in-process MCP servers.
 */
bool cl_options_bidirectional(const claude_options *o);

void cl_strv_free(char **v);

#endif /* CL_OPTIONS_H */
