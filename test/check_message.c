/*
 * check_message.c: messages made from lines shaped like the CLI's, and
 * their lazy parse under concurrent first use.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "tests.h"

/* An assistant frame with thinking, two text and two tool_use blocks. */
static const char assistant_line[] =
    "{\"type\":\"assistant\",\"message\":{\"id\":\"msg_01\",\"type\":"
    "\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
    "\"content\":[{\"type\":\"thinking\",\"thinking\":\"Look first.\","
    "\"signature\":\"c2ln\"},{\"type\":\"text\",\"text\":\"I will list "
    "the files.\"},{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":"
    "\"Bash\",\"input\":{\"command\":\"ls\"}},{\"type\":\"redacted_thinking\","
    "\"data\":\"xx\"},{\"type\":\"text\",\"text\":\"And read one.\"},"
    "{\"type\":\"tool_use\",\"id\":\"toolu_02\",\"name\":\"Read\",\"input\":"
    "{\"file_path\":\"/tmp/a\"}}],\"stop_reason\":null,\"usage\":"
    "{\"input_tokens\":10,\"output_tokens\":5}},\"parent_tool_use_id\":null,"
    "\"session_id\":\"3f2a\",\"uuid\":\"u1\"}";

static const char success_line[] =
    "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
    "\"duration_ms\":2345,\"duration_api_ms\":2000,\"num_turns\":2,"
    "\"result\":\"Done: 3 files.\",\"stop_reason\":\"end_turn\","
    "\"session_id\":\"3f2a\",\"total_cost_usd\":0.0123,\"usage\":"
    "{\"input_tokens\":100,\"output_tokens\":20},\"modelUsage\":{},"
    "\"permission_denials\":[],\"structured_output\":{\"files\":3},"
    "\"uuid\":\"u2\"}";

static const char error_line[] =
    "{\"type\":\"result\",\"subtype\":\"error_during_execution\","
    "\"is_error\":false,\"duration_ms\":0,\"duration_api_ms\":0,"
    "\"num_turns\":0,\"session_id\":\"3f2a\",\"total_cost_usd\":0,"
    "\"usage\":{\"input_tokens\":0},\"errors\":[\"boom\",\"bang\"],"
    "\"startup_failure_reason\":\"config_file_invalid\",\"uuid\":\"u3\"}";

static const char api_error_line[] =
    "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,"
    "\"result\":\"API Error: 500\",\"duration_ms\":12.7,"
    "\"session_id\":\"3f2a\",\"total_cost_usd\":1,\"structured_output\":null,"
    "\"uuid\":\"u5\"}";

static const char init_line[] =
    "{\"type\":\"system\",\"subtype\":\"init\",\"cwd\":\"/work\","
    "\"session_id\":\"3f2a\",\"tools\":[\"Bash\",\"Read\"],\"mcp_servers\":[],"
    "\"model\":\"claude-sonnet-4-5\",\"permissionMode\":\"default\","
    "\"slash_commands\":[],\"apiKeySource\":\"none\","
    "\"claude_code_version\":\"2.1.335\",\"output_style\":\"default\","
    "\"skills\":[],\"plugins\":[],\"uuid\":\"u0\"}";

static const char user_line[] =
    "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":"
    "[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_01\",\"content\":"
    "\"a\\nb\",\"is_error\":false}]},\"parent_tool_use_id\":null,"
    "\"session_id\":\"3f2a\",\"uuid\":\"u4\",\"tool_use_result\":"
    "{\"stdout\":\"a\\nb\"}}";

/* A message made from a copy of line, as the reader makes them. */
static claude_message *
make(const char *line)
{
    claude_message *m = NULL;

    ck_assert_int_eq(cl_message_new(&m, line, strlen(line), NULL), 0);
    ck_assert_ptr_nonnull(m);
    return m;
}

START_TEST(type_subtype_and_line_need_no_parse)
{
    claude_message *m = make(init_line);
    const char *line;
    size_t len = 0;

    ck_assert_str_eq(claude_message_type(m), "system");
    ck_assert_str_eq(claude_message_subtype(m), "init");
    line = claude_message_line(m, &len);
    ck_assert_uint_eq(len, strlen(init_line));
    ck_assert_str_eq(line, init_line);
    ck_assert_ptr_eq(claude_message_line(m, NULL), line);
    ck_assert(!cl_message_parsed(m));

    ck_assert_str_eq(claude_message_session_id(m), "3f2a");
    ck_assert(cl_message_parsed(m));
    ck_assert_str_eq(
        json_string_value(json_object_get(claude_message_json(m), "model")),
        "claude-sonnet-4-5");
    ck_assert_ptr_null(claude_message_text(m));
    ck_assert_int_eq(claude_message_is_error(m), 0);
    claude_message_free(m);
}
END_TEST

