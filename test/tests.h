/*
 * tests.h: what the test suites share: the runner's registration call
 * and helpers for starting the fake CLI and counting what leaks.
 */
#ifndef CL_TESTS_H
#define CL_TESTS_H

#include <check.h>
#include <stdint.h>

#include "claude.h"

/* Register one test under its module with a timeout in seconds. */
void cl_test_add(const char *module, const char *name, const TTest *fn,
                 int timeout);

/* Report a test that cannot run here, and why. */
void cl_test_skip(const char *name, const char *why);

/*
 * Register the suites of this test program: test/suites.c for the unit
 * tests, test/e2e/suites.c for the end-to-end ones.
 */
void cl_register_suites(void);

/* Each module's registration function. */
void cl_error_tests(void);
void cl_framer_tests(void);
void cl_process_tests(void);
void cl_transport_tests(void);
void cl_options_tests(void);
void cl_scan_tests(void);
void cl_json_tests(void);
void cl_message_tests(void);
void cl_ledger_tests(void);
void cl_discover_tests(void);
void cl_client_tests(void);
void cl_fault_tests(void);
void cl_query_tests(void);
void cl_real_cli_tests(void);
void cl_mcp_tests(void);
void cl_mcp_session_tests(void);
void cl_e2e_tests(void);

/* The fake CLI's path, from the FAKE_CLI environment variable. */
const char *fake_cli(void);

/*
 * Options that start the fake CLI with the given actions (a
 * NULL-terminated list), short grace periods and the caller's options
 * otherwise.  The argv array is static: one transport at a time.
 */
void fake_options(claude_transport_options *o, const char *action, ...);

/* Create and open a transport on the fake CLI; asserts success. */
claude_transport *fake_open(claude_transport_options *o);

/*
 * Options for a client whose CLI is the fake, running the given actions
 * (a NULL-terminated list), with short grace periods.
 */
claude_options *fake_client_options(const char *action, ...);

/* Open a client with o; asserts success. */
claude_client *test_open_client(const claude_options *o);

/*
 * The client's next message, which must come within 10 s and, unless
 * type is NULL, be of that type.  The caller frees it.
 */
claude_message *test_next_message(claude_client *c, const char *type);

/* The same message's JSON, as a new reference; the message is freed. */
struct json_t *test_next_json(claude_client *c, const char *type);

/* Is CLAUDE_TEST_FIGURES set, so that tests print what they measure? */
int test_figures(void);

/* Descriptors open in this process. */
int count_open_fds(void);

/* Children of this process, and how many of them are zombies. */
int count_children(int *zombies);

/* Is pid alive (and not a zombie)? */
int process_alive(long pid);

int64_t test_now_ms(void);
void test_sleep_ms(int ms);

/* A fresh temporary directory for the test, removed by the caller. */
void make_temp_dir(char *buf, size_t size);

/*
 * Make jansson's n-th allocation from now on, on the calling thread,
 * fail (1: the next one; 0: none).  The first call installs an
 * allocator that counts; it stays, harmless, once nothing is armed.
 */
void test_jansson_fail_nth(int n);

/* Is a failure armed by test_jansson_fail_nth() still to come? */
int test_jansson_armed(void);

#endif /* CL_TESTS_H */
