/*
 * check_query.c: one-shot queries against the fake CLI, and when they
 * end the CLI's input.
 */
#include <jansson.h>
#include <string.h>

#include "tests.h"

#define PROMPT_LINE                                                            \
    "{\"type\":\"user\",\"session_id\":\"\",\"message\":{\"role\":"            \
    "\"user\",\"content\":\"hello\"},\"parent_tool_use_id\":null}"

#define RESULT_OK                                                              \
    "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"         \
    "\"result\":\"fine\",\"session_id\":\"s\"}"

typedef struct seen {
    char types[512];
    int answers;
    int stop_at;
    int count;
} seen;

static int
collect(claude_message *m, void *user)
{
    seen *s = user;
    json_t *j = claude_message_json(m);
    size_t used = strlen(s->types);

    snprintf(s->types + used, sizeof(s->types) - used, "%s%s", used ? " " : "",
             claude_message_type(m));
    if (strcmp(claude_message_type(m), "ask_report") == 0 &&
        strcmp(json_string_value(
                   json_object_get(json_object_get(j, "response"), "subtype")),
               "success") == 0) {
        s->answers++;
    }
    claude_message_free(m);
    return ++s->count == s->stop_at;
}

static int
allow(claude_request *req, const claude_permission *perm,
      claude_permission_result *res, void *user)
{
    (void)req;
    (void)perm;
    (void)user;
    res->allow = 1;
    return 0;
}

START_TEST(without_callbacks_input_ends_after_the_prompt)
{
    /* wait-eof returns only if the library ends the input. */
    claude_options *o = fake_client_options(
        "init", "expect", PROMPT_LINE, "wait-eof", "send", RESULT_OK, NULL);
    seen s = {"", 0, 0, 0};
    claude_error err;

    ck_assert_int_eq(claude_query(o, "hello", collect, &s, &err), 0);
    ck_assert_str_eq(s.types, "result");
    claude_options_free(o);
}
END_TEST

START_TEST(with_a_callback_input_stays_open_for_background_tasks)
{
    claude_options *o = fake_client_options(
        "init", "expect", PROMPT_LINE, "send",
        "{\"type\":\"system\",\"subtype\":\"task_started\",\"task_id\":"
        "\"t1\",\"task_type\":\"local_agent\",\"description\":\"d\"}",
        "send", RESULT_OK, "send",
        "{\"type\":\"system\",\"subtype\":\"session_state_changed\","
        "\"state\":\"idle\"}",
        /* A background agent still asks after the result. */
        "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Read\",\"input\":{}}",
        "send",
        "{\"type\":\"system\",\"subtype\":\"task_notification\",\"task_id\":"
        "\"t1\",\"status\":\"completed\"}",
        "send", RESULT_OK, "send",
        "{\"type\":\"system\",\"subtype\":\"session_state_changed\","
        "\"state\":\"idle\"}",
        "wait-eof", NULL);
    seen s = {"", 0, 0, 0};
    claude_error err;

    ck_assert_int_eq(claude_options_set_permission_cb(o, allow, NULL), 0);
    ck_assert_int_eq(claude_query(o, "hello", collect, &s, &err), 0);
    ck_assert_int_eq(s.answers, 1);
    ck_assert_str_eq(s.types, "system result system ask_report system "
                              "result system");
    claude_options_free(o);
}
END_TEST

START_TEST(an_error_result_is_eresult_with_the_exit_status)
{
    claude_options *o = fake_client_options(
        "init", "send",
        "{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":"
        "true,\"errors\":[\"too many turns\"],\"session_id\":\"s\"}",
        "exit", "1", NULL);
    claude_error err;

    ck_assert_int_eq(claude_query(o, "hello", NULL, NULL, &err),
                     CLAUDE_ERESULT);
    ck_assert_str_eq(err.message, "too many turns");
    ck_assert_int_eq(err.exit_code, 1);
    claude_options_free(o);
}
END_TEST

START_TEST(the_callback_can_stop_the_query)
{
    claude_options *o =
        fake_client_options("init", "send", "{\"type\":\"one\"}", "send",
                            "{\"type\":\"two\"}", "noread", NULL);
    seen s = {"", 0, 1, 0};
    claude_error err;

    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_CLOSE_GRACE_MS, 100),
                     0);
    ck_assert_int_eq(claude_query(o, "hello", collect, &s, &err),
                     CLAUDE_ECANCELED);
    ck_assert_str_eq(s.types, "one");
    claude_options_free(o);
}
END_TEST

START_TEST(a_session_without_a_result_is_eproto)
{
    claude_options *o = fake_client_options("init", "exit", "0", NULL);
    claude_error err;

    ck_assert_int_eq(claude_query(o, "hello", NULL, NULL, &err), CLAUDE_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.message, "without a result"));
    ck_assert_int_eq(claude_query(NULL, "hello", NULL, NULL, &err),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_query(o, NULL, NULL, NULL, &err), CLAUDE_EINVAL);
    claude_options_free(o);
}
END_TEST

void
cl_query_tests(void)
{
    cl_test_add("query", "query: without callbacks input ends after the prompt",
                without_callbacks_input_ends_after_the_prompt, 30);
    cl_test_add("query",
                "query: with a callback input stays open for background tasks",
                with_a_callback_input_stays_open_for_background_tasks, 30);
    cl_test_add("query",
                "query: an error result is CLAUDE_ERESULT with the exit status",
                an_error_result_is_eresult_with_the_exit_status, 30);
    cl_test_add("query", "query: the message callback can stop the query",
                the_callback_can_stop_the_query, 30);
    cl_test_add("query", "query: a session without a result is CLAUDE_EPROTO",
                a_session_without_a_result_is_eproto, 30);
}
