/*
 * claude-run.c: run one prompt through Claude Code from a terminal.
 *
 *     claude-run [OPTIONS] PROMPT
 *
 * The program opens a session with libclaude, sends the prompt, and
 * prints the conversation, as readable text or as the CLI's own JSON
 * lines, until the session ends.  It answers the CLI's permission
 * checks from its command line or by asking on the terminal, and can
 * serve a small in-process MCP server of demonstration tools.
 * man/claude-run.1 is its manual.
 *
 * Threads: the main thread sends the prompt, receives and prints the
 * messages; the library's worker threads run the permission callback
 * and the tool handlers, several at once; the watcher thread takes
 * SIGINT, which every thread blocks, and starts the interrupter thread
 * for the first Ctrl-C.  tty_mtx serialises the questions asked on the
 * terminal, and holds the output back while one is open; watcher.mtx
 * guards the watcher's state.  No thread holds both locks, and neither
 * is held across a call that waits for the CLI.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <claude.h>

#define PROGRAM "claude-run"

/* The longest sleep of --callback-delay and of the sleep tool. */
#define MAX_SLEEP_MS 600000

/* The step in which sleeps and terminal waits look for cancellation. */
#define POLL_STEP_MS 50

/* How much of a tool's input, and of a tool result, text shows. */
#define INPUT_SHOW_MAX 500
#define RESULT_SHOW_MAX 100

typedef enum answer { ANSWER_ALLOW, ANSWER_DENY, ANSWER_ASK } answer;

/* The command line.  Set before any thread starts; read-only after. */
typedef struct config {
    const char *cli_path;
    const char *model;
    const char *cwd;
    const char *system_prompt; /* NULL: the claude_code preset */
    const char *resume;
    const char *permission_mode;
    const char *prompt;
    long max_turns;         /* 0: no limit */
    long workers;           /* 0: the library's default */
    long callback_delay_ms; /* 0: none */
    bool include_partial;
    bool json_output;
    bool demo_tools;
    bool stats;
    bool verbose;
    answer default_answer;
    const char **allow_tools; /* argc entries at most */
    size_t nallow;
    const char **deny_tools;
    size_t ndeny;
} config;

/* How the run went, as the results tell. */
typedef struct outcome {
    bool any_result;
    bool result_error;
    char *result_text; /* the last error result's text, or NULL */
} outcome;

/* The state of the text printer. */
typedef struct printer {
    bool streamed;  /* text came in stream events since the last message */
    bool line_open; /* streamed text has not ended its line */
} printer;

typedef struct watcher {
    pthread_mutex_t mtx;
    claude_client *client; /* protected by mtx; NULL until open */
    int interrupts;        /* protected by mtx: Ctrl-Cs so far */
    bool done;             /* protected by mtx: the run is over */
    pthread_t thread;
    pthread_t interrupter; /* used by the watcher thread only */
    bool interrupter_started;
} watcher;

/* One question at a time on the terminal, and no output meanwhile. */
static pthread_mutex_t tty_mtx = PTHREAD_MUTEX_INITIALIZER;

static void
usage(FILE *f)
{
    fprintf(f, "usage: " PROGRAM " [OPTIONS] PROMPT\n"
               "\n"
               "Run PROMPT through Claude Code and print the conversation.\n"
               "\n"
               "  --cli PATH              the claude CLI to run\n"
               "  --model M               the model\n"
               "  --cwd DIR               the CLI's working directory\n"
               "  --system-prompt TEXT    the system prompt (default: "
               "Claude Code's)\n"
               "  --max-turns N           end the run after N turns\n"
               "  --resume ID             resume a session by id or title\n"
               "  --include-partial       stream the model's output as it "
               "comes\n"
               "  --workers N             run at most N callbacks at once\n"
               "  --permission-mode MODE  default, acceptEdits, plan, "
               "bypassPermissions,\n"
               "                          dontAsk or auto (default: default)\n"
               "  --output text|json      readable text, or the raw JSON "
               "lines\n"
               "  --permission allow|deny|ask\n"
               "                          the answer to permission checks "
               "(default: ask)\n"
               "  --allow-tool NAME       always allow the tool NAME\n"
               "  --deny-tool NAME        always deny the tool NAME\n"
               "  --demo-tools            serve the MCP tools mcp__demo__add "
               "and\n"
               "                          mcp__demo__sleep\n"
               "  --callback-delay MS     wait MS milliseconds in every "
               "callback\n"
               "  --stats                 print the session's figures on "
               "stderr\n"
               "  --verbose               log the library and the CLI on "
               "stderr\n"
               "  -h, --help              print this help\n"
               "  --version               print the version\n");
}

static long long
now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A copy of len bytes of s that is safe to show on a terminal: control
 * characters other than tab and newline become '?', and so do DEL and
 * the C1 controls, which could move the cursor or change the screen.
 * With one_line, the copy ends at the first line break.  A copy longer
 * than max bytes is cut, on a character boundary, and ends in "...".
 * NULL when out of memory.
 */
