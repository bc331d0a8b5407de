#!/bin/bash
# get_basic.sh - downloads through the real programs: files of 0 B, 1 B,
# one chunk, one chunk + 1 and many chunks arrive identical with the digest
# of SPEC 5.1's --json output; name collisions; -o; plain output without a
# progress bar when not on a terminal; the shell's download_file; refusals.
. "$(dirname "$0")/../lib.sh" "$1"

CHUNK=$((1024 * 1024))      # TRANSFER_CHUNK
start_broker
mkdir -p "$T/alice_files/sub/dir"
: >"$T/alice_files/empty.bin"
head -c 1 /dev/urandom >"$T/alice_files/one.bin"
head -c $CHUNK /dev/urandom >"$T/alice_files/chunk.bin"
head -c $((CHUNK + 1)) /dev/urandom >"$T/alice_files/chunk1.bin"
head -c $((9 * CHUNK + 7)) /dev/urandom >"$T/alice_files/sub/dir/many.tar.gz"
start_peer alice
start_peer bob
wait_online 10 alice
wait_online 10 bob
wait_until 10 sees bob alice sub/dir/many.tar.gz || fail "bob does not see alice's files"

# get_json FILE EXPECTED_NAME [OPTIONS]: download FILE, check the JSON and the bytes
get_json() {
    local out size sum
    out=$(ctl bob --json get alice "$1" "${@:3}" 2>"$T/err") || fail "get $1: $(cat "$T/err")"
    size=$(stat -c %s "$T/alice_files/$1")
    sum=$(sha256sum "$T/alice_files/$1" | cut -d' ' -f1)
    json_is --arg p "$T/bob_dl/$2" --arg h "$sum" --argjson s "$size" \
        '.path == $p and .size == $s and .sha256 == $h and (keys | length) == 3' \
        <<<"$out" || fail "get $1: unexpected output $out"
    cmp -s "$T/alice_files/$1" "$T/bob_dl/$2" || fail "$1 arrived different"
}
get_json empty.bin empty.bin
get_json one.bin one.bin
get_json chunk.bin chunk.bin
get_json chunk1.bin chunk1.bin
get_json sub/dir/many.tar.gz many.tar.gz
# Never overwrite: numbered names, the first copy untouched (--again: the
# content is already there)
get_json sub/dir/many.tar.gz many.tar_1.gz --again
get_json sub/dir/many.tar.gz many.tar_2.gz --again
get_json one.bin one_1.bin --again
cmp -s "$T/alice_files/one.bin" "$T/bob_dl/one.bin" || fail "the first copy changed"

# Plain output off a terminal: one line naming the file, no progress bar
out=$(ctl bob get alice chunk.bin --again) || fail "plain get failed"
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "plain output is not one line: $out"
grep -q "$T/bob_dl/chunk_1.bin" <<<"$out" || fail "plain output lacks the path: $out"
grep -q $'\r' <<<"$out" && fail "a progress bar off a terminal"

# -o: a new name (relative to where fshare-ctl runs), a directory
mkdir -p "$T/other"
(cd "$T/other" && ctl bob get alice one.bin -o renamed.bin --again >/dev/null) || fail "-o FILE failed"
cmp -s "$T/alice_files/one.bin" "$T/other/renamed.bin" || fail "-o FILE: wrong content"
ctl bob get alice chunk1.bin -o "$T/other" >/dev/null || fail "-o DIR failed"
cmp -s "$T/alice_files/chunk1.bin" "$T/other/chunk1.bin" || fail "-o DIR: wrong content"

# The shell's word for it
printf 'download_file alice chunk1.bin --again\n' | ctl bob shell >"$T/shell.out" 2>&1 \
    || fail "shell download_file failed: $(cat "$T/shell.out")"
cmp -s "$T/alice_files/chunk1.bin" "$T/bob_dl/chunk1_1.bin" || fail "shell download wrong"

# Refusals: exit 1 and a clear message
expect_error() {    # MESSAGE ARGS...
    local want=$1; shift
    ctl bob get "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ "$rc" -eq 1 ] || fail "get $* exited $rc, not 1: $(cat "$T/err")"
    grep -q -- "$want" "$T/err" || fail "get $*: stderr lacks '$want': $(cat "$T/err")"
}
expect_error "unknown user" carol one.bin
expect_error "unknown file" alice nothing.bin
expect_error "unknown file" alice .one.bin.fshare-part
expect_error "'.' or '..' in path" alice ../alice_files/one.bin
expect_error "your own file" bob anything
# SPEC 5.1: a failure under --json is one error object, nothing else
ctl bob --json get alice nothing.bin >"$T/out" 2>/dev/null
lines "$T/out" 1
json_is '.code == "unknown_file" and (.error | test("unknown file"))' <"$T/out" \
    || fail "--json printed no error object for a failed get: $(cat "$T/out")"

# Nothing partial anywhere, and nothing published by the requester
[ -z "$(find "$T" -name '*.fshare-part')" ] || fail "partial files left behind"
wait_until 5 ctl_jq bob 'length == 0' -- ls || fail "bob publishes something"
exit 0
