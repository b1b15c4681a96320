#!/bin/sh
# check-style.sh: what the house style asks of every C file.
#
#   - clang-format (the committed .clang-format) leaves it unchanged;
#   - no line is wider than 80 columns;
#   - lib/ prints nothing: no printf, fprintf, perror, puts or strerror;
#   - markers read "TODO: ..." or "XXX: ..." with a sentence, never a
#     bare FIXME.

set -u
status=0
files=$(ls include/*.h lib/*.c lib/*.h test/*.c test/*.h test/e2e/*.c \
    test/fuzz/*.c test/alloc/*.c test/stress/*.c tools/*.c tools/bench/*.c \
    tools/bench/*.h tools/examples/*.c tools/examples/*.cpp \
    2>/dev/null)

if ! clang-format --dry-run --Werror $files 2>/tmp/claude-style.$$; then
    echo "check-style: clang-format would change these places:" >&2
    grep 'warning:' /tmp/claude-style.$$ | head -20 >&2
    status=1
fi
rm -f /tmp/claude-style.$$

wide=$(awk 'length($0) > 80 { print FILENAME ":" FNR }' $files)
if [ -n "$wide" ]; then
    echo "check-style: lines over 80 columns:" >&2
    echo "$wide" >&2
    status=1
fi

loud=$(grep -nE '\b(printf|fprintf|perror|puts|strerror)[[:space:]]*\(' \
    lib/*.c lib/*.h)
if [ -n "$loud" ]; then
    echo "check-style: output calls in lib/ (use the log callback):" >&2
    echo "$loud" >&2
    status=1
fi

marks=$(grep -nE 'FIXME|\b(TODO|XXX)\b([^:]|:[[:space:]]*$|$)' $files)
if [ -n "$marks" ]; then
    echo "check-style: markers must read 'TODO: sentence' or" \
        "'XXX: sentence':" >&2
    echo "$marks" >&2
    status=1
fi

[ $status = 0 ] && echo "check-style: $(echo $files | wc -w) files clean"
exit $status
