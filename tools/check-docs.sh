#!/bin/sh
#
# check-docs.sh: test the man pages in man/ against the library.
#
# Usage, from the top of the tree (this is what "make check-docs" runs):
#
#     sh tools/check-docs.sh lib/libclaude.so.X.Y.Z
#
# The man pages are libclaude's contract, and the header comments only
# summarise them, so the pages are tested like code: a page that drifts
# from the header, or an example that no longer builds, fails the build
# instead of misleading a reader.  The checks, and what each prevents:
#
#   exports   An undocumented function.  Every symbol the shared
#             library exports (nm -D --defined-only, types T, D, B)
#             has a page man/SYMBOL.3, or a .so link to a page, whose
#             NAME section names it and, for a function, whose
#             SYNOPSIS declares it; and libclaude(3) lists it as
#             ".BR SYMBOL (3)".
#   errors    An error code a reader cannot look up.  Every code of
#             the header's list has an entry in libclaude-errors(3)
#             that gives its name, its number and its claude_strerror
#             text, as .BR CLAUDE_X " (\-N), \[lq]TEXT\[rq]".
#   synopsis  A prototype that no longer matches.  Every prototype in
#             a SYNOPSIS is the declaration in include/claude.h with
#             CLAUDE_API and CLAUDE_NODISCARD removed, differing at
#             most in white space; every function the header declares
#             has such a prototype somewhere.
#   examples  Example code that rots.  Every EXAMPLES program (an
#             .EX/.EE block holding "main(") is under 50 lines,
#             compiles with -std=c11 -Wall -Wextra -pedantic -Werror
#             -Iinclude, links with libclaude.a (the one beside the
#             shared library, else lib/libclaude.a), jansson and
#             -pthread, and
#             runs to exit status 0 within 10 seconds.
#   lint      Pages that render wrongly somewhere.  mandoc -Tlint
#             -W warning reports nothing, no source line is wider than
#             75 columns (tabs count to the next multiple of 8), and
#             every .so link points at an existing page.
#   sections  Pages a reader cannot navigate.  Every page has NAME,
#             ATTRIBUTES (stating "Thread safety") and SEE ALSO; a page
#             with a prototype also has LIBRARY, SYNOPSIS, DESCRIPTION,
#             RETURN VALUE, HISTORY and EXAMPLES.  Headings are
#             man-pages(7) headings, each used once, in man-pages(7)
#             order; topics of a page's own go in .SS subsections.
#
# Each check prints one line, PASS or FAIL, with the problems it found
# listed under it; a summary follows.  The exit status is 1 if a check
# failed and 2 on bad usage.
#
# Environment: CC (default cc), MANDOC (default mandoc).
# Only POSIX sh and awk are used; "timeout" is used when it exists.

usage() {
    echo "usage: sh tools/check-docs.sh PATH_TO_libclaude.so" >&2
    exit 2
}