START_TEST(assistant_text_blocks_are_joined_by_a_newline)
{
    claude_message *m = make(assistant_line);
    const char *text = claude_message_text(m);

    ck_assert_str_eq(claude_message_type(m), "assistant");
    ck_assert_ptr_null(claude_message_subtype(m));
    ck_assert_str_eq(text, "I will list the files.\nAnd read one.");
    ck_assert_ptr_eq(claude_message_text(m), text);
    ck_assert_str_eq(claude_message_session_id(m), "3f2a");
    claude_message_free(m);
}
END_TEST

START_TEST(tool_use_blocks_are_listed_in_order)
{
    claude_message *m = make(assistant_line);
    const char *id = NULL;
    const char *name = NULL;
    json_t *input = NULL;

    ck_assert_uint_eq(claude_message_tool_use_count(m), 2);
    ck_assert_int_eq(claude_message_tool_use(m, 0, &id, &name, &input), 0);
    ck_assert_str_eq(id, "toolu_01");
    ck_assert_str_eq(name, "Bash");
    ck_assert_str_eq(json_string_value(json_object_get(input, "command")),
                     "ls");
    ck_assert_int_eq(claude_message_tool_use(m, 1, &id, NULL, NULL), 0);
    ck_assert_str_eq(id, "toolu_02");
    ck_assert_int_eq(claude_message_tool_use(m, 1, NULL, &name, &input), 0);
    ck_assert_str_eq(name, "Read");
    ck_assert_ptr_eq(
        input, json_object_get(
                   json_array_get(
                       json_object_get(
                           json_object_get(claude_message_json(m), "message"),
                           "content"),
                       5),
                   "input"));

    /* A bad index leaves the outputs alone. */
    id = "unchanged";
    ck_assert_int_eq(claude_message_tool_use(m, 2, &id, NULL, NULL),
                     CLAUDE_EINVAL);
    ck_assert_str_eq(id, "unchanged");
    ck_assert_int_eq(claude_message_tool_use(m, (size_t)-1, NULL, NULL, NULL),
                     CLAUDE_EINVAL);
    claude_message_free(m);
}
END_TEST

START_TEST(an_assistant_without_text_has_null_text)
{
    claude_message *m =
        make("{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":"
             "\"tool_use\",\"id\":\"t\",\"name\":\"Bash\",\"input\":{}}]}}");
    claude_message *empty =
        make("{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":"
             "\"text\",\"text\":\"\"}]}}");

    ck_assert_ptr_null(claude_message_text(m));
    ck_assert_ptr_null(claude_message_text(m));
    ck_assert_uint_eq(claude_message_tool_use_count(m), 1);
    ck_assert_str_eq(claude_message_text(empty), "");
    ck_assert_uint_eq(claude_message_tool_use_count(empty), 0);
    claude_message_free(m);
    claude_message_free(empty);
}
END_TEST

START_TEST(a_user_message_has_no_assistant_fields)
{
    claude_message *m = make(user_line);

    ck_assert_str_eq(claude_message_type(m), "user");
    ck_assert_ptr_null(claude_message_text(m));
    ck_assert_uint_eq(claude_message_tool_use_count(m), 0);
    ck_assert_int_eq(claude_message_tool_use(m, 0, NULL, NULL, NULL),
                     CLAUDE_EINVAL);
    ck_assert_ptr_nonnull(
        json_object_get(claude_message_json(m), "tool_use_result"));
    claude_message_free(m);
}
END_TEST

START_TEST(a_success_result_gives_its_fields)
{
    claude_message *m = make(success_line);

    ck_assert_str_eq(claude_message_type(m), "result");
    ck_assert_str_eq(claude_message_subtype(m), "success");
    ck_assert_int_eq(claude_message_is_error(m), 0);
    ck_assert_str_eq(claude_message_result(m), "Done: 3 files.");
    ck_assert_str_eq(claude_message_session_id(m), "3f2a");
    ck_assert_double_eq_tol(claude_message_cost_usd(m), 0.0123, 1e-12);
    ck_assert_int_eq(claude_message_duration_ms(m), 2345);
    ck_assert_int_eq(json_integer_value(json_object_get(claude_message_usage(m),
                                                        "output_tokens")),
                     20);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         claude_message_structured_output(m), "files")),
                     3);
    ck_assert_ptr_null(claude_message_errors(m));
    ck_assert_ptr_null(claude_message_text(m));
    claude_message_free(m);
}
END_TEST

