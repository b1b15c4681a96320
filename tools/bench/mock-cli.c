/*
 * mock-cli.c: a stand-in for the claude CLI that produces benchmark
 * workloads as fast as a pipe allows.
 *
 * The library starts it as the CLI, so its arguments are the CLI's
 * flags, which it ignores, except that "-v" prints a version and exits.
 * It answers the initialize control request, then runs the workload
 * that its environment names:
 *
 *   BENCH_WORKLOAD  flood      BENCH_N (300000) assistant messages
 *                              of about 1 KB, then a result
 *                   flood-big  BENCH_N (2000) such messages and
 *                              BENCH_BIG_N (80) user lines of
 *                              BENCH_BIG_SIZE (4 MiB) bytes, then a
 *                              result
 *                   control    BENCH_N can_use_tool requests with
 *                              BENCH_INFLIGHT of them in flight, then a
 *                              result
 *                   startup    one assistant message, then a result
 *                   sink       no output: count the lines of stdin
 *   BENCH_REPORT    where the report goes: a file, or "-" (the
 *                   default) for a {"type":"bench_report"} line on
 *                   stdout
 *
 * After the workload it reads stdin to its end, answering any control
 * request with an empty success, and exits 0.  The report of control
 * holds the round trip of each request, from just before the write of
 * the line that carries it to the read of its answer, on the monotonic
 * clock: p50_us, p99_us, and rps over the whole run.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VERSION_TEXT "2.1.332 (Claude Code)\n"
#define OUT_FLUSH (256 * 1024)
#define IN_CHUNK (256 * 1024)
#define SESSION "8f0c2d5e-4b1a-4c3e-9d7f-2a6b1c0e5f3d"

/* Buffered output to stdout. */
typedef struct outbuf {
    char *buf;
    size_t len;
    size_t cap;
} outbuf;

/* Buffered input from stdin, split into lines. */
typedef struct inbuf {
    char *buf;
    size_t start;
    size_t end;
    size_t cap;
    int eof;
} inbuf;

static outbuf out;
static inbuf in;

static void
die(const char *what)
{
    fprintf(stderr, "mock-cli: %s\n", what);
    exit(2);
}

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long
env_long(const char *name, long fallback)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? strtol(v, NULL, 10) : fallback;
}

static void
write_all(int fd, const char *p, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            /* The reader went away: nothing more to do. */
            exit(errno == EPIPE ? 0 : 2);
        }
        p += w;
        n -= (size_t)w;
    }
}

static void
out_reserve(size_t n)
{
    size_t cap = out.cap ? out.cap : OUT_FLUSH * 2;

    if (out.len + n <= out.cap) {
        return;
    }
    while (cap < out.len + n) {
        cap *= 2;
    }
    out.buf = realloc(out.buf, cap);
    if (out.buf == NULL) {
        die("out of memory");
    }
    out.cap = cap;
}

static void
out_put(const char *p, size_t n)
{
    out_reserve(n);
    memcpy(out.buf + out.len, p, n);
    out.len += n;
}

static void
out_str(const char *s)
{
    out_put(s, strlen(s));
}

static void
out_flush(void)
{
    write_all(1, out.buf, out.len);
    out.len = 0;
}

/* Read more of stdin; returns 0 at its end. */
static int
in_fill(void)
{
    ssize_t n;

    if (in.eof) {
        return 0;
    }
    if (in.start > 0) {
        memmove(in.buf, in.buf + in.start, in.end - in.start);
        in.end -= in.start;
        in.start = 0;
    }
    if (in.cap - in.end < IN_CHUNK) {
        in.cap = in.cap ? in.cap * 2 : IN_CHUNK * 2;
        in.buf = realloc(in.buf, in.cap);
        if (in.buf == NULL) {
            die("out of memory");
        }
    }
    do {
        n = read(0, in.buf + in.end, in.cap - in.end);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        in.eof = 1;
        return 0;
    }
    in.end += (size_t)n;
    return 1;
}

