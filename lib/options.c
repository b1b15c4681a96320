/*
 * options.c: the options object, and what a client makes of it: the
 * CLI's argument vector, its environment and the initialize request.
 *
 * An options object has no lock.  Its setters may run on any thread,
 * but not at the same time as another call on the same object;
 * claude_client_new() takes a deep copy, and the client reads only
 * that copy, so the caller may change or free the original afterwards.
 *
 * Setters refuse what can be checked from one value alone: the kind of
 * the option, enumerated words, ranges, JSON that is not an object.
 * cl_options_validate() refuses combinations, and reads the settings
 * file when the sandbox has to be merged into it.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "json.h"
#include "mcp.h"
#include "options.h"

extern char **environ;

typedef enum opt_kind {
    KIND_STRING,
    KIND_JSON,
    KIND_LIST,
    KIND_INT,
    KIND_DOUBLE
} opt_kind;

/* Checks a setter makes besides the kind. */
enum {
    CHECK_NONEMPTY = 1 << 0,   /* an empty string is refused */
    CHECK_UUID = 1 << 1,       /* 8-4-4-4-12 hexadecimal digits */
    CHECK_SETTINGS = 1 << 2,   /* JSON text must be an object */
    CHECK_AGENTS = 1 << 3,     /* {"name": AgentDefinition} */
    CHECK_MCP = 1 << 4,        /* {"name": server config} */
    CHECK_EMPTY_LIST = 1 << 5, /* claude_options_set_empty is allowed */
    CHECK_NONZERO = 1 << 6,    /* 0 is refused */
    CHECK_SIZE = 1 << 7        /* must also fit in a size_t */
};

typedef struct opt_info {
    claude_option opt;
    const char *name;
    opt_kind kind;
    unsigned checks;
    const char *const *words; /* the accepted values, or NULL */
    long long min;            /* integers: the accepted range */
    long long max;
    long long def; /* integers: the value when unset */
} opt_info;

static const char *const presets[] = {"claude_code", NULL};
static const char *const permission_modes[] = {
    "default", "acceptEdits", "plan", "bypassPermissions",
    "dontAsk", "auto",        NULL};
static const char *const thinking_types[] = {"adaptive", "enabled", "disabled",
                                             NULL};
static const char *const thinking_displays[] = {"summarized", "omitted", NULL};
static const char *const efforts[] = {"low",   "medium", "high",
                                      "xhigh", "max",    NULL};
static const char *const setting_sources[] = {"user", "project", "local", NULL};

#define STR(o, c, w)                                                           \
    {                                                                          \
        CLAUDE_OPT_##o, "CLAUDE_OPT_" #o, KIND_STRING, c, w, 0, 0, 0           \
    }
#define JSON(o, c)                                                             \
    {                                                                          \
        CLAUDE_OPT_##o, "CLAUDE_OPT_" #o, KIND_JSON, c, NULL, 0, 0, 0          \
    }
#define LIST(o, c, w)                                                          \
    {                                                                          \
        CLAUDE_OPT_##o, "CLAUDE_OPT_" #o, KIND_LIST, c, w, 0, 0, 0             \
    }
#define INT(o, c, lo, hi, d)                                                   \
    {                                                                          \
        CLAUDE_OPT_##o, "CLAUDE_OPT_" #o, KIND_INT, c, NULL, lo, hi, d         \
    }

static const opt_info options[] = {
    STR(SYSTEM_PROMPT, 0, NULL),
    STR(SYSTEM_PROMPT_FILE, CHECK_NONEMPTY, NULL),
    STR(SYSTEM_PROMPT_PRESET, 0, presets),
    STR(APPEND_SYSTEM_PROMPT, 0, NULL),
    STR(MODEL, CHECK_NONEMPTY, NULL),
    STR(FALLBACK_MODEL, CHECK_NONEMPTY, NULL),
    STR(PERMISSION_MODE, 0, permission_modes),
    STR(PERMISSION_PROMPT_TOOL, CHECK_NONEMPTY, NULL),
    STR(CWD, CHECK_NONEMPTY, NULL),
    STR(RESUME, CHECK_NONEMPTY, NULL),
    STR(SESSION_ID, CHECK_UUID, NULL),
    STR(SETTINGS, CHECK_NONEMPTY | CHECK_SETTINGS, NULL),
    STR(THINKING, 0, thinking_types),
    STR(THINKING_DISPLAY, 0, thinking_displays),
    STR(EFFORT, 0, efforts),
    STR(CLI_PATH, CHECK_NONEMPTY, NULL),
    JSON(AGENTS, CHECK_AGENTS),
    JSON(MCP_SERVERS, CHECK_MCP),
    JSON(SANDBOX, 0),
    JSON(JSON_SCHEMA, 0),
    LIST(TOOLS, CHECK_EMPTY_LIST, NULL),
    LIST(ALLOWED_TOOLS, 0, NULL),
    LIST(DISALLOWED_TOOLS, 0, NULL),
    LIST(ADD_DIR, 0, NULL),
    LIST(SETTING_SOURCES, CHECK_EMPTY_LIST, setting_sources),
    LIST(PLUGIN_DIR, 0, NULL),
    LIST(BETAS, 0, NULL),
    INT(MAX_TURNS, 0, 0, INT_MAX, 0),
    INT(MAX_THINKING_TOKENS, 0, 1, INT_MAX, 0),
    INT(CONTINUE, 0, 0, 1, 0),
    INT(FORK_SESSION, 0, 0, 1, 0),
    INT(STRICT_MCP_CONFIG, 0, 0, 1, 0),
    INT(INCLUDE_PARTIAL_MESSAGES, 0, 0, 1, 0),
    INT(INCLUDE_HOOK_EVENTS, 0, 0, 1, 0),
    INT(MAX_LINE_SIZE, CHECK_SIZE, -1, LLONG_MAX,
        (long long)CLAUDE_MAX_LINE_SIZE_DEFAULT),
    INT(INIT_TIMEOUT_MS, CHECK_NONZERO, -1, INT_MAX, 60000),
    INT(CONTROL_TIMEOUT_MS, CHECK_NONZERO, -1, INT_MAX, 60000),
    INT(CLOSE_GRACE_MS, 0, 0, INT_MAX, CLAUDE_CLOSE_GRACE_MS_DEFAULT),
    INT(TERM_GRACE_MS, 0, 0, INT_MAX, CLAUDE_TERM_GRACE_MS_DEFAULT),
    INT(VERSION_CHECK_MS, 0, 0, INT_MAX, 2000),
    INT(MAX_WORKERS, 0, 1, INT_MAX, 64),
    INT(LOG_LEVEL, 0, 0, 7, CLAUDE_LOG_WARNING),
    INT(MAX_BUFFERED, 0, 0, LLONG_MAX, (long long)CLAUDE_MAX_BUFFERED_DEFAULT),
    {CLAUDE_OPT_MAX_BUDGET_USD, "CLAUDE_OPT_MAX_BUDGET_USD", KIND_DOUBLE, 0,
     NULL, 0, 0, 0},
};

#undef STR
#undef JSON
#undef LIST
#undef INT

