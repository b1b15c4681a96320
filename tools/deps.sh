#!/bin/sh
# deps.sh: make sure what the build and the tests need is installed.
#
# As root on Debian, missing packages are installed with apt-get; as
# anyone else, the apt-get command that would install them is printed
# and the script fails.  Extra packages can be named as arguments.

set -u

need=""
have_pkg() {
    # A package counts as present when its key file or program exists.
    case "$1" in
    libjansson-dev) pkg-config --exists jansson 2>/dev/null ;;
    check) pkg-config --exists check 2>/dev/null ;;
    pkg-config) command -v pkg-config >/dev/null 2>&1 ;;
    mandoc) command -v mandoc >/dev/null 2>&1 ;;
    clang-format) command -v clang-format >/dev/null 2>&1 ;;
    g++) command -v g++ >/dev/null 2>&1 ;;
    make) command -v make >/dev/null 2>&1 ;;
    gcc) command -v gcc >/dev/null 2>&1 ;;
    binutils) command -v nm >/dev/null 2>&1 ;;
    libmicrohttpd-dev) pkg-config --exists libmicrohttpd 2>/dev/null ;;
    npm) command -v npm >/dev/null 2>&1 ;;
    *) dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
        grep -q 'install ok installed' ;;
    esac
}

# pkg-config comes first: the checks for the libraries use it.
for p in pkg-config gcc g++ make binutils libjansson-dev check mandoc \
    clang-format "$@"; do
    if ! have_pkg "$p"; then
        need="$need $p"
    fi
done

[ -z "$need" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "libclaude needs these Debian packages:$need" >&2
    echo "install them as root with:" >&2
    echo "    apt-get update && apt-get install -y$need" >&2
    exit 1
fi

echo "installing:$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || exit 1
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null || exit 1
