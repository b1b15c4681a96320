/*
 * fake-cli.c: a scripted stand-in for the claude CLI.
 *
 * The tests start it through the transport.  Its arguments are a list
 * of actions run in order; after the last one it exits 0.
 *
 *   send JSON           write JSON and a newline to stdout
 *   expect JSON         read one line of stdin; it must equal JSON byte
 *                       for byte, or the program exits 3
 *   transcript FILE     replay FILE: "> line" is sent, "< line" is
 *                       expected, '#' lines and blank lines are skipped
 *   chunks SEED         from now on, stdout goes out in random pieces
 *   count REPORT        read stdin to its end, check every line, and
 *                       write a JSON report to REPORT ("-": stdout)
 *   wait-eof            read stdin to its end, ignoring it
 *   echo-stderr         copy each line of stdin to stderr, to its end
 *   noread              never read again: sleep until killed
 *   close-stdin         close stdin and carry on
 *   ignore-term         ignore SIGTERM from now on
 *   sleep MS            sleep
 *   bigline N           write one JSON line of N bytes
 *   partial TEXT        write TEXT with no newline
 *   noise               write lines that are not JSON
 *   flood-stdout N      write N JSON lines of about 1 KB
 *   flood-stderr N      write N bytes of text lines to stderr
 *   stderr TEXT         write TEXT and a newline to stderr
 *   env NAME            send {"env":value} (null when unset)
 *   cwd                 send {"cwd":path}
 *   ids                 send {"pid":..,"pgid":..}
 *   fds                 send {"fds":n}: descriptors open above 2
 *   grandchild FILE     start a process that sleeps in our group and
 *                       write its pid to FILE
 *   marker FILE         create FILE
 *   exit CODE           exit now with CODE
 *
 * and, for the protocol:
 *
 *   init                answer the initialize control request
 *   init-save FILE      the same, saving the request to FILE
 *   ask JSON            send a control request with JSON as its
 *                       "request", send back {"type":"ask_report",
 *                       "response":...} with the answer
 *   ask-check JSON WANT send a control request like ask; exit 3
 *                       unless the answer is a success whose response
 *                       holds every member of the object WANT
 *   await-response ID   wait for the answer to our request ID and
 *                       send it back as an await_report
 *   burst N             send N can_use_tool requests at once, take the
 *                       answers in any order, send a burst_report
 *   cancel-test MS      ask permission, cancel it after MS, and send a
 *                       cancel_report saying whether an answer came
 *   hold N              take N control requests, answer them in
 *                       reverse order with {"order":k,"subtype":...}
 *   refuse SUBTYPE      answer the next SUBTYPE request with an error
 *   mcp-burst N SERVER MESSAGE
 *                       send N mcp_message requests at once, MESSAGE
 *                       with its id set to 0..N-1, and send back an
 *                       mcp_burst_report of the answers
 *   no-response ID MS   wait MS for an answer to our request ID, and
 *                       send a no_response_report saying if one came
 *   requests N          send N can_use_tool requests "req_0".. and go
 *                       on without reading the answers
 *   cancel-race N       send N can_use_tool requests, each followed at
 *                       once by its control_cancel_request, then a
 *                       race_sent message; read until a user message
 *                       comes, then send a race_report
 *                       of how many were answered, twice, or unknown
 *   messages N BYTES    write N messages of type "filler", BYTES long
 *   answer-raw SUBTYPE JSON
 *                       answer the next SUBTYPE request with JSON as
 *                       its "response" object, request_id filled in
 *
 * count checks lines written by the tests' writer threads: each is an
 * object {"t":thread,"i":index,"n":len,"p":"..."} whose string p holds
 * n bytes.  The report is {"lines":..,"invalid":..,"sum":..,"tail":..}
 * where sum adds t * 1000000 + i over the valid lines and tail is the
 * length of a last line cut off before its newline.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static int chunked;
static unsigned int chunk_seed;

static void
die(const char *what)
{
    fprintf(stderr, "fake-cli: %s\n", what);
    exit(3);
}

static void
write_all(int fd, const char *p, size_t n)
{
    ssize_t w;
    size_t piece;

    while (n > 0) {
        piece = n;
        if (chunked) {
            piece = 1 + (size_t)rand_r(&chunk_seed) % 4096;
            if (piece > n) {
                piece = n;
            }
        }
        w = write(fd, p, piece);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            exit(4);
        }
        p += w;
        n -= (size_t)w;
    }
}

static void
send_line(const char *s, size_t n)
{
    char *line = malloc(n + 1);

    if (line == NULL) {
        die("out of memory");
    }
    memcpy(line, s, n);
    line[n] = '\n';
    write_all(1, line, n + 1);
    free(line);
}

static void
send_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);

    if (s == NULL) {
        die("cannot encode");
    }
    send_line(s, strlen(s));
    free(s);
    json_decref(j);
}

/* Buffered stdin: every action that reads goes through it. */
static char *ibuf;
static size_t icap;
static size_t ilen;