/* The hook events of CLI 2.1.335 (HOOK_EVENTS in the TypeScript SDK). */
static const char *const hook_events[] = {"PreToolUse",
                                          "PostToolUse",
                                          "PostToolUseFailure",
                                          "PostToolBatch",
                                          "Notification",
                                          "UserPromptSubmit",
                                          "UserPromptExpansion",
                                          "SessionStart",
                                          "SessionEnd",
                                          "Stop",
                                          "StopFailure",
                                          "Interrupt",
                                          "SubagentStart",
                                          "SubagentStop",
                                          "PreCompact",
                                          "PostCompact",
                                          "PreModelSwitch",
                                          "PostModelSwitch",
                                          "PermissionRequest",
                                          "PermissionDenied",
                                          "Setup",
                                          "TeammateIdle",
                                          "TaskCreated",
                                          "TaskCompleted",
                                          "Elicitation",
                                          "ElicitationResult",
                                          "ConfigChange",
                                          "WorktreeCreate",
                                          "WorktreeRemove",
                                          "InstructionsLoaded",
                                          "CwdChanged",
                                          "FileChanged",
                                          "DirectoryAdded",
                                          "MessageDisplay",
                                          "PreSkillShellCommand"};

#define CLIENT_APP "libclaude/" CLAUDE_VERSION

static const opt_info *
find(claude_option opt)
{
    size_t i;

    for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        if (options[i].opt == opt) {
            return &options[i];
        }
    }
    return NULL;
}

const char *
cl_option_name(claude_option opt)
{
    const opt_info *info = find(opt);

    return info == NULL ? NULL : info->name;
}