START_TEST(an_error_result_is_an_error_whatever_is_error_says)
{
    claude_message *m = make(error_line);
    claude_message *api = make(api_error_line);
    json_t *errors;

    ck_assert_int_eq(claude_message_is_error(m), 1);
    ck_assert_ptr_null(claude_message_result(m));
    ck_assert_double_eq(claude_message_cost_usd(m), 0.0);
    ck_assert_int_eq(claude_message_duration_ms(m), 0);
    errors = claude_message_errors(m);
    ck_assert_uint_eq(json_array_size(errors), 2);
    ck_assert_str_eq(json_string_value(json_array_get(errors, 1)), "bang");
    ck_assert_ptr_null(claude_message_structured_output(m));

    /* An API failure is a "success" with is_error set. */
    ck_assert_int_eq(claude_message_is_error(api), 1);
    ck_assert_str_eq(claude_message_result(api), "API Error: 500");
    ck_assert_int_eq(claude_message_duration_ms(api), 12);
    ck_assert_double_eq(claude_message_cost_usd(api), 1.0);
    ck_assert_ptr_null(claude_message_structured_output(api));
    ck_assert_ptr_null(claude_message_usage(api));
    claude_message_free(m);
    claude_message_free(api);
}
END_TEST

START_TEST(result_accessors_on_other_types_give_nothing)
{
    claude_message *m = make(assistant_line);

    ck_assert_int_eq(claude_message_is_error(m), 0);
    ck_assert_ptr_null(claude_message_result(m));
    ck_assert_double_eq(claude_message_cost_usd(m), -1.0);
    ck_assert_int_eq(claude_message_duration_ms(m), -1);
    ck_assert_ptr_null(claude_message_usage(m));
    ck_assert_ptr_null(claude_message_structured_output(m));
    ck_assert_ptr_null(claude_message_errors(m));
    ck_assert_str_eq(claude_message_session_id(m), "3f2a");
    claude_message_free(m);
}
END_TEST

START_TEST(an_unknown_type_passes_through_untouched)
{
    static const char line[] =
        "{\"type\":\"future_frame\",\"subtype\":\"v2\",\"payload\":"
        "{\"x\":[1,2,{\"y\":\"\\u00e9\"}]},\"session_id\":\"s9\"}";
    claude_message *m = make(line);
    size_t len;
    json_t *x;

    ck_assert_str_eq(claude_message_type(m), "future_frame");
    ck_assert_str_eq(claude_message_subtype(m), "v2");
    ck_assert_mem_eq(claude_message_line(m, &len), line, sizeof(line));
    ck_assert_uint_eq(len, sizeof(line) - 1);
    x = json_object_get(json_object_get(claude_message_json(m), "payload"),
                        "x");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(x, 2), "y")),
        "\xc3\xa9");
    ck_assert_str_eq(claude_message_session_id(m), "s9");
    ck_assert_ptr_null(claude_message_text(m));
    ck_assert_int_eq(claude_message_is_error(m), 0);
    ck_assert_ptr_null(claude_message_result(m));
    claude_message_free(m);
}
END_TEST

START_TEST(type_and_subtype_are_decoded)
{
    claude_message *m =
        make("{\"type\":\"sys\\u0074em\",\"subtype\":\"in\\u0069t\"}");
    claude_message *none = make("{\"a\":1}");

    ck_assert_str_eq(claude_message_type(m), "system");
    ck_assert_str_eq(claude_message_subtype(m), "init");
    ck_assert_str_eq(claude_message_type(none), "");
    ck_assert_ptr_null(claude_message_subtype(none));
    claude_message_free(m);
    claude_message_free(none);
}
END_TEST