/*
 * Read one line of stdin, waiting at most timeout_ms (-1: no limit).
 * Returns a malloc'd line without its newline, or NULL at the end of
 * input or the timeout.  *complete says whether a newline ended it.
 */
static char *
read_line_timeout(size_t *len, int *complete, int timeout_ms)
{
    struct pollfd pfd = {0, POLLIN, 0};
    char *nl;
    char *line;
    size_t n;
    ssize_t r;

    for (;;) {
        nl = ilen ? memchr(ibuf, '\n', ilen) : NULL;
        if (nl != NULL) {
            break;
        }
        if (timeout_ms >= 0 && poll(&pfd, 1, timeout_ms) == 0) {
            return NULL;
        }
        if (icap - ilen < 65536) {
            icap = icap ? icap * 2 : 1 << 20;
            ibuf = realloc(ibuf, icap);
            if (ibuf == NULL) {
                die("out of memory");
            }
        }
        r = read(0, ibuf + ilen, icap - ilen);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            if (ilen == 0) {
                *complete = 0;
                return NULL;
            }
            nl = NULL;
            break;
        }
        ilen += (size_t)r;
    }
    n = nl ? (size_t)(nl - ibuf) : ilen;
    line = malloc(n + 1);
    if (line == NULL) {
        die("out of memory");
    }
    memcpy(line, ibuf, n);
    line[n] = '\0';
    *complete = nl != NULL;
    *len = n;
    n += nl != NULL;
    memmove(ibuf, ibuf + n, ilen - n);
    ilen -= n;
    return line;
}

static char *
read_line(size_t *len, int *complete)
{
    return read_line_timeout(len, complete, -1);
}

static void
expect(const char *want)
{
    size_t len;
    int complete;
    char *got = read_line(&len, &complete);

    if (got == NULL || !complete || len != strlen(want) ||
        memcmp(got, want, len) != 0) {
        fprintf(stderr, "fake-cli: expected <%s>, got <%s>\n", want,
                got ? got : "(end of input)");
        exit(3);
    }
    free(got);
}

static void
transcript(const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (f == NULL) {
        die("cannot open transcript");
    }
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        if (n >= 2 && line[0] == '>' && line[1] == ' ') {
            send_line(line + 2, (size_t)n - 2);
        } else if (n >= 2 && line[0] == '<' && line[1] == ' ') {
            expect(line + 2);
        } else if (n > 0 && line[0] != '#') {
            die("bad transcript line");
        }
    }
    free(line);
    fclose(f);
}

