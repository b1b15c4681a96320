/*
 * tool.c: a tool written in C, served to Claude by an in-process MCP
 * server, used in a session.  The tool converts Celsius to Fahrenheit.
 *
 *     tool "What is 100 degrees Celsius in Fahrenheit? Use the tool."
 *
 * Claude sees the tool as mcp__units__to_fahrenheit; the program
 * allows it in advance, so the CLI does not ask before each call.
 *
 * The CLI is the one CLAUDE_CLI_PATH names, or else the one the
 * library finds on PATH and in the usual install places (see
 * claude_client_new(3)).  Build with
 *
 *     cc tool.c $(pkg-config --cflags --libs libclaude jansson)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <claude.h>

/*
 * The tool.  It runs on a worker thread of the library, perhaps several
 * calls at once; the arguments were checked against the schema below,
 * and are borrowed for the length of the call.
 */
static int
to_fahrenheit(claude_mcp_call *call, json_t *args, void *user)
{
    double celsius = json_number_value(json_object_get(args, "celsius"));
    char text[64];

    (void)user;
    snprintf(text, sizeof(text), "%g", celsius * 9 / 5 + 32);
    return claude_mcp_call_add_text(call, text);
}

/* A session's options that serve the tool; NULL when out of memory. */
static claude_options *
options_with_tool(void)
{
    claude_options *o = NULL;
    claude_mcp_server *s = NULL;
    claude_mcp_annotations ann = CLAUDE_MCP_ANNOTATIONS_INIT;
    int rv;

    ann.read_only = 1;
    if (claude_options_new(&o) != 0) {
        return NULL;
    }
    rv = claude_mcp_server_new(&s, "units", "1.0.0");
    if (rv == 0) {
        rv = claude_mcp_server_add_tool(
            s, "to_fahrenheit", "Convert degrees Celsius to Fahrenheit.",
            "{\"type\":\"object\",\"properties\":{\"celsius\":"
            "{\"type\":\"number\"}},\"required\":[\"celsius\"]}",
            &ann, to_fahrenheit, NULL);
    }
    if (rv == 0) {
        rv = claude_options_add_mcp_server(o, s);
    }
    if (rv == 0) {
        rv = claude_options_add(o, CLAUDE_OPT_ALLOWED_TOOLS,
                                "mcp__units__to_fahrenheit");
    }

    /* The options hold their own reference to the server now. */
    claude_mcp_server_free(s);
    if (rv != 0) {
        claude_options_free(o);
        return NULL;
    }
    return o;
}

int
main(int argc, char **argv)
{
    const char *prompt =
        argc > 1 ? argv[1]
                 : "What is 100 degrees Celsius in Fahrenheit? Use the tool.";
    const char *cli = getenv("CLAUDE_CLI_PATH");
    claude_options *o = options_with_tool();
    claude_client *c = NULL;
    claude_message *m;
    claude_error err;
    const char *text;
    int failed = 0;
    int rv;

    if (o == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (cli != NULL) {
        claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, cli);
    }
    rv = claude_client_new(&c, o, &err);
    claude_options_free(o);
    if (rv == 0) {
        rv = claude_client_send(c, prompt, &err);
    }

    /* The tool is called while these messages come, on other threads. */
    while (rv == 0 && (rv = claude_client_receive(c, &m, -1, &err)) == 0) {
        text = claude_message_text(m);
        if (text != NULL) {
            printf("%s\n", text);
        }
        if (strcmp(claude_message_type(m), "result") == 0) {
            failed = claude_message_is_error(m);
            /* The prompt is answered: end the input, read to the end. */
            claude_client_end_input(c);
        }
        claude_message_free(m);
    }
    if (rv != CLAUDE_EEOF) {
        fprintf(stderr, "tool: %s: %s\n", claude_strerror(rv), err.message);
    }
    claude_client_free(c);
    return rv == CLAUDE_EEOF && !failed ? 0 : 1;
}
