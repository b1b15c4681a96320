/*
 * example-tools.c: a complete program that gives Claude two tools
 * written in C, through an in-process MCP server, and asks a question
 * that needs them.
 *
 *     example-tools "What is 1234 + 5678, and how many words are in
 *                    'the quick brown fox'?"
 *
 * The CLI is found as claude_client_new(3) describes; the program's
 * permission callback allows the two tools and nothing else.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include <claude.h>

static int
add(claude_mcp_call *call, json_t *args, void *user)
{
    char text[64];

    (void)user;
    snprintf(text, sizeof(text), "%.17g",
             json_number_value(json_object_get(args, "a")) +
                 json_number_value(json_object_get(args, "b")));
    return claude_mcp_call_add_text(call, text);
}

static int
word_count(claude_mcp_call *call, json_t *args, void *user)
{
    const char *s = json_string_value(json_object_get(args, "text"));
    char text[32];
    int words = 0;
    int in_word = 0;

    (void)user;
    for (; *s != '\0'; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n') {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    snprintf(text, sizeof(text), "%d", words);
    return claude_mcp_call_add_text(call, text);
}

/* Allow our own tools; refuse everything else. */
static int
permission(claude_request *req, const claude_permission *perm,
           claude_permission_result *result, void *user)
{
    (void)req;
    (void)user;
    result->allow = strncmp(perm->tool_name, "mcp__demo__", 11) == 0;
    result->message = "this example only runs its own tools";
    return 0;
}

static int
print_message(claude_message *m, void *user)
{
    const char *text = claude_message_text(m);

    (void)user;
    if (text != NULL) {
        printf("%s\n", text);
    }
    claude_message_free(m);
    return 0;
}

static claude_mcp_server *
make_server(void)
{
    claude_mcp_server *s = NULL;
    claude_mcp_annotations ann = CLAUDE_MCP_ANNOTATIONS_INIT;

    ann.read_only = 1;
    if (claude_mcp_server_new(&s, "demo", "1.0.0") != 0) {
        return NULL;
    }
    if (claude_mcp_server_add_tool(
            s, "add", "Add the numbers a and b.",
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},"
            "\"b\":{\"type\":\"number\"}},\"required\":[\"a\",\"b\"]}",
            &ann, add, NULL) != 0 ||
        claude_mcp_server_add_tool(
            s, "word_count", "Count the words in text.",
            "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":"
            "\"string\",\"maxLength\":100000}},\"required\":[\"text\"]}",
            &ann, word_count, NULL) != 0) {
        claude_mcp_server_free(s);
        return NULL;
    }
    return s;
}

int
main(int argc, char **argv)
{
    claude_mcp_server *server = make_server();
    claude_options *o = NULL;
    claude_error err;
    int rv;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PROMPT\n", argv[0]);
        return 2;
    }
    if (server == NULL || claude_options_new(&o) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    claude_options_set_string(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET,
                              "claude_code");
    claude_options_set_string(o, CLAUDE_OPT_PERMISSION_MODE, "default");
    claude_options_set_permission_cb(o, permission, NULL);
    claude_options_add_mcp_server(o, server);

    /* The options hold the server now; the program needs it no more. */
    claude_mcp_server_free(server);
    rv = claude_query(o, argv[1], print_message, NULL, &err);
    if (rv != 0) {
        fprintf(stderr, "%s: %s\n", claude_strerror(rv), err.message);
    }
    claude_options_free(o);
    return rv == 0 ? 0 : 1;
}