/* Check every line the writer threads sent, to the end of input. */
static void
count(const char *report)
{
    long long lines = 0, invalid = 0, sum = 0, tail = 0;
    json_t *j;
    json_t *out;
    json_error_t jerr;
    FILE *f;
    char *line;
    size_t len;
    int complete;

    while ((line = read_line(&len, &complete)) != NULL) {
        if (!complete) {
            tail = (long long)len;
            free(line);
            break;
        }
        j = json_loadb(line, len, 0, &jerr);
        lines++;
        if (j == NULL || !json_is_string(json_object_get(j, "p")) ||
            json_string_length(json_object_get(j, "p")) !=
                (size_t)json_integer_value(json_object_get(j, "n"))) {
            invalid++;
        } else {
            sum += json_integer_value(json_object_get(j, "t")) * 1000000 +
                   json_integer_value(json_object_get(j, "i"));
        }
        json_decref(j);
        free(line);
    }

    out = json_pack("{s:I,s:I,s:I,s:I}", "lines", (json_int_t)lines, "invalid",
                    (json_int_t)invalid, "sum", (json_int_t)sum, "tail",
                    (json_int_t)tail);
    if (strcmp(report, "-") == 0) {
        send_json(out);
    } else {
        f = fopen(report, "w");
        if (f == NULL) {
            die("cannot write report");
        }
        json_dumpf(out, f, JSON_COMPACT);
        fclose(f);
        json_decref(out);
    }
}

static void
wait_eof(void)
{
    size_t len;
    int complete;
    char *line;

    while ((line = read_line(&len, &complete)) != NULL) {
        free(line);
    }
}

static void
echo_stderr(void)
{
    size_t len;
    int complete;
    char *line;

    while ((line = read_line(&len, &complete)) != NULL) {
        line[len] = '\n';
        write_all(2, line, len + 1);
        free(line);
    }
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void
big_line(size_t n)
{
    char *p;

    if (n < 16) {
        die("bigline needs at least 16 bytes");
    }
    p = malloc(n);
    if (p == NULL) {
        die("out of memory");
    }
    memcpy(p, "{\"big\":\"", 8);
    memset(p + 8, 'x', n - 10);
    memcpy(p + n - 2, "\"}", 2);
    send_line(p, n);
    free(p);
}

static void
flood_stdout(long n)
{
    char line[1100];
    long i;
    int len;

    for (i = 0; i < n; i++) {
        len = snprintf(line, sizeof(line), "{\"type\":\"flood\",\"i\":%ld,", i);
        memset(line + len, ' ', 1000);
        len += 1000;
        len +=
            snprintf(line + len, sizeof(line) - (size_t)len, "\"end\":true}");
        send_line(line, (size_t)len);
    }
}

static void
flood_stderr(long n)
{
    char line[100];
    long done = 0;
    int len;

    while (done < n) {
        len = snprintf(line, sizeof(line), "stderr line at %ld\n", done);
        write_all(2, line, (size_t)len);
        done += len;
    }
}

static int
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.' && atoi(e->d_name) > 2 &&
            atoi(e->d_name) != dirfd(d)) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static void
grandchild(const char *path)
{
    FILE *f;
    pid_t pid = fork();

    if (pid < 0) {
        die("fork failed");
    }
    if (pid == 0) {
        /* Let go of the pipes, so only the group ties it to us. */
        close(0);
        close(1);
        close(2);
        for (;;) {
            pause();
        }
    }
    f = fopen(path, "w");
    if (f == NULL) {
        die("cannot write pid file");
    }
    fprintf(f, "%ld\n", (long)pid);
    fclose(f);
}

/*
 * The protocol side: reading frames, answering control requests.
 */

#define MAX_STASH 256

/* control_response frames read while looking for something else. */
static json_t *stash[MAX_STASH];
static int nstash;
static int next_ask;

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next frame as JSON; NULL at the end or after timeout_ms. */
static json_t *
read_frame(int timeout_ms)
{
    size_t len;
    int complete;
    char *line = read_line_timeout(&len, &complete, timeout_ms);
    json_t *j;

    if (line == NULL) {
        return NULL;
    }
    j = json_loadb(line, len, 0, NULL);
    if (j == NULL) {
        fprintf(stderr, "fake-cli: not JSON: %s\n", line);
        exit(3);
    }
    free(line);
    return j;
}

static int
is_type(json_t *j, const char *type)
{
    const char *t = json_string_value(json_object_get(j, "type"));

    return t != NULL && strcmp(t, type) == 0;
}

static const char *
response_id(json_t *j)
{
    return json_string_value(
        json_object_get(json_object_get(j, "response"), "request_id"));
}