/* The next complete line, NUL-terminated in place, or NULL. */
static char *
in_line(size_t *len)
{
    char *p = in.buf + in.start;
    char *nl;

    if (in.start == in.end) {
        return NULL;
    }
    nl = memchr(p, '\n', in.end - in.start);
    if (nl == NULL) {
        return NULL;
    }
    *nl = '\0';
    *len = (size_t)(nl - p);
    in.start += *len + 1;
    return p;
}

/* Copy the first "request_id" value of line into id; 0 if none. */
static int
request_id(const char *line, char *id, size_t size)
{
    const char *p = strstr(line, "\"request_id\":\"");
    size_t n = 0;

    if (p == NULL) {
        return 0;
    }
    p += strlen("\"request_id\":\"");
    while (p[n] != '"' && p[n] != '\0' && n + 1 < size) {
        n++;
    }
    memcpy(id, p, n);
    id[n] = '\0';
    return 1;
}

static int
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Queue an empty success answer to the control request in line. */
static void
answer_request(const char *line)
{
    char id[128];

    if (!request_id(line, id, sizeof(id))) {
        return;
    }
    out_str("{\"type\":\"control_response\",\"response\":"
            "{\"subtype\":\"success\",\"request_id\":\"");
    out_str(id);
    out_str("\",\"response\":{}}}\n");
}

/* Read stdin until initialize arrives, answer it, and return. */
static void
await_initialize(void)
{
    char *line;
    size_t len;

    for (;;) {
        while ((line = in_line(&len)) != NULL) {
            if (strstr(line, "\"control_request\"") == NULL) {
                continue;
            }
            answer_request(line);
            if (strstr(line, "\"subtype\":\"initialize\"") != NULL) {
                out_flush();
                return;
            }
        }
        out_flush();
        if (!in_fill()) {
            exit(0);
        }
    }
}

/* Read stdin to its end, answering control requests, then exit. */
static void
drain_and_exit(void)
{
    char *line;
    size_t len;

    for (;;) {
        while ((line = in_line(&len)) != NULL) {
            if (strstr(line, "\"control_request\"") != NULL) {
                answer_request(line);
            }
        }
        if (out.len > 0) {
            out_flush();
        }
        if (!in_fill()) {
            exit(0);
        }
    }
}

static void
report(const char *json)
{
    const char *path = getenv("BENCH_REPORT");
    FILE *f;

    if (path == NULL || path[0] == '\0' || strcmp(path, "-") == 0) {
        out_str(json);
        out_str("\n");
        return;
    }
    f = fopen(path, "w");
    if (f == NULL) {
        die("cannot write the report");
    }
    fprintf(f, "%s\n", json);
    fclose(f);
}

/*
 * A message whose counter can be rewritten in place: the text with
 * two 8-digit fields at known offsets.
 */
typedef struct frame {
    char *text;
    size_t len;
    size_t at[2];
} frame;

/* Replace every "########" of text with a counter field. */
static void
frame_init(frame *f, const char *text)
{
    char *p;
    int i = 0;

    f->text = strdup(text);
    f->len = strlen(text);
    p = f->text;
    while ((p = strstr(p, "########")) != NULL && i < 2) {
        f->at[i++] = (size_t)(p - f->text);
        p += 8;
    }
    while (i < 2) {
        f->at[i++] = SIZE_MAX;
    }
}

static void
frame_put(frame *f, unsigned long n)
{
    char digits[9];
    char *dst;
    int i;

    snprintf(digits, sizeof(digits), "%08lu", n % 100000000ul);
    out_reserve(f->len);
    dst = out.buf + out.len;
    memcpy(dst, f->text, f->len);
    for (i = 0; i < 2; i++) {
        if (f->at[i] != SIZE_MAX) {
            memcpy(dst + f->at[i], digits, 8);
        }
    }
    out.len += f->len;
}

