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
#   sh tools/setup.sh deb                       install, build, and make the
#                                               Debian package build/fshare_*.deb
set -eu
cd "$(dirname "$0")/.."

PACKAGES="build-essential cmake pkg-config ca-certificates
  libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler libsodium-dev
  libssl-dev libjansson-dev libedit-dev libcmocka-dev libsqlite3-dev libmicrohttpd-dev
  procps psmisc coreutils findutils socat jq python3 python3-zmq
  clang libclang-rt-14-dev
  chromium chromium-driver python3-selenium
  dpkg-dev mandoc man-db lintian systemd bash-completion"

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
    ctest --test-dir build-fuzz -L fuzz --output-on-failure -j "$(jobs)"
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
        ctest --test-dir build --output-on-failure -j "$(jobs)"
        build build-asan -DFSHARE_SANITIZE=ON
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
            ctest --test-dir build-asan --output-on-failure -j "$(jobs)"
        fuzz ;;
    fuzz)
        fuzz ;;
    deb)
        build build
        sh tools/debian/build.sh build build ;;
    *)
        echo "usage: sh tools/setup.sh [build|broker|test|fuzz|deb] [options]" >&2
        exit 2 ;;
esac