bool
cl_hook_event_known(const char *event)
{
    size_t i;

    if (event == NULL) {
        return false;
    }
    for (i = 0; i < sizeof(hook_events) / sizeof(hook_events[0]); i++) {
        if (strcmp(event, hook_events[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool
is_word(const char *const *words, const char *s)
{
    for (; *words != NULL; words++) {
        if (strcmp(*words, s) == 0) {
            return true;
        }
    }
    return false;
}

static bool
is_uuid(const char *s)
{
    size_t i;

    if (strlen(s) != 36) {
        return false;
    }
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return false;
            }
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* Settings text is JSON when its first non-blank character is '{'. */
static bool
looks_like_json(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        s++;
    }
    return *s == '{';
}

/*
 * Parse text that must hold one JSON object; NULL if it does not, or
 * if memory ran out, which *nomem (when not NULL) then says.
 */
static json_t *
parse_object(const char *text, json_error_t *jerr, bool *nomem)
{
    json_error_t local;
    json_t *v;

    if (jerr == NULL) {
        jerr = &local;
    }
    v = cl_json_load(text, strlen(text), JSON_REJECT_DUPLICATES, jerr, nomem);
    if (v != NULL && !json_is_object(v)) {
        snprintf(jerr->text, sizeof(jerr->text), "not a JSON object");
        json_decref(v);
        return NULL;
    }
    return v;
}

static bool
is_string_member(const json_t *obj, const char *key)
{
    return json_is_string(json_object_get(obj, key));
}

/* An AgentDefinition needs at least a description and a prompt. */
static bool
agents_ok(json_t *agents)
{
    const char *name;
    json_t *def;

    json_object_foreach(agents, name, def)
    {
        if (name[0] == '\0' || !json_is_object(def) ||
            !is_string_member(def, "description") ||
            !is_string_member(def, "prompt")) {
            return false;
        }
    }
    return true;
}

/* Each server is stdio (with a command), sse or http (with a url). */
static bool
mcp_servers_ok(json_t *servers)
{
    const char *name;
    json_t *server;
    json_t *type;
    const char *t;

    json_object_foreach(servers, name, server)
    {
        if (name[0] == '\0' || !json_is_object(server)) {
            return false;
        }
        type = json_object_get(server, "type");
        if (type == NULL) {
            t = "stdio";
        } else if (json_is_string(type)) {
            t = json_string_value(type);
        } else {
            return false;
        }
        if (strcmp(t, "stdio") == 0) {
            if (!is_string_member(server, "command")) {
                return false;
            }
        } else if (strcmp(t, "sse") == 0 || strcmp(t, "http") == 0) {
            if (!is_string_member(server, "url")) {
                return false;
            }
        } else {
            return false;
        }
    }
    return true;
}

static int
check_string(const opt_info *info, const char *value)
{
    json_t *v;
    bool ok = true;
    bool nomem;

    if ((info->checks & CHECK_NONEMPTY) && value[0] == '\0') {
        return CLAUDE_EINVAL;
    }
    if (info->words != NULL && !is_word(info->words, value)) {
        return CLAUDE_EINVAL;
    }
    if ((info->checks & CHECK_UUID) && !is_uuid(value)) {
        return CLAUDE_EINVAL;
    }
    if ((info->checks & CHECK_SETTINGS) && !looks_like_json(value)) {
        return 0;
    }
    if (info->kind != KIND_JSON && !(info->checks & CHECK_SETTINGS)) {
        return 0;
    }

    v = parse_object(value, NULL, &nomem);
    if (v == NULL) {
        return nomem ? CLAUDE_ENOMEM : CLAUDE_EINVAL;
    }
    if (info->checks & CHECK_AGENTS) {
        ok = agents_ok(v);
    } else if (info->checks & CHECK_MCP) {
        ok = mcp_servers_ok(v);
    }
    json_decref(v);
    return ok ? 0 : CLAUDE_EINVAL;
}

static void
list_free(cl_strlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->items[i]);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
    l->set = false;
}

/* Append a copy of item; the list stays NULL-terminated. */
static int
list_push(cl_strlist *l, const char *item)
{
    char **items;
    char *copy = strdup(item);

    if (copy == NULL) {
        return CLAUDE_ENOMEM;
    }
    items = realloc(l->items, (l->n + 2) * sizeof(*items));
    if (items == NULL) {
        free(copy);
        return CLAUDE_ENOMEM;
    }
    items[l->n++] = copy;
    items[l->n] = NULL;
    l->items = items;
    l->set = true;
    return 0;
}

/* Duplicate s, which may be NULL; *ok turns false when out of memory. */
static char *
dup_or_null(const char *s, bool *ok)
{
    char *copy;

    if (s == NULL) {
        return NULL;
    }
    copy = strdup(s);
    if (copy == NULL) {
        *ok = false;
    }
    return copy;
}

int
claude_options_new(claude_options **out)
{
    claude_options *o;

    if (out == NULL) {
        return CLAUDE_EINVAL;
    }
    *out = NULL;
    o = calloc(1, sizeof(*o));
    if (o == NULL) {
        return CLAUDE_ENOMEM;
    }
    *out = o;
    return 0;
}

void
claude_options_free(claude_options *o)
{
    size_t i;

    if (o == NULL) {
        return;
    }
    for (i = 0; i < CL_NSTR; i++) {
        free(o->str[i]);
    }
    for (i = 0; i < CL_NLIST; i++) {
        list_free(&o->list[i]);
    }
    for (i = 0; i < o->nenv; i++) {
        free(o->env[i].name);
        free(o->env[i].value);
    }
    free(o->env);
    for (i = 0; i < o->nextra; i++) {
        free(o->extra[i].flag);
        free(o->extra[i].value);
    }
    free(o->extra);
    for (i = 0; i < o->nhooks; i++) {
        free(o->hooks[i].event);
        free(o->hooks[i].matcher);
    }
    free(o->hooks);
    for (i = 0; i < o->nmcp; i++) {
        cl_mcp_server_unref(o->mcp[i]);
    }
    free(o->mcp);
    free(o);
}

int
claude_options_set_string(claude_options *o, claude_option opt,
                          const char *value)
{
    const opt_info *info = find(opt);
    char *copy = NULL;
    char **slot;
    int rv;

    if (o == NULL || info == NULL ||
        (info->kind != KIND_STRING && info->kind != KIND_JSON)) {
        return CLAUDE_EINVAL;
    }

    if (value != NULL) {
        rv = check_string(info, value);
        if (rv != 0) {
            return rv;
        }
        copy = strdup(value);
        if (copy == NULL) {
            return CLAUDE_ENOMEM;
        }
    }

    slot = &o->str[CL_STR_INDEX(opt)];
    free(*slot);
    *slot = copy;
    return 0;
}

int
claude_options_add(claude_options *o, claude_option opt, const char *item)
{
    const opt_info *info = find(opt);

    if (o == NULL || info == NULL || info->kind != KIND_LIST || item == NULL ||
        item[0] == '\0') {
        return CLAUDE_EINVAL;
    }
    if (info->words != NULL && !is_word(info->words, item)) {
        return CLAUDE_EINVAL;
    }
    return list_push(&o->list[CL_LIST_INDEX(opt)], item);
}

int
claude_options_set_int(claude_options *o, claude_option opt, long long value)
{
    const opt_info *info = find(opt);
    int i;

    if (o == NULL || info == NULL || info->kind != KIND_INT) {
        return CLAUDE_EINVAL;
    }
    if (value < info->min || value > info->max) {
        return CLAUDE_EINVAL;
    }
    if ((info->checks & CHECK_NONZERO) && value == 0) {
        return CLAUDE_EINVAL;
    }
    if ((info->checks & CHECK_SIZE) && value > 0 &&
        (unsigned long long)value > SIZE_MAX) {
        return CLAUDE_EINVAL;
    }

    i = CL_INT_INDEX(opt);
    o->num[i] = value;
    o->num_set[i] = true;
    return 0;
}

int
claude_options_set_double(claude_options *o, claude_option opt, double value)
{
    const opt_info *info = find(opt);

    if (o == NULL || info == NULL || info->kind != KIND_DOUBLE) {
        return CLAUDE_EINVAL;
    }
    if (!isfinite(value) || value <= 0.0) {
        return CLAUDE_EINVAL;
    }
    o->budget_usd = value;
    o->budget_set = true;
    return 0;
}

int
claude_options_clear(claude_options *o, claude_option opt)
{
    const opt_info *info = find(opt);
    int i;

    if (o == NULL || info == NULL) {
        return CLAUDE_EINVAL;
    }
    switch (info->kind) {
    case KIND_STRING:
    case KIND_JSON:
        i = CL_STR_INDEX(opt);
        free(o->str[i]);
        o->str[i] = NULL;
        break;
    case KIND_LIST:
        list_free(&o->list[CL_LIST_INDEX(opt)]);
        break;
    case KIND_INT:
        i = CL_INT_INDEX(opt);
        o->num[i] = 0;
        o->num_set[i] = false;
        break;
    case KIND_DOUBLE:
        o->budget_usd = 0.0;
        o->budget_set = false;
        break;
    }
    return 0;
}

int
claude_options_set_empty(claude_options *o, claude_option opt)
{
    const opt_info *info = find(opt);
    cl_strlist *l;
    char **items;

    if (o == NULL || info == NULL || info->kind != KIND_LIST ||
        !(info->checks & CHECK_EMPTY_LIST)) {
        return CLAUDE_EINVAL;
    }

    items = calloc(1, sizeof(*items));
    if (items == NULL) {
        return CLAUDE_ENOMEM;
    }
    l = &o->list[CL_LIST_INDEX(opt)];
    list_free(l);
    l->items = items;
    l->set = true;
    return 0;
}

int
claude_options_set_env(claude_options *o, const char *name, const char *value)
{
    cl_env *env;
    char *name_copy;
    char *value_copy = NULL;
    bool ok = true;
    size_t i;

    if (o == NULL || name == NULL || name[0] == '\0' ||
        strchr(name, '=') != NULL) {
        return CLAUDE_EINVAL;
    }

    value_copy = dup_or_null(value, &ok);
    if (!ok) {
        return CLAUDE_ENOMEM;
    }

    /* A second call for the same name replaces the first. */
    for (i = 0; i < o->nenv; i++) {
        if (strcmp(o->env[i].name, name) == 0) {
            free(o->env[i].value);
            o->env[i].value = value_copy;
            return 0;
        }
    }

    name_copy = strdup(name);
    env = realloc(o->env, (o->nenv + 1) * sizeof(*env));
    if (name_copy == NULL || env == NULL) {
        free(name_copy);
        free(value_copy);
        if (env != NULL) {
            o->env = env;
        }
        return CLAUDE_ENOMEM;
    }
    o->env = env;
    env[o->nenv].name = name_copy;
    env[o->nenv].value = value_copy;
    o->nenv++;
    return 0;
}

static bool
flag_ok(const char *flag)
{
    const char *p;

    if (flag == NULL || flag[0] == '\0' || flag[0] == '-') {
        return false;
    }
    for (p = flag; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-') {
            return false;
        }
    }
    return true;
}

int
claude_options_add_extra_arg(claude_options *o, const char *flag,
                             const char *value)
{
    cl_extra_arg *extra;
    char *flag_copy;
    char *value_copy;
    bool ok = true;

    if (o == NULL || !flag_ok(flag)) {
        return CLAUDE_EINVAL;
    }

    flag_copy = strdup(flag);
    value_copy = dup_or_null(value, &ok);
    extra = realloc(o->extra, (o->nextra + 1) * sizeof(*extra));
    if (flag_copy == NULL || !ok || extra == NULL) {
        free(flag_copy);
        free(value_copy);
        if (extra != NULL) {
            o->extra = extra;
        }
        return CLAUDE_ENOMEM;
    }
    o->extra = extra;
    extra[o->nextra].flag = flag_copy;
    extra[o->nextra].value = value_copy;
    o->nextra++;
    return 0;
}

int
claude_options_set_stderr_cb(claude_options *o, claude_stderr_cb cb, void *user)
{
    if (o == NULL) {
        return CLAUDE_EINVAL;
    }
    o->stderr_cb = cb;
    o->stderr_user = cb == NULL ? NULL : user;
    return 0;
}

int
claude_options_set_log_cb(claude_options *o, claude_log_cb cb, void *user)
{
    if (o == NULL) {
        return CLAUDE_EINVAL;
    }
    o->log_cb = cb;
    o->log_user = cb == NULL ? NULL : user;
    return 0;
}

int
claude_options_set_permission_cb(claude_options *o, claude_permission_cb cb,
                                 void *user)
{
    if (o == NULL) {
        return CLAUDE_EINVAL;
    }
    o->permission_cb = cb;
    o->permission_user = cb == NULL ? NULL : user;
    return 0;
}

int
claude_options_add_hook(claude_options *o, const char *event,
                        const char *matcher, int timeout_s, claude_hook_cb cb,
                        void *user)
{
    cl_hook *hooks;
    char *event_copy;
    char *matcher_copy;
    bool ok = true;

    if (o == NULL || !cl_hook_event_known(event) || cb == NULL ||
        timeout_s < 0) {
        return CLAUDE_EINVAL;
    }

    event_copy = strdup(event);
    matcher_copy = dup_or_null(matcher, &ok);
    hooks = realloc(o->hooks, (o->nhooks + 1) * sizeof(*hooks));
    if (event_copy == NULL || !ok || hooks == NULL) {
        free(event_copy);
        free(matcher_copy);
        if (hooks != NULL) {
            o->hooks = hooks;
        }
        return CLAUDE_ENOMEM;
    }
    o->hooks = hooks;
    hooks[o->nhooks].event = event_copy;
    hooks[o->nhooks].matcher = matcher_copy;
    hooks[o->nhooks].timeout_s = timeout_s;
    hooks[o->nhooks].cb = cb;
    hooks[o->nhooks].user = user;
    o->nhooks++;
    return 0;
}

const char *
cl_options_string(const claude_options *o, claude_option opt)
{
    const opt_info *info = find(opt);

    if (o == NULL || info == NULL ||
        (info->kind != KIND_STRING && info->kind != KIND_JSON)) {
        return NULL;
    }
    return o->str[CL_STR_INDEX(opt)];
}

long long
cl_options_int(const claude_options *o, claude_option opt)
{
    const opt_info *info = find(opt);
    int i;

    if (info == NULL || info->kind != KIND_INT) {
        return 0;
    }
    i = CL_INT_INDEX(opt);
    if (o == NULL || !o->num_set[i]) {
        return info->def;
    }
    /* A maximum line size of 0 means the default, as in the transport. */
    if (opt == CLAUDE_OPT_MAX_LINE_SIZE && o->num[i] == 0) {
        return info->def;
    }
    return o->num[i];
}

const cl_strlist *
cl_options_list(const claude_options *o, claude_option opt)
{
    const opt_info *info = find(opt);

    if (o == NULL || info == NULL || info->kind != KIND_LIST) {
        return NULL;
    }
    return &o->list[CL_LIST_INDEX(opt)];
}

size_t
cl_options_max_line_size(const claude_options *o)
{
    long long v = cl_options_int(o, CLAUDE_OPT_MAX_LINE_SIZE);

    return v < 0 ? CLAUDE_LINE_UNLIMITED : (size_t)v;
}

static int
list_copy(cl_strlist *dst, const cl_strlist *src)
{
    size_t i;

    if (!src->set) {
        return 0;
    }
    dst->items = calloc(src->n + 1, sizeof(*dst->items));
    if (dst->items == NULL) {
        return CLAUDE_ENOMEM;
    }
    dst->set = true;
    for (i = 0; i < src->n; i++) {
        dst->items[i] = strdup(src->items[i]);
        if (dst->items[i] == NULL) {
            return CLAUDE_ENOMEM;
        }
        dst->n = i + 1;
    }
    return 0;
}

int
cl_options_copy(claude_options **out, const claude_options *o)
{
    claude_options *c;
    bool ok = true;
    size_t i;

    if (out == NULL || o == NULL) {
        return CLAUDE_EINVAL;
    }
    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return CLAUDE_ENOMEM;
    }

    /* Plain values and callbacks first, then every owned string. */
    memcpy(c->num, o->num, sizeof(c->num));
    memcpy(c->num_set, o->num_set, sizeof(c->num_set));
    c->budget_usd = o->budget_usd;
    c->budget_set = o->budget_set;
    c->permission_cb = o->permission_cb;
    c->permission_user = o->permission_user;
    c->stderr_cb = o->stderr_cb;
    c->stderr_user = o->stderr_user;
    c->log_cb = o->log_cb;
    c->log_user = o->log_user;

    for (i = 0; i < CL_NSTR; i++) {
        c->str[i] = dup_or_null(o->str[i], &ok);
    }
    for (i = 0; i < CL_NLIST && ok; i++) {
        ok = list_copy(&c->list[i], &o->list[i]) == 0;
    }
    if (!ok) {
        goto out_nomem;
    }

    if (o->nenv > 0) {
        c->env = calloc(o->nenv, sizeof(*c->env));
        if (c->env == NULL) {
            goto out_nomem;
        }
        c->nenv = o->nenv;
        for (i = 0; i < o->nenv; i++) {
            c->env[i].name = dup_or_null(o->env[i].name, &ok);
            c->env[i].value = dup_or_null(o->env[i].value, &ok);
        }
    }
    if (o->nextra > 0) {
        c->extra = calloc(o->nextra, sizeof(*c->extra));
        if (c->extra == NULL) {
            goto out_nomem;
        }
        c->nextra = o->nextra;
        for (i = 0; i < o->nextra; i++) {
            c->extra[i].flag = dup_or_null(o->extra[i].flag, &ok);
            c->extra[i].value = dup_or_null(o->extra[i].value, &ok);
        }
    }
    if (o->nhooks > 0) {
        c->hooks = calloc(o->nhooks, sizeof(*c->hooks));
        if (c->hooks == NULL) {
            goto out_nomem;
        }
        c->nhooks = o->nhooks;
        for (i = 0; i < o->nhooks; i++) {
            c->hooks[i] = o->hooks[i];
            c->hooks[i].event = dup_or_null(o->hooks[i].event, &ok);
            c->hooks[i].matcher = dup_or_null(o->hooks[i].matcher, &ok);
        }
    }
    if (o->nmcp > 0) {
        c->mcp = calloc(o->nmcp, sizeof(*c->mcp));
        if (c->mcp == NULL) {
            goto out_nomem;
        }
        for (i = 0; i < o->nmcp; i++) {
            c->mcp[c->nmcp++] = cl_mcp_server_ref(o->mcp[i]);
        }
    }
    if (!ok) {
        goto out_nomem;
    }

    *out = c;
    return 0;

out_nomem:
    claude_options_free(c);
    return CLAUDE_ENOMEM;
}

static const char *
str_opt(const claude_options *o, claude_option opt)
{
    return o->str[CL_STR_INDEX(opt)];
}

static bool
int_set(const claude_options *o, claude_option opt)
{
    return o->num_set[CL_INT_INDEX(opt)];
}

static long long
int_opt(const claude_options *o, claude_option opt)
{
    return o->num[CL_INT_INDEX(opt)];
}

static bool
flag_on(const claude_options *o, claude_option opt)
{
    return int_set(o, opt) && int_opt(o, opt) != 0;
}

static bool
str_is(const claude_options *o, claude_option opt, const char *value)
{
    const char *s = str_opt(o, opt);

    return s != NULL && strcmp(s, value) == 0;
}

static int
both_set(claude_error *err, claude_option a, claude_option b)
{
    return cl_error_set(err, CLAUDE_EINVAL, "%s and %s are both set",
                        cl_option_name(a), cl_option_name(b));
}

/*
 * Read fd to its end into *out (malloc'd, NUL-terminated, *len bytes
 * before the NUL).  Returns 0 or an errno value.
 */
static int
read_whole(int fd, char **out, size_t *len)
{
    char *buf = NULL;
    char *grown;
    size_t cap = 0;
    size_t used = 0;
    ssize_t n;

    for (;;) {
        if (cap - used < 2) {
            cap = cap != 0 ? cap * 2 : 4096;
            grown = realloc(buf, cap);
            if (grown == NULL) {
                free(buf);
                return ENOMEM;
            }
            buf = grown;
        }
        n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            n = errno;
            free(buf);
            return (int)n;
        }
        if (n == 0) {
            break;
        }
        used += (size_t)n;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return 0;
}

/* Load the settings file, relative to CLAUDE_OPT_CWD as the CLI is. */
static int
load_settings_file(const claude_options *o, const char *path, json_t **out,
                   claude_error *err)
{
    const char *cwd = str_opt(o, CLAUDE_OPT_CWD);
    char *full = NULL;
    char *text = NULL;
    json_error_t jerr;
    bool nomem = false;
    size_t len = 0;
    int rv = 0;
    int fd;

    *out = NULL;
    if (path[0] != '/' && cwd != NULL) {
        len = strlen(cwd) + strlen(path) + 2;
        full = malloc(len);
        if (full == NULL) {
            return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
        }
        snprintf(full, len, "%s/%s", cwd, path);
        path = full;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rv = cl_error_sys(err, CLAUDE_EINVAL, errno,
                          "cannot read the CLAUDE_OPT_SETTINGS file %s to "
                          "merge CLAUDE_OPT_SANDBOX into it",
                          path);
        goto out_free_path;
    }
    rv = read_whole(fd, &text, &len);
    (void)close(fd);
    if (rv != 0) {
        rv = rv == ENOMEM
                 ? cl_error_set(err, CLAUDE_ENOMEM, "out of memory")
                 : cl_error_sys(err, CLAUDE_EINVAL, rv,
                                "cannot read the CLAUDE_OPT_SETTINGS file %s",
                                path);
        goto out_free_path;
    }
    *out = cl_json_load(text, len, JSON_REJECT_DUPLICATES, &jerr, &nomem);
    free(text);
    if (*out != NULL && !json_is_object(*out)) {
        snprintf(jerr.text, sizeof(jerr.text), "not a JSON object");
        json_decref(*out);
        *out = NULL;
    }
    if (*out == NULL && nomem) {
        rv = cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    } else if (*out == NULL) {
        rv = cl_error_set(err, CLAUDE_EINVAL,
                          "the CLAUDE_OPT_SETTINGS file %s cannot take "
                          "CLAUDE_OPT_SANDBOX: %s",
                          path, jerr.text);
    }

out_free_path:
    free(full);
    return rv;
}

/*
 * The value of --settings in *out (malloc'd), or NULL for none.  With
 * a sandbox, the settings (JSON text or the file's contents) are parsed
 * and the sandbox goes in under "sandbox".
 */
static int
settings_text(const claude_options *o, char **out, claude_error *err)
{
    const char *settings = str_opt(o, CLAUDE_OPT_SETTINGS);
    const char *sandbox_text = str_opt(o, CLAUDE_OPT_SANDBOX);
    json_error_t jerr;
    json_t *merged;
    json_t *sandbox;
    bool nomem = false;
    int rv;

    *out = NULL;
    if (sandbox_text == NULL) {
        if (settings != NULL) {
            *out = strdup(settings);
            if (*out == NULL) {
                return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
            }
        }
        return 0;
    }

    if (settings == NULL) {
        merged = json_object();
    } else if (looks_like_json(settings)) {
        merged = parse_object(settings, &jerr, &nomem);
        if (merged == NULL && !nomem) {
            return cl_error_set(err, CLAUDE_EINVAL,
                                "CLAUDE_OPT_SETTINGS cannot take "
                                "CLAUDE_OPT_SANDBOX: %s",
                                jerr.text);
        }
    } else {
        rv = load_settings_file(o, settings, &merged, err);
        if (rv != 0) {
            return rv;
        }
    }
    if (merged == NULL) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }

    sandbox = parse_object(sandbox_text, &jerr, &nomem);
    if (sandbox == NULL) {
        json_decref(merged);
        if (nomem) {
            return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
        }
        return cl_error_set(err, CLAUDE_EINVAL,
                            "CLAUDE_OPT_SANDBOX is not a JSON object: %s",
                            jerr.text);
    }
    if (json_object_set_new(merged, "sandbox", sandbox) == 0) {
        *out = cl_json_dumps(merged);
    }
    json_decref(merged);
    if (*out == NULL) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    return 0;
}