static char *
clean(const char *s, size_t len, size_t max, bool one_line)
{
    size_t n = len < max ? len : max;
    bool cut = n < len;
    char *out = malloc(n + 4);
    size_t i = 0;
    size_t o = 0;
    size_t j;
    size_t need;

    if (out == NULL) {
        return NULL;
    }
    while (i < n) {
        unsigned char b = (unsigned char)s[i];

        if (b == '\n' && one_line) {
            /* Only more text after the break makes the copy cut. */
            cut = false;
            for (j = i; j < len; j++) {
                if (strchr(" \t\r\n", s[j]) == NULL) {
                    cut = true;
                    break;
                }
            }
            break;
        }
        if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7f) {
            out[o++] = '?';
            i++;
        } else if (b == 0xc2 && i + 1 < len &&
                   (unsigned char)s[i + 1] >= 0x80 &&
                   (unsigned char)s[i + 1] <= 0x9f) {
            out[o++] = '?';
            i += 2;
        } else {
            out[o++] = (char)b;
            i++;
        }
    }

    /* A cut may have split the last character. */
    if (cut && i >= n) {
        j = o;
        while (j > 0 && ((unsigned char)out[j - 1] & 0xc0) == 0x80) {
            j--;
        }
        if (j > 0 && (unsigned char)out[j - 1] >= 0xc0) {
            unsigned char lead = (unsigned char)out[j - 1];

            need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
            if (o - (j - 1) < need) {
                o = j - 1;
            }
        }
    }
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* Write s, cleaned as clean() does, to f; NULL writes nothing. */
static void
put_clean(FILE *f, const char *s, size_t max, bool one_line)
{
    char *text;

    if (s == NULL) {
        return;
    }
    text = clean(s, strlen(s), max, one_line);
    fputs(text != NULL ? text : "(out of memory)", f);
    free(text);
}

/* The compact JSON text of v (NULL: null), cleaned and cut at max. */
static char *
compact(json_t *v, size_t max)
{
    char *raw;
    char *text;

    if (v == NULL) {
        return strdup("null");
    }
    raw = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (raw == NULL) {
        return NULL;
    }
    text = clean(raw, strlen(raw), max, false);
    free(raw);
    return text;
}

