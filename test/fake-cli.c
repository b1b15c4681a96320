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
 * count checks lines written by the tests' writer threads: each is an
 * object {"t":thread,"i":index,"n":len,"p":"..."} whose string p holds
 * n bytes.  The report is {"lines":..,"invalid":..,"sum":..,"tail":..}
 * where sum adds t * 1000000 + i over the valid lines and tail is the
 * length of a last line cut off before its newline.
 */
#include <dirent.h>
#include <errno.h>
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

/* Read one line of stdin into a growing buffer; NULL at end. */
static char *
read_line(size_t *len, int *complete)
{
    static char *buf;
    static size_t cap;
    size_t n = 0;
    ssize_t r;
    char c;

    if (buf == NULL) {
        cap = 4096;
        buf = malloc(cap);
        if (buf == NULL) {
            die("out of memory");
        }
    }
    for (;;) {
        r = read(0, &c, 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            *complete = 0;
            break;
        }
        if (c == '\n') {
            *complete = 1;
            break;
        }
        if (n + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL) {
                die("out of memory");
            }
        }
        buf[n++] = c;
    }
    if (n == 0 && !*complete) {
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
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

/* Read blocks rather than bytes: count sees hundreds of megabytes. */
static void
count(const char *report)
{
    char *buf = NULL;
    size_t cap = 0, len = 0, start, i;
    ssize_t r;
    long long lines = 0, invalid = 0, sum = 0;
    json_t *j;
    json_t *out;
    json_error_t jerr;
    FILE *f;
    char *nl;

    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            buf = realloc(buf, cap);
            if (buf == NULL) {
                die("out of memory");
            }
        }
        r = read(0, buf + len, cap - len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        len += (size_t)r;

        start = 0;
        while ((nl = memchr(buf + start, '\n', len - start)) != NULL) {
            i = (size_t)(nl - buf);
            j = json_loadb(buf + start, i - start, 0, &jerr);
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
            start = i + 1;
        }
        memmove(buf, buf + start, len - start);
        len -= start;
    }

    out = json_pack("{s:I,s:I,s:I,s:I}", "lines", (json_int_t)lines, "invalid",
                    (json_int_t)invalid, "sum", (json_int_t)sum, "tail",
                    (json_int_t)len);
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
    free(buf);
}

static void
wait_eof(void)
{
    char buf[65536];
    ssize_t r;

    do {
        r = read(0, buf, sizeof(buf));
    } while (r > 0 || (r < 0 && errno == EINTR));
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

int
main(int argc, char **argv)
{
    int i;
    const char *a;
    const char *v;
    FILE *f;
    char path[4096];

    for (i = 1; i < argc; i++) {
        a = argv[i];
        v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "noread") == 0) {
            for (;;) {
                pause();
            }
        } else if (strcmp(a, "wait-eof") == 0) {
            wait_eof();
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
        } else if (v == NULL) {
            die("missing argument");
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
