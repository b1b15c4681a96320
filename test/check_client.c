/*
 * check_client.c: the client against the fake CLI.
 *
 * The client starts the fake with the CLI's flags; the fake takes its
 * actions from FAKE_CLI_ARGS (see fake-cli.c).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "tests.h"

/* The "response" of an ask_report, as a new reference. */
static json_t *
ask_response(claude_client *c)
{
    json_t *report = test_next_json(c, "ask_report");
    json_t *resp = json_incref(json_object_get(report, "response"));

    json_decref(report);
    ck_assert_ptr_nonnull(resp);
    return resp;
}

static const char *
jstr(json_t *j, const char *path1, const char *path2)
{
    json_t *v = json_object_get(j, path1);

    if (path2 != NULL) {
        v = json_object_get(v, path2);
    }
    return json_string_value(v);
}

/*
 * Sessions
 */

START_TEST(open_initializes_and_messages_arrive_in_order)
{
    claude_options *o = fake_client_options(
        "init", "send",
        "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s1\"}",
        "send",
        "{\"type\":\"assistant\",\"message\":{\"model\":\"m\",\"content\":"
        "[{\"type\":\"text\",\"text\":\"hello\"}]},\"session_id\":\"s1\"}",
        "send",
        "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
        "\"result\":\"done\",\"session_id\":\"s1\",\"duration_ms\":12,"
        "\"total_cost_usd\":0.25}",
        "wait-eof", NULL);
    int64_t start = test_now_ms();
    claude_client *c = test_open_client(o);
    claude_message *m;

    m = test_next_message(c, NULL);
    ck_assert_str_eq(claude_message_type(m), "system");
    ck_assert_str_eq(claude_message_subtype(m), "init");
    claude_message_free(m);
    if (getenv("CLAUDE_TEST_FIGURES") != NULL) {
        fprintf(stderr,
                "        figure: open to first message against the fake CLI: "
                "%lld ms\n",
                (long long)(test_now_ms() - start));
    }
    m = test_next_message(c, NULL);
    ck_assert_str_eq(claude_message_type(m), "assistant");
    ck_assert_str_eq(claude_message_text(m), "hello");
    claude_message_free(m);
    m = test_next_message(c, NULL);
    ck_assert_str_eq(claude_message_type(m), "result");
    ck_assert_int_eq(claude_message_is_error(m), 0);
    ck_assert_str_eq(claude_message_result(m), "done");
    ck_assert_str_eq(claude_message_session_id(m), "s1");
    ck_assert(claude_message_cost_usd(m) == 0.25);
    ck_assert_int_eq(claude_message_duration_ms(m), 12);
    claude_message_free(m);

    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(send_writes_a_user_message)
{
    claude_options *o = fake_client_options(
        "init", "expect",
        "{\"type\":\"user\",\"session_id\":\"\",\"message\":{\"role\":"
        "\"user\",\"content\":\"say \\\"hi\\\"\"},\"parent_tool_use_id\":"
        "null}",
        "expect",
        "{\"type\":\"user\",\"session_id\":\"\",\"message\":{\"role\":"
        "\"user\",\"content\":[{\"type\":\"text\",\"text\":\"blocks\"}]},"
        "\"parent_tool_use_id\":null}",
        "send", "{\"type\":\"ok\"}", "wait-eof", NULL);
    claude_client *c = test_open_client(o);
    claude_message *m;
    claude_error err;

    ck_assert_int_eq(claude_client_send(c, "say \"hi\"", &err), 0);
    ck_assert_int_eq(claude_client_send_content(
                         c, "[{\"type\":\"text\",\"text\":\"blocks\"}]", &err),
                     0);
    ck_assert_int_eq(
        claude_client_send_content(c, "{\"not\":\"a list\"}", &err),
        CLAUDE_EINVAL);
    /* Text that is not UTF-8 is refused before anything is written. */
    ck_assert_int_eq(claude_client_send(c, "caf\xe9", &err), CLAUDE_EINVAL);
    ck_assert_str_eq(err.message, "the text is not UTF-8");
    m = test_next_message(c, NULL);
    ck_assert_str_eq(claude_message_type(m), "ok");
    claude_message_free(m);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(an_mcp_message_before_the_initialize_reply_is_answered)
{
    claude_options *o = fake_client_options(
        "send",
        "{\"type\":\"control_request\",\"request_id\":\"m1\",\"request\":{"
        "\"subtype\":\"mcp_message\",\"server_name\":\"tools\",\"message\":"
        "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\"}}}",
        "init", "await-response", "m1", "wait-eof", NULL);
    claude_client *c = test_open_client(o);
    json_t *report = test_next_json(c, "await_report");

    ck_assert_str_eq(jstr(report, "response", "request_id"), "m1");
    ck_assert_ptr_nonnull(jstr(report, "response", "subtype"));
    json_decref(report);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

typedef struct controller {
    claude_client *c;
    const char *subtype;
    int rv;
    json_t *out;
} controller;

static void *
controller_main(void *arg)
{
    controller *k = arg;
    claude_error err;

    k->rv = claude_client_control(k->c, k->subtype, NULL, -1, &k->out, &err);
    return NULL;
}

START_TEST(replies_out_of_order_reach_their_callers)
{
    claude_options *o =
        fake_client_options("init", "hold", "3", "wait-eof", NULL);
    claude_client *c = test_open_client(o);
    const char *subtypes[3] = {"first_thing", "second_thing", "third_thing"};
    controller k[3];
    pthread_t thr[3];
    int orders = 0;
    int i;

    for (i = 0; i < 3; i++) {
        k[i].c = c;
        k[i].subtype = subtypes[i];
        k[i].out = NULL;
        ck_assert_int_eq(pthread_create(&thr[i], NULL, controller_main, &k[i]),
                         0);
    }
    for (i = 0; i < 3; i++) {
        pthread_join(thr[i], NULL);
        ck_assert_int_eq(k[i].rv, 0);
        ck_assert_str_eq(jstr(k[i].out, "subtype", NULL), subtypes[i]);
        orders |= 1 << json_integer_value(json_object_get(k[i].out, "order"));
        json_decref(k[i].out);
    }
    ck_assert_int_eq(orders, 0xe);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(a_control_error_reply_is_econtrol)
{
    claude_options *o =
        fake_client_options("init", "refuse", "set_model", "wait-eof", NULL);
    claude_client *c = test_open_client(o);
    claude_error err;

    ck_assert_int_eq(claude_client_set_model(c, "some-model", &err),
                     CLAUDE_ECONTROL);
    ck_assert_str_eq(err.message, "refused by the fake CLI");
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(unknown_message_types_pass_through)
{
    claude_options *o = fake_client_options(
        "init", "send", "{\"type\":\"brand_new\",\"x\":[1,{\"type\":\"no\"}]}",
        "send", "{\"subtype\":\"later\",\"type\":\"system\",\"extra\":true}",
        "send", "{\"type\":\"keep_alive\"}", "send", "{\"type\":\"last\"}",
        "wait-eof", NULL);
    claude_client *c = test_open_client(o);
    claude_message *m;
    size_t len;

    m = test_next_message(c, NULL);
    ck_assert_str_eq(claude_message_type(m), "brand_new");
    ck_assert_str_eq(claude_message_line(m, &len),
                     "{\"type\":\"brand_new\",\"x\":[1,{\"type\":\"no\"}]}");
    claude_message_free(m);
    m = test_next_message(c, NULL);
    ck_assert_str_eq(claude_message_type(m), "system");
    ck_assert_str_eq(claude_message_subtype(m), "later");
    ck_assert(json_is_true(json_object_get(claude_message_json(m), "extra")));
    claude_message_free(m);

    /* keep_alive is the protocol's own and never reaches the caller. */
    m = test_next_message(c, NULL);
    ck_assert_str_eq(claude_message_type(m), "last");
    claude_message_free(m);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

/*
 * Permission checks
 */

typedef struct perm_state {
    atomic_int calls;
    atomic_int saw_cancel;
    int sleep_ms;
    int mode; /* 0 allow, 1 deny, 2 fail, 3 wait for cancel, 4 rewrite */
    char agent_seen[64];
    pthread_mutex_t mtx;
    /* mode 5: close it from the callback, once the test has set it */
    _Atomic(claude_client *) client;
    atomic_int close_rv;
} perm_state;

static int
permission(claude_request *req, const claude_permission *perm,
           claude_permission_result *res, void *user)
{
    perm_state *s = user;
    json_t *in;
    int i;

    atomic_fetch_add(&s->calls, 1);
    ck_assert_str_eq(claude_request_subtype(req), "can_use_tool");
    ck_assert_ptr_nonnull(perm->tool_name);
    /* The raw input and the parsed one say the same. */
    ck_assert_ptr_nonnull(perm->input_json);
    ck_assert_int_eq(perm->input_json[0], '{');
    in = json_loadb(perm->input_json, perm->input_len, 0, NULL);
    ck_assert_ptr_nonnull(in);
    ck_assert(json_equal(in, claude_request_input(req)));
    json_decref(in);
    if (perm->agent_id != NULL) {
        pthread_mutex_lock(&s->mtx);
        snprintf(s->agent_seen, sizeof(s->agent_seen), "%s", perm->agent_id);
        pthread_mutex_unlock(&s->mtx);
    }
    if (s->sleep_ms > 0) {
        test_sleep_ms(s->sleep_ms);
    }
    switch (s->mode) {
    case 1:
        res->allow = 0;
        res->message = "not today";
        res->interrupt = 1;
        return 0;
    case 2:
        claude_request_set_error(req, "the callback broke");
        return -1;
    case 3:
        for (i = 0; i < 300 && !claude_request_cancelled(req); i++) {
            test_sleep_ms(10);
        }
        if (claude_request_cancelled(req)) {
            atomic_store(&s->saw_cancel, 1);
        }
        return 0;
    case 5:
        for (i = 0; i < 500 && atomic_load(&s->client) == NULL; i++) {
            test_sleep_ms(2);
        }
        atomic_store(&s->close_rv,
                     claude_client_close(atomic_load(&s->client)));
        res->allow = 1;
        return 0;
    case 6:
        /* The strings come decoded from their JSON escapes. */
        res->allow = strcmp(perm->tool_name, "Bash") == 0 &&
                     perm->tool_use_id != NULL &&
                     strcmp(perm->tool_use_id, "tu_3") == 0;
        return 0;
    case 4:
        res->allow = 1;
        res->updated_input = json_pack("{s:s}", "command", "ls -l");
        res->updated_permissions =
            json_pack("[{s:s,s:s}]", "type", "setMode", "mode", "plan");
        return 0;
    default:
        res->allow = 1;
        return 0;
    }
}

static claude_options *
permission_options(perm_state *s, const char *action, ...)
{
    /* Callers pass at most a few actions; forward them one by one. */
    va_list ap;
    const char *a[8] = {NULL};
    claude_options *o;
    int n = 0;

    va_start(ap, action);
    while (action != NULL && n < 7) {
        a[n++] = action;
        action = va_arg(ap, const char *);
    }
    va_end(ap);
    o = fake_client_options(a[0], a[1], a[2], a[3], a[4], a[5], a[6], NULL);
    pthread_mutex_init(&s->mtx, NULL);
    ck_assert_int_eq(claude_options_set_permission_cb(o, permission, s), 0);
    return o;
}

START_TEST(sixty_four_permission_checks_run_at_once)
{
    perm_state s = {0};
    claude_options *o;
    claude_client *c;
    claude_stats st;
    json_t *report;

    s.sleep_ms = 200;
    o = permission_options(&s, "init", "burst", "64", "wait-eof", NULL);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_MAX_WORKERS, 64), 0);
    c = test_open_client(o);
    report = test_next_json(c, "burst_report");

    ck_assert_int_eq(json_integer_value(json_object_get(report, "answered")),
                     64);
    ck_assert_int_eq(json_integer_value(json_object_get(report, "twice")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(report, "allowed")),
                     64);
    ck_assert_int_eq(json_integer_value(json_object_get(report, "stray")), 0);
    /* One after another they would take 12.8 s. */
    ck_assert_int_lt(json_integer_value(json_object_get(report, "ms")), 2000);
    ck_assert_int_eq(atomic_load(&s.calls), 64);
    pthread_mutex_lock(&s.mtx);
    ck_assert_str_eq(s.agent_seen, "agent_odd");
    pthread_mutex_unlock(&s.mtx);

    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_uint_eq(st.can_use_tool, 64);
    ck_assert_uint_ge(st.peak_in_flight, 32);
    ck_assert_uint_gt(st.bytes_out, 64 * 50);
    ck_assert_uint_gt(st.bytes_in, 64 * 50);
    if (getenv("CLAUDE_TEST_FIGURES") != NULL) {
        fprintf(stderr,
                "        figure: 64 callbacks of 200 ms answered in %lld ms; "
                "peak %u in flight; longest write-lock wait %llu us\n",
                (long long)json_integer_value(json_object_get(report, "ms")),
                st.peak_in_flight, st.max_write_wait_us);
    }
    json_decref(report);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(a_cancel_while_the_callback_runs_suppresses_the_reply)
{
    perm_state s = {0};
    claude_options *o;
    claude_client *c;
    claude_stats st;
    json_t *report;

    s.mode = 3;
    o = permission_options(&s, "init", "cancel-test", "100", "wait-eof", NULL);
    c = test_open_client(o);
    report = test_next_json(c, "cancel_report");
    ck_assert(json_is_false(json_object_get(report, "replied")));
    json_decref(report);
    ck_assert_int_eq(atomic_load(&s.saw_cancel), 1);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_uint_eq(st.cancelled, 1);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(deny_carries_its_message_and_interrupt)
{
    perm_state s = {0};
    claude_options *o;
    claude_client *c;
    json_t *resp;

    s.mode = 1;
    o = permission_options(
        &s, "init", "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{"
        "\"command\":\"rm -rf /\"},\"tool_use_id\":\"tu_1\"}",
        "wait-eof", NULL);
    c = test_open_client(o);
    resp = ask_response(c);
    ck_assert_str_eq(jstr(resp, "subtype", NULL), "success");
    ck_assert_str_eq(jstr(resp, "response", "behavior"), "deny");
    ck_assert_str_eq(jstr(resp, "response", "message"), "not today");
    ck_assert_str_eq(jstr(resp, "response", "toolUseID"), "tu_1");
    ck_assert(json_is_true(
        json_object_get(json_object_get(resp, "response"), "interrupt")));
    json_decref(resp);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(allow_can_change_the_input_and_permissions)
{
    perm_state s = {0};
    claude_options *o;
    claude_client *c;
    json_t *resp;
    json_t *payload;

    s.mode = 4;
    o = permission_options(
        &s, "init", "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{"
        "\"command\":\"ls\"},\"tool_use_id\":\"tu_2\"}",
        "wait-eof", NULL);
    c = test_open_client(o);
    resp = ask_response(c);
    payload = json_object_get(resp, "response");
    ck_assert_str_eq(jstr(payload, "behavior", NULL), "allow");
    ck_assert_str_eq(jstr(payload, "updatedInput", "command"), "ls -l");
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_array_get(json_object_get(payload, "updatedPermissions"), 0),
            "mode")),
        "plan");
    json_decref(resp);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

/* The "response" of an await_report, as a new reference. */
static json_t *
await_response(claude_client *c)
{
    json_t *report = test_next_json(c, "await_report");
    json_t *resp = json_incref(json_object_get(report, "response"));

    json_decref(report);
    ck_assert_ptr_nonnull(resp);
    return resp;
}

START_TEST(a_permission_check_is_answered_from_its_raw_text)
{
    perm_state s = {0};
    claude_options *o;
    claude_client *c;
    json_t *resp;
    json_t *want;

    s.mode = 6;
    o = permission_options(
        &s, "init", "send",
        "{\"type\":\"control_request\",\"request_id\":\"r\\u0031\","
        "\"request\":{\"subtype\":\"can_use_tool\",\"tool_name\":"
        "\"B\\u0061sh\",\"input\":{\"x\":\"caf\\u00e9 \\\"q\\\"\","
        "\"n\":[1,-2.5e3,true,null,{}]},\"tool_use_id\":\"tu_\\u0033\"}}",
        "await-response", "r1", "wait-eof", NULL);
    c = test_open_client(o);
    resp = await_response(c);
    ck_assert_str_eq(jstr(resp, "subtype", NULL), "success");
    ck_assert_str_eq(jstr(resp, "request_id", NULL), "r1");
    ck_assert_str_eq(jstr(resp, "response", "behavior"), "allow");
    ck_assert_str_eq(jstr(resp, "response", "toolUseID"), "tu_3");
    want = json_loads("{\"x\":\"caf\\u00e9 \\\"q\\\"\","
                      "\"n\":[1,-2.5e3,true,null,{}]}",
                      0, NULL);
    ck_assert_ptr_nonnull(want);
    ck_assert(
        json_equal(want, json_object_get(json_object_get(resp, "response"),
                                         "updatedInput")));
    json_decref(want);
    json_decref(resp);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(a_permission_check_with_broken_input_is_an_error_reply)
{
    static const char *const lines[] = {
        /* Brackets that the scan counts right but that do not match. */
        "{\"type\":\"control_request\",\"request_id\":\"b1\",\"request\":{"
        "\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{"
        "\"a\":[1,}]}}",
        /* An input that is not an object. */
        "{\"type\":\"control_request\",\"request_id\":\"b1\",\"request\":{"
        "\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":[1]}}",
        /* A raw control character inside a string. */
        "{\"type\":\"control_request\",\"request_id\":\"b1\",\"request\":{"
        "\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{"
        "\"a\":\"x\ty\"}}}",
        /* No tool name. */
        "{\"type\":\"control_request\",\"request_id\":\"b1\",\"request\":{"
        "\"subtype\":\"can_use_tool\",\"input\":{}}}",
    };
    perm_state s = {0};
    claude_options *o;
    claude_client *c;
    json_t *resp;
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        o = permission_options(&s, "init", "send", lines[i], "await-response",
                               "b1", "wait-eof", NULL);
        c = test_open_client(o);
        resp = await_response(c);
        ck_assert_str_eq(jstr(resp, "subtype", NULL), "error");
        ck_assert_str_eq(jstr(resp, "request_id", NULL), "b1");
        ck_assert_str_eq(jstr(resp, "error", NULL),
                         "can_use_tool without tool_name or input");
        json_decref(resp);
        claude_client_free(c);
        claude_options_free(o);
    }
    ck_assert_int_eq(atomic_load(&s.calls), 0);
}
END_TEST

START_TEST(a_failing_callback_is_an_error_reply_and_the_session_goes_on)
{
    perm_state s = {0};
    claude_options *o;
    claude_client *c;
    json_t *resp;

    s.mode = 2;
    o = permission_options(
        &s, "init", "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{}}",
        "ask", "{\"subtype\":\"bogus_subtype\"}", "wait-eof", NULL);
    c = test_open_client(o);
    resp = ask_response(c);
    ck_assert_str_eq(jstr(resp, "subtype", NULL), "error");
    ck_assert_str_eq(jstr(resp, "error", NULL), "the callback broke");
    json_decref(resp);

    /* An unknown subtype: an error reply the CLI can recognise. */
    resp = ask_response(c);
    ck_assert_str_eq(jstr(resp, "subtype", NULL), "error");
    ck_assert_str_eq(jstr(resp, "error_code", NULL), "unsupported_request");
    ck_assert_str_eq(jstr(resp, "error", NULL),
                     "Unsupported control request subtype: bogus_subtype");
    json_decref(resp);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(closing_the_client_from_its_own_callback_is_erecursive)
{
    perm_state s = {0};
    claude_options *o;
    claude_client *c;
    json_t *resp;

    s.mode = 5;
    o = permission_options(
        &s, "init", "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{}}",
        "wait-eof", NULL);
    c = test_open_client(o);
    atomic_store(&s.client, c);
    resp = ask_response(c);
    ck_assert_str_eq(jstr(resp, "response", "behavior"), "allow");
    json_decref(resp);
    ck_assert_int_eq(atomic_load(&s.close_rv), CLAUDE_ERECURSIVE);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(a_permission_check_without_a_callback_is_an_error_reply)
{
    claude_options *o = fake_client_options(
        "init", "ask",
        "{\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{}}",
        "wait-eof", NULL);
    claude_client *c = test_open_client(o);
    json_t *resp = ask_response(c);

    ck_assert_str_eq(jstr(resp, "subtype", NULL), "error");
    ck_assert_str_eq(jstr(resp, "error", NULL),
                     "canUseTool callback is not provided");
    json_decref(resp);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

/*
 * Hooks
 */

static int
pre_tool_hook(claude_request *req, json_t *input, json_t **output, void *user)
{
    (void)user;
    ck_assert_str_eq(claude_request_subtype(req), "hook_callback");
    ck_assert_str_eq(jstr(input, "hook_event_name", NULL), "PreToolUse");
    *output =
        json_pack("{s:b,s:{s:s,s:s,s:s}}", "continue", 1, "hookSpecificOutput",
                  "hookEventName", "PreToolUse", "permissionDecision", "deny",
                  "permissionDecisionReason", jstr(input, "tool_name", NULL));
    return 0;
}

static int
stop_hook(claude_request *req, json_t *input, json_t **output, void *user)
{
    (void)req;
    (void)input;
    (void)output;
    (void)user;
    return 0;
}

START_TEST(hooks_are_registered_and_called_with_their_input)
{
    claude_options *o;
    claude_client *c;
    char dir[64];
    char path[128];
    json_t *init;
    json_t *hooks;
    json_t *resp;

    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/init.json", dir);
    o = fake_client_options(
        "init-save", path, "ask",
        "{\"subtype\":\"hook_callback\",\"callback_id\":\"hook_0\",\"input\":"
        "{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\"},"
        "\"tool_use_id\":\"tu_9\"}",
        "ask",
        "{\"subtype\":\"hook_callback\",\"callback_id\":\"hook_1\",\"input\":"
        "{\"hook_event_name\":\"Stop\"}}",
        "ask",
        "{\"subtype\":\"hook_callback\",\"callback_id\":\"hook_7\",\"input\":"
        "{}}",
        "wait-eof", NULL);
    ck_assert_int_eq(claude_options_add_hook(o, "PreToolUse", "Bash", 30,
                                             pre_tool_hook, NULL),
                     0);
    ck_assert_int_eq(
        claude_options_add_hook(o, "Stop", NULL, 0, stop_hook, NULL), 0);
    c = test_open_client(o);

    resp = ask_response(c);
    ck_assert_str_eq(jstr(resp, "subtype", NULL), "success");
    ck_assert_str_eq(jstr(json_object_get(resp, "response"),
                          "hookSpecificOutput", "permissionDecisionReason"),
                     "Bash");
    json_decref(resp);
    resp = ask_response(c);
    ck_assert_str_eq(jstr(resp, "subtype", NULL), "success");
    ck_assert_int_eq(json_object_size(json_object_get(resp, "response")), 0);
    json_decref(resp);
    resp = ask_response(c);
    ck_assert_str_eq(jstr(resp, "error", NULL),
                     "No hook callback found for ID: hook_7");
    json_decref(resp);

    /* The registration the CLI saw. */
    init = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(init);
    hooks = json_object_get(json_object_get(init, "request"), "hooks");
    ck_assert_str_eq(
        jstr(json_array_get(json_object_get(hooks, "PreToolUse"), 0), "matcher",
             NULL),
        "Bash");
    ck_assert_str_eq(
        json_string_value(json_array_get(
            json_object_get(json_array_get(json_object_get(hooks, "Stop"), 0),
                            "hookCallbackIds"),
            0)),
        "hook_1");
    json_decref(init);
    claude_client_free(c);
    claude_options_free(o);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* An output that memory runs out for as soon as it is written. */
static int
stop_hook_then_no_memory(claude_request *req, json_t *input, json_t **output,
                         void *user)
{
    (void)req;
    (void)input;
    (void)user;
    *output = json_pack("{s:b}", "continue", 1);
    test_jansson_fail_nth(1);
    return 0;
}

/*
 * An answer that cannot be written for lack of memory still reaches
 * the CLI, as an error: without one, the CLI would wait for ever.
 */
START_TEST(an_answer_memory_ran_out_for_is_an_error_reply)
{
    claude_options *o = fake_client_options(
        "init", "ask",
        "{\"subtype\":\"hook_callback\",\"callback_id\":\"hook_0\",\"input\":"
        "{\"hook_event_name\":\"Stop\"}}",
        "wait-eof", NULL);
    claude_client *c;
    json_t *resp;

    ck_assert_int_eq(claude_options_add_hook(o, "Stop", NULL, 0,
                                             stop_hook_then_no_memory, NULL),
                     0);
    c = test_open_client(o);
    resp = ask_response(c);
    ck_assert_str_eq(jstr(resp, "subtype", NULL), "error");
    ck_assert_str_eq(jstr(resp, "error", NULL), "out of memory");
    json_decref(resp);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

/*
 * Error replies that name what the CLI sent name it whole: a name cut to
 * fit a buffer could end inside a character, and the line would not be
 * JSON the CLI can read.
 */
START_TEST(error_replies_name_long_names_whole)
{
    char name[256];
    char hook_ask[512];
    char mcp_ask[512];
    char subtype_ask[512];
    char want[512];
    claude_options *o;
    claude_client *c;
    json_t *resp;
    int i;

    /* "é" 100 times: 200 bytes, each character two. */
    name[0] = '\0';
    for (i = 0; i < 100; i++) {
        strcat(name, "\xc3\xa9");
    }
    snprintf(hook_ask, sizeof(hook_ask),
             "{\"subtype\":\"hook_callback\",\"callback_id\":\"hook_%s\","
             "\"input\":{}}",
             name);
    snprintf(mcp_ask, sizeof(mcp_ask),
             "{\"subtype\":\"mcp_message\",\"server_name\":\"%s\","
             "\"message\":{\"jsonrpc\":\"2.0\",\"method\":\"tools/list\","
             "\"id\":1}}",
             name);
    snprintf(subtype_ask, sizeof(subtype_ask), "{\"subtype\":\"x%s\"}", name);
    o = fake_client_options("init", "ask", hook_ask, "ask", mcp_ask, "ask",
                            subtype_ask, "wait-eof", NULL);
    c = test_open_client(o);

    resp = ask_response(c);
    snprintf(want, sizeof(want), "No hook callback found for ID: hook_%s",
             name);
    ck_assert_str_eq(jstr(resp, "error", NULL), want);
    json_decref(resp);
    resp = ask_response(c);
    snprintf(want, sizeof(want), "SDK MCP server not found: %s", name);
    ck_assert_str_eq(jstr(resp, "error", NULL), want);
    json_decref(resp);
    resp = ask_response(c);
    snprintf(want, sizeof(want), "Unsupported control request subtype: x%s",
             name);
    ck_assert_str_eq(jstr(resp, "error", NULL), want);
    ck_assert_str_eq(jstr(resp, "error_code", NULL), "unsupported_request");
    json_decref(resp);

    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

/*
 * Lines routed from outside the reader
 */

#define ECHO_MAX 16

/* The fake's stderr, line by line: with echo-stderr, what we wrote. */
typedef struct echo_log {
    pthread_mutex_t mtx;
    pthread_cond_t cv;
    char *lines[ECHO_MAX];
    int n;
} echo_log;

static void
echo_line(const char *line, size_t len, void *user)
{
    echo_log *e = user;

    pthread_mutex_lock(&e->mtx);
    if (e->n < ECHO_MAX) {
        e->lines[e->n++] = strndup(line, len);
    }
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mtx);
}

/* The first echoed line that holds text, waiting up to 10 s; -1: none. */
static int
echoed(echo_log *e, const char *text)
{
    int64_t deadline = test_now_ms() + 10000;
    struct timespec ts;
    int found = -1;
    int i;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&e->mtx);
    while (found < 0 && test_now_ms() < deadline) {
        for (i = 0; i < e->n && found < 0; i++) {
            if (e->lines[i] != NULL && strstr(e->lines[i], text) != NULL) {
                found = i;
            }
        }
        if (found < 0) {
            pthread_cond_timedwait(&e->cv, &e->mtx, &ts);
        }
    }
    pthread_mutex_unlock(&e->mtx);
    return found;
}

/* A callback held until the test lets it go. */
typedef struct gate {
    pthread_mutex_t mtx;
    pthread_cond_t cv;
    int entered;
    int open;
    int cancelled; /* the request was cancelled when let go */
} gate;

static int
gated_permission(claude_request *req, const claude_permission *perm,
                 claude_permission_result *res, void *user)
{
    gate *g = user;

    (void)perm;
    pthread_mutex_lock(&g->mtx);
    g->entered = 1;
    pthread_cond_broadcast(&g->cv);
    while (!g->open) {
        pthread_cond_wait(&g->cv, &g->mtx);
    }
    g->cancelled = claude_request_cancelled(req);
    pthread_mutex_unlock(&g->mtx);
    res->allow = 1;
    return 0;
}

/* Wait until the gated callback runs. */
static void
gate_entered(gate *g)
{
    pthread_mutex_lock(&g->mtx);
    while (!g->entered) {
        pthread_cond_wait(&g->cv, &g->mtx);
    }
    pthread_mutex_unlock(&g->mtx);
}

static void
gate_open(gate *g)
{
    pthread_mutex_lock(&g->mtx);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mtx);
}

START_TEST(a_routed_line_is_handled_as_the_reader_handles_it)
{
    static const char message[] = "{\"type\":\"note\",\"n\":1}";
    static const char request[] =
        "{\"type\":\"control_request\",\"request_id\":\"g1\",\"request\":{"
        "\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{"
        "\"command\":\"ls\"}}}";
    echo_log e = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    claude_options *o = fake_client_options("init", "echo-stderr", NULL);
    claude_client *c;
    claude_message *m = NULL;
    claude_error err;
    int reply;
    int after;
    int i;

    ck_assert_int_eq(claude_options_set_stderr_cb(o, echo_line, &e), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, gated_permission, &g),
                     0);
    c = test_open_client(o);

    /* A message is queued by the time the call returns. */
    cl_client_route_line(c, message, strlen(message));
    ck_assert_int_eq(claude_client_receive(c, &m, 0, &err), 0);
    ck_assert_str_eq(claude_message_type(m), "note");
    claude_message_free(m);

    /* A request goes to a worker; until it is answered, none is idle. */
    ck_assert_int_eq(cl_client_wait_idle(c, 0), 0);
    cl_client_route_line(c, request, strlen(request));
    gate_entered(&g);
    ck_assert_int_eq(cl_client_wait_idle(c, 100), CLAUDE_ETIMEDOUT);
    gate_open(&g);
    ck_assert_int_eq(cl_client_wait_idle(c, 10000), 0);

    /* Once idle, the reply is written before anything sent after. */
    ck_assert_int_eq(claude_client_send(c, "after", &err), 0);
    after = echoed(&e, "\"content\":\"after\"");
    reply = echoed(&e, "\"request_id\":\"g1\"");
    ck_assert_int_ge(reply, 0);
    ck_assert_int_gt(after, reply);
    ck_assert_ptr_nonnull(strstr(e.lines[reply], "\"behavior\":\"allow\""));

    claude_client_free(c);
    claude_options_free(o);
    for (i = 0; i < e.n; i++) {
        free(e.lines[i]);
    }
}
END_TEST

START_TEST(a_cancel_without_an_id_cancels_nothing)
{
    static const char request[] =
        "{\"type\":\"control_request\",\"request_id\":\"\",\"request\":{"
        "\"subtype\":\"can_use_tool\",\"tool_name\":\"Bash\",\"input\":{}}}";
    static const char cancel[] = "{\"type\":\"control_cancel_request\"}";
    echo_log e = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    claude_options *o = fake_client_options("init", "echo-stderr", NULL);
    claude_client *c;
    claude_stats st;
    claude_error err;
    int reply;
    int after;
    int i;

    ck_assert_int_eq(claude_options_set_stderr_cb(o, echo_line, &e), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, gated_permission, &g),
                     0);
    c = test_open_client(o);

    /* The request, whose id is empty, runs while the cancel comes. */
    cl_client_route_line(c, request, strlen(request));
    gate_entered(&g);
    cl_client_route_line(c, cancel, strlen(cancel));
    gate_open(&g);
    ck_assert_int_eq(cl_client_wait_idle(c, 10000), 0);
    ck_assert_int_eq(g.cancelled, 0);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_uint_eq(st.cancelled, 0);

    /* So it is answered. */
    ck_assert_int_eq(claude_client_send(c, "after", &err), 0);
    after = echoed(&e, "\"content\":\"after\"");
    reply = echoed(&e, "\"request_id\":\"\"");
    ck_assert_int_ge(reply, 0);
    ck_assert_int_gt(after, reply);

    claude_client_free(c);
    claude_options_free(o);
    for (i = 0; i < e.n; i++) {
        free(e.lines[i]);
    }
}
END_TEST

/*
 * Endings
 */

START_TEST(an_initialize_that_never_comes_back_times_out)
{
    claude_options *o = fake_client_options("noread", NULL);
    claude_client *c = NULL;
    claude_error err;
    int zombies;

    int64_t start = test_now_ms();

    /* A session that never opened is stopped without a grace period. */
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_INIT_TIMEOUT_MS, 300),
                     0);
    ck_assert_int_eq(
        claude_options_set_int(o, CLAUDE_OPT_CLOSE_GRACE_MS, 30000), 0);
    ck_assert_int_eq(claude_client_new(&c, o, &err), CLAUDE_ETIMEDOUT);
    ck_assert_int_lt(test_now_ms() - start, 20000);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(err.message, "initialize"));
    ck_assert_int_eq(count_children(&zombies), 0);
    claude_options_free(o);
}
END_TEST

START_TEST(a_child_that_dies_before_initialize_fails_open_at_once)
{
    claude_options *o = fake_client_options(
        "send",
        "{\"type\":\"result\",\"subtype\":\"error_during_execution\","
        "\"is_error\":true,\"errors\":[\"resume target not found\"]}",
        "stderr", "fatal: no such session", "exit", "3", NULL);
    claude_client *c = NULL;
    claude_error err;
    int64_t start = test_now_ms();
    int zombies;

    ck_assert_int_eq(
        claude_options_set_int(o, CLAUDE_OPT_INIT_TIMEOUT_MS, 60000), 0);
    ck_assert_int_eq(claude_client_new(&c, o, &err), CLAUDE_ECHILDEXIT);
    ck_assert_int_lt(test_now_ms() - start, 10000);
    ck_assert_int_eq(err.exit_code, 3);
    ck_assert_ptr_nonnull(strstr(err.message, "resume target not found"));
    ck_assert_ptr_nonnull(strstr(err.stderr_tail, "fatal: no such session"));
    ck_assert_int_eq(count_children(&zombies), 0);
    claude_options_free(o);
}
END_TEST

START_TEST(an_error_result_then_exit_1_reports_both)
{
    claude_options *o = fake_client_options(
        "init", "send",
        "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,"
        "\"result\":\"API Error: connection refused\",\"session_id\":\"s\"}",
        "exit", "1", NULL);
    claude_client *c = test_open_client(o);
    claude_message *m = test_next_message(c, NULL);
    claude_error err;

    ck_assert_int_eq(claude_message_is_error(m), 1);
    claude_message_free(m);
    ck_assert_int_eq(claude_client_receive(c, &m, 10000, &err),
                     CLAUDE_ECHILDEXIT);
    ck_assert_int_eq(err.exit_code, 1);
    ck_assert_ptr_nonnull(strstr(err.message, "connection refused"));

    /* Controls fail at once with the same cause. */
    ck_assert_int_eq(claude_client_interrupt(c, &err), CLAUDE_ECHILDEXIT);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

typedef struct killer {
    long pid;
    int64_t at;
} killer;

static void *
killer_main(void *arg)
{
    killer *k = arg;

    test_sleep_ms(200);
    k->at = test_now_ms();
    kill((pid_t)k->pid, SIGKILL);
    return NULL;
}

START_TEST(a_child_killed_during_a_pending_request_fails_it_at_once)
{
    claude_options *o = fake_client_options("init", "ids", "noread", NULL);
    claude_client *c = test_open_client(o);
    json_t *ids = test_next_json(c, "");
    claude_error err;
    pthread_t thr;
    killer k;
    int64_t done;

    /* The ids line has no type: it arrives as a message of type "". */
    k.pid = (long)json_integer_value(json_object_get(ids, "pid"));
    json_decref(ids);
    ck_assert_int_eq(pthread_create(&thr, NULL, killer_main, &k), 0);
    ck_assert_int_eq(claude_client_interrupt(c, &err), CLAUDE_ECHILDEXIT);
    done = test_now_ms();
    pthread_join(thr, NULL);
    ck_assert_int_eq(err.exit_signal, SIGKILL);
    ck_assert_int_lt(done - k.at, 1000);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

static void *
receiver_main(void *arg)
{
    claude_message *m = NULL;
    long rv = claude_client_receive(arg, &m, -1, NULL);

    claude_message_free(m);
    return (void *)rv;
}

START_TEST(close_wakes_a_blocked_receive_and_the_fd_tells_of_messages)
{
    claude_options *o = fake_client_options(
        "init", "send", "{\"type\":\"one\"}", "wait-eof", NULL);
    claude_client *c = test_open_client(o);
    struct pollfd pfd;
    claude_message *m;
    pthread_t thr;
    void *rv;

    pfd.fd = claude_client_fd(c);
    pfd.events = POLLIN;
    ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
    m = test_next_message(c, NULL);
    ck_assert_str_eq(claude_message_type(m), "one");
    claude_message_free(m);
    ck_assert_int_eq(poll(&pfd, 1, 0), 0);

    ck_assert_int_eq(pthread_create(&thr, NULL, receiver_main, c), 0);
    test_sleep_ms(100);
    ck_assert_int_eq(claude_client_close(c), 0);
    pthread_join(thr, &rv);
    ck_assert((long)rv == CLAUDE_EEOF || (long)rv == CLAUDE_ECLOSED);

    /* The end is readable too, so an event loop learns of it. */
    ck_assert_int_eq(poll(&pfd, 1, 0), 1);
    ck_assert_int_eq(claude_client_send(c, "late", NULL), CLAUDE_ECLOSED);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

typedef struct big_sender {
    claude_client *c;
    int rv;
} big_sender;

static void *
big_sender_main(void *arg)
{
    big_sender *b = arg;
    size_t n = 4 * 1024 * 1024;
    char *text = malloc(n + 1);

    ck_assert_ptr_nonnull(text);
    memset(text, 'x', n);
    text[n] = '\0';
    b->rv = claude_client_send(b->c, text, NULL);
    free(text);
    return NULL;
}

typedef struct closer_log {
    _Atomic(claude_client *) c;
    atomic_int rv;
    atomic_int calls;
} closer_log;

/* On the transport's SIGTERM notice, try to close the client again. */
static void
close_on_sigterm(int level, const char *msg, void *user)
{
    closer_log *l = user;

    (void)level;
    if (strstr(msg, "SIGTERM") != NULL && atomic_load(&l->c) != NULL) {
        atomic_store(&l->rv, claude_client_close(atomic_load(&l->c)));
        atomic_fetch_add(&l->calls, 1);
    }
}

START_TEST(close_returns_while_a_send_is_stuck_on_a_cli_that_stopped_reading)
{
    claude_options *o = fake_client_options("init", "noread", NULL);
    claude_client *c;
    closer_log l;
    big_sender b;
    pthread_t thr;
    int64_t start;

    atomic_init(&l.c, NULL);
    atomic_init(&l.rv, 1);
    atomic_init(&l.calls, 0);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_CLOSE_GRACE_MS, 300),
                     0);
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_TERM_GRACE_MS, 300),
                     0);
    ck_assert_int_eq(
        claude_options_set_int(o, CLAUDE_OPT_LOG_LEVEL, CLAUDE_LOG_INFO), 0);
    ck_assert_int_eq(claude_options_set_log_cb(o, close_on_sigterm, &l), 0);
    c = test_open_client(o);
    atomic_store(&l.c, c);
    b.c = c;
    b.rv = 1;
    ck_assert_int_eq(pthread_create(&thr, NULL, big_sender_main, &b), 0);
    test_sleep_ms(200);

    start = test_now_ms();
    ck_assert_int_eq(claude_client_close(c), 0);
    ck_assert_int_lt(test_now_ms() - start, 300 + 300 + 1000);
    pthread_join(thr, NULL);
    ck_assert_int_eq(b.rv, CLAUDE_ECLOSED);

    /* The log callback ran inside close and could not close again. */
    ck_assert_int_eq(atomic_load(&l.calls), 1);
    ck_assert_int_eq(atomic_load(&l.rv), CLAUDE_ERECURSIVE);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

typedef struct steady_sender {
    claude_client *c;
    atomic_int sent;
    int rv;
} steady_sender;

/* Send small prompts until one is refused, keeping the refusal. */
static void *
steady_sender_main(void *arg)
{
    steady_sender *s = arg;
    int rv;

    while ((rv = claude_client_send(s->c, "again", NULL)) == 0) {
        atomic_fetch_add(&s->sent, 1);
    }
    s->rv = rv;
    return NULL;
}

START_TEST(a_send_refused_because_close_ended_input_is_eclosed)
{
    claude_options *o =
        fake_client_options("init", "wait-eof", "sleep", "5000", NULL);
    claude_client *c;
    steady_sender s;
    pthread_t thr;

    /* The CLI reads to the end of its input, then lingers: close ends
     * input and waits its grace, and the sends in that window are
     * refused as closed, not as ended by the caller. */
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_CLOSE_GRACE_MS, 1000),
                     0);
    c = test_open_client(o);
    s.c = c;
    s.rv = 1;
    atomic_init(&s.sent, 0);
    ck_assert_int_eq(pthread_create(&thr, NULL, steady_sender_main, &s), 0);
    while (atomic_load(&s.sent) < 10) {
        test_sleep_ms(1);
    }
    ck_assert_int_eq(claude_client_close(c), 0);
    pthread_join(thr, NULL);
    ck_assert_int_eq(s.rv, CLAUDE_ECLOSED);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