/* In-process servers' names are unique, and unlike the external ones. */
static int
check_mcp_names(const claude_options *o, claude_error *err)
{
    const char *external = str_opt(o, CLAUDE_OPT_MCP_SERVERS);
    bool nomem = false;
    json_t *servers = external ? parse_object(external, NULL, &nomem) : NULL;
    const char *name;
    int rv = 0;
    size_t i;

    if (nomem) {
        return cl_error_set(err, CLAUDE_ENOMEM, "out of memory");
    }
    for (i = 0; i < o->nmcp && rv == 0; i++) {
        name = cl_mcp_server_name(o->mcp[i]);
        if (json_object_get(servers, name) != NULL) {
            rv = cl_error_set(err, CLAUDE_EINVAL,
                              "MCP server \"%s\" is both in "
                              "CLAUDE_OPT_MCP_SERVERS and in-process",
                              name);
        }
    }
    json_decref(servers);
    return rv;
}

int
claude_options_add_mcp_server(claude_options *o, claude_mcp_server *s)
{
    claude_mcp_server **grown;
    size_t i;

    if (o == NULL || s == NULL) {
        return CLAUDE_EINVAL;
    }
    for (i = 0; i < o->nmcp; i++) {
        if (strcmp(cl_mcp_server_name(o->mcp[i]), cl_mcp_server_name(s)) == 0) {
            return CLAUDE_EINVAL;
        }
    }
    grown = realloc(o->mcp, (o->nmcp + 1) * sizeof(*grown));
    if (grown == NULL) {
        return CLAUDE_ENOMEM;
    }
    o->mcp = grown;
    o->mcp[o->nmcp++] = cl_mcp_server_ref(s);
    return 0;
}

