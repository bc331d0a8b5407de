#!/bin/sh
# setup.sh - install what fshare needs (Debian packages), build it, and then
# start the broker or run the test suite.
#
#   sh tools/setup.sh broker [BROKER OPTIONS]   install, build, run fshare-broker
#   sh tools/setup.sh test                      install, build, run every test
#                                               (plain build, then ASan/UBSan,
#                                               then the fuzzers, with clang)
#   sh tools/setup.sh build                     install and build only
#   sh tools/setup.sh fuzz                      install, run the fuzzers only
#   sh tools/setup.sh soak N                    install, build, run the whole
#                                               suite N times (plain and
#                                               ASan) under stress-ng load;
#                                               prints failures per test
#   sh tools/setup.sh deb                       install, build, and make the
#                                               Debian package build/fshare_*.deb
set -eu
cd "$(dirname "$0")/.."

PACKAGES="build-essential cmake pkg-config ca-certificates
  libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler libsodium-dev
  libssl-dev libjansson-dev libedit-dev libcmocka-dev libsqlite3-dev libmicrohttpd-dev
  procps psmisc coreutils findutils socat jq python3 python3-zmq stress-ng git vim
  clang libclang-rt-14-dev
  chromium chromium-driver python3-selenium
  dpkg-dev mandoc man-db lintian systemd bash-completion util-linux"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "setup: need root (or sudo) to install packages: $*" >&2; exit 1
    fi
}

install_packages() {
    missing=""
    for pkg in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
            || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    echo "setup: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    # shellcheck disable=SC2086
    as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

jobs() { nproc 2>/dev/null || echo 2; }

build() {   # build DIR [cmake options]
    dir=$1; shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$(jobs)"
}

# The libFuzzer targets of tests/fuzz: a clang build of the libraries and
# the fuzzers only, each fuzzing for FUZZ_SECONDS (default 20), one per core at a time.
fuzz() {
    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DFSHARE_FUZZ=ON -DFSHARE_SANITIZE=ON \
        -DFSHARE_FUZZ_SECONDS="${FUZZ_SECONDS:-20}" >/dev/null
    cmake --build build-fuzz --target fuzzers -j "$(jobs)"
    ctest --test-dir build-fuzz -L fuzz --no-tests=error --output-on-failure -j "$(jobs)"
}

# suite DIR [LOG]: every test of the build in DIR, failing when there are
# none; the output also goes to LOG; then how many were skipped, and why.
suite() {
    dir=$1 log=${2:-$1/suite.log}
    rc=0
    ctest --test-dir "$dir" --no-tests=error --output-on-failure -j "$(jobs)" >"$log" 2>&1 || rc=$?
    cat "$log"
    skipped "$dir" "$log"
    return $rc
}

# skipped DIR LOG: the tests ctest skipped (exit 77), each with its SKIP: line
skipped() {
    names=$(sed -n 's/.*Test *#[0-9]*: \([^ ]*\) .*\*\*\*Skipped.*/\1/p' "$2")
    count=$(printf '%s' "$names" | grep -c . || true)
    echo "setup: $1: $count test(s) skipped"
    for name in $names; do
        why=$(awk -v t="$name" '$2 == "Testing:" { cur = $3 } cur == t && /^SKIP: / \
                { sub(/^SKIP: /, ""); print; exit }' "$1/Testing/Temporary/LastTest.log")
        echo "setup:   $name: ${why:-no reason given}"
    done
}

# soak N: the whole suite N times, plain and ASan, while stress-ng loads
# the machine; then the failures per test (tests that never failed are
# not listed).
soak() {
    rounds=${1:-3}
    build build
    build build-asan -DFSHARE_SANITIZE=ON
    stress-ng --cpu 2 --io 1 --timeout 0 --quiet &
    stress=$!
    trap 'kill "$stress" 2>/dev/null' EXIT INT TERM
    : >build/soak.failures
    round=1
    while [ "$round" -le "$rounds" ]; do
        for dir in build build-asan; do
            log=$dir/soak-$round.log
            ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
                ctest --test-dir "$dir" --no-tests=error --output-on-failure \
                -j "$(jobs)" >"$log" 2>&1 || true
            grep -v '(Skipped)$' "$log" \
                | sed -n "s/^[[:space:]]*[0-9]* - \([^ ]*\) (.*/$dir \1/p" >>build/soak.failures || true
            echo "setup: soak round $round/$rounds $dir: $(grep -c "^$dir " build/soak.failures) failure(s) so far; $(grep 'tests passed' "$log")"
        done
        round=$((round + 1))
    done
    kill "$stress" 2>/dev/null
    echo "setup: soak: $rounds round(s) of plain and ASan under stress-ng --cpu 2 --io 1"
    if [ -s build/soak.failures ]; then
        sort build/soak.failures | uniq -c | sort -rn
    else
        echo "setup: soak: no failures"
    fi
    echo "setup: logs in build/soak-*.log and build-asan/soak-*.log"
}

command=${1:-build}
[ $# -gt 0 ] && shift
install_packages
case "$command" in
    build)
        build build ;;
    broker)
        build build
        exec ./build/fshare-broker "$@" ;;
    test)
        build build
        suite build
        build build-asan -DFSHARE_SANITIZE=ON
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 suite build-asan
        fuzz ;;
    soak)
        soak "$@" ;;
    fuzz)
        fuzz ;;
    deb)
        build build
        sh tools/debian/build.sh build build ;;
    *)
        echo "usage: sh tools/setup.sh [build|broker|test|fuzz|soak N|deb] [options]" >&2
        exit 2 ;;
esac