[ $# -eq 1 ] || usage

# Work from the top of the tree, keeping the library's path valid.
case $1 in
/*) so=$1 ;;
*) so=$(pwd)/$1 ;;
esac
cd "$(dirname "$0")/.." || exit 2

CC=${CC:-cc}
MANDOC=${MANDOC:-mandoc}
HEADER=include/claude.h
# The static library built with the shared one, else the default place.
STATIC=$(dirname "$so")/libclaude.a
[ -f "$STATIC" ] || STATIC=lib/libclaude.a
CFLAGS_DOC="-std=c11 -Wall -Wextra -pedantic -Werror -Iinclude"
# The library uses jansson, so the static library needs it after it.
JANSSON_LIBS=$(pkg-config --libs jansson 2>/dev/null || echo -ljansson)

tmp=${TMPDIR:-/tmp}/check-docs.$$
mkdir -m 700 "$tmp" || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM

# ---------------------------------------------------------------------
# roff.awk: reads one man page; MODE selects what it prints.
#
#   sections  the .SH headings, one a line
#   names     the names in the NAME section, one a line
#   synopsis  the prototypes in SYNOPSIS, white space normalised,
#             each as "NAME<TAB>DECLARATION"
#   examples  writes each EXAMPLES program to OUT-N.c, prints its path
#   attrs     "yes" if ATTRIBUTES mentions Thread safety
#   link      the target of a ".so" page, or nothing
# ---------------------------------------------------------------------
cat >"$tmp/roff.awk" <<'EOF'
function special(name) {
    if (name == "aq" || name == "oq" || name == "cq") return "'"
    if (name == "dq" || name == "lq" || name == "rq") return "\""
    if (name == "rs") return "\\"
    if (name == "ti") return "~"
    if (name == "ha") return "^"
    if (name == "en" || name == "mi" || name == "hy") return "-"
    if (name == "em") return "--"
    if (name == "bu") return "*"
    return "?"
}

# Replace roff escapes with the characters they stand for.
function unescape(s,    out, i, j, c, n, len) {
    out = ""
    len = length(s)
    i = 1
    while (i <= len) {
        c = substr(s, i, 1)
        if (c != "\\") {
            out = out c
            i++
            continue
        }
        n = substr(s, i + 1, 1)
        if (n == "e" || n == "\\") {
            out = out "\\"; i += 2
        } else if (n == "-") {
            out = out "-"; i += 2
        } else if (n == "&" || n == "|" || n == "^" || n == "c" ||
                   n == ")" || n == ",") {
            i += 2
        } else if (n == " " || n == "~" || n == "0") {
            out = out " "; i += 2
        } else if (n == "(") {
            out = out special(substr(s, i + 2, 2)); i += 4
        } else if (n == "[") {
            j = index(substr(s, i + 2), "]")
            out = out special(substr(s, i + 2, j - 1)); i += 2 + j
        } else if (n == "f") {
            if (substr(s, i + 2, 1) == "(") {
                i += 5
            } else if (substr(s, i + 2, 1) == "[") {
                i += 3 + index(substr(s, i + 3), "]")
            } else {
                i += 3
            }
        } else if (n == "\"") {
            break
        } else {
            out = out n; i += 2
        }
    }
    return out
}

# Split macro arguments as roff does: blanks separate, double quotes
# group, "" inside quotes is one quote.  Escapes are kept for later.
function split_args(s, a,    n, i, c, cur, len) {
    n = 0
    len = length(s)
    i = 1
    while (i <= len) {
        while (i <= len && (substr(s, i, 1) == " " ||
                            substr(s, i, 1) == "\t")) {
            i++
        }
        if (i > len) {
            break
        }
        cur = ""
        if (substr(s, i, 1) == "\"") {
            i++
            while (i <= len) {
                c = substr(s, i, 1)
                if (c == "\"") {
                    if (substr(s, i + 1, 1) == "\"") {
                        cur = cur "\""; i += 2; continue
                    }
                    i++
                    break
                }
                if (c == "\\") {
                    cur = cur substr(s, i, 2); i += 2; continue
                }
                cur = cur c; i++
            }
        } else {
            while (i <= len) {
                c = substr(s, i, 1)
                if (c == " " || c == "\t") {
                    break
                }
                if (c == "\\") {
                    cur = cur substr(s, i, 2); i += 2; continue
                }
                cur = cur c; i++
            }
        }
        a[++n] = cur
    }
    return n
}

# The text a line puts on the page, escapes still in; "" for requests
# and macros that print nothing of interest here.
function raw_text(line,    m, rest, a, n, i, out, sep) {
    if (line !~ /^[.']/) {
        return line
    }
    if (line ~ /^[.'][ \t]*\\"/) {
        return ""
    }
    m = line
    sub(/^[.'][ \t]*/, "", m)
    rest = m
    sub(/[ \t].*$/, "", m)
    if (rest == m) {
        rest = ""
    } else {
        sub(/^[^ \t]*[ \t]+/, "", rest)
    }
    if (m == "B" || m == "I" || m == "SM" || m == "SB") {
        sep = " "
    } else if (m == "BI" || m == "IB" || m == "BR" || m == "RB" ||
               m == "IR" || m == "RI") {
        sep = ""
    } else {
        return ""
    }
    n = split_args(rest, a)
    out = ""
    for (i = 1; i <= n; i++) {
        out = out (i > 1 ? sep : "") a[i]
    }
    return out
}

