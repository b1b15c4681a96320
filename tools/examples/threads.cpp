/*
 * threads.cpp: one session shared by several C++11 threads.  One thread
 * sends the prompts, a turn at a time; three others receive the
 * session's messages, each taking whichever comes next; the permission
 * callback, which the library runs on its own worker threads, counts
 * the checks by tool in a map that a std::mutex guards.  Read-only tools
 * are allowed, the others refused.
 *
 *     threads "Read README.md and sum it up." "Which files does it name?"
 *
 * Several receivers handle messages in parallel, so they may print
 * them out of order; a program that needs the order receives on one
 * thread.
 *
 * The CLI is the one CLAUDE_CLI_PATH names, or else the one the
 * library finds on PATH and in the usual install places (see
 * claude_client_new(3)).  Build with
 *
 *     g++ -std=c++11 threads.cpp $(pkg-config --cflags --libs libclaude)
 */
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <claude.h>

namespace
{

const int receivers = 3;

/* What the threads share; mtx guards every member but itself. */
struct shared_state {
    std::mutex mtx;
    std::condition_variable turn_cv; /* a result came, or the end */
    int results = 0;
    int failed = 0;
    bool ended = false;
    int end_reason = 0;
    std::map<std::string, int> checks; /* permission checks by tool */
};

/* Take messages until the session ends, then record why. */
void
receive_messages(claude_client *c, shared_state *s)
{
    claude_message *m;
    claude_error err;
    int rv;

    while ((rv = claude_client_receive(c, &m, -1, &err)) == 0) {
        const char *text = claude_message_text(m);
        bool result = std::strcmp(claude_message_type(m), "result") == 0;
        bool failed = result && claude_message_is_error(m);

        if (text != nullptr) {
            std::printf("%s\n", text);
        }
        claude_message_free(m);
        if (result) {
            std::lock_guard<std::mutex> lock(s->mtx);
            s->results++;
            s->failed += failed;
            s->turn_cv.notify_all();
        }
    }

    std::lock_guard<std::mutex> lock(s->mtx);
    if (!s->ended && rv != CLAUDE_EEOF) {
        std::fprintf(stderr, "threads: %s: %s\n", claude_strerror(rv),
                     err.message);
    }
    s->ended = true;
    s->end_reason = rv;
    s->turn_cv.notify_all();
}

/* Send each prompt once the turn before it has its result. */
void
send_prompts(claude_client *c, shared_state *s,
             std::vector<const char *> prompts)
{
    claude_error err;

    for (size_t i = 0; i < prompts.size(); i++) {
        if (claude_client_send(c, prompts[i], &err) != 0) {
            std::fprintf(stderr, "threads: send: %s\n", err.message);
            break;
        }
        std::unique_lock<std::mutex> lock(s->mtx);
        s->turn_cv.wait(
            lock, [&] { return s->results > static_cast<int>(i) || s->ended; });
        if (s->ended) {
            break;
        }
    }

    /* Every turn is over: the CLI finishes, and receive returns EEOF. */
    claude_client_end_input(c);
}

} // namespace

/*
 * Callbacks are called from C, so they have C linkage, and no exception
 * may leave them: a failure returns non-zero, which answers the CLI
 * with an error.
 */
extern "C" {
static int
permission(claude_request *, const claude_permission *perm,
           claude_permission_result *result, void *user)
{
    static const char *const read_only[] = {"Read", "Glob", "Grep", "LS"};
    shared_state *s = static_cast<shared_state *>(user);

    try {
        std::lock_guard<std::mutex> lock(s->mtx);
        s->checks[perm->tool_name]++;
    } catch (...) {
        return -1;
    }
    for (const char *tool : read_only) {
        result->allow |= std::strcmp(perm->tool_name, tool) == 0;
    }
    result->message = "this session only reads";
    return 0;
}
}

int
main(int argc, char **argv)
{
    std::vector<const char *> prompts(argv + 1, argv + argc);
    const char *cli = std::getenv("CLAUDE_CLI_PATH");
    shared_state s;
    claude_options *o = nullptr;
    claude_client *c = nullptr;
    claude_error err;

    if (prompts.empty()) {
        prompts = {"Read README.md and sum it up.",
                   "Which files does it name?"};
    }
    if (claude_options_new(&o) != 0) {
        std::fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (cli != nullptr) {
        claude_options_set_string(o, CLAUDE_OPT_CLI_PATH, cli);
    }
    claude_options_set_string(o, CLAUDE_OPT_SYSTEM_PROMPT_PRESET,
                              "claude_code");
    claude_options_set_string(o, CLAUDE_OPT_PERMISSION_MODE, "default");
    claude_options_set_permission_cb(o, permission, &s);
    int rv = claude_client_new(&c, o, &err);
    claude_options_free(o);
    if (rv != 0) {
        std::fprintf(stderr, "threads: %s: %s\n", claude_strerror(rv),
                     err.message);
        return 1;
    }

    /* Every client function may be called from any thread at once. */
    std::vector<std::thread> threads;
    for (int i = 0; i < receivers; i++) {
        threads.emplace_back(receive_messages, c, &s);
    }
    threads.emplace_back(send_prompts, c, &s, prompts);
    for (std::thread &t : threads) {
        t.join();
    }

    /* The threads are joined: s needs no lock now. */
    std::printf("%d turns, permission checks:", s.results);
    for (const auto &check : s.checks) {
        std::printf(" %s %d", check.first.c_str(), check.second);
    }
    std::printf("\n");
    claude_client_free(c);
    bool ok = s.end_reason == CLAUDE_EEOF && s.failed == 0 &&
              s.results == static_cast<int>(prompts.size());
    return ok ? 0 : 1;
}