static const char *
str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static bool
is_one_of(const char *s, const char *const *set)
{
    for (; s != NULL && *set != NULL; set++) {
        if (strcmp(s, *set) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Sleep ms milliseconds in short steps.  Returns -1 as soon as req or
 * call (either may be NULL) is cancelled, 0 otherwise.
 */
static int
pause_ms(long ms, const claude_request *req, const claude_mcp_call *call)
{
    long long until = now_ms() + ms;
    long long left;
    struct timespec ts;

    for (;;) {
        if ((req != NULL && claude_request_cancelled(req)) ||
            (call != NULL && claude_mcp_call_cancelled(call))) {
            return -1;
        }
        left = until - now_ms();
        if (left <= 0) {
            return 0;
        }
        if (left > POLL_STEP_MS) {
            left = POLL_STEP_MS;
        }
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        (void)nanosleep(&ts, NULL);
    }
}

/*
 * Permission checks.
 */

static bool
listed(const char *name, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(name, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* --deny-tool wins over --allow-tool, and both over --permission. */
static answer
answer_for(const config *cfg, const char *tool)
{
    if (listed(tool, cfg->deny_tools, cfg->ndeny)) {
        return ANSWER_DENY;
    }
    if (listed(tool, cfg->allow_tools, cfg->nallow)) {
        return ANSWER_ALLOW;
    }
    return cfg->default_answer;
}

/*
 * Read one line from the terminal fd.  Returns 1 for yes, 0 for
 * anything else, -1 when the request is cancelled or the terminal
 * fails first.
 */
static int
read_answer(int fd, const claude_request *req)
{
    char buf[64];
    char word[8];
    size_t nword = 0;
    bool in_word = false;
    bool words_done = false;
    struct pollfd p;
    ssize_t got;
    ssize_t i;
    int n;

    for (;;) {
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        n = poll(&p, 1, POLL_STEP_MS);
        if (n < 0 && errno != EINTR) {
            return -1;
        }
        if (n <= 0) {
            if (claude_request_cancelled(req)) {
                return -1;
            }
            continue;
        }
        got = read(fd, buf, sizeof(buf));
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (got <= 0) {
            return -1;
        }

        /* Keep the first word of the line; the rest is ignored. */
        for (i = 0; i < got; i++) {
            if (buf[i] == '\n') {
                word[nword] = '\0';
                return strcasecmp(word, "y") == 0 ||
                       strcasecmp(word, "yes") == 0;
            }
            if (buf[i] == ' ' || buf[i] == '\t') {
                words_done = words_done || in_word;
            } else if (!words_done) {
                in_word = true;
                if (nword + 1 < sizeof(word)) {
                    word[nword++] = buf[i];
                } else {
                    words_done = true;
                    word[0] = '\0';
                    nword = 0;
                }
            }
        }
    }
}

/* Ask on the controlling terminal; *why gets the text of a denial. */
static answer
ask(const claude_request *req, const claude_permission *perm, const char **why)
{
    char *name = clean(perm->tool_name, strlen(perm->tool_name), 200, true);
    char *input =
        clean(perm->input_json, perm->input_len, INPUT_SHOW_MAX, false);
    answer a = ANSWER_DENY;
    int fd = -1;
    int yes;

    if (name == NULL || input == NULL) {
        *why = "claude-run ran out of memory";
        goto out_free;
    }
    if (pthread_mutex_lock(&tty_mtx) != 0) {
        abort();
    }

    /* Another question may have held the terminal until now. */
    if (claude_request_cancelled(req)) {
        goto out_unlock;
    }
    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, PROGRAM ": no terminal to ask on; denied %s\n", name);
        *why = "claude-run could not ask the user: no terminal";
        goto out_unlock;
    }
    if (dprintf(fd, "Allow %s %s? [y/N] ", name, input) < 0) {
        *why = "claude-run could not ask the user";
        goto out_unlock;
    }
    yes = read_answer(fd, req);
    if (yes < 0) {
        (void)dprintf(fd, "\n(no answer: %s)\n",
                      claude_request_cancelled(req) ? "withdrawn"
                                                    : "terminal closed");
        *why = "the user gave no answer";
    } else if (yes) {
        a = ANSWER_ALLOW;
    } else {
        *why = "the user denied this tool use";
    }

out_unlock:
    if (fd >= 0) {
        (void)close(fd);
    }
    if (pthread_mutex_unlock(&tty_mtx) != 0) {
        abort();
    }
out_free:
    free(name);
    free(input);
    return a;
}

static int
permission(claude_request *req, const claude_permission *perm,
           claude_permission_result *result, void *user)
{
    const config *cfg = user;
    answer a = answer_for(cfg, perm->tool_name);

    if (pause_ms(cfg->callback_delay_ms, req, NULL) != 0) {
        result->message = "the request was withdrawn";
        return 0;
    }
    if (a == ANSWER_ASK) {
        a = ask(req, perm, &result->message);
    } else if (a == ANSWER_DENY) {
        result->message = "claude-run was told to deny this tool";
    }
    result->allow = a == ANSWER_ALLOW;
    return 0;
}

/*
 * The demonstration tools.
 */

static int
tool_add(claude_mcp_call *call, json_t *args, void *user)
{
    const config *cfg = user;
    char text[64];

    if (pause_ms(cfg->callback_delay_ms, NULL, call) != 0) {
        /* Nobody waits for this result any more. */
        (void)claude_mcp_call_set_error(call, "cancelled");
        return 1;
    }
    snprintf(text, sizeof(text), "%.17g",
             json_number_value(json_object_get(args, "a")) +
                 json_number_value(json_object_get(args, "b")));
    return claude_mcp_call_add_text(call, text);
}

static int
tool_sleep(claude_mcp_call *call, json_t *args, void *user)
{
    const config *cfg = user;
    long ms = (long)json_number_value(json_object_get(args, "ms"));

    if (pause_ms(cfg->callback_delay_ms, NULL, call) != 0 ||
        pause_ms(ms, NULL, call) != 0) {
        /* Nobody waits for this result any more. */
        (void)claude_mcp_call_set_error(call, "cancelled");
        return 1;
    }
    return claude_mcp_call_add_text(call, "slept");
}

static claude_mcp_server *
demo_server(const config *cfg)
{
    claude_mcp_annotations ann = CLAUDE_MCP_ANNOTATIONS_INIT;
    claude_mcp_server *s = NULL;

    ann.read_only = 1;
    if (claude_mcp_server_new(&s, "demo", claude_version()) != 0) {
        return NULL;
    }
    if (claude_mcp_server_add_tool(
            s, "add", "Add the numbers a and b; returns the sum.",
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},"
            "\"b\":{\"type\":\"number\"}},\"required\":[\"a\",\"b\"]}",
            &ann, tool_add, (void *)cfg) != 0 ||
        claude_mcp_server_add_tool(
            s, "sleep", "Sleep for ms milliseconds; returns \"slept\".",
            "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":"
            "\"number\",\"minimum\":0,\"maximum\":600000}},"
            "\"required\":[\"ms\"]}",
            &ann, tool_sleep, (void *)cfg) != 0) {
        claude_mcp_server_free(s);
        return NULL;
    }
    return s;
}

/*
 * Diagnostics for --verbose.
 */

static const char *
level_name(int level)
{
    if (level <= CLAUDE_LOG_ERROR) {
        return "error";
    }
    if (level == CLAUDE_LOG_WARNING) {
        return "warning";
    }
    if (level <= CLAUDE_LOG_INFO) {
        return "info";
    }
    return "debug";
}

static void
log_line(int level, const char *msg, void *user)
{
    char *text = clean(msg, strlen(msg), SIZE_MAX, false);

    (void)user;
    fprintf(stderr, PROGRAM ": %s: %s\n", level_name(level),
            text != NULL ? text : "(out of memory)");
    free(text);
}

static void
stderr_line(const char *line, size_t len, void *user)
{
    char *text = clean(line, len, SIZE_MAX, false);

    (void)user;
    fprintf(stderr, "claude: %s\n", text != NULL ? text : "(out of memory)");
    free(text);
}

/*
 * The command line.
 */

enum {
    OPT_CLI = 256,
    OPT_MODEL,
    OPT_CWD,
    OPT_SYSTEM_PROMPT,
    OPT_MAX_TURNS,
    OPT_RESUME,
    OPT_INCLUDE_PARTIAL,
    OPT_WORKERS,
    OPT_PERMISSION_MODE,
    OPT_OUTPUT,
    OPT_PERMISSION,
    OPT_ALLOW_TOOL,
    OPT_DENY_TOOL,
    OPT_DEMO_TOOLS,
    OPT_CALLBACK_DELAY,
    OPT_STATS,
    OPT_VERBOSE,
    OPT_VERSION
};

static const struct option long_options[] = {
    {"cli", required_argument, NULL, OPT_CLI},
    {"model", required_argument, NULL, OPT_MODEL},
    {"cwd", required_argument, NULL, OPT_CWD},
    {"system-prompt", required_argument, NULL, OPT_SYSTEM_PROMPT},
    {"max-turns", required_argument, NULL, OPT_MAX_TURNS},
    {"resume", required_argument, NULL, OPT_RESUME},
    {"include-partial", no_argument, NULL, OPT_INCLUDE_PARTIAL},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"permission-mode", required_argument, NULL, OPT_PERMISSION_MODE},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"permission", required_argument, NULL, OPT_PERMISSION},
    {"allow-tool", required_argument, NULL, OPT_ALLOW_TOOL},
    {"deny-tool", required_argument, NULL, OPT_DENY_TOOL},
    {"demo-tools", no_argument, NULL, OPT_DEMO_TOOLS},
    {"callback-delay", required_argument, NULL, OPT_CALLBACK_DELAY},
    {"stats", no_argument, NULL, OPT_STATS},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

/* Parse a whole decimal number in [min, max]; -1 when it is not one. */
static int
parse_number(const char *flag, const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, PROGRAM ": %s: not a number from %ld to %ld: %s\n",
                flag, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

/*
 * Fill cfg from argv.  Returns 0 to run, 1 when --help or --version
 * has been answered, -1 for a usage error, already reported.
 */
static int
parse_args(config *cfg, int argc, char **argv)
{
    int c;

    memset(cfg, 0, sizeof(*cfg));
    cfg->permission_mode = "default";
    cfg->default_answer = ANSWER_ASK;
    cfg->allow_tools = calloc((size_t)argc, sizeof(*cfg->allow_tools));
    cfg->deny_tools = calloc((size_t)argc, sizeof(*cfg->deny_tools));
    if (cfg->allow_tools == NULL || cfg->deny_tools == NULL) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return -1;
    }

    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_CLI:
            cfg->cli_path = optarg;
            break;
        case OPT_MODEL:
            cfg->model = optarg;
            break;
        case OPT_CWD:
            cfg->cwd = optarg;
            break;
        case OPT_SYSTEM_PROMPT:
            cfg->system_prompt = optarg;
            break;
        case OPT_MAX_TURNS:
            if (parse_number("--max-turns", optarg, 0, INT_MAX,
                             &cfg->max_turns) != 0) {
                return -1;
            }
            break;
        case OPT_RESUME:
            cfg->resume = optarg;
            break;
        case OPT_INCLUDE_PARTIAL:
            cfg->include_partial = true;
            break;
        case OPT_WORKERS:
            if (parse_number("--workers", optarg, 1, INT_MAX, &cfg->workers) !=
                0) {
                return -1;
            }
            break;
        case OPT_PERMISSION_MODE:
            cfg->permission_mode = optarg;
            break;
        case OPT_OUTPUT:
            if (strcmp(optarg, "text") == 0) {
                cfg->json_output = false;
            } else if (strcmp(optarg, "json") == 0) {
                cfg->json_output = true;
            } else {
                fprintf(stderr, PROGRAM ": --output: text or json: %s\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_PERMISSION:
            if (strcmp(optarg, "allow") == 0) {
                cfg->default_answer = ANSWER_ALLOW;
            } else if (strcmp(optarg, "deny") == 0) {
                cfg->default_answer = ANSWER_DENY;
            } else if (strcmp(optarg, "ask") == 0) {
                cfg->default_answer = ANSWER_ASK;
            } else {
                fprintf(stderr,
                        PROGRAM ": --permission: allow, deny or ask: %s\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_ALLOW_TOOL:
            cfg->allow_tools[cfg->nallow++] = optarg;
            break;
        case OPT_DENY_TOOL:
            cfg->deny_tools[cfg->ndeny++] = optarg;
            break;
        case OPT_DEMO_TOOLS:
            cfg->demo_tools = true;
            break;
        case OPT_CALLBACK_DELAY:
            if (parse_number("--callback-delay", optarg, 0, MAX_SLEEP_MS,
                             &cfg->callback_delay_ms) != 0) {
                return -1;
            }
            break;
        case OPT_STATS:
            cfg->stats = true;
            break;
        case OPT_VERBOSE:
            cfg->verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case OPT_VERSION:
            printf(PROGRAM " (libclaude) %s\n", claude_version());
            return 1;
        default:
            /* getopt_long has said what is wrong. */
            fprintf(stderr, "Try '" PROGRAM " --help'.\n");
            return -1;
        }
    }

    if (optind != argc - 1) {
        fprintf(stderr, PROGRAM ": %s\n",
                optind == argc ? "no prompt" : "more than one prompt");
        fprintf(stderr, "Try '" PROGRAM " --help'.\n");
        return -1;
    }
    cfg->prompt = argv[optind];
    return 0;
}

/* Report a refused option; a refused value is a usage error. */
static int
refused(const char *flag, const char *value, int rv)
{
    fprintf(stderr, PROGRAM ": %s%s%s: %s\n", flag, value ? " " : "",
            value ? value : "", claude_strerror(rv));
    return rv == CLAUDE_EINVAL ? 2 : 1;
}

/*
 * Build the session's options in *out.  Returns 0, or the exit status
 * for a failure, already reported.
 */
static int
make_options(const config *cfg, claude_options **out)
{
    const struct {
        claude_option opt;
        const char *flag;
        const char *value;
    } strings[] = {
        {CLAUDE_OPT_CLI_PATH, "--cli", cfg->cli_path},
        {CLAUDE_OPT_MODEL, "--model", cfg->model},
        {CLAUDE_OPT_CWD, "--cwd", cfg->cwd},
        {CLAUDE_OPT_SYSTEM_PROMPT, "--system-prompt", cfg->system_prompt},
        {CLAUDE_OPT_RESUME, "--resume", cfg->resume},
        {CLAUDE_OPT_PERMISSION_MODE, "--permission-mode", cfg->permission_mode},
    };
    claude_options *o = NULL;
    claude_mcp_server *server;
    size_t i;
    int rv;

    *out = NULL;
    if (claude_options_new(&o) != 0) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return 1;
    }
    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        if (strings[i].value == NULL) {
            continue;
        }
        rv = claude_options_set_string(o, strings[i].opt, strings[i].value);
        if (rv != 0) {
            claude_options_free(o);
            return refused(strings[i].flag, strings[i].value, rv);
        }
    }
    if (cfg->system_prompt == NULL) {
        rv = claude_options_set_string(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET,
                                       "claude_code");
        if (rv != 0) {
            claude_options_free(o);
            return refused("the system prompt preset", NULL, rv);
        }
    }

    /* Integers: 0 leaves the library's default. */
    rv = 0;
    if (cfg->max_turns > 0) {
        rv = claude_options_set_int(o, CLAUDE_OPT_MAX_TURNS, cfg->max_turns);
    }
    if (rv == 0 && cfg->workers > 0) {
        rv = claude_options_set_int(o, CLAUDE_OPT_MAX_WORKERS, cfg->workers);
    }
    if (rv == 0 && cfg->include_partial) {
        rv = claude_options_set_int(o, CLAUDE_OPT_INCLUDE_PARTIAL_MESSAGES, 1);
    }
    if (rv == 0) {
        rv = claude_options_set_permission_cb(o, permission, (void *)cfg);
    }
    if (rv == 0 && cfg->verbose) {
        rv = claude_options_set_int(o, CLAUDE_OPT_LOG_LEVEL, CLAUDE_LOG_INFO);
        if (rv == 0) {
            rv = claude_options_set_log_cb(o, log_line, NULL);
        }
        if (rv == 0) {
            rv = claude_options_set_stderr_cb(o, stderr_line, NULL);
        }
    }
    if (rv != 0) {
        claude_options_free(o);
        return refused("options", NULL, rv);
    }

    if (cfg->demo_tools) {
        server = demo_server(cfg);
        if (server == NULL) {
            claude_options_free(o);
            fprintf(stderr, PROGRAM ": could not make the demo tools\n");
            return 1;
        }
        rv = claude_options_add_mcp_server(o, server);

        /* The options hold their own reference to the server. */
        claude_mcp_server_free(server);
        if (rv != 0) {
            claude_options_free(o);
            return refused("--demo-tools", NULL, rv);
        }
    }
    *out = o;
    return 0;
}

/* Keep the last result's verdict, and its text when it failed. */
static void
note_result(outcome *r, claude_message *m)
{
    const char *sub = claude_message_subtype(m);
    const char *text;

    if (strcmp(claude_message_type(m), "result") != 0) {
        return;
    }
    r->any_result = true;
    r->result_error = claude_message_is_error(m) == 1;
    free(r->result_text);
    r->result_text = NULL;
    if (!r->result_error) {
        return;
    }
    text = json_string_value(json_array_get(claude_message_errors(m), 0));
    if (text == NULL) {
        text = claude_message_result(m);
    }
    if (text == NULL) {
        text = sub != NULL ? sub : "the run failed";
    }
    r->result_text = strdup(text);
}

/*
 * The text output.
 */

static void
show_init(json_t *j)
{
    json_t *servers = json_object_get(j, "mcp_servers");
    json_t *server;
    size_t i;

    fputs("[init] session ", stdout);
    put_clean(stdout, str(j, "session_id"), 100, true);
    if (str(j, "model") != NULL) {
        fputs(", model ", stdout);
        put_clean(stdout, str(j, "model"), 100, true);
    }
    printf(", %zu tools", json_array_size(json_object_get(j, "tools")));
    json_array_foreach(servers, i, server)
    {
        fputs(i == 0 ? ", mcp " : " ", stdout);
        put_clean(stdout, str(server, "name"), 100, true);
        fputs(" (", stdout);
        put_clean(stdout, str(server, "status"), 100, true);
        fputs(")", stdout);
    }
    if (str(j, "cwd") != NULL) {
        fputs(", cwd ", stdout);
        put_clean(stdout, str(j, "cwd"), 1000, true);
    }
    fputs("\n", stdout);
}

static void
show_assistant(printer *p, json_t *j)
{
    json_t *content = json_object_get(json_object_get(j, "message"), "content");
    json_t *block;
    const char *type;
    const char *text;
    char *input;
    size_t i;

    json_array_foreach(content, i, block)
    {
        type = str(block, "type");
        if (type == NULL) {
            continue;
        }
        text = str(block, "text");
        if (strcmp(type, "text") == 0 && text != NULL && !p->streamed) {
            put_clean(stdout, text, SIZE_MAX, false);
            if (text[0] == '\0' || text[strlen(text) - 1] != '\n') {
                fputs("\n", stdout);
            }
        } else if (strcmp(type, "tool_use") == 0) {
            input = compact(json_object_get(block, "input"), INPUT_SHOW_MAX);
            fputs("[tool ", stdout);
            put_clean(stdout, str(block, "name"), 200, true);
            printf(" %s]\n", input != NULL ? input : "(out of memory)");
            free(input);
        }
    }
    p->streamed = false;
}

/* The first text of a tool result's content, or NULL. */
static const char *
result_text(json_t *content)
{
    json_t *block;
    size_t i;

    if (json_is_string(content)) {
        return json_string_value(content);
    }
    json_array_foreach(content, i, block)
    {
        if (is_one_of(str(block, "type"),
                      (const char *const[]){"text", NULL})) {
            return str(block, "text");
        }
    }
    return NULL;
}

static void
show_user(json_t *j)
{
    json_t *content = json_object_get(json_object_get(j, "message"), "content");
    json_t *block;
    const char *text;
    size_t i;

    json_array_foreach(content, i, block)
    {
        if (!is_one_of(str(block, "type"),
                       (const char *const[]){"tool_result", NULL})) {
            continue;
        }
        text = result_text(json_object_get(block, "content"));
        fputs(json_is_true(json_object_get(block, "is_error"))
                  ? "[tool error: "
                  : "[tool result: ",
              stdout);
        if (text != NULL) {
            put_clean(stdout, text, RESULT_SHOW_MAX, true);
        } else {
            fputs("(no text)", stdout);
        }
        fputs("]\n", stdout);
    }
}

static void
show_stream_event(printer *p, json_t *j)
{
    json_t *event = json_object_get(j, "event");
    const char *type = str(event, "type");
    json_t *delta = json_object_get(event, "delta");
    const char *text = str(delta, "text");

    if (type == NULL) {
        return;
    }
    if (strcmp(type, "content_block_delta") == 0 && text != NULL &&
        is_one_of(str(delta, "type"),
                  (const char *const[]){"text_delta", NULL})) {
        put_clean(stdout, text, SIZE_MAX, false);
        p->streamed = true;
        if (text[0] != '\0') {
            p->line_open = text[strlen(text) - 1] != '\n';
        }
    } else if (strcmp(type, "content_block_stop") == 0 && p->line_open) {
        fputs("\n", stdout);
        p->line_open = false;
    }
}

static void
show_result(claude_message *m, json_t *j)
{
    const char *sub = claude_message_subtype(m);
    json_t *turns = json_object_get(j, "num_turns");
    long long ms = claude_message_duration_ms(m);

    fputs("[result ", stdout);
    if (claude_message_is_error(m) == 1) {
        put_clean(stdout,
                  sub != NULL && strcmp(sub, "success") != 0 ? sub : "error",
                  100, true);
    } else {
        fputs("success", stdout);
    }
    if (json_is_integer(turns)) {
        printf(", %lld turn%s", (long long)json_integer_value(turns),
               json_integer_value(turns) == 1 ? "" : "s");
    }
    if (ms >= 0) {
        printf(", %.1f s", (double)ms / 1000.0);
    }
    printf(", $%.4f]\n", claude_message_cost_usd(m));
}

static void
show_text(printer *p, claude_message *m)
{
    const char *type = claude_message_type(m);
    const char *sub = claude_message_subtype(m);
    json_t *j = claude_message_json(m);

    if (j == NULL) {
        return;
    }
    if (strcmp(type, "stream_event") == 0) {
        show_stream_event(p, j);
        return;
    }

    /* Any other message starts on a line of its own. */
    if (p->line_open) {
        fputs("\n", stdout);
        p->line_open = false;
    }
    if (strcmp(type, "assistant") == 0) {
        show_assistant(p, j);
    } else if (strcmp(type, "user") == 0) {
        show_user(j);
    } else if (strcmp(type, "result") == 0) {
        show_result(m, j);
    } else if (strcmp(type, "system") == 0 && sub != NULL &&
               strcmp(sub, "init") == 0) {
        show_init(j);
    }
}

static void
show(const config *cfg, printer *p, claude_message *m)
{
    const char *line;
    size_t len;

    /* Output waits while a question is open on the terminal. */
    if (pthread_mutex_lock(&tty_mtx) != 0) {
        abort();
    }
    if (cfg->json_output) {
        line = claude_message_line(m, &len);
        fwrite(line, 1, len, stdout);
        fputs("\n", stdout);
    } else {
        show_text(p, m);
    }
    fflush(stdout);
    if (pthread_mutex_unlock(&tty_mtx) != 0) {
        abort();
    }
}

/*
 * The run.
 */

static void
report(int rv, const claude_error *err, const config *cfg)
{
    const char *text = claude_strerror(rv);
    char *tail;

    /* The message often starts with the code's text already. */
    fputs(PROGRAM ": ", stderr);
    if (strncmp(err->message, text, strlen(text)) != 0) {
        fputs(text, stderr);
        fputs(err->message[0] != '\0' ? ": " : "", stderr);
    }
    put_clean(stderr, err->message, SIZE_MAX, false);
    fputs("\n", stderr);

    /* With --verbose, the CLI's stderr has been shown already. */
    if (err->stderr_tail[0] != '\0' && !cfg->verbose) {
        tail =
            clean(err->stderr_tail, strlen(err->stderr_tail), SIZE_MAX, false);
        fprintf(stderr, PROGRAM ": the CLI's last standard error:\n%s\n",
                tail != NULL ? tail : "(out of memory)");
        free(tail);
    }
}

/* Run the session to its end; returns the exit status. */
static int
run(const config *cfg, claude_client *c)
{
    claude_message *m;
    claude_error err;
    printer p = {false, false};
    claude_ledger *l;
    outcome r = {false, false, NULL};
    bool input_open;
    int wait_ms = -1;
    int status;
    int rv;

    memset(&err, 0, sizeof(err));
    /* Input ends when the ledger says the CLI will ask nothing more. */
    if (claude_ledger_new(&l) != 0) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return 1;
    }

    /*
     * A prompt that cannot be written means the CLI is gone; what it
     * said before going tells more than the write error, so read on.
     */
    rv = claude_client_send(c, cfg->prompt, NULL);
    input_open = rv == 0;
    if (!input_open) {
        (void)claude_client_end_input(c);
    }

    for (;;) {
        rv = claude_client_receive(c, &m, wait_ms, &err);
        if (rv == CLAUDE_ETOOLONG) {
            fprintf(stderr, PROGRAM ": %s\n", err.message);
            continue;
        }
        if (rv != 0 && rv != CLAUDE_ETIMEDOUT) {
            break;
        }
        if (rv == 0) {
            note_result(&r, m);
            if (claude_ledger_track(l, m) != 0) {
                /* A task missed could end input under it: stop here. */
                fprintf(stderr, PROGRAM ": out of memory\n");
                claude_message_free(m);
                claude_ledger_free(l);
                free(r.result_text);
                return 1;
            }
            show(cfg, &p, m);
            claude_message_free(m);
        }
        if (input_open && claude_ledger_may_end_input(l, &wait_ms) == 1) {
            /* Failing here means the session is over: receive says why. */
            (void)claude_client_end_input(c);
            input_open = false;
            wait_ms = -1;
        }
    }
    if (p.line_open) {
        fputs("\n", stdout);
    }

    /* An error result explains the end better than the exit status. */
    if ((rv == CLAUDE_EEOF || rv == CLAUDE_ECHILDEXIT) && r.any_result &&
        r.result_error) {
        fputs(PROGRAM ": ", stderr);
        put_clean(stderr, r.result_text ? r.result_text : "the run failed",
                  SIZE_MAX, false);
        fputs("\n", stderr);
        status = 1;
    } else if (rv == CLAUDE_EEOF && r.any_result) {
        status = 0;
    } else if (rv == CLAUDE_EEOF) {
        fprintf(stderr, PROGRAM ": the CLI ended without a result\n");
        status = 1;
    } else {
        report(rv, &err, cfg);
        status = 1;
    }
    claude_ledger_free(l);
    free(r.result_text);
    return status;
}