function norm(s) {
    gsub(/[ \t\n]+/, " ", s)
    gsub(/\( /, "(", s)
    gsub(/ \)/, ")", s)
    gsub(/ ,/, ",", s)
    gsub(/ ;/, ";", s)
    sub(/^ /, "", s)
    sub(/ $/, "", s)
    return s
}

# The function a normalised declaration declares.
function decl_name(d,    s) {
    s = d
    sub(/\(.*$/, "", s)
    sub(/^.*[ *]/, "", s)
    return s
}

function flush_decls(    i, d) {
    while ((i = index(buf, ";")) > 0) {
        d = norm(substr(buf, 1, i))
        buf = substr(buf, i + 1)
        if (index(d, "(") > 0) {
            printf "%s\t%s\n", decl_name(d), d
        }
    }
}

BEGIN {
    sec = ""
    buf = ""
    nprog = 0
    inex = 0
    first = 1
}

# A page that is only a link.
first && $0 !~ /^[.'][ \t]*\\"/ {
    first = 0
    if ($0 ~ /^\.so[ \t]/) {
        if (mode == "link") {
            t = $0
            sub(/^\.so[ \t]+/, "", t)
            print t
        }
        exit
    }
}

/^\.SH([ \t]|$)/ {
    t = $0
    sub(/^\.SH[ \t]*/, "", t)
    n = split_args(t, a)
    sec = ""
    for (i = 1; i <= n; i++) {
        sec = sec (i > 1 ? " " : "") a[i]
    }
    sec = unescape(sec)
    if (mode == "sections") {
        print sec
    }
    next
}

mode == "names" && sec == "NAME" {
    t = raw_text($0)
    if ((i = index(t, "\\-")) > 0) {
        t = substr(t, 1, i - 1)
        done_names = 1
    }
    names = names " " t
    if (done_names) {
        n = split(unescape(names), a, ",")
        for (i = 1; i <= n; i++) {
            gsub(/^[ \t]+|[ \t]+$/, "", a[i])
            if (a[i] != "") {
                print a[i]
            }
        }
        exit
    }
    next
}

mode == "synopsis" && sec == "SYNOPSIS" {
    t = unescape(raw_text($0))
    if (t ~ /^[ \t]*#/) {
        next
    }
    buf = buf " " t
    flush_decls()
    next
}

mode == "attrs" && sec == "ATTRIBUTES" && /Thread safety/ {
    print "yes"
    exit
}

mode == "examples" && sec == "EXAMPLES" {
    if (/^\.(EX|nf)([ \t]|$)/) {
        inex = 1
        prog = ""
        next
    }
    if (/^\.(EE|fi)([ \t]|$)/) {
        inex = 0
        if (index(prog, "main(") > 0) {
            file = out "-" (++nprog) ".c"
            printf "%s", prog > file
            close(file)
            print file
        }
        next
    }
    if (inex && $0 !~ /^[.']/) {
        prog = prog unescape($0) "\n"
    }
    next
}
EOF

# ---------------------------------------------------------------------
# header.awk: the functions include/claude.h declares, as
# "NAME<TAB>DECLARATION", CLAUDE_API and CLAUDE_NODISCARD removed and
# white space normalised the same way as the pages' prototypes.
# ---------------------------------------------------------------------
cat >"$tmp/header.awk" <<'EOF'
function norm(s) {
    gsub(/[ \t\n]+/, " ", s)
    gsub(/\( /, "(", s)
    gsub(/ \)/, ")", s)
    gsub(/ ,/, ",", s)
    gsub(/ ;/, ";", s)
    sub(/^ /, "", s)
    sub(/ $/, "", s)
    return s
}

{ text = text $0 "\n" }

END {
    # Comments go first, so that nothing inside them is mistaken for
    # a directive or a declaration.
    while ((i = index(text, "/*")) > 0) {
        j = index(substr(text, i + 2), "*/")
        if (j == 0) {
            text = substr(text, 1, i - 1)
            break
        }
        text = substr(text, 1, i - 1) " " substr(text, i + j + 3)
    }

    # Then preprocessor lines, with their continuations, and // notes.
    n = split(text, lines, "\n")
    code = ""
    cont = 0
    for (k = 1; k <= n; k++) {
        l = lines[k]
        if (cont || l ~ /^[ \t]*#/) {
            cont = (l ~ /\\$/)
            continue
        }
        sub(/\/\/.*$/, "", l)
        code = code " " l
    }

    n = split(code, stmts, ";")
    for (k = 1; k <= n; k++) {
        s = stmts[k]
        if ((i = index(s, "CLAUDE_API")) == 0 || index(s, "(") == 0) {
            continue
        }
        s = substr(s, i)
        gsub(/CLAUDE_API|CLAUDE_NODISCARD/, " ", s)
        d = norm(s ";")
        name = d
        sub(/\(.*$/, "", name)
        sub(/^.*[ *]/, "", name)
        printf "%s\t%s\n", name, d
    }
}
EOF

roff() {
    # roff MODE PAGE [OUT]
    awk -v mode="$1" -v out="${3:-}" -f "$tmp/roff.awk" "$2"
}

# The target of a .so page as a file in man/, or nothing.
link_target() {
    lt=$(roff link "$1")
    [ -n "$lt" ] && echo "man/$(basename "$lt")"
}

failed=0
nchecks=0

# Problems go to $tmp/problems, one a line indented by four spaces,
# details by eight; report() turns them into the check's status line
# followed by the list.
: >"$tmp/problems"

problem() {
    printf '    %s\n' "$*" >>"$tmp/problems"
}

report() {
    # report NAME SUMMARY
    nchecks=$((nchecks + 1))
    if [ -s "$tmp/problems" ]; then
        failed=$((failed + 1))
        echo "FAIL $1: $(grep -c '^    [^ ]' "$tmp/problems") problem(s)"
        cat "$tmp/problems"
    else
        echo "PASS $1: $2"
    fi
    : >"$tmp/problems"
}

# Run a program for at most 10 seconds.
run_limited() {
    if command -v timeout >/dev/null 2>&1; then
        timeout -s KILL 10 "$@"
        return $?
    fi
    # No timeout(1): a watchdog kills the program after 10 s, and
    # takes its own sleep with it when it is called off.
    "$@" &
    rl_pid=$!
    (
        sleep 10 &
        rl_sleep=$!
        trap 'kill "$rl_sleep" 2>/dev/null; exit 0' TERM
        wait "$rl_sleep" && kill -9 "$rl_pid" 2>/dev/null
    ) &
    rl_dog=$!
    wait "$rl_pid"
    rl_rc=$?
    kill "$rl_dog" 2>/dev/null
    wait "$rl_dog" 2>/dev/null
    return $rl_rc
}

pages=$(ls man/*.3 2>/dev/null)
if [ -z "$pages" ]; then
    echo "FAIL: no man pages in man/" >&2
    exit 1
fi

awk -f "$tmp/header.awk" "$HEADER" >"$tmp/header.decl"
if [ ! -s "$tmp/header.decl" ]; then
    echo "FAIL: no CLAUDE_API declarations found in $HEADER" >&2
    exit 1
fi

# Every prototype of every full page, as "PAGE<TAB>NAME<TAB>DECL".
: >"$tmp/synopses"
for p in $pages; do
    [ -n "$(link_target "$p")" ] && continue
    roff synopsis "$p" | sed "s|^|$p	|" >>"$tmp/synopses"
done

# ---------------------------------------------------------------------
# exports
# ---------------------------------------------------------------------
if [ ! -f "$so" ]; then
    problem "$so: no such file (build the library first)"
    syms=
elif ! nm -D --defined-only "$so" >"$tmp/nm" 2>"$tmp/nm.err"; then
    problem "nm -D --defined-only $so failed: $(head -n 1 "$tmp/nm.err")"
    syms=
else
    syms=$(awk '$2 ~ /^[TDB]$/ { sub(/@.*/, "", $3); print $3 }' \
        "$tmp/nm" | sort -u)
    [ -n "$syms" ] || problem "$so exports no symbols"
fi
nsyms=0
for s in $syms; do
    nsyms=$((nsyms + 1))
    page=man/$s.3
    if [ ! -f "$page" ]; then
        problem "$s: no page $page"
        continue
    fi
    doc=$(link_target "$page")
    if [ -n "$doc" ] && [ ! -f "$doc" ]; then
        problem "$s: $page links to $doc, which does not exist"
        continue
    fi
    [ -n "$doc" ] || doc=$page
    if ! roff names "$doc" | grep -qx "$s"; then
        problem "$s: the NAME section of $doc does not name it"
    fi
    if grep -q "^$s	" "$tmp/header.decl" &&
        ! grep -q "^$doc	$s	" "$tmp/synopses"; then
        problem "$s: the SYNOPSIS of $doc does not declare it"
    fi
    if ! grep -Eq "^\.BR $s \(3\)|\\\\fB$s\\\\f[PR]\(3\)" \
        man/libclaude.3 2>/dev/null; then
        problem "$s: not listed in man/libclaude.3 as .BR $s (3)"
    fi
done
report exports "$nsyms exported symbols have pages and libclaude(3) rows"

# ---------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------
ncodes=0
sed -n 's/^ *XX(\([A-Z0-9_]*\), *-\([0-9]*\), *"\(.*\)").*$/\1	\2	\3/p' \
    "$HEADER" >"$tmp/codes"
[ -s "$tmp/codes" ] || problem "$HEADER: no XX(NAME, -N, \"text\") codes found"
# The page with each line that ends in a backslash joined to the next.
awk '{ while (sub(/\\$/, "") && (getline more) > 0) { $0 = $0 more }
       print }' man/libclaude-errors.3 >"$tmp/errors.3"
while IFS='	' read -r code num text; do
    ncodes=$((ncodes + 1))
    entry=".BR CLAUDE_$code \" (\\-$num), \\[lq]$text\\[rq]\""
    if ! grep -qxF "$entry" "$tmp/errors.3"; then
        problem "CLAUDE_$code: man/libclaude-errors.3 has no entry $entry"
    fi
done <"$tmp/codes"
report errors "$ncodes error codes have entries in libclaude-errors(3)"

# ---------------------------------------------------------------------
# synopsis
# ---------------------------------------------------------------------
nprotos=0
while IFS='	' read -r p name decl; do
    nprotos=$((nprotos + 1))
    want=$(awk -F '	' -v n="$name" '$1 == n { print $2; exit }' \
        "$tmp/header.decl")
    if [ -z "$want" ]; then
        problem "$p: $name is not declared in $HEADER"
    elif [ "$want" != "$decl" ]; then
        problem "$p: the prototype of $name differs from $HEADER:"
        problem "    page:   $decl"
        problem "    header: $want"
    fi
done <"$tmp/synopses"
while IFS='	' read -r name decl; do
    if ! awk -F '	' -v n="$name" '$2 == n { f = 1 } END { exit !f }' \
        "$tmp/synopses"; then
        problem "$name: declared in $HEADER but in no SYNOPSIS"
    fi
done <"$tmp/header.decl"
report synopsis "$nprotos prototypes match $HEADER"

# ---------------------------------------------------------------------
# examples
# ---------------------------------------------------------------------
nprogs=0
if [ ! -f "$STATIC" ]; then
    problem "$STATIC: no such file (build the library first)"
else
    for p in $pages; do
        [ -n "$(link_target "$p")" ] && continue
        roff sections "$p" | grep -qx EXAMPLES || continue
        base=$tmp/$(basename "$p" .3)
        progs=$(roff examples "$p" "$base")
        if [ -z "$progs" ]; then
            problem "$p: EXAMPLES holds no program (no .EX block with main)"
            continue
        fi
        for c in $progs; do
            nprogs=$((nprogs + 1))
            lines=$(wc -l <"$c" | tr -d ' ')
            if [ "$lines" -ge 50 ]; then
                problem "$p: the example is $lines lines; keep it under 50"
            fi
            exe=${c%.c}
            # shellcheck disable=SC2086
            if ! $CC $CFLAGS_DOC -o "$exe" "$c" "$STATIC" $JANSSON_LIBS \
                -pthread >"$exe.log" 2>&1; then
                problem "$p: the example does not compile and link:"
                sed -n '1,15s/^/        /p' "$exe.log" >>"$tmp/problems"
                continue
            fi
            (cd "$tmp" && run_limited "$exe") </dev/null >"$exe.out" 2>&1
            rc=$?
            if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
                problem "$p: the example did not finish within 10 s"
            elif [ "$rc" -ne 0 ]; then
                problem "$p: the example exited with status $rc:"
                tail -n 10 "$exe.out" | sed 's/^/        /' \
                    >>"$tmp/problems"
            fi
        done
    done
fi
report examples "$nprogs programs compile, link and exit 0"

# ---------------------------------------------------------------------
# lint
# ---------------------------------------------------------------------
nlint=0
for p in $pages; do
    nlint=$((nlint + 1))
    doc=$(link_target "$p")
    if [ -n "$doc" ]; then
        [ -f "$doc" ] || problem "$p: links to $doc, which does not exist"
        continue
    fi
    if ! "$MANDOC" -Tlint -W warning "$p" >"$tmp/lint" 2>&1 ||
        [ -s "$tmp/lint" ]; then
        sed 's/^/    /' "$tmp/lint" >>"$tmp/problems"
        [ -s "$tmp/lint" ] || problem "$p: $MANDOC failed"
    fi
    awk -v p="$p" '
        {
            w = 0
            for (i = 1; i <= length($0); i++) {
                if (substr($0, i, 1) == "\t") {
                    w += 8 - w % 8
                } else {
                    w++
                }
            }
            if (w > 75) {
                printf "    %s:%d: line is %d columns; the limit is 75\n",
                    p, NR, w
            }
        }' "$p" >>"$tmp/problems"
done
report lint "$nlint pages are clean under mandoc -Tlint -W warning"

# ---------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------
ORDER="NAME|LIBRARY|SYNOPSIS|CONFIGURATION|DESCRIPTION|OPTIONS|\
EXIT STATUS|RETURN VALUE|ERRORS|ENVIRONMENT|FILES|ATTRIBUTES|VERSIONS|\
STANDARDS|HISTORY|NOTES|CAVEATS|BUGS|EXAMPLES|AUTHORS|REPORTING BUGS|\
COPYRIGHT|SEE ALSO"
nsec=0
for p in $pages; do
    [ -n "$(link_target "$p")" ] && continue
    nsec=$((nsec + 1))
    roff sections "$p" >"$tmp/sections"
    need="NAME|ATTRIBUTES|SEE ALSO"
    if grep -q "^$p	" "$tmp/synopses"; then
        need="$need|LIBRARY|SYNOPSIS|DESCRIPTION|RETURN VALUE|HISTORY"
        need="$need|EXAMPLES"
    fi
    awk -v p="$p" -v order="$ORDER" -v need="$need" '
        BEGIN {
            n = split(order, o, "|")
            for (i = 1; i <= n; i++) {
                rank[o[i]] = i
            }
            last = 0
            lastname = "the start"
        }
        {
            if (!($0 in rank)) {
                printf "    %s: \"%s\" is not a man-pages(7) section" \
                    " heading\n", p, $0
                next
            }
            if (seen[$0]++) {
                printf "    %s: %s appears twice\n", p, $0
            } else if (rank[$0] < last) {
                printf "    %s: %s comes after %s; man-pages(7) puts" \
                    " it before\n", p, $0, lastname
            }
            last = rank[$0]
            lastname = $0
        }
        END {
            n = split(need, w, "|")
            for (i = 1; i <= n; i++) {
                if (!(w[i] in seen)) {
                    printf "    %s: no %s section\n", p, w[i]
                }
            }
        }' "$tmp/sections" >>"$tmp/problems"
    if grep -qx ATTRIBUTES "$tmp/sections" &&
        [ -z "$(roff attrs "$p")" ]; then
        problem "$p: ATTRIBUTES does not state the Thread safety"
    fi
done
report sections "$nsec pages have their sections in man-pages(7) order"

# ---------------------------------------------------------------------
echo "check-docs: $nchecks checks, $((nchecks - failed)) passed," \
    "$failed failed"
[ "$failed" -eq 0 ]