/* Read until a control request of subtype comes; stash responses. */
static json_t *
await_request(const char *subtype)
{
    json_t *j;
    const char *sub;

    while ((j = read_frame(-1)) != NULL) {
        sub = json_string_value(
            json_object_get(json_object_get(j, "request"), "subtype"));
        if (is_type(j, "control_request") && sub != NULL &&
            strcmp(sub, subtype) == 0) {
            return j;
        }
        if (is_type(j, "control_response") && nstash < MAX_STASH) {
            stash[nstash++] = j;
            continue;
        }
        json_decref(j);
    }
    fprintf(stderr, "fake-cli: input ended before a %s request\n", subtype);
    exit(3);
}

/* The response to id: from the stash, or read until it comes. */
static json_t *
await_response(const char *id, int timeout_ms)
{
    json_t *j;
    const char *rid;
    int i;

    for (i = 0; i < nstash; i++) {
        rid = response_id(stash[i]);
        if (rid != NULL && strcmp(rid, id) == 0) {
            j = stash[i];
            stash[i] = stash[--nstash];
            return j;
        }
    }
    while ((j = read_frame(timeout_ms)) != NULL) {
        rid = response_id(j);
        if (is_type(j, "control_response") && rid != NULL &&
            strcmp(rid, id) == 0) {
            return j;
        }
        json_decref(j);
    }
    return NULL;
}

static void
reply_success(json_t *req, json_t *payload)
{
    send_json(json_pack("{s:s,s:{s:s,s:O,s:o}}", "type", "control_response",
                        "response", "subtype", "success", "request_id",
                        json_object_get(req, "request_id"), "response",
                        payload));
}

/* Answer the initialize request; save it to path when path is set. */
static void
init(const char *path)
{
    json_t *req = await_request("initialize");
    FILE *f;

    if (path != NULL) {
        f = fopen(path, "w");
        if (f == NULL) {
            die("cannot save the initialize request");
        }
        json_dumpf(req, f, JSON_COMPACT);
        fclose(f);
    }
    reply_success(req,
                  json_pack("{s:[],s:s,s:i}", "commands", "claude_code_version",
                            "2.1.332", "pid", (int)getpid()));
    json_decref(req);
}

/* Send a control request and report the answer as an ask_report. */
static void
ask(const char *request_json)
{
    json_t *request = json_loads(request_json, 0, NULL);
    json_t *resp;
    char id[32];

    if (request == NULL) {
        die("ask needs a JSON object");
    }
    snprintf(id, sizeof(id), "ask_%d", next_ask++);
    send_json(json_pack("{s:s,s:s,s:o}", "type", "control_request",
                        "request_id", id, "request", request));
    resp = await_response(id, -1);
    if (resp == NULL) {
        die("no answer to an ask");
    }
    send_json(json_pack("{s:s,s:O}", "type", "ask_report", "response",
                        json_object_get(resp, "response")));
    json_decref(resp);
}

/*
 * Send a control request and check its answer: a success whose
 * response holds each member of want_json, equal to it.  The program
 * that answered learns of a wrong answer by the exit status 3.
 */
static void
ask_check(const char *request_json, const char *want_json)
{
    json_t *request = json_loads(request_json, 0, NULL);
    json_t *want = json_loads(want_json, 0, NULL);
    json_t *resp;
    json_t *got;
    json_t *value;
    const char *key;
    const char *sub;
    char id[32];

    if (request == NULL || !json_is_object(want)) {
        die("ask-check needs a JSON request and a JSON object");
    }
    snprintf(id, sizeof(id), "ask_%d", next_ask++);
    send_json(json_pack("{s:s,s:s,s:o}", "type", "control_request",
                        "request_id", id, "request", request));
    resp = await_response(id, -1);
    if (resp == NULL) {
        die("no answer to an ask-check");
    }
    got = json_object_get(resp, "response");
    sub = json_string_value(json_object_get(got, "subtype"));
    if (sub == NULL || strcmp(sub, "success") != 0) {
        fprintf(stderr, "fake-cli: ask-check: not a success\n");
        exit(3);
    }
    got = json_object_get(got, "response");
    json_object_foreach(want, key, value)
    {
        if (!json_equal(json_object_get(got, key), value)) {
            char *text = json_dumps(got, JSON_COMPACT);

            fprintf(stderr, "fake-cli: ask-check: %s differs in %s\n",
                    text ? text : "(null)", key);
            exit(3);
        }
    }
    json_decref(want);
    json_decref(resp);
}