/*
 * Ctrl-C.  The first sends an interrupt, from a thread of its own
 * since the CLI may take a while to answer; the second closes the
 * client, which also wakes a waiting interrupt.
 */

static void *
interrupter_main(void *arg)
{
    claude_client *c = arg;
    claude_error err;
    int rv;

    /* A close by the second Ctrl-C explains itself. */
    rv = claude_client_interrupt(c, &err);
    if (rv != 0 && rv != CLAUDE_ECLOSED) {
        fprintf(stderr,
                PROGRAM ": could not interrupt: %s: ", claude_strerror(rv));
        put_clean(stderr, err.message, SIZE_MAX, false);
        fputs("\n", stderr);
    }
    return NULL;
}

static void *
watcher_main(void *arg)
{
    watcher *w = arg;
    claude_client *c;
    sigset_t set;
    bool done;
    int sig;
    int rv;
    int n;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    for (;;) {
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (pthread_mutex_lock(&w->mtx) != 0) {
            abort();
        }
        done = w->done;
        n = done ? 0 : ++w->interrupts;
        c = w->client;
        if (pthread_mutex_unlock(&w->mtx) != 0) {
            abort();
        }

        if (done) {
            break;
        }
        if (c == NULL) {
            fputs(PROGRAM ": interrupted; stopping once started\n", stderr);
        } else if (n == 1) {
            fputs(PROGRAM ": interrupting; Ctrl-C again to stop\n", stderr);
            rv = pthread_create(&w->interrupter, NULL, interrupter_main, c);
            w->interrupter_started = rv == 0;
            if (rv != 0) {
                fputs(PROGRAM ": could not start the interrupt\n", stderr);
            }
        } else if (n == 2) {
            fputs(PROGRAM ": stopping\n", stderr);
            (void)claude_client_close(c);
        }
    }
    if (w->interrupter_started) {
        (void)pthread_join(w->interrupter, NULL);
    }
    return NULL;
}

