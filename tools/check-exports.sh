#!/bin/sh
# check-exports.sh: the shared library exports claude_ symbols only.
#
# Everything internal is built with hidden visibility; a symbol without
# the prefix in the dynamic table would clash with the host's own.

set -u
so=${1:?usage: check-exports.sh LIBRARY}

bad=$(nm -D --defined-only "$so" | awk '$2 ~ /^[A-Za-z]$/ { print $3 }' |
    grep -v '^claude_')
count=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDB]$/' | wc -l)
if [ -n "$bad" ]; then
    echo "check-exports: symbols without the claude_ prefix:" >&2
    echo "$bad" | sed 's/^/    /' >&2
    exit 1
fi
echo "check-exports: $count symbols, all prefixed claude_"