START_TEST(invalid_json_gives_null_json_but_type_and_line_work)
{
    static const char result[] =
        "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":fals}";
    static const char assistant[] =
        "{\"type\":\"assistant\",\"message\":{\"content\":[}";
    claude_message *r = make(result);
    claude_message *a = make(assistant);

    ck_assert_str_eq(claude_message_type(r), "result");
    ck_assert_str_eq(claude_message_subtype(r), "success");
    ck_assert_str_eq(claude_message_line(r, NULL), result);
    ck_assert_ptr_null(claude_message_json(r));
    ck_assert(cl_message_parsed(r));
    ck_assert_ptr_null(claude_message_json(r));

    /* A result that cannot be read is not taken for a success. */
    ck_assert_int_eq(claude_message_is_error(r), 1);
    ck_assert_ptr_null(claude_message_result(r));
    ck_assert_ptr_null(claude_message_session_id(r));
    ck_assert_double_eq(claude_message_cost_usd(r), -1.0);

    ck_assert_str_eq(claude_message_type(a), "assistant");
    ck_assert_ptr_null(claude_message_json(a));
    ck_assert_ptr_null(claude_message_text(a));
    ck_assert_uint_eq(claude_message_tool_use_count(a), 0);
    ck_assert_int_eq(claude_message_tool_use(a, 0, NULL, NULL, NULL),
                     CLAUDE_EINVAL);
    claude_message_free(r);
    claude_message_free(a);
}
END_TEST

START_TEST(a_nul_inside_a_string_still_parses)
{
    claude_message *m =
        make("{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":"
             "\"text\",\"text\":\"a\\u0000b\"}]}}");
    const char *text;

    ck_assert_ptr_nonnull(claude_message_json(m));
    text = claude_message_text(m);
    ck_assert_ptr_nonnull(text);
    ck_assert_mem_eq(text, "a\0b", 4);
    claude_message_free(m);
}
END_TEST