static void
close_from_stderr(const char *line, size_t len, void *user)
{
    closer_log *l = user;
    int i;

    (void)line;
    (void)len;
    for (i = 0; i < 500 && atomic_load(&l->c) == NULL; i++) {
        test_sleep_ms(2);
    }
    atomic_store(&l->rv, claude_client_close(atomic_load(&l->c)));
    atomic_fetch_add(&l->calls, 1);
}

START_TEST(closing_from_the_stderr_callback_is_erecursive)
{
    claude_options *o =
        fake_client_options("init", "stderr", "a warning", "send",
                            "{\"type\":\"x\"}", "wait-eof", NULL);
    claude_client *c;
    claude_message *m;
    closer_log l;

    atomic_init(&l.c, NULL);
    atomic_init(&l.rv, 1);
    atomic_init(&l.calls, 0);
    ck_assert_int_eq(claude_options_set_stderr_cb(o, close_from_stderr, &l), 0);
    c = test_open_client(o);
    atomic_store(&l.c, c);
    m = test_next_message(c, NULL);
    claude_message_free(m);
    ck_assert_int_eq(claude_client_close(c), 0);
    ck_assert_int_eq(atomic_load(&l.calls), 1);
    ck_assert_int_eq(atomic_load(&l.rv), CLAUDE_ERECURSIVE);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

START_TEST(controls_fail_with_a_code_for_each_cause)
{
    claude_options *o = fake_client_options(
        "init", "answer-raw", "interrupt", "{\"subtype\":\"maybe\"}",
        "answer-raw", "mcp_status",
        "{\"subtype\":\"success\",\"response\":{\"mcpServers\":[]}}",
        "wait-eof", NULL);
    claude_client *c = test_open_client(o);
    claude_message *m;
    claude_stats st;
    json_t *out = NULL;
    claude_error err;

    /* A reply that is neither success nor error breaks the protocol. */
    ck_assert_int_eq(claude_client_interrupt(c, &err), CLAUDE_EPROTO);
    ck_assert_int_eq(claude_client_mcp_status(c, &out, &err), 0);
    ck_assert(json_is_array(json_object_get(out, "mcpServers")));
    json_decref(out);

    /* Nobody answers this one. */
    ck_assert_int_eq(claude_client_control(c, "never_answered", "{\"a\":1}",
                                           200, &out, &err),
                     CLAUDE_ETIMEDOUT);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(claude_client_receive(c, &m, 50, &err), CLAUDE_ETIMEDOUT);

    /* Bad arguments, before anything is written. */
    ck_assert_int_eq(claude_client_control(c, "x", "[1]", -1, NULL, &err),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_control(c, "", NULL, -1, NULL, &err),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_set_permission_mode(c, NULL, &err),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_rewind_files(c, NULL, 0, NULL, &err),
                     CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_stop_task(c, NULL, &err), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_mcp_reconnect(c, NULL, &err), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_mcp_toggle(c, NULL, 1, &err), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_send(c, NULL, &err), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_interrupt(NULL, &err), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_receive(c, NULL, 0, &err), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_fd(NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_stats(c, NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_end_input(NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_close(NULL), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_request_set_error(NULL, "x"), CLAUDE_EINVAL);
    ck_assert_ptr_null(claude_request_subtype(NULL));
    ck_assert_int_eq(claude_request_cancelled(NULL), 0);

    /* Input ended: nothing more can be written. */
    ck_assert_int_eq(claude_client_end_input(c), 0);
    ck_assert_int_eq(claude_client_set_model(c, "m", &err), CLAUDE_EINPUTENDED);
    ck_assert_int_eq(claude_client_send(c, "late", &err), CLAUDE_EINPUTENDED);

    /* Closed: every call says so. */
    ck_assert_int_eq(claude_client_close(c), 0);
    ck_assert_int_eq(claude_client_close(c), 0);
    ck_assert_int_eq(claude_client_end_input(c), CLAUDE_ECLOSED);
    ck_assert_int_ne(claude_client_context_usage(c, &out, &err), 0);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_uint_gt(st.bytes_out, 0);
    claude_client_free(c);
    claude_options_free(o);
}
END_TEST

/* Take n flood lines, which must come in order. */
static void
take_flood(claude_client *c, long n)
{
    claude_message *m;
    json_t *j;
    long i;

    for (i = 0; i < n; i++) {
        m = test_next_message(c, NULL);
        ck_assert_str_eq(claude_message_type(m), "flood");
        j = claude_message_json(m);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "i")), i);
        claude_message_free(m);
    }
}

START_TEST(unread_messages_stop_the_reader_at_the_limit)
{
    claude_options *o =
        fake_client_options("init", "flood-stdout", "2000", "wait-eof", NULL);
    claude_client *c;
    claude_stats st;

    /* 2000 lines of about 1 KB against a limit of 64 KiB. */
    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_MAX_BUFFERED, 65536),
                     0);
    c = test_open_client(o);
    claude_options_free(o);
    usleep(300 * 1000);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    /* The limit, a batch of the reader's and the initialize reply. */
    ck_assert_uint_lt(st.bytes_in, 3 * 65536);
    ck_assert_uint_lt(st.messages, 200);

    /* Nothing was lost: every line comes, in order. */
    take_flood(c, 2000);
    ck_assert_int_eq(claude_client_stats(c, &st), 0);
    ck_assert_uint_eq(st.messages, 2000);
    ck_assert_uint_eq(st.bad_lines, 0);
    claude_client_free(c);
}
END_TEST

