#!/bin/sh
# run.sh - run the libFuzzer targets of a fuzz build, each for a bounded time.
#
#   sh tests/fuzz/run.sh BUILD_DIR [TARGET...]     TARGET: message, event, ...
#
# BUILD_DIR is a build configured with -DFSHARE_FUZZ=ON; this script builds
# nothing. Each target (all fuzz_* of BUILD_DIR when none is named) fuzzes
# for FUZZ_SECONDS (default 20) on a copy of tests/fuzz/corpus/TARGET in a
# temp dir, so the committed corpus changes only by hand. Its inputs run
# first, the crash-* reproducers of fixed bugs among them. A crash, a
# sanitizer report, a leak, a slow input or a broken property fails the run;
# the input is kept as BUILD_DIR/fuzz-artifacts/TARGET/crash-* (or leak-,
# timeout-, oom-) to reproduce with `BUILD_DIR/fuzz_TARGET FILE`.
set -eu

[ $# -ge 1 ] || { echo "usage: sh tests/fuzz/run.sh BUILD_DIR [TARGET...]" >&2; exit 2; }
build=$(cd "$1" && pwd)
shift
corpus_root=$(cd "$(dirname "$0")" && pwd)/corpus
seconds=${FUZZ_SECONDS:-20}

if [ $# -eq 0 ]; then
    for exe in "$build"/fuzz_*; do
        [ -x "$exe" ] || continue
        name=$(basename "$exe")
        set -- "$@" "${name#fuzz_}"
    done
    [ $# -gt 0 ] || { echo "run.sh: no fuzz_* targets in $build" >&2; exit 1; }
fi

# addr2line names the functions of a stack when llvm-symbolizer is missing.
: "${ASAN_OPTIONS:=detect_leaks=1:allow_addr2line=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1:allow_addr2line=1}"
: "${LSAN_OPTIONS:=print_suppressions=0}"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

work=$(mktemp -d "${TMPDIR:-/tmp}/fshare-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

failed=0
for target in "$@"; do
    exe="$build/fuzz_$target"
    if [ ! -x "$exe" ]; then
        echo "fuzz_$target: FAILED: no executable $exe" >&2
        failed=1
        continue
    fi
    corpus="$work/$target"
    artifacts="$build/fuzz-artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    if [ -d "$corpus_root/$target" ]; then
        cp "$corpus_root/$target"/* "$corpus/" 2>/dev/null || true
    fi
    seeds=$(ls "$corpus" | wc -l)
    log="$work/$target.log"
    # -close_fd_mask=3: the code's own logging is noise here; libFuzzer and
    # the sanitizers keep reporting on a copy of stderr.
    if "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
              -close_fd_mask=3 -print_final_stats=1 \
              -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz_$target: ok, ${runs:-?} runs in ${seconds} s from $seeds seeds," \
             "corpus now $(ls "$corpus" | wc -l) inputs"
    else
        echo "fuzz_$target: FAILED (exit $?); its report:" >&2
        # From the first report line on (the progress lines before are noise).
        pattern='ERROR:\|runtime error:\|fuzz property broken'
        if grep -q "$pattern" "$log"; then
            sed -n "/$pattern/,\$p" "$log" | head -n 100 >&2
        else
            tail -n 60 "$log" >&2
        fi
        echo "fuzz_$target: reproducers in $artifacts:" >&2
        ls -l "$artifacts" >&2
        failed=1
    fi
done
exit $failed