/* An assistant message of 1024 bytes, newline included, with one text
 * block. */
static void
assistant_frame(frame *f)
{
    char text[2048];

    snprintf(
        text, sizeof(text),
        "{\"type\":\"assistant\",\"message\":{\"id\":\"msg_01Bench########\","
        "\"type\":\"message\",\"role\":\"assistant\","
        "\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[{\"type\":"
        "\"text\",\"text\":\"%s\"}],\"stop_reason\":null,"
        "\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,"
        "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":"
        "20480,\"output_tokens\":180,\"service_tier\":\"standard\"}},"
        "\"parent_tool_use_id\":null,\"session_id\":\"" SESSION "\","
        "\"uuid\":\"0d2f7a3c-1b4e-4f6a-8c9d-0000########\"}\n",
        "I read the file and found the function that parses the "
        "configuration. It splits each line on the first \\\"=\\\", trims "
        "the key and the value, and stores them per section.\\n\\nTwo "
        "things look wrong:\\n\\n1. A value that contains \\\"=\\\" loses "
        "everything after the second sign, because the split is done "
        "with strtok.\\n2. Comments that start after a value are kept as part "
        "of the value.\\n\\nI will fix "
        "both by scanning for the first separator by hand and by "
        "stripping a trailing comment only after white space, and add "
        "tests for both. Then I will rerun the suite.");
    frame_init(f, text);
}

static void
result_frame(void)
{
    out_str("{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
            "\"duration_ms\":1234,\"duration_api_ms\":1100,\"num_turns\":1,"
            "\"result\":\"Done.\",\"stop_reason\":\"end_turn\","
            "\"session_id\":\"" SESSION "\",\"total_cost_usd\":0.0123,"
            "\"usage\":{\"input_tokens\":12,\"output_tokens\":180},"
            "\"modelUsage\":{},\"permission_denials\":[],"
            "\"uuid\":\"5e1c9b0a-7d2f-4e3a-b6c8-1f0e2d3c4b5a\"}\n");
}

/*
 * A user line of size bytes carrying a tool result: source text with
 * escaped newlines and quotes, as a large Read result looks.
 */
static char *
big_line(size_t size, size_t *len)
{
    static const char head[] =
        "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":"
        "[{\"tool_use_id\":\"toolu_01BigRead\",\"type\":\"tool_result\","
        "\"content\":\"";
    static const char tail[] =
        "\",\"is_error\":false}]},\"parent_tool_use_id\":null,"
        "\"session_id\":\"" SESSION "\"}\n";
    static const char row[] =
        "    if (strcmp(key, \\\"name\\\") == 0) { return value; }  "
        "/* look it up */\\n";
    size_t rowlen = strlen(row);
    size_t body = size - strlen(head) - strlen(tail);
    char *line = malloc(size + 1);
    char *p;
    size_t n;

    if (line == NULL) {
        die("out of memory");
    }
    p = line;
    memcpy(p, head, strlen(head));
    p += strlen(head);
    for (n = 0; n + rowlen <= body; n += rowlen) {
        memcpy(p, row, rowlen);
        p += rowlen;
    }
    memset(p, 'x', body - n);
    p += body - n;
    memcpy(p, tail, strlen(tail));
    p += strlen(tail);
    *len = (size_t)(p - line);
    return line;
}