/*
 * Send n permission requests at once, then take the answers in any
 * order; report how many came, how many twice, and how long it took.
 */
static void
burst(int n)
{
    json_t *resp;
    json_t *payload;
    char id[32];
    char *seen = calloc((size_t)n, 1);
    int answered = 0, twice = 0, allowed = 0, stray = 0;
    int64_t start = now_ms();
    const char *rid;
    int i;

    if (seen == NULL) {
        die("out of memory");
    }
    for (i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "burst_%d", i);
        send_json(json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:i},s:s,s:s?}}", "type",
                            "control_request", "request_id", id, "request",
                            "subtype", "can_use_tool", "tool_name", "Bash",
                            "input", "n", i, "tool_use_id", id, "agent_id",
                            i % 2 ? "agent_odd" : NULL));
    }
    while (answered < n && (resp = read_frame(-1)) != NULL) {
        rid = response_id(resp);
        if (!is_type(resp, "control_response") || rid == NULL ||
            sscanf(rid, "burst_%d", &i) != 1 || i < 0 || i >= n) {
            stray++;
            json_decref(resp);
            continue;
        }
        payload =
            json_object_get(json_object_get(resp, "response"), "response");
        if (seen[i]) {
            twice++;
        } else {
            seen[i] = 1;
            answered++;
        }
        rid = json_string_value(json_object_get(payload, "behavior"));
        if (rid != NULL && strcmp(rid, "allow") == 0 &&
            json_integer_value(json_object_get(
                json_object_get(payload, "updatedInput"), "n")) == i) {
            allowed++;
        }
        json_decref(resp);
    }
    send_json(json_pack("{s:s,s:i,s:i,s:i,s:i,s:I}", "type", "burst_report",
                        "answered", answered, "twice", twice, "allowed",
                        allowed, "stray", stray, "ms",
                        (json_int_t)(now_ms() - start)));
    free(seen);
}

/* Send n permission requests and leave their answers unread. */
static void
requests(int n)
{
    char id[32];
    int i;

    for (i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "req_%d", i);
        send_json(json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:i},s:s}}", "type",
                            "control_request", "request_id", id, "request",
                            "subtype", "can_use_tool", "tool_name", "Bash",
                            "input", "n", i, "tool_use_id", id));
    }
}

/*
 * Send n permission requests, each cancelled as soon as it is sent, so
 * that every cancel races its answer; count the answers that come
 * before the next user message.  Each request may be answered once or,
 * cancelled in time, never.
 */
static void
cancel_race(int n)
{
    json_t *resp;
    char id[32];
    char *seen = calloc((size_t)n, 1);
    int answered = 0, twice = 0, unknown = 0;
    const char *rid;
    int i;

    if (seen == NULL) {
        die("out of memory");
    }
    for (i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "race_%d", i);
        send_json(json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:i},s:s}}", "type",
                            "control_request", "request_id", id, "request",
                            "subtype", "can_use_tool", "tool_name", "Bash",
                            "input", "n", i, "tool_use_id", id));
        send_json(json_pack("{s:s,s:s}", "type", "control_cancel_request",
                            "request_id", id));
    }
    send_json(json_pack("{s:s}", "type", "race_sent"));
    while ((resp = read_frame(-1)) != NULL && !is_type(resp, "user")) {
        rid = response_id(resp);
        if (!is_type(resp, "control_response") || rid == NULL ||
            sscanf(rid, "race_%d", &i) != 1 || i < 0 || i >= n) {
            unknown++;
        } else if (seen[i]) {
            twice++;
        } else {
            seen[i] = 1;
            answered++;
        }
        json_decref(resp);
    }
    if (resp == NULL) {
        die("input ended before the user message");
    }
    json_decref(resp);
    send_json(json_pack("{s:s,s:i,s:i,s:i}", "type", "race_report", "answered",
                        answered, "twice", twice, "unknown", unknown));
    free(seen);
}

