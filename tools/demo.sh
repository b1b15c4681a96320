#!/bin/sh
# demo.sh: run claude-run with in-process tools through eight parallel
# subagents, showing the conversation and the statistics line.
#
# Offline by default: the real claude CLI talks to tools/model-server,
# which plays the model from tools/demo-rules.json.  With DEMO_LIVE=1
# and ANTHROPIC_API_KEY set, the CLI talks to the real API instead.

set -u
cd "$(dirname "$0")/.." || exit 1

prompt="Run the parallel demo: start eight helpers at once; each adds 20 \
and 22 with the demo add tool and then rests 300 ms with the demo sleep \
tool. Report what they found."

cli=$(command -v claude 2>/dev/null) || cli=$(sh tools/get-cli.sh) || exit 1
echo "demo: using the claude CLI at $cli ($("$cli" -v 2>/dev/null))"

home=$(mktemp -d /tmp/claude-demo.XXXXXX) || exit 1
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server"
    rm -rf "$home"
}
trap cleanup EXIT INT TERM

if [ "${DEMO_LIVE:-0}" = 1 ]; then
    if [ -z "${ANTHROPIC_API_KEY:-}" ]; then
        echo "demo: DEMO_LIVE=1 needs ANTHROPIC_API_KEY" >&2
        exit 1
    fi
    echo "demo: live, against the Anthropic API"
    tools/claude-run --cli "$cli" --cwd "$home" --demo-tools --stats \
        --permission allow --callback-delay 200 "$prompt"
    exit $?
fi

tools/model-server --rules tools/demo-rules.json --port-file "$home/port" \
    --log "$home/requests.jsonl" >/dev/null &
server=$!
i=0
while [ ! -s "$home/port" ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
[ -s "$home/port" ] || { echo "demo: the model server did not start" >&2; exit 1; }
echo "demo: offline; the scripted model listens on 127.0.0.1:$(cat "$home/port")"
echo

HOME=$home ANTHROPIC_BASE_URL=http://127.0.0.1:$(cat "$home/port") \
ANTHROPIC_API_KEY=sk-demo-offline CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
CLAUDE_CODE_MAX_RETRIES=0 \
    tools/claude-run --cli "$cli" --cwd "$home" --demo-tools --stats \
    --permission allow --callback-delay 200 "$prompt"
status=$?
echo
echo "demo: the model server answered $(wc -l <"$home/requests.jsonl") \
requests; claude-run exited with status $status"
exit $status