/* Hand the client to the watcher; returns the Ctrl-Cs so far. */
static int
watcher_attach(watcher *w, claude_client *c)
{
    int n;

    if (pthread_mutex_lock(&w->mtx) != 0) {
        abort();
    }
    w->client = c;
    n = w->interrupts;
    if (pthread_mutex_unlock(&w->mtx) != 0) {
        abort();
    }
    return n;
}

/* Stop the watcher; after this, no thread of ours uses the client. */
static void
watcher_stop(watcher *w)
{
    if (pthread_mutex_lock(&w->mtx) != 0) {
        abort();
    }
    w->done = true;
    if (pthread_mutex_unlock(&w->mtx) != 0) {
        abort();
    }
    (void)pthread_kill(w->thread, SIGINT);
    (void)pthread_join(w->thread, NULL);
}

static void
print_stats(claude_client *c)
{
    claude_stats s;

    if (claude_client_stats(c, &s) != 0) {
        return;
    }
    fprintf(stderr,
            "{\"control_requests\":{\"can_use_tool\":%llu,"
            "\"hook_callback\":%llu,\"mcp_message\":%llu,\"other\":%llu},"
            "\"cancelled\":%llu,\"peak_in_flight\":%u,"
            "\"max_write_wait_us\":%llu,\"bytes_in\":%llu,"
            "\"bytes_out\":%llu,\"messages\":%llu}\n",
            s.can_use_tool, s.hook_callback, s.mcp_message, s.other_requests,
            s.cancelled, s.peak_in_flight, s.max_write_wait_us, s.bytes_in,
            s.bytes_out, s.messages);
}