int
cl_options_validate(const claude_options *o, claude_error *err)
{
    const char *model;
    const char *fallback;
    const char *thinking;
    char *settings;
    size_t i;
    int rv;

    if (o == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no options");
    }

    /* The system prompt comes from one place only. */
    if (str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT) != NULL &&
        str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT_FILE) != NULL) {
        return both_set(err, CLAUDE_OPT_SYSTEM_PROMPT,
                        CLAUDE_OPT_SYSTEM_PROMPT_FILE);
    }
    if (str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT) != NULL &&
        str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET) != NULL) {
        return both_set(err, CLAUDE_OPT_SYSTEM_PROMPT,
                        CLAUDE_OPT_SYSTEM_PROMPT_PRESET);
    }
    if (str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT_FILE) != NULL &&
        str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET) != NULL) {
        return both_set(err, CLAUDE_OPT_SYSTEM_PROMPT_FILE,
                        CLAUDE_OPT_SYSTEM_PROMPT_PRESET);
    }
    if (str_opt(o, CLAUDE_OPT_APPEND_SYSTEM_PROMPT) != NULL &&
        str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET) == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL,
                            "CLAUDE_OPT_APPEND_SYSTEM_PROMPT is set without "
                            "CLAUDE_OPT_SYSTEM_PROMPT_PRESET");
    }

    model = str_opt(o, CLAUDE_OPT_MODEL);
    fallback = str_opt(o, CLAUDE_OPT_FALLBACK_MODEL);
    if (model != NULL && fallback != NULL && strcmp(model, fallback) == 0) {
        return cl_error_set(err, CLAUDE_EINVAL,
                            "CLAUDE_OPT_FALLBACK_MODEL is the same as "
                            "CLAUDE_OPT_MODEL (%s)",
                            model);
    }

    if (o->permission_cb != NULL &&
        str_opt(o, CLAUDE_OPT_PERMISSION_PROMPT_TOOL) != NULL) {
        return cl_error_set(err, CLAUDE_EINVAL,
                            "a permission callback and "
                            "CLAUDE_OPT_PERMISSION_PROMPT_TOOL are both set");
    }

    /* Sessions: continue or resume, fork only from one of them. */
    if (flag_on(o, CLAUDE_OPT_CONTINUE) &&
        str_opt(o, CLAUDE_OPT_RESUME) != NULL) {
        return both_set(err, CLAUDE_OPT_CONTINUE, CLAUDE_OPT_RESUME);
    }
    if (flag_on(o, CLAUDE_OPT_FORK_SESSION) &&
        !flag_on(o, CLAUDE_OPT_CONTINUE) &&
        str_opt(o, CLAUDE_OPT_RESUME) == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL,
                            "CLAUDE_OPT_FORK_SESSION is set without "
                            "CLAUDE_OPT_RESUME or CLAUDE_OPT_CONTINUE");
    }
    if (str_opt(o, CLAUDE_OPT_SESSION_ID) != NULL &&
        !flag_on(o, CLAUDE_OPT_FORK_SESSION)) {
        if (str_opt(o, CLAUDE_OPT_RESUME) != NULL) {
            return cl_error_set(err, CLAUDE_EINVAL,
                                "CLAUDE_OPT_SESSION_ID and CLAUDE_OPT_RESUME "
                                "are both set without "
                                "CLAUDE_OPT_FORK_SESSION");
        }
        if (flag_on(o, CLAUDE_OPT_CONTINUE)) {
            return cl_error_set(err, CLAUDE_EINVAL,
                                "CLAUDE_OPT_SESSION_ID and "
                                "CLAUDE_OPT_CONTINUE are both set without "
                                "CLAUDE_OPT_FORK_SESSION");
        }
    }

    /* A token budget means thinking is enabled, and enabled needs one. */
    thinking = str_opt(o, CLAUDE_OPT_THINKING);
    if (thinking != NULL && int_set(o, CLAUDE_OPT_MAX_THINKING_TOKENS) &&
        strcmp(thinking, "enabled") != 0) {
        return cl_error_set(err, CLAUDE_EINVAL,
                            "CLAUDE_OPT_MAX_THINKING_TOKENS is set but "
                            "CLAUDE_OPT_THINKING is %s",
                            thinking);
    }
    if (str_is(o, CLAUDE_OPT_THINKING, "enabled") &&
        !int_set(o, CLAUDE_OPT_MAX_THINKING_TOKENS)) {
        return cl_error_set(err, CLAUDE_EINVAL,
                            "CLAUDE_OPT_THINKING is enabled but "
                            "CLAUDE_OPT_MAX_THINKING_TOKENS is not set");
    }

    for (i = 0; i < o->nhooks; i++) {
        if (!cl_hook_event_known(o->hooks[i].event)) {
            return cl_error_set(err, CLAUDE_EINVAL, "unknown hook event \"%s\"",
                                o->hooks[i].event);
        }
        if (o->hooks[i].cb == NULL) {
            return cl_error_set(err, CLAUDE_EINVAL,
                                "the hook for %s has no callback",
                                o->hooks[i].event);
        }
    }

    rv = check_mcp_names(o, err);
    if (rv != 0) {
        return rv;
    }

    /* The settings must take the sandbox; this may read a file. */
    rv = settings_text(o, &settings, err);
    free(settings);
    return rv;
}