static void
run_flood(int big)
{
    long n = env_long("BENCH_N", big ? 2000 : 300000);
    long nbig = big ? env_long("BENCH_BIG_N", 80) : 0;
    size_t bigsize = (size_t)env_long("BENCH_BIG_SIZE", 4 << 20);
    long every = nbig > 0 ? (n + nbig - 1) / nbig : 0;
    unsigned long long bytes = 0;
    char *bigtext = NULL;
    size_t biglen = 0;
    char rep[256];
    frame f;
    uint64_t t0;
    uint64_t t1;
    long i;
    long sent_big = 0;

    assistant_frame(&f);
    if (nbig > 0) {
        bigtext = big_line(bigsize, &biglen);
    }

    t0 = now_ns();
    for (i = 0; i < n; i++) {
        frame_put(&f, (unsigned long)i);
        if (every > 0 && i % every == every - 1 && sent_big < nbig) {
            out_flush();
            write_all(1, bigtext, biglen);
            bytes += biglen;
            sent_big++;
        }
        if (out.len >= OUT_FLUSH) {
            bytes += out.len;
            out_flush();
        }
    }
    while (sent_big < nbig) {
        bytes += out.len;
        out_flush();
        write_all(1, bigtext, biglen);
        bytes += biglen;
        sent_big++;
    }
    result_frame();
    bytes += out.len;
    out_flush();
    t1 = now_ns();

    snprintf(rep, sizeof(rep),
             "{\"type\":\"bench_report\",\"workload\":\"%s\","
             "\"messages\":%ld,\"big\":%ld,\"bytes\":%llu,"
             "\"seconds\":%.6f}",
             big ? "flood-big" : "flood", n + nbig + 1, nbig, bytes,
             (double)(t1 - t0) / 1e9);
    report(rep);
    if (out.len > 0) {
        out_flush();
    }
    free(bigtext);
    free(f.text);
}

static void
run_startup(void)
{
    frame f;

    assistant_frame(&f);
    frame_put(&f, 0);
    result_frame();
    out_flush();
    free(f.text);
}