START_TEST(a_control_reply_behind_unread_messages_still_comes)
{
    claude_options *o = fake_client_options("init", "flood-stdout", "2000",
                                            "hold", "1", "wait-eof", NULL);
    claude_client *c;
    claude_error err;
    json_t *out = NULL;
    int rv;

    ck_assert_int_eq(claude_options_set_int(o, CLAUDE_OPT_MAX_BUFFERED, 65536),
                     0);
    c = test_open_client(o);
    claude_options_free(o);
    usleep(100 * 1000);

    /* The reply comes after the 2000 lines nobody has read yet. */
    rv = claude_client_control(c, "probe", NULL, 10000, &out, &err);
    ck_assert_msg(rv == 0, "control: %s (%s)", claude_strerror(rv),
                  err.message);
    ck_assert_str_eq(jstr(out, "subtype", NULL), "probe");
    json_decref(out);
    take_flood(c, 2000);
    claude_client_free(c);
}
END_TEST

START_TEST(open_refuses_options_it_cannot_use)
{
    claude_options *o = fake_client_options("init", NULL);
    claude_client *c = NULL;
    claude_error err;

    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_MODEL, "same"), 0);
    ck_assert_int_eq(
        claude_options_set_string(o, CLAUDE_OPT_FALLBACK_MODEL, "same"), 0);
    ck_assert_int_eq(claude_client_new(&c, o, &err), CLAUDE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "CLAUDE_OPT_FALLBACK_MODEL"));
    ck_assert_int_eq(claude_client_new(NULL, o, &err), CLAUDE_EINVAL);
    ck_assert_int_eq(claude_client_new(&c, NULL, &err), CLAUDE_EINVAL);

    ck_assert_int_eq(claude_options_clear(o, CLAUDE_OPT_FALLBACK_MODEL), 0);
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_CLI_PATH,
                                               "/nonexistent/claude"),
                     0);
    ck_assert_int_eq(claude_client_new(&c, o, &err), CLAUDE_ENOCLI);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/claude"));
    claude_options_free(o);
}
END_TEST