START_TEST(a_line_the_scan_rejects_is_eproto)
{
    claude_message *m = NULL;
    const char *line = "[{\"type\":\"system\"}]";

    ck_assert_int_eq(cl_message_new(&m, line, strlen(line), NULL),
                     CLAUDE_EPROTO);
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(every_accessor_accepts_null)
{
    size_t len = 99;
    const char *id = "unchanged";

    claude_message_free(NULL);
    ck_assert_str_eq(claude_message_type(NULL), "");
    ck_assert_ptr_null(claude_message_subtype(NULL));
    ck_assert_ptr_null(claude_message_line(NULL, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_null(claude_message_json(NULL));
    ck_assert_ptr_null(claude_message_text(NULL));
    ck_assert_uint_eq(claude_message_tool_use_count(NULL), 0);
    ck_assert_int_eq(claude_message_tool_use(NULL, 0, &id, NULL, NULL),
                     CLAUDE_EINVAL);
    ck_assert_str_eq(id, "unchanged");
    ck_assert_int_eq(claude_message_is_error(NULL), 0);
    ck_assert_ptr_null(claude_message_result(NULL));
    ck_assert_ptr_null(claude_message_session_id(NULL));
    ck_assert_double_eq(claude_message_cost_usd(NULL), -1.0);
    ck_assert_int_eq(claude_message_duration_ms(NULL), -1);
    ck_assert_ptr_null(claude_message_usage(NULL));
    ck_assert_ptr_null(claude_message_structured_output(NULL));
    ck_assert_ptr_null(claude_message_errors(NULL));
}
END_TEST

/*
 * Eight threads take a fresh message's JSON and text at the same
 * moment.  jansson's allocations are counted, so a tree that lost the
 * race and was not freed shows up as a leak.
 */

#define RACERS 8
#define ROUNDS 300

static atomic_long live_allocs;

static void *
counting_malloc(size_t n)
{
    void *p = malloc(n);

    if (p != NULL) {
        atomic_fetch_add(&live_allocs, 1);
    }
    return p;
}

static void
counting_free(void *p)
{
    if (p != NULL) {
        atomic_fetch_sub(&live_allocs, 1);
    }
    free(p);
}

typedef struct racer {
    pthread_barrier_t *start;
    claude_message *m;
    int text_first;
    json_t *json;
    const char *text;
    size_t tool_uses;
} racer;

static void *
race(void *arg)
{
    racer *r = arg;

    pthread_barrier_wait(r->start);
    if (r->text_first) {
        r->text = claude_message_text(r->m);
        r->json = claude_message_json(r->m);
    } else {
        r->json = claude_message_json(r->m);
        r->text = claude_message_text(r->m);
    }
    r->tool_uses = claude_message_tool_use_count(r->m);
    return NULL;
}

START_TEST(eight_threads_parsing_at_once_get_the_same_tree)
{
    pthread_barrier_t start;
    pthread_t threads[RACERS];
    racer racers[RACERS];
    claude_message *m;
    long leaked;
    int round;
    int i;

    json_set_alloc_funcs(counting_malloc, counting_free);
    for (round = 0; round < ROUNDS; round++) {
        m = make(assistant_line);
        ck_assert_int_eq(pthread_barrier_init(&start, NULL, RACERS), 0);
        for (i = 0; i < RACERS; i++) {
            racers[i].start = &start;
            racers[i].m = m;
            racers[i].text_first = i % 2;
            ck_assert_int_eq(
                pthread_create(&threads[i], NULL, race, &racers[i]), 0);
        }
        for (i = 0; i < RACERS; i++) {
            ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
        }
        pthread_barrier_destroy(&start);

        for (i = 0; i < RACERS; i++) {
            ck_assert_ptr_nonnull(racers[i].json);
            ck_assert_ptr_eq(racers[i].json, racers[0].json);
            ck_assert_ptr_eq(racers[i].text, racers[0].text);
            ck_assert_uint_eq(racers[i].tool_uses, 2);
        }
        ck_assert_ptr_eq(claude_message_json(m), racers[0].json);
        ck_assert_str_eq(racers[0].text,
                         "I will list the files.\nAnd read one.");
        claude_message_free(m);
        leaked = atomic_load(&live_allocs);
        ck_assert_msg(leaked == 0, "round %d: %ld jansson blocks leaked", round,
                      leaked);
    }
    json_set_alloc_funcs(malloc, free);
}
END_TEST

/*
 * Running out of memory while parsing says nothing about the line: the
 * accessors report it, and the next call parses again.
 */
START_TEST(json_that_memory_ran_out_for_is_parsed_again)
{
    claude_message *m = make(assistant_line);
    claude_message *r = make(success_line);
    const char *name = NULL;

    test_jansson_fail_nth(1);
    ck_assert_ptr_null(claude_message_text(m));
    test_jansson_fail_nth(1);
    ck_assert_int_eq(claude_message_tool_use(m, 1, NULL, &name, NULL),
                     CLAUDE_ENOMEM);
    test_jansson_fail_nth(1);
    ck_assert_ptr_null(claude_message_json(m));
    test_jansson_fail_nth(1);
    ck_assert_int_eq(claude_message_is_error(r), 1);
    ck_assert(!test_jansson_armed());

    ck_assert_str_eq(claude_message_text(m),
                     "I will list the files.\nAnd read one.");
    ck_assert_int_eq(claude_message_tool_use(m, 1, NULL, &name, NULL), 0);
    ck_assert_str_eq(name, "Read");
    ck_assert_ptr_nonnull(claude_message_json(m));
    ck_assert_int_eq(claude_message_is_error(r), 0);
    claude_message_free(m);
    claude_message_free(r);
}
END_TEST

void
cl_message_tests(void)
{
    cl_test_add("message", "message: type, subtype and line need no parse",
                type_subtype_and_line_need_no_parse, 10);
    cl_test_add("message",
                "message: assistant text blocks are joined by a newline",
                assistant_text_blocks_are_joined_by_a_newline, 10);
    cl_test_add("message", "message: tool_use blocks are listed in order",
                tool_use_blocks_are_listed_in_order, 10);
    cl_test_add("message", "message: an assistant without text has NULL text",
                an_assistant_without_text_has_null_text, 10);
    cl_test_add("message", "message: a user message has no assistant fields",
                a_user_message_has_no_assistant_fields, 10);
    cl_test_add("message", "message: a success result gives its fields",
                a_success_result_gives_its_fields, 10);
    cl_test_add("message",
                "message: an error result is an error whatever is_error "
                "says",
                an_error_result_is_an_error_whatever_is_error_says, 10);
    cl_test_add("message",
                "message: result accessors on other types give nothing",
                result_accessors_on_other_types_give_nothing, 10);
    cl_test_add("message", "message: an unknown type passes through untouched",
                an_unknown_type_passes_through_untouched, 10);
    cl_test_add("message", "message: type and subtype are decoded copies",
                type_and_subtype_are_decoded, 10);
    cl_test_add("message",
                "message: invalid JSON gives NULL json but type and line "
                "work",
                invalid_json_gives_null_json_but_type_and_line_work, 10);
    cl_test_add("message", "message: a NUL inside a string still parses",
                a_nul_inside_a_string_still_parses, 10);
    cl_test_add("message", "message: a line the scan rejects is EPROTO",
                a_line_the_scan_rejects_is_eproto, 10);
    cl_test_add("message", "message: every accessor accepts NULL",
                every_accessor_accepts_null, 10);
    cl_test_add("message",
                "message: eight threads parsing at once get the same tree",
                eight_threads_parsing_at_once_get_the_same_tree, 60);
    cl_test_add("message",
                "message: JSON that memory ran out for is parsed again",
                json_that_memory_ran_out_for_is_parsed_again, 10);
}
