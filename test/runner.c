/*
 * runner.c: runs every registered test, each in its own Check suite so
 * that it gets its own timeout, and prints one line per test with its
 * status and time, then "N passed, N failed".
 *
 * CK_RUN_SUITE picks a module and CK_RUN_CASE a test by name; Check's
 * own CK_FORK, CK_DEFAULT_TIMEOUT and CK_TIMEOUT_MULTIPLIER apply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests.h"

#define MAX_TESTS 1024

typedef struct test_entry {
    const char *module;
    const char *name;
    const TTest *fn;
    int timeout;
} test_entry;

static test_entry tests[MAX_TESTS];
static int ntests;
static int nskipped;

void
cl_test_add(const char *module, const char *name, const TTest *fn, int timeout)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "runner: more than %d tests\n", MAX_TESTS);
        exit(2);
    }
    tests[ntests].module = module;
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    tests[ntests].timeout = timeout;
    ntests++;
}

void
cl_test_skip(const char *name, const char *why)
{
    printf("skip  %7s    %s: %s\n", "", name, why);
    nskipped++;
}

static double
seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run one test; returns 1 passed, 0 failed, -1 not selected. */
static int
run_one(const test_entry *e)
{
    Suite *s = suite_create(e->module);
    TCase *tc = tcase_create(e->name);
    SRunner *sr;
    TestResult **fails;
    double start;
    double took;
    int run;
    int failed;

    tcase_set_timeout(tc, e->timeout);
    tcase_add_test(tc, e->fn);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);

    start = seconds();
    srunner_run(sr, NULL, NULL, CK_SILENT);
    took = seconds() - start;

    run = srunner_ntests_run(sr);
    failed = srunner_ntests_failed(sr);
    if (run == 0) {
        srunner_free(sr);
        return -1;
    }
    printf("%s  %7.3f s  %s\n", failed ? "FAIL" : "pass", took, e->name);
    if (failed) {
        fails = srunner_failures(sr);
        printf("        %s:%d: %s\n", tr_lfile(fails[0]), tr_lno(fails[0]),
               tr_msg(fails[0]));
        free(fails);
    }
    fflush(stdout);
    srunner_free(sr);
    return failed ? 0 : 1;
}

int
main(void)
{
    int passed = 0;
    int failed = 0;
    int i;
    int rv;

    cl_register_suites();

    for (i = 0; i < ntests; i++) {
        rv = run_one(&tests[i]);
        if (rv == 1) {
            passed++;
        } else if (rv == 0) {
            failed++;
        }
    }
    if (nskipped > 0) {
        printf("%d passed, %d failed, %d skipped\n", passed, failed, nskipped);
    } else {
        printf("%d passed, %d failed\n", passed, failed);
    }
    return failed == 0 && passed > 0 ? 0 : 1;
}