START_TEST(the_cli_gets_the_flags_the_options_ask_for)
{
    claude_options *o = fake_client_options("init", "wait-eof", NULL);
    claude_client *c;
    perm_state s = {0};
    char dir[64];
    char path[128];
    char line[256];
    int seen = 0;
    FILE *f;

    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/argv", dir);
    ck_assert_int_eq(claude_options_set_env(o, "FAKE_CLI_ARGV_FILE", path), 0);
    ck_assert_int_eq(claude_options_set_string(o, CLAUDE_OPT_MODEL, "-odd"), 0);
    ck_assert_int_eq(claude_options_set_permission_cb(o, permission, &s), 0);
    c = test_open_client(o);
    claude_client_free(c);

    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        ck_assert_str_ne(line, "-odd");
        seen |= strcmp(line, "--model=-odd") == 0;
        seen |= (strcmp(line, "stdio") == 0 ||
                 strcmp(line, "--permission-prompt-tool=stdio") == 0)
                << 1;
        seen |= (strcmp(line, "stream-json") == 0) << 2;
    }
    fclose(f);
    ck_assert_int_eq(seen, 7);
    claude_options_free(o);
    unlink(path);
    rmdir(dir);
}
END_TEST

void
cl_client_tests(void)
{
    static const struct {
        const char *name;
        const TTest **fn;
        int timeout;
    } list[] = {
        {"client: open initializes and messages arrive in order",
         &open_initializes_and_messages_arrive_in_order, 30},
        {"client: send writes user messages the CLI can read",
         &send_writes_a_user_message, 30},
        {"client: an mcp_message before the initialize reply is answered",
         &an_mcp_message_before_the_initialize_reply_is_answered, 30},
        {"client: replies out of order reach their callers",
         &replies_out_of_order_reach_their_callers, 30},
        {"client: a control error reply is CLAUDE_ECONTROL",
         &a_control_error_reply_is_econtrol, 30},
        {"client: unknown message types pass through",
         &unknown_message_types_pass_through, 30},
        {"client: 64 permission checks with 200 ms callbacks run at once",
         &sixty_four_permission_checks_run_at_once, 60},
        {"client: a cancel while the callback runs suppresses the reply",
         &a_cancel_while_the_callback_runs_suppresses_the_reply, 30},
        {"client: deny carries its message and interrupt",
         &deny_carries_its_message_and_interrupt, 30},
        {"client: allow can change the input and the permissions",
         &allow_can_change_the_input_and_permissions, 30},
        {"client: a failing callback is an error reply and the session "
         "goes on",
         &a_failing_callback_is_an_error_reply_and_the_session_goes_on, 30},
        {"client: closing the client from its own callback is "
         "CLAUDE_ERECURSIVE",
         &closing_the_client_from_its_own_callback_is_erecursive, 30},
        {"client: a permission check without a callback is an error reply",
         &a_permission_check_without_a_callback_is_an_error_reply, 30},
        {"client: hooks are registered and called with their input",
         &hooks_are_registered_and_called_with_their_input, 30},
        {"client: an answer memory ran out for is an error reply",
         &an_answer_memory_ran_out_for_is_an_error_reply, 30},
        {"client: error replies name long names whole",
         &error_replies_name_long_names_whole, 30},
        {"client: a line routed from outside the reader is handled as "
         "the reader handles it",
         &a_routed_line_is_handled_as_the_reader_handles_it, 30},
        {"client: a cancel without an id cancels nothing",
         &a_cancel_without_an_id_cancels_nothing, 30},
        {"client: an initialize that never comes back times out, leaving "
         "no child",
         &an_initialize_that_never_comes_back_times_out, 30},
        {"client: a child that dies before initialize fails open at once",
         &a_child_that_dies_before_initialize_fails_open_at_once, 30},
        {"client: an error result then exit status 1 reports both",
         &an_error_result_then_exit_1_reports_both, 30},
        {"client: a child killed during a pending request fails it at once",
         &a_child_killed_during_a_pending_request_fails_it_at_once, 30},
        {"client: close wakes a blocked receive; the fd tells of messages",
         &close_wakes_a_blocked_receive_and_the_fd_tells_of_messages, 30},
        {"client: close returns while a send is stuck on a CLI that "
         "stopped reading",
         &close_returns_while_a_send_is_stuck_on_a_cli_that_stopped_reading,
         30},
        {"client: a send refused because close ended input is "
         "CLAUDE_ECLOSED",
         &a_send_refused_because_close_ended_input_is_eclosed, 30},
        {"client: closing from the stderr callback is CLAUDE_ERECURSIVE",
         &closing_from_the_stderr_callback_is_erecursive, 30},
        {"client: controls fail with a code for each cause",
         &controls_fail_with_a_code_for_each_cause, 30},
        {"client: unread messages stop the reader at the limit",
         &unread_messages_stop_the_reader_at_the_limit, 30},
        {"client: a control reply behind unread messages still comes",
         &a_control_reply_behind_unread_messages_still_comes, 30},
        {"client: a permission check is answered from its raw text",
         &a_permission_check_is_answered_from_its_raw_text, 30},
        {"client: a permission check with broken input is an error reply",
         &a_permission_check_with_broken_input_is_an_error_reply, 30},
        {"client: open refuses options it cannot use, naming them",
         &open_refuses_options_it_cannot_use, 30},
        {"client: the CLI gets the flags the options ask for",
         &the_cli_gets_the_flags_the_options_ask_for, 30},
    };
    size_t i;

    for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
        cl_test_add("client", list[i].name, *list[i].fn, list[i].timeout);
    }
}