/* Write n messages of type "filler", each size bytes long. */
static void
messages(long n, size_t size)
{
    static const char head[] = "{\"type\":\"filler\",\"pad\":\"";
    char *line;
    long i;

    if (size < sizeof(head) + 2) {
        die("messages are too small");
    }
    line = malloc(size);
    if (line == NULL) {
        die("out of memory");
    }
    memcpy(line, head, sizeof(head) - 1);
    memset(line + sizeof(head) - 1, 'f', size - (sizeof(head) - 1) - 2);
    memcpy(line + size - 2, "\"}", 2);
    for (i = 0; i < n; i++) {
        send_line(line, size);
    }
    free(line);
}

/*
 * Ask permission, cancel after delay_ms, and report whether an answer
 * came within the second after.
 */
static void
cancel_test(int delay_ms)
{
    json_t *resp;

    send_json(json_pack("{s:s,s:s,s:{s:s,s:s,s:{},s:s}}", "type",
                        "control_request", "request_id", "cancel_me", "request",
                        "subtype", "can_use_tool", "tool_name", "Bash", "input",
                        "tool_use_id", "tu_cancel"));
    sleep_ms(delay_ms);
    send_json(json_pack("{s:s,s:s}", "type", "control_cancel_request",
                        "request_id", "cancel_me"));
    resp = await_response("cancel_me", 1000);
    send_json(json_pack("{s:s,s:b}", "type", "cancel_report", "replied",
                        resp != NULL));
    json_decref(resp);
}

/* Take n control requests, then answer them last first. */
static void
hold(int n)
{
    json_t *reqs[64];
    json_t *j;
    int got = 0;

    if (n > 64) {
        die("hold takes at most 64");
    }
    while (got < n && (j = read_frame(-1)) != NULL) {
        if (is_type(j, "control_request")) {
            reqs[got++] = j;
        } else {
            json_decref(j);
        }
    }
    while (got > 0) {
        got--;
        reply_success(
            reqs[got],
            json_pack("{s:i,s:O}", "order", n - got, "subtype",
                      json_object_get(json_object_get(reqs[got], "request"),
                                      "subtype")));
        json_decref(reqs[got]);
    }
}

/*
 * Send n mcp_message requests for server at once, each carrying message
 * with its JSON-RPC id set to its index; take the answers in any order
 * and report how many came, twice, as JSON-RPC results without isError,
 * and how long it took.
 */
static void
mcp_burst(int n, const char *server, const char *message_json)
{
    json_t *message = json_loads(message_json, 0, NULL);
    json_t *resp;
    json_t *mcp;
    char id[32];
    char *seen = calloc((size_t)n, 1);
    int answered = 0, twice = 0, ok = 0;
    int64_t start = now_ms();
    const char *rid;
    int i;

    if (message == NULL || seen == NULL) {
        die("mcp-burst needs a JSON message");
    }
    for (i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "mcp_%d", i);
        json_object_set_new(message, "id", json_integer(i));
        send_json(json_pack("{s:s,s:s,s:{s:s,s:s,s:O}}", "type",
                            "control_request", "request_id", id, "request",
                            "subtype", "mcp_message", "server_name", server,
                            "message", message));
    }
    while (answered < n && (resp = read_frame(-1)) != NULL) {
        rid = response_id(resp);
        if (is_type(resp, "control_response") && rid != NULL &&
            sscanf(rid, "mcp_%d", &i) == 1 && i >= 0 && i < n) {
            if (seen[i]) {
                twice++;
            } else {
                seen[i] = 1;
                answered++;
            }
            mcp = json_object_get(
                json_object_get(json_object_get(resp, "response"), "response"),
                "mcp_response");
            if (json_integer_value(json_object_get(mcp, "id")) == i &&
                json_is_object(json_object_get(mcp, "result")) &&
                !json_is_true(json_object_get(json_object_get(mcp, "result"),
                                              "isError"))) {
                ok++;
            }
        }
        json_decref(resp);
    }
    send_json(json_pack("{s:s,s:i,s:i,s:i,s:I}", "type", "mcp_burst_report",
                        "answered", answered, "twice", twice, "ok", ok, "ms",
                        (json_int_t)(now_ms() - start)));
    json_decref(message);
    free(seen);
}