/* An argument vector under construction; a failed push is sticky. */
typedef struct strv {
    char **v;
    size_t n;
    size_t cap;
    bool nomem;
} strv;

/* Append s, which the vector takes; NULL means an allocation failed. */
static void
push_owned(strv *a, char *s)
{
    char **v;
    size_t cap;

    if (s == NULL || a->nomem) {
        a->nomem = true;
        free(s);
        return;
    }
    if (a->n + 1 >= a->cap) {
        cap = a->cap == 0 ? 32 : a->cap * 2;
        v = realloc(a->v, cap * sizeof(*v));
        if (v == NULL) {
            a->nomem = true;
            free(s);
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static void
push(strv *a, const char *s)
{
    push_owned(a, strdup(s));
}

static void push_fmt(strv *a, const char *fmt, ...) CL_PRINTF(2, 3);

static void
push_fmt(strv *a, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    push_owned(a, s);
}

/* A flag and its value; a value that starts with '-' stays attached. */
static void
push_value(strv *a, const char *flag, const char *value)
{
    if (value[0] == '-') {
        push_fmt(a, "%s=%s", flag, value);
        return;
    }
    push(a, flag);
    push(a, value);
}

static void
push_owned_value(strv *a, const char *flag, char *value)
{
    if (value == NULL) {
        a->nomem = true;
        return;
    }
    push_value(a, flag, value);
    free(value);
}

static char *
join(const cl_strlist *l)
{
    size_t len = 1;
    size_t i;
    char *s;
    char *p;

    for (i = 0; i < l->n; i++) {
        len += strlen(l->items[i]) + 1;
    }
    s = malloc(len);
    if (s == NULL) {
        return NULL;
    }
    p = s;
    for (i = 0; i < l->n; i++) {
        if (i > 0) {
            *p++ = ',';
        }
        len = strlen(l->items[i]);
        memcpy(p, l->items[i], len);
        p += len;
    }
    *p = '\0';
    return s;
}

static const cl_strlist *
list_opt(const claude_options *o, claude_option opt)
{
    return &o->list[CL_LIST_INDEX(opt)];
}

static void
push_list(strv *a, const char *flag, const claude_options *o, claude_option opt)
{
    const cl_strlist *l = list_opt(o, opt);

    if (l->set && l->n > 0) {
        push_owned_value(a, flag, join(l));
    }
}

static void
push_each(strv *a, const char *flag, const claude_options *o, claude_option opt)
{
    const cl_strlist *l = list_opt(o, opt);
    size_t i;

    for (i = 0; i < l->n; i++) {
        push_value(a, flag, l->items[i]);
    }
}

static void
push_str(strv *a, const char *flag, const claude_options *o, claude_option opt)
{
    const char *s = str_opt(o, opt);

    if (s != NULL) {
        push_value(a, flag, s);
    }
}

static void
push_int(strv *a, const char *flag, long long value)
{
    push(a, flag);
    push_fmt(a, "%lld", value);
}

/*
 * The shortest decimal text that reads back as x, with a '.' whatever
 * the host's locale: the C locale is made current for this thread
 * only, which leaves other threads alone.  Numbers of ordinary size
 * are written without an exponent, "10" rather than "1e+01".
 */
static char *
format_double(double x)
{
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old;
    char buf[64];
    char plain[400];
    const char *text = buf;
    int prec;
    long exp10;
    int decimals;

    if (c_locale == (locale_t)0) {
        return NULL;
    }
    old = uselocale(c_locale);
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, x);
        if (strtod(buf, NULL) == x) {
            break;
        }
    }
    if (strtod(buf, NULL) != x) {
        snprintf(buf, sizeof(buf), "%.17g", x);
    }

    /* The same digits in positional form, when that is exact too. */
    snprintf(plain, sizeof(plain), "%.*e", prec - 1, x);
    exp10 = strtol(strchr(plain, 'e') + 1, NULL, 10);
    if (exp10 >= -6 && exp10 < 21) {
        decimals = prec - 1 - (int)exp10;
        snprintf(plain, sizeof(plain), "%.*f", decimals < 0 ? 0 : decimals, x);
        if (strtod(plain, NULL) == x) {
            text = plain;
        }
    }
    (void)uselocale(old);
    freelocale(c_locale);
    return strdup(text);
}

/* JSON text re-encoded compactly, or NULL when out of memory. */
static char *
compact_json(const char *text, const char *wrap_key)
{
    json_t *v = parse_object(text, NULL, NULL);
    json_t *outer;
    char *s;

    if (v == NULL) {
        return NULL;
    }
    if (wrap_key != NULL) {
        outer = json_object();
        if (outer == NULL || json_object_set_new(outer, wrap_key, v) != 0) {
            json_decref(outer);
            return NULL;
        }
        v = outer;
    }
    s = cl_json_dumps(v);
    json_decref(v);
    return s;
}

/*
 * The --mcp-config JSON: the external servers as given, and each
 * in-process server as {"type": "sdk", "name": NAME}, which the CLI
 * reaches through mcp_message control requests.
 */
static char *
mcp_config_text(const claude_options *o)
{
    const char *external = str_opt(o, CLAUDE_OPT_MCP_SERVERS);
    json_t *servers =
        external ? parse_object(external, NULL, NULL) : json_object();
    json_t *outer;
    const char *name;
    char *s = NULL;
    size_t i;

    if (servers == NULL) {
        return NULL;
    }
    for (i = 0; i < o->nmcp; i++) {
        name = cl_mcp_server_name(o->mcp[i]);
        if (json_object_set_new(
                servers, name,
                json_pack("{s:s,s:s}", "type", "sdk", "name", name)) != 0) {
            json_decref(servers);
            return NULL;
        }
    }
    outer = json_pack("{s:o}", "mcpServers", servers);
    if (outer != NULL) {
        s = cl_json_dumps(outer);
        json_decref(outer);
    }
    return s;
}

static void
push_system_prompt(strv *a, const claude_options *o)
{
    const char *prompt = str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT);
    const char *file = str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT_FILE);
    const char *append = str_opt(o, CLAUDE_OPT_APPEND_SYSTEM_PROMPT);

    if (prompt != NULL) {
        push_value(a, "--system-prompt", prompt);
    } else if (file != NULL) {
        push_value(a, "--system-prompt-file", file);
    } else if (str_opt(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET) != NULL) {
        if (append != NULL) {
            push_value(a, "--append-system-prompt", append);
        }
    } else {
        /* Unset means empty, not the CLI's own prompt, as in the SDKs. */
        push(a, "--system-prompt");
        push(a, "");
    }
}

