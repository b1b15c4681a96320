#!/bin/sh
# check-install.sh: install into a scratch DESTDIR, build a program
# against the installed copy through pkg-config, run it, then check
# that uninstall leaves nothing behind.

set -u
make=${MAKE:-make}
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

cat >"$root/prog.c" <<'PROG'
#include <claude.h>
#include <string.h>

int
main(void)
{
    return strcmp(claude_version(), CLAUDE_VERSION) != 0;
}
PROG
# The .pc names the final prefix; point pkg-config at the staged copy.
PKG_CONFIG_SYSROOT_DIR="$root" \
PKG_CONFIG_PATH="$root$prefix/lib/pkgconfig" \
    pkg-config --cflags --libs libclaude >"$root/flags" || exit 1
# shellcheck disable=SC2046
cc -o "$root/prog" "$root/prog.c" $(cat "$root/flags") || exit 1
LD_LIBRARY_PATH="$root$prefix/lib" "$root/prog" || {
    echo "check-install: the installed library did not run" >&2
    exit 1
}

$make -s uninstall DESTDIR="$root" PREFIX="$prefix" >/dev/null || exit 1
left=$(find "$root$prefix" -type f -o -type l)
if [ -n "$left" ]; then
    echo "check-install: uninstall left:" >&2
    echo "$left" >&2
    exit 1
fi
echo "check-install: installed, built against, ran and uninstalled"