/* Answer the next request of subtype with the given response object. */
static void
answer_raw(const char *subtype, const char *response_json)
{
    json_t *req = await_request(subtype);
    json_t *resp = json_loads(response_json, 0, NULL);

    if (resp == NULL) {
        die("answer-raw needs a JSON object");
    }
    json_object_set(resp, "request_id", json_object_get(req, "request_id"));
    send_json(
        json_pack("{s:s,s:o}", "type", "control_response", "response", resp));
    json_decref(req);
}

/* Answer the next request of subtype with an error. */
static void
refuse(const char *subtype)
{
    json_t *req = await_request(subtype);

    send_json(json_pack("{s:s,s:{s:s,s:O,s:s}}", "type", "control_response",
                        "response", "subtype", "error", "request_id",
                        json_object_get(req, "request_id"), "error",
                        "refused by the fake CLI"));
    json_decref(req);
}

/*
 * Started by the client, the fake gets the CLI's flags as arguments:
 * its actions then come from FAKE_CLI_ARGS, separated by 0x1f, and the
 * flags are saved, one per line, to FAKE_CLI_ARGV_FILE when it is set.
 */
static int
actions_from_env(int *argc, char ***argv)
{
    const char *spec = getenv("FAKE_CLI_ARGS");
    const char *file = getenv("FAKE_CLI_ARGV_FILE");
    char **v;
    char *copy;
    char *p;
    int n = 1;
    int i;
    FILE *f;

    if (spec == NULL) {
        return 0;
    }
    if (file != NULL && (f = fopen(file, "w")) != NULL) {
        for (i = 0; i < *argc; i++) {
            fprintf(f, "%s\n", (*argv)[i]);
        }
        fclose(f);
    }
    copy = strdup(spec);
    v = calloc(strlen(spec) + 2, sizeof(*v));
    if (copy == NULL || v == NULL) {
        die("out of memory");
    }
    v[0] = (*argv)[0];
    if (copy[0] != '\0') {
        v[n++] = copy;
        for (p = copy; *p != '\0'; p++) {
            if (*p == '\x1f') {
                *p = '\0';
                v[n++] = p + 1;
            }
        }
    }
    *argc = n;
    *argv = v;
    return 1;
}