/* A can_use_tool request, numbered twice: its id and its tool use id. */
static void
request_frame(frame *f)
{
    frame_init(
        f, "{\"type\":\"control_request\",\"request_id\":\"cut_########\","
           "\"request\":{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\","
           "\"input\":{\"command\":\"grep -rn \\\"parse_config\\\" src/ "
           "| head -50\",\"description\":\"Find the callers of "
           "parse_config\"},\"tool_use_id\":\"toolu_01Bench########\","
           "\"permission_suggestions\":[{\"type\":\"addRules\",\"rules\":"
           "[{\"toolName\":\"Bash\",\"ruleContent\":\"grep:*\"}],"
           "\"behavior\":\"allow\",\"destination\":\"localSettings\"}],"
           "\"decision_reason\":\"This command requires approval\"},"
           "\"flush\":true}\n");
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void
run_control(void)
{
    long n = env_long("BENCH_N", 20000);
    long k = env_long("BENCH_INFLIGHT", 1);
    uint64_t *sent = calloc((size_t)n, sizeof(*sent));
    uint64_t *rtt = calloc((size_t)n, sizeof(*rtt));
    long *batch = calloc((size_t)(k > 0 ? k : 1) * 2 + 1, sizeof(*batch));
    long nbatch = 0;
    long next = 0;
    long done = 0;
    long allowed = 0;
    long errors = 0;
    uint64_t t0;
    uint64_t t1;
    uint64_t t;
    char rep[512];
    char id[128];
    char *line;
    size_t len;
    frame f;
    long idx;
    long i;

    if (sent == NULL || rtt == NULL || batch == NULL || k < 1) {
        die("bad BENCH_N or BENCH_INFLIGHT, or out of memory");
    }
    request_frame(&f);

    /* The first window goes out in one write. */
    while (next < n && next < k) {
        batch[nbatch++] = next;
        frame_put(&f, (unsigned long)next++);
    }
    t0 = now_ns();
    for (i = 0; i < nbatch; i++) {
        sent[batch[i]] = t0;
    }
    nbatch = 0;
    out_flush();

    while (done < n) {
        if (!in_fill()) {
            die("stdin ended before every request was answered");
        }
        t = now_ns();
        while ((line = in_line(&len)) != NULL) {
            if (starts_with(line, "{\"type\":\"control_response\"") ||
                strstr(line, "\"control_response\"") != NULL) {
                if (!request_id(line, id, sizeof(id)) ||
                    !starts_with(id, "cut_")) {
                    continue;
                }
                idx = strtol(id + 4, NULL, 10);
                if (idx < 0 || idx >= n || rtt[idx] != 0) {
                    continue;
                }
                rtt[idx] = t - sent[idx];
                done++;
                if (strstr(line, "\"behavior\":\"allow\"") != NULL) {
                    allowed++;
                } else {
                    errors++;
                }
                if (next < n) {
                    batch[nbatch++] = next;
                    frame_put(&f, (unsigned long)next++);
                }
            } else if (strstr(line, "\"control_request\"") != NULL) {
                answer_request(line);
            }
        }
        if (out.len > 0) {
            t = now_ns();
            for (i = 0; i < nbatch; i++) {
                sent[batch[i]] = t;
            }
            nbatch = 0;
            out_flush();
        }
    }
    t1 = now_ns();

    qsort(rtt, (size_t)n, sizeof(*rtt), cmp_u64);
    snprintf(rep, sizeof(rep),
             "{\"type\":\"bench_report\",\"workload\":\"control\","
             "\"n\":%ld,\"inflight\":%ld,\"allowed\":%ld,\"errors\":%ld,"
             "\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
             "\"rps\":%.1f,\"seconds\":%.6f}",
             n, k, allowed, errors, (double)rtt[n / 2] / 1e3,
             (double)rtt[(size_t)((double)n * 0.99)] / 1e3,
             (double)rtt[n - 1] / 1e3, (double)n / ((double)(t1 - t0) / 1e9),
             (double)(t1 - t0) / 1e9);
    report(rep);
    result_frame();
    out_flush();
    free(sent);
    free(rtt);
    free(batch);
    free(f.text);
}

/* Count stdin's lines to its end; answer initialize if it comes. */
static void
run_sink(void)
{
    static const char prefix[] = "{\"type\":\"control_request\"";
    size_t plen = strlen(prefix);
    unsigned long long lines = 0;
    unsigned long long bytes = 0;
    uint64_t t0 = now_ns();
    char rep[256];
    char *p;
    char *end;
    char *nl;

    while (in_fill()) {
        p = in.buf + in.start;
        end = in.buf + in.end;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            if ((size_t)(nl - p) > plen && memcmp(p, prefix, plen) == 0) {
                *nl = '\0';
                answer_request(p);
            }
            lines++;
            bytes += (size_t)(nl - p) + 1;
            p = nl + 1;
        }
        in.start = (size_t)(p - in.buf);
        if (out.len > 0) {
            out_flush();
        }
    }
    snprintf(rep, sizeof(rep),
             "{\"type\":\"bench_report\",\"workload\":\"sink\","
             "\"lines\":%llu,\"bytes\":%llu,\"seconds\":%.6f}",
             lines, bytes, (double)(now_ns() - t0) / 1e9);
    report(rep);
    if (out.len > 0) {
        out_flush();
    }
    exit(0);
}

int
main(int argc, char **argv)
{
    const char *workload = getenv("BENCH_WORKLOAD");
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
            write_all(1, VERSION_TEXT, strlen(VERSION_TEXT));
            return 0;
        }
    }
    if (workload == NULL) {
        die("BENCH_WORKLOAD is not set");
    }

    /* The sink answers initialize only if it comes, in its stride. */
    if (strcmp(workload, "sink") == 0) {
        run_sink();
    }
    await_initialize();
    if (strcmp(workload, "flood") == 0) {
        run_flood(0);
    } else if (strcmp(workload, "flood-big") == 0) {
        run_flood(1);
    } else if (strcmp(workload, "control") == 0) {
        run_control();
    } else if (strcmp(workload, "startup") == 0) {
        run_startup();
    } else {
        die("unknown BENCH_WORKLOAD");
    }
    drain_and_exit();
    return 0;
}
