#!/bin/sh
# check-examples.sh: run the example programs against the fake CLI.
#
#     sh tools/examples/check-examples.sh BINDIR FAKE_CLI
#
# BINDIR holds the examples, built and named after their sources;
# FAKE_CLI is test/fake-cli, built.  Each example runs with
# CLAUDE_CLI_PATH naming the fake and a script for the fake in
# FAKE_CLI_ARGS (actions separated by the byte 0x1f; see the top of
# test/fake-cli.c) that says what a real session would: the example's
# exit status and output are checked.  The fake checks in turn what the
# example tells it: "expect" compares a line byte for byte, "ask-check"
# the answer to a control request, and on a mismatch the fake exits 3,
# which the example sees as the CLI failing.
#
# Every example also runs once against a script that disagrees with it,
# and passes that run only by failing: this shows that its checks can
# fail.
#
# One line per run, pass or FAIL with the time taken; then
# "N passed, N failed".  The exit status is 1 when a run failed.

if [ $# -ne 2 ]; then
    echo "usage: sh tools/examples/check-examples.sh BINDIR FAKE_CLI" >&2
    exit 2
fi
bindir=$1
case $2 in
/*) fake=$2 ;;
*) fake=$(pwd)/$2 ;;
esac
tmp=$(mktemp -d /tmp/claude-examples.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM

# The fake's complaints go to a file we can show, not to the library.
cat >"$tmp/cli" <<EOF
#!/bin/sh
exec "$fake" "\$@" 2>>"$tmp/fake.log"
EOF
chmod +x "$tmp/cli"

passed=0
failed=0
ran=
sep=$(printf '\037')

# script ACTION...: the fake's actions for the next run.
script() {
    FAKE_CLI_ARGS=
    for a in "$@"; do
        FAKE_CLI_ARGS=${FAKE_CLI_ARGS:+$FAKE_CLI_ARGS$sep}$a
    done
}

# The lines a session carries, for text without quotes or backslashes.
user() {
    printf '{"type":"user","session_id":"","message":{"role":"user",'
    printf '"content":"%s"},"parent_tool_use_id":null}' "$1"
}
assistant() {
    printf '{"type":"assistant","message":{"role":"assistant","content":'
    printf '[{"type":"text","text":"%s"}]},"session_id":"s"}' "$1"
}
result() {
    printf '{"type":"result","subtype":"success","is_error":false,'
    printf '"result":"%s","session_id":"s","total_cost_usd":%s}' "$1" "$2"
}
idle='{"type":"system","subtype":"session_state_changed","state":"idle"}'

# A control request for a permission check of tool with input.
can_use_tool() {
    printf '{"subtype":"can_use_tool","tool_name":"%s","input":%s,' "$1" "$2"
    printf '"tool_use_id":"toolu_1"}'
}
hook() {
    printf '{"subtype":"hook_callback","callback_id":"%s","input":%s}' \
        "$1" "$2"
}

now_ms() {
    t=$(date +%s%N 2>/dev/null)
    case $t in
    *[!0-9]* | '') echo 0 ;;
    *) echo $((t / 1000000)) ;;
    esac
}

# run NAME PROGRAM WANT [ARG...]: run PROGRAM against the current
# script with stdin from $input.  WANT is "fails" for a run that must
# fail (the examples exit 1 on failure; a crash is no such failure),
# "line:TEXT" for one that must exit 0 and print the line TEXT, or else
# the whole output of one that must exit 0.
run() {
    name=$1 prog=$bindir/$2 want=$3
    ran="$ran $2 "
    shift 3
    : >"$tmp/fake.log"
    start=$(now_ms)
    if command -v timeout >/dev/null 2>&1; then
        set -- timeout -s KILL 20 "$prog" "$@"
    else
        set -- "$prog" "$@"
    fi
    CLAUDE_CLI_PATH=$tmp/cli FAKE_CLI_ARGS=$FAKE_CLI_ARGS "$@" \
        <"${input:-/dev/null}" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    took=$(($(now_ms) - start))
    why=
    case $rc:$want in
    137:*) why="killed after 20 s" ;;
    1:fails) ;;
    *:fails) why="exit status $rc; it should have failed with 1" ;;
    0:line:*)
        grep -qxF "${want#line:}" "$tmp/out" ||
            why="no line \"${want#line:}\" in its output"
        ;;
    0:*)
        printf '%s\n' "$want" | cmp -s - "$tmp/out" ||
            why="its output differs from what was expected"
        ;;
    *) why="exit status $rc" ;;
    esac
    if [ -z "$why" ]; then
        passed=$((passed + 1))
        printf 'pass  %3d.%03d s  %s\n' $((took / 1000)) $((took % 1000)) \
            "$name"
        return
    fi
    failed=$((failed + 1))
    printf 'FAIL  %3d.%03d s  %s: %s\n' $((took / 1000)) $((took % 1000)) \
        "$name" "$why"
    cat "$tmp/out" "$tmp/err" "$tmp/fake.log" | sed 's/^/        /'
}

# query: one prompt, the answer and its cost.
script init expect "$(user 'What is 2 + 2?')" send "$(assistant 4)" \
    send "$(result 4 0.0123)" wait-eof
run query query "4
cost: \$0.0123"
script init expect "$(user 'What is 3 + 3?')" send "$(result 6 0)" wait-eof
run "query, asked something else" query fails

# session: two turns, then the end of input and of the CLI.
script init expect "$(user 'Name a prime number.')" send "$(assistant 2)" \
    send "$(result 2 0.01)" expect "$(user 'Now name the next one.')" \
    send "$(assistant 3)" send "$(result 3 0.01)" wait-eof
run session session "2
3"
script init expect "$(user 'Name a prime number.')" send "$(assistant 2)" \
    send "$(result 2 0.01)"
run "session, the CLI leaving after one turn" session fails

# permissions: each kind of decision, checked by the fake.
script init expect "$(user 'Clean the build directory, then push my branch.')" \
    ask-check "$(can_use_tool Read '{"file_path":"README.md"}')" \
    '{"behavior":"allow","updatedInput":{"file_path":"README.md"}}' \
    ask-check "$(can_use_tool Bash '{"command":"rm -rf build"}')" \
    '{"behavior":"deny","message":"this command is not allowed here; do not retry it"}' \
    ask-check "$(can_use_tool Bash \
        '{"command":"git push origin main","description":"Push"}')" \
    '{"behavior":"allow","updatedInput":{"command":"git push --dry-run origin main","description":"Push"}}' \
    ask-check "$(can_use_tool Bash '{"command":"ls build"}')" \
    '{"behavior":"allow","updatedInput":{"command":"ls build"}}' \
    ask-check "$(can_use_tool Write '{"file_path":"a","content":"b"}')" \
    '{"behavior":"deny"}' \
    send "$(assistant 'Cleaning was refused; pushed as a dry run.')" \
    send "$(result done 0.02)" send "$idle" wait-eof
run permissions permissions "allowed Read
denied Bash: rm -rf build
rewrote Bash: git push --dry-run origin main
allowed Bash: ls build
denied Write
Cleaning was refused; pushed as a dry run."
script init ask-check "$(can_use_tool Bash '{"command":"rm -rf /"}')" \
    '{"behavior":"allow"}' send "$(result done 0)" send "$idle" wait-eof
run "permissions, wanted to allow rm -rf" permissions fails

# hooks: a tool call let through, one refused, and the stop.
pre_ls='{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}'
pre_sudo='{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"sudo apt-get upgrade"}}'
stop='{"hook_event_name":"Stop","stop_hook_active":false}'
script init ask-check "$(hook hook_0 "$pre_ls")" '{}' \
    ask-check "$(hook hook_0 "$pre_sudo")" \
    '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"commands run with sudo are not allowed"}}' \
    send "$(assistant 'Listed; the upgrade was refused.')" \
    ask-check "$(hook hook_1 "$stop")" \
    '{"systemMessage":"2 tool calls, 1 refused"}' \
    send "$(result done 0.01)" send "$idle" wait-eof
run hooks hooks "PreToolUse: Bash ls
PreToolUse: Bash sudo apt-get upgrade
Listed; the upgrade was refused."
script init ask-check "$(hook hook_1 "$stop")" \
    '{"systemMessage":"1 tool calls, 0 refused"}' \
    send "$(result done 0)" send "$idle" wait-eof
run "hooks, counting a call that never came" hooks fails

# tool: the CLI calls the in-process tool, then answers.
call='{"subtype":"mcp_message","server_name":"units","message":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"to_fahrenheit","arguments":{"celsius":100}}}}'
script init \
    expect "$(user 'What is 100 degrees Celsius in Fahrenheit? Use the tool.')" \
    ask-check "$call" \
    '{"mcp_response":{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"212"}]}}}' \
    send "$(assistant 'It is 212 degrees Fahrenheit.')" \
    send "$(result done 0.01)" wait-eof
run tool tool "It is 212 degrees Fahrenheit."
script init ask-check "$call" \
    '{"mcp_response":{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"213"}]}}}' \
    send "$(result done 0)" wait-eof
run "tool, wanting another answer" tool fails

# event-loop: prompts from stdin; the first turn outlasts a tick.
printf 'Name a prime.\nAnd the next one?\n' >"$tmp/prompts"
input=$tmp/prompts
script init expect "$(user 'Name a prime.')" sleep 1100 \
    send "$(assistant 2)" send "$(result 2 0.01)" \
    expect "$(user 'And the next one?')" send "$(assistant 3)" \
    send "$(result 3 0.01)" wait-eof
run event-loop event-loop "2
3"
script init expect "$(user 'And the next one?')" wait-eof
run "event-loop, the prompts in another order" event-loop fails
input=

# threads: two turns, three checks from the library's workers.
script init expect "$(user 'Read README.md and sum it up.')" \
    ask-check "$(can_use_tool Read '{"file_path":"README.md"}')" \
    '{"behavior":"allow"}' \
    ask-check "$(can_use_tool Bash '{"command":"cat README.md"}')" \
    '{"behavior":"deny","message":"this session only reads"}' \
    send "$(assistant 'It describes libclaude.')" send "$(result a 0.01)" \
    expect "$(user 'Which files does it name?')" \
    ask-check "$(can_use_tool Read '{"file_path":"DEVELOPERS.md"}')" \
    '{"behavior":"allow"}' \
    send "$(assistant 'DEVELOPERS.md.')" send "$(result b 0.01)" wait-eof
run threads threads "line:2 turns, permission checks: Bash 1 Read 2"
script init ask-check "$(can_use_tool Bash '{"command":"cat README.md"}')" \
    '{"behavior":"allow"}' wait-eof
run "threads, wanting Bash allowed" threads fails

# An example nobody runs could rot unseen.
for src in "$(dirname "$0")"/*.c "$(dirname "$0")"/*.cpp; do
    prog=$(basename "${src%.*}")
    case $ran in
    *" $prog "*) ;;
    *)
        failed=$((failed + 1))
        echo "FAIL             $prog: no run in check-examples.sh"
        ;;
    esac
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