int
main(int argc, char **argv)
{
    int i;
    const char *a;
    const char *v;
    FILE *f;
    char path[4096];

    if (argc == 2 && strcmp(argv[1], "-v") == 0) {
        printf("2.1.332 (Claude Code)\n");
        return 0;
    }
    actions_from_env(&argc, &argv);
    for (i = 1; i < argc; i++) {
        a = argv[i];
        v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "noread") == 0) {
            for (;;) {
                pause();
            }
        } else if (strcmp(a, "wait-eof") == 0) {
            wait_eof();
        } else if (strcmp(a, "echo-stderr") == 0) {
            echo_stderr();
        } else if (strcmp(a, "close-stdin") == 0) {
            close(0);
        } else if (strcmp(a, "ignore-term") == 0) {
            signal(SIGTERM, SIG_IGN);
        } else if (strcmp(a, "noise") == 0) {
            send_line("[SandboxDebug] not json", 23);
            send_line("plain words", 11);
        } else if (strcmp(a, "cwd") == 0) {
            if (getcwd(path, sizeof(path)) == NULL) {
                die("getcwd failed");
            }
            send_json(json_pack("{s:s}", "cwd", path));
        } else if (strcmp(a, "ids") == 0) {
            send_json(json_pack("{s:i,s:i}", "pid", (int)getpid(), "pgid",
                                (int)getpgrp()));
        } else if (strcmp(a, "fds") == 0) {
            send_json(json_pack("{s:i}", "fds", count_fds()));
        } else if (strcmp(a, "init") == 0) {
            init(NULL);
        } else if (v == NULL) {
            die("missing argument");
        } else if (strcmp(a, "init-save") == 0) {
            init(v);
            i++;
        } else if (strcmp(a, "ask") == 0) {
            ask(v);
            i++;
        } else if (strcmp(a, "ask-check") == 0 && i + 2 < argc) {
            ask_check(v, argv[i + 2]);
            i += 2;
        } else if (strcmp(a, "burst") == 0) {
            burst(atoi(v));
            i++;
        } else if (strcmp(a, "requests") == 0) {
            requests(atoi(v));
            i++;
        } else if (strcmp(a, "cancel-race") == 0) {
            cancel_race(atoi(v));
            i++;
        } else if (strcmp(a, "messages") == 0 && i + 2 < argc) {
            messages(atol(v), (size_t)atol(argv[i + 2]));
            i += 2;
        } else if (strcmp(a, "cancel-test") == 0) {
            cancel_test(atoi(v));
            i++;
        } else if (strcmp(a, "hold") == 0) {
            hold(atoi(v));
            i++;
        } else if (strcmp(a, "mcp-burst") == 0 && i + 3 < argc) {
            mcp_burst(atoi(v), argv[i + 2], argv[i + 3]);
            i += 3;
        } else if (strcmp(a, "no-response") == 0 && i + 2 < argc) {
            json_t *resp = await_response(v, atoi(argv[i + 2]));

            send_json(json_pack("{s:s,s:b}", "type", "no_response_report",
                                "replied", resp != NULL));
            json_decref(resp);
            i += 2;
        } else if (strcmp(a, "answer-raw") == 0 && i + 2 < argc) {
            answer_raw(v, argv[i + 2]);
            i += 2;
        } else if (strcmp(a, "refuse") == 0) {
            refuse(v);
            i++;
        } else if (strcmp(a, "await-response") == 0) {
            json_t *resp = await_response(v, -1);

            if (resp == NULL) {
                die("no response");
            }
            send_json(json_pack("{s:s,s:O}", "type", "await_report", "response",
                                json_object_get(resp, "response")));
            json_decref(resp);
            i++;
        } else if (strcmp(a, "send") == 0) {
            send_line(v, strlen(v));
            i++;
        } else if (strcmp(a, "expect") == 0) {
            expect(v);
            i++;
        } else if (strcmp(a, "transcript") == 0) {
            transcript(v);
            i++;
        } else if (strcmp(a, "chunks") == 0) {
            chunked = 1;
            chunk_seed = (unsigned int)strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "count") == 0) {
            count(v);
            i++;
        } else if (strcmp(a, "sleep") == 0) {
            sleep_ms(atol(v));
            i++;
        } else if (strcmp(a, "bigline") == 0) {
            big_line((size_t)atol(v));
            i++;
        } else if (strcmp(a, "partial") == 0) {
            write_all(1, v, strlen(v));
            i++;
        } else if (strcmp(a, "flood-stdout") == 0) {
            flood_stdout(atol(v));
            i++;
        } else if (strcmp(a, "flood-stderr") == 0) {
            flood_stderr(atol(v));
            i++;
        } else if (strcmp(a, "stderr") == 0) {
            write_all(2, v, strlen(v));
            write_all(2, "\n", 1);
            i++;
        } else if (strcmp(a, "env") == 0) {
            send_json(json_pack("{s:s?}", "env", getenv(v)));
            i++;
        } else if (strcmp(a, "grandchild") == 0) {
            grandchild(v);
            i++;
        } else if (strcmp(a, "marker") == 0) {
            f = fopen(v, "w");
            if (f == NULL) {
                die("cannot create marker");
            }
            fclose(f);
            i++;
        } else if (strcmp(a, "exit") == 0) {
            exit(atoi(v));
        } else {
            fprintf(stderr, "fake-cli: unknown action %s\n", a);
            exit(2);
        }
    }
    return 0;
}
