#!/bin/sh
# ts-setup.sh: print the folder of the TypeScript SDK that make bench
# compares with, installing it with npm into a cache folder outside the
# clone when it is missing.  When it cannot, it prints why on stdout and
# exits 1, and the bench shows "n/a" in the TypeScript column.
#
#   BENCH_TS_VERSION   the version to use (default 0.3.335; when npm
#                      does not have it, the latest)
#   BENCH_TS_CACHE     the cache folder (default ~/.cache/libclaude/ts-sdk)

set -u
version=${BENCH_TS_VERSION:-0.3.335}
cache=${BENCH_TS_CACHE:-${HOME:-/tmp}/.cache/libclaude/ts-sdk}
name=@anthropic-ai/claude-agent-sdk
pkg=$cache/node_modules/$name

if ! command -v node >/dev/null 2>&1; then
    echo "node is not installed"
    exit 1
fi
installed=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
    "$pkg/package.json" 2>/dev/null | head -n 1)
if [ "$installed" != "$version" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm is not installed"
        exit 1
    fi
    mkdir -p "$cache" || exit 1
    echo "ts-setup: installing $name@$version into $cache" >&2
    if ! npm install --silent --no-audit --no-fund --prefix "$cache" \
        "$name@$version" >&2; then
        echo "ts-setup: $name@$version failed; trying the latest" >&2
        if ! npm install --silent --no-audit --no-fund --prefix "$cache" \
            "$name@latest" >&2 && [ ! -f "$pkg/sdk.mjs" ]; then
            echo "npm could not install $name (offline?)"
            exit 1
        fi
    fi
fi
if [ ! -f "$pkg/sdk.mjs" ]; then
    echo "no sdk.mjs in $pkg after the install"
    exit 1
fi
echo "$pkg"