static void
push_thinking(strv *a, const claude_options *o)
{
    const char *thinking = str_opt(o, CLAUDE_OPT_THINKING);

    if (thinking != NULL && strcmp(thinking, "enabled") != 0) {
        push(a, "--thinking");
        push(a, thinking);
    } else if (int_set(o, CLAUDE_OPT_MAX_THINKING_TOKENS)) {
        push_int(a, "--max-thinking-tokens",
                 int_opt(o, CLAUDE_OPT_MAX_THINKING_TOKENS));
    }
    push_str(a, "--thinking-display", o, CLAUDE_OPT_THINKING_DISPLAY);
}

static void
push_extra_args(strv *a, const claude_options *o)
{
    const cl_extra_arg *e;
    size_t i;

    for (i = 0; i < o->nextra; i++) {
        e = &o->extra[i];
        if (e->value == NULL) {
            push_fmt(a, "--%s", e->flag);
        } else if (e->value[0] == '-' || e->value[0] == '\0') {
            push_fmt(a, "--%s=%s", e->flag, e->value);
        } else {
            push_fmt(a, "--%s", e->flag);
            push(a, e->value);
        }
    }
}

int
cl_options_argv(const claude_options *o, const char *cli, char ***out,
                claude_error *err)
{
    strv a = {NULL, 0, 0, false};
    const cl_strlist *l;
    char *settings = NULL;
    int rv;

    if (out == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no place for the argv");
    }
    *out = NULL;
    rv = cl_options_validate(o, err);
    if (rv != 0) {
        return rv;
    }
    if (cli == NULL) {
        cli = str_opt(o, CLAUDE_OPT_CLI_PATH);
    }
    if (cli == NULL || cli[0] == '\0') {
        return cl_error_set(err, CLAUDE_EINVAL, "no CLI path");
    }
    rv = settings_text(o, &settings, err);
    if (rv != 0) {
        return rv;
    }

    /* The order is the Python SDK's, so traces compare line by line. */
    push(&a, cli);
    push(&a, "--output-format");
    push(&a, "stream-json");
    push(&a, "--verbose");

    push_system_prompt(&a, o);

    l = list_opt(o, CLAUDE_OPT_TOOLS);
    if (l->set && l->n == 0) {
        push(&a, "--tools");
        push(&a, "");
    } else {
        push_list(&a, "--tools", o, CLAUDE_OPT_TOOLS);
    }
    push_list(&a, "--allowedTools", o, CLAUDE_OPT_ALLOWED_TOOLS);
    if (int_opt(o, CLAUDE_OPT_MAX_TURNS) > 0) {
        push_int(&a, "--max-turns", int_opt(o, CLAUDE_OPT_MAX_TURNS));
    }

    if (o->budget_set) {
        push(&a, "--max-budget-usd");
        push_owned(&a, format_double(o->budget_usd));
    }
    push_list(&a, "--disallowedTools", o, CLAUDE_OPT_DISALLOWED_TOOLS);

    push_str(&a, "--model", o, CLAUDE_OPT_MODEL);
    push_str(&a, "--fallback-model", o, CLAUDE_OPT_FALLBACK_MODEL);
    push_list(&a, "--betas", o, CLAUDE_OPT_BETAS);

    if (o->permission_cb != NULL) {
        push(&a, "--permission-prompt-tool");
        push(&a, "stdio");
    } else {
        push_str(&a, "--permission-prompt-tool", o,
                 CLAUDE_OPT_PERMISSION_PROMPT_TOOL);
    }
    push_str(&a, "--permission-mode", o, CLAUDE_OPT_PERMISSION_MODE);
    if (flag_on(o, CLAUDE_OPT_CONTINUE)) {
        push(&a, "--continue");
    }

    /* --resume takes an optional value, so it is always one token. */
    if (str_opt(o, CLAUDE_OPT_RESUME) != NULL) {
        push_fmt(&a, "--resume=%s", str_opt(o, CLAUDE_OPT_RESUME));
    }
    if (str_opt(o, CLAUDE_OPT_SESSION_ID) != NULL) {
        push_fmt(&a, "--session-id=%s", str_opt(o, CLAUDE_OPT_SESSION_ID));
    }
    if (settings != NULL) {
        push_value(&a, "--settings", settings);
    }
    push_each(&a, "--add-dir", o, CLAUDE_OPT_ADD_DIR);

    if (str_opt(o, CLAUDE_OPT_MCP_SERVERS) != NULL || o->nmcp > 0) {
        push_owned_value(&a, "--mcp-config", mcp_config_text(o));
    }
    if (flag_on(o, CLAUDE_OPT_INCLUDE_PARTIAL_MESSAGES)) {
        push(&a, "--include-partial-messages");
    }
    if (flag_on(o, CLAUDE_OPT_INCLUDE_HOOK_EVENTS)) {
        push(&a, "--include-hook-events");
    }
    if (flag_on(o, CLAUDE_OPT_STRICT_MCP_CONFIG)) {
        push(&a, "--strict-mcp-config");
    }
    if (flag_on(o, CLAUDE_OPT_FORK_SESSION)) {
        push(&a, "--fork-session");
    }

    /* One token even when empty: "--setting-sources=" loads none. */
    l = list_opt(o, CLAUDE_OPT_SETTING_SOURCES);
    if (l->set) {
        char *joined = join(l);

        if (joined == NULL) {
            a.nomem = true;
        } else {
            push_fmt(&a, "--setting-sources=%s", joined);
            free(joined);
        }
    }
    push_each(&a, "--plugin-dir", o, CLAUDE_OPT_PLUGIN_DIR);

    push_thinking(&a, o);
    push_str(&a, "--effort", o, CLAUDE_OPT_EFFORT);
    if (str_opt(o, CLAUDE_OPT_JSON_SCHEMA) != NULL) {
        push_owned_value(
            &a, "--json-schema",
            compact_json(str_opt(o, CLAUDE_OPT_JSON_SCHEMA), NULL));
    }

    push_extra_args(&a, o);
    push(&a, "--input-format");
    push(&a, "stream-json");

    free(settings);
    if (a.nomem) {
        cl_strv_free(a.v);
        return cl_error_set(err, CLAUDE_ENOMEM,
                            "out of memory building the CLI's arguments");
    }
    *out = a.v;
    return 0;
}

