#!/bin/sh
# check-install.sh: install into a scratch DESTDIR, build an example
# program (tools/examples/session.c) against the installed copy with
# nothing but the flags pkg-config gives, run it against the fake CLI
# that FAKE_CLI names (build/test/fake-cli by default), then check that
# uninstall leaves nothing behind.

set -u
make=${MAKE:-make}
fake=${FAKE_CLI:-$(pwd)/build/test/fake-cli}
if [ ! -x "$fake" ]; then
    echo "check-install: no fake CLI at $fake (make build/test/fake-cli)" >&2
    exit 1
fi
root=$(mktemp -d /tmp/claude-install.XXXXXX) || exit 1
prefix=/opt/libclaude-test
trap 'rm -rf "$root"' EXIT INT TERM

$make -s install DESTDIR="$root" PREFIX="$prefix" >/dev/null || exit 1

for f in include/claude.h lib/libclaude.a lib/libclaude.so \
    lib/pkgconfig/libclaude.pc share/man/man3/libclaude.3 \
    share/man/man3/claude_transport_new.3 bin/claude-run \
    share/man/man1/claude-run.1; do
    if [ ! -e "$root$prefix/$f" ]; then
        echo "check-install: $prefix/$f was not installed" >&2
        exit 1
    fi
done
so=$(readlink "$root$prefix/lib/libclaude.so")
soname=$(readelf -d "$root$prefix/lib/libclaude.so" |
    sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
if [ "$so" != "$soname" ]; then
    echo "check-install: libclaude.so points at $so, soname is $soname" >&2
    exit 1
fi

# The .pc names the final prefix; point pkg-config at the staged copy.
PKG_CONFIG_SYSROOT_DIR="$root" \
PKG_CONFIG_PATH="$root$prefix/lib/pkgconfig" \
    pkg-config --cflags --libs libclaude >"$root/flags" || exit 1

# An example, built as its header comment says, with the flags alone,
# and run for two turns against the fake CLI.
# shellcheck disable=SC2046
cc -o "$root/session" tools/examples/session.c $(cat "$root/flags") ||
    exit 1
if ! readelf -d "$root/session" | grep -q "NEEDED.*\[$soname\]"; then
    echo "check-install: the example is not linked with $soname" >&2
    exit 1
fi
user() {
    printf '{"type":"user","session_id":"","message":{"role":"user",'
    printf '"content":"%s"},"parent_tool_use_id":null}' "$1"
}
assistant() {
    printf '{"type":"assistant","message":{"role":"assistant","content":'
    printf '[{"type":"text","text":"%s"}]}}' "$1"
}
result='{"type":"result","subtype":"success","is_error":false}'
us=$(printf '\037')
script="init${us}expect${us}$(user one)${us}send${us}$(assistant 1)"
script="$script${us}send${us}$result${us}expect${us}$(user two)"
script="$script${us}send${us}$(assistant 2)${us}send${us}$result"
script="$script${us}wait-eof"
out=$(LD_LIBRARY_PATH="$root$prefix/lib" CLAUDE_CLI_PATH=$fake \
    FAKE_CLI_ARGS=$script "$root/session" one two </dev/null) || {
    echo "check-install: the session example failed against the" \
        "installed library" >&2
    exit 1
}
if [ "$out" != "$(printf '1\n2')" ]; then
    echo "check-install: the session example printed: $out" >&2
    exit 1
fi

$make -s uninstall DESTDIR="$root" PREFIX="$prefix" >/dev/null || exit 1
left=$(find "$root$prefix" -type f -o -type l)
if [ -n "$left" ]; then
    echo "check-install: uninstall left:" >&2
    echo "$left" >&2
    exit 1
fi
echo "check-install: installed, built against, ran an example and" \
    "uninstalled"
