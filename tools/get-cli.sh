#!/bin/sh
# get-cli.sh: print the path of the real claude CLI the end-to-end tests
# and the demo run, installing it with npm into a cache folder outside
# the clone when it is missing.
#
#   CLAUDE_CLI_VERSION   the version to use (default below)
#   CLAUDE_CLI_CACHE     the cache folder (default ~/.cache/libclaude)

set -u
version=${CLAUDE_CLI_VERSION:-2.1.332}
cache=${CLAUDE_CLI_CACHE:-${HOME:-/tmp}/.cache/libclaude}
dir=$cache/cli-$version
bin=$dir/node_modules/@anthropic-ai/claude-code/bin/claude.exe

if [ ! -x "$bin" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "get-cli: npm is needed to install the claude CLI" >&2
        exit 1
    fi
    echo "get-cli: installing @anthropic-ai/claude-code@$version into $dir" >&2
    mkdir -p "$dir" || exit 1
    npm install --silent --no-audit --no-fund --prefix "$dir" \
        "@anthropic-ai/claude-code@$version" >&2 || exit 1
fi
if [ ! -x "$bin" ]; then
    echo "get-cli: no executable at $bin after the install" >&2
    exit 1
fi
echo "$bin"