/* Whether entry, "NAME=value", is the variable name. */
static bool
env_is(const char *entry, const char *name)
{
    size_t len = strlen(name);

    return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

/* Whether the caller set or removed name with claude_options_set_env. */
static bool
env_named(const claude_options *o, const char *name)
{
    size_t i;

    for (i = 0; i < o->nenv; i++) {
        if (strcmp(o->env[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether an inherited entry is replaced or dropped. */
static bool
env_overridden(const claude_options *o, const char *entry)
{
    static const char *const ours[] = {
        "CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_AGENT_SDK_CLIENT_APP",
        "CLAUDE_CODE_SDK_READS_SESSION_STATE", NULL};
    size_t i;

    for (i = 0; ours[i] != NULL; i++) {
        if (env_is(entry, ours[i])) {
            return true;
        }
    }
    if (str_opt(o, CLAUDE_OPT_CWD) != NULL && env_is(entry, "PWD")) {
        return true;
    }
    for (i = 0; i < o->nenv; i++) {
        if (env_is(entry, o->env[i].name)) {
            return true;
        }
    }
    return false;
}

/* Set name=value unless the caller set or removed name. */
static void
push_default_env(strv *a, const claude_options *o, const char *name,
                 const char *value)
{
    if (!env_named(o, name)) {
        push_fmt(a, "%s=%s", name, value);
    }
}

int
cl_options_envp(const claude_options *o, char ***out, claude_error *err)
{
    strv a = {NULL, 0, 0, false};
    char **e;
    size_t i;

    if (out == NULL || o == NULL) {
        return cl_error_set(err, CLAUDE_EINVAL, "no options");
    }
    *out = NULL;

    /* Ours, less what the library or the caller decides. */
    for (e = environ; e != NULL && *e != NULL; e++) {
        if (!env_overridden(o, *e)) {
            push(&a, *e);
        }
    }

    /* The caller's entries win over everything, removals included. */
    for (i = 0; i < o->nenv; i++) {
        if (o->env[i].value != NULL) {
            push_fmt(&a, "%s=%s", o->env[i].name, o->env[i].value);
        }
    }

    push_default_env(&a, o, "CLAUDE_AGENT_SDK_CLIENT_APP", CLIENT_APP);
    push_default_env(&a, o, "CLAUDE_CODE_SDK_READS_SESSION_STATE", "1");
    if (str_opt(o, CLAUDE_OPT_CWD) != NULL) {
        push_default_env(&a, o, "PWD", str_opt(o, CLAUDE_OPT_CWD));
    }

    /* An empty environment is still a vector: one NULL. */
    if (a.v == NULL && !a.nomem) {
        a.v = calloc(1, sizeof(*a.v));
        a.nomem = a.v == NULL;
    }
    if (a.nomem) {
        cl_strv_free(a.v);
        return cl_error_set(err, CLAUDE_ENOMEM,
                            "out of memory building the CLI's environment");
    }
    *out = a.v;
    return 0;
}

/* One agent definition without its null members, as the SDKs send it. */
static json_t *
agents_without_nulls(const char *text)
{
    json_t *agents = parse_object(text, NULL, NULL);
    const char *name;
    const char *key;
    json_t *def;
    json_t *value;
    void *tmp;

    if (agents == NULL) {
        return NULL;
    }
    json_object_foreach(agents, name, def)
    {
        json_object_foreach_safe(def, tmp, key, value)
        {
            if (json_is_null(value)) {
                (void)json_object_del(def, key);
            }
        }
    }
    return agents;
}

/* {"matcher": M, "hookCallbackIds": ["hook_I"], "timeout": T} */
static json_t *
hook_matcher(const cl_hook *h, size_t index)
{
    json_t *m = json_object();
    json_t *ids = json_array();
    char id[32];

    snprintf(id, sizeof(id), "hook_%zu", index);
    if (m == NULL || ids == NULL ||
        json_array_append_new(ids, json_string(id)) != 0) {
        goto out_fail;
    }
    if (h->matcher != NULL &&
        json_object_set_new(m, "matcher", json_string(h->matcher)) != 0) {
        goto out_fail;
    }
    if (json_object_set(m, "hookCallbackIds", ids) != 0) {
        goto out_fail;
    }
    if (h->timeout_s > 0 &&
        json_object_set_new(m, "timeout", json_integer(h->timeout_s)) != 0) {
        goto out_fail;
    }
    json_decref(ids);
    return m;

out_fail:
    json_decref(ids);
    json_decref(m);
    return NULL;
}

static json_t *
hooks_object(const claude_options *o)
{
    json_t *hooks = json_object();
    json_t *list;
    json_t *m;
    size_t i;

    if (hooks == NULL) {
        return NULL;
    }
    for (i = 0; i < o->nhooks; i++) {
        list = json_object_get(hooks, o->hooks[i].event);
        if (list == NULL) {
            list = json_array();
            if (json_object_set_new(hooks, o->hooks[i].event, list) != 0) {
                goto out_fail;
            }
        }
        m = hook_matcher(&o->hooks[i], i);
        if (m == NULL || json_array_append_new(list, m) != 0) {
            goto out_fail;
        }
    }
    return hooks;

out_fail:
    json_decref(hooks);
    return NULL;
}

json_t *
cl_options_init_request(const claude_options *o)
{
    json_t *req = json_object();
    json_t *hooks;
    json_t *agents;
    const char *agents_text;

    if (req == NULL || o == NULL ||
        json_object_set_new(req, "subtype", json_string("initialize")) != 0) {
        goto out_fail;
    }

    hooks = o->nhooks > 0 ? hooks_object(o) : json_null();
    if (json_object_set_new(req, "hooks", hooks) != 0) {
        goto out_fail;
    }

    agents_text = str_opt(o, CLAUDE_OPT_AGENTS);
    if (agents_text != NULL) {
        agents = agents_without_nulls(agents_text);
        if (json_object_set_new(req, "agents", agents) != 0) {
            goto out_fail;
        }
    }
    return req;

out_fail:
    json_decref(req);
    return NULL;
}

bool
cl_options_bidirectional(const claude_options *o)
{
    return o != NULL &&
           (o->permission_cb != NULL || o->nhooks > 0 || o->nmcp > 0);
}

void
cl_strv_free(char **v)
{
    char **p;

    if (v == NULL) {
        return;
    }
    for (p = v; *p != NULL; p++) {
        free(*p);
    }
    free(v);
}