int
main(int argc, char **argv)
{
    config cfg;
    claude_options *o = NULL;
    claude_client *c = NULL;
    claude_error err;
    watcher w;
    sigset_t set;
    int status;
    int rv;

    status = parse_args(&cfg, argc, argv);
    if (status != 0) {
        status = status > 0 ? 0 : 2;
        goto out_free_config;
    }
    status = make_options(&cfg, &o);
    if (status != 0) {
        goto out_free_config;
    }

    /*
     * Block SIGINT before any thread starts, so that every thread
     * inherits the mask and only the watcher's sigwait takes it.
     */
    memset(&w, 0, sizeof(w));
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    if (pthread_mutex_init(&w.mtx, NULL) != 0 ||
        pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
        pthread_create(&w.thread, NULL, watcher_main, &w) != 0) {
        fprintf(stderr, PROGRAM ": could not start the signal thread\n");
        status = 1;
        goto out_free_options;
    }

    rv = claude_client_new(&c, o, &err);
    if (rv != 0) {
        report(rv, &err, &cfg);
        status = 1;
        goto out_stop_watcher;
    }
    if (watcher_attach(&w, c) > 0) {
        fprintf(stderr, PROGRAM ": interrupted\n");
        status = 1;
    } else {
        status = run(&cfg, c);
    }

out_stop_watcher:
    watcher_stop(&w);
    if (c != NULL && cfg.stats) {
        print_stats(c);
    }
    claude_client_free(c);
    (void)pthread_mutex_destroy(&w.mtx);
out_free_options:
    claude_options_free(o);
out_free_config:
    free(cfg.allow_tools);
    free(cfg.deny_tools);

    /* A lost line of output is a failed run. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, PROGRAM ": could not write the standard output\n");
        status = 1;
    }
    return status;
}
