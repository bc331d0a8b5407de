#!/bin/bash
# get_served_changes.sh - every other way a file can change while it is
# served (SPEC 4.3): truncated, replaced by a rename, by a FIFO, by a
# symlink, its mtime set back, deleted and made again with the same size
# and mtime. The requester never ends with wrong bytes under the final
# name (each get fails "file changed" or "deleted", nothing saved), and
# once the file settles the owner publishes the truth: its size and mtime
# as on her disk (a second get of a small one brings exactly its bytes),
# or the path gone from the view.
. "$(dirname "$0")/../lib.sh" "$1"
start_broker
A="$T/alice_files"
mkdir -p "$A"
# Large and sparse: far too big to be done before the test holds it
for f in trunc renamed fifo link mtime again; do truncate -s 2G "$A/$f.bin"; done
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice again.bin || fail "bob does not see alice's files"

part() { echo "$T/bob_dl/.$1.fshare-part"; }
start_get() {
    bg "get_$1" "$CTL" --user bob get alice "$1"
    GET_PID=$LAST_PID
    wait_until 20 has_bytes "$(part "$1")" || fail "$1: no byte arrived"
    halt "$PID_bob"
}
get_fails() {
    kill -CONT "$PID_bob"
    wait_until 30 gone "$GET_PID" || fail "get $1 did not end"
    wait "$GET_PID"
    local rc=$?
    [ "$rc" -eq 1 ] || fail "get $1 exited $rc, not 1: $(cat "$T/get_$1.log")"
    grep -Eq -- "$2" "$T/get_$1.log" || fail "get $1 does not say '$2': $(cat "$T/get_$1.log")"
    [ ! -e "$T/bob_dl/$1" ] || fail "$1 exists under its final name"
}
# view_has FILE: bob sees FILE with the size and mtime on alice's disk
view_has() {
    local want
    want=$(stat -c '%s %Y' "$A/$1")
    [ "$(ctl bob --json ls --all --user alice 2>/dev/null \
         | jq -r --arg p "$1" '.[] | select(.path == $p) | "\(.size) \(.mtime)"')" = "$want" ]
}
# sum_is FILE: bob sees FILE with the SHA-256 of alice's copy
sum_is() {
    [ "$(ctl bob --json ls --all --user alice 2>/dev/null \
         | jq -r --arg p "$1" '.[] | select(.path == $p) | .sha256')" \
      = "$(sha256sum <"$A/$1" | cut -d' ' -f1)" ]
}
# got_truth FILE: the owner publishes the (small) file as it is now, its
# digest too, and a get of it brings exactly its bytes
got_truth() {
    wait_until 10 view_has "$1" || fail "$1: not published as it is now"
    wait_until 10 sum_is "$1" || fail "$1: not published with its digest"
    rm -f "$T/bob_dl/$1"
    ctl bob get alice "$1" >"$T/out" 2>&1 || fail "get $1 after it settled: $(cat "$T/out")"
    cmp "$A/$1" "$T/bob_dl/$1" || fail "$1: bob's copy differs"
}

start_get trunc.bin
truncate -s 1M "$A/trunc.bin"
get_fails trunc.bin "file changed during transfer"
head -c 1M /dev/urandom >"$A/trunc.bin"     # settled: other bytes, same size
got_truth trunc.bin

start_get renamed.bin
head -c 300K /dev/urandom >"$T/new.bin" && mv "$T/new.bin" "$A/renamed.bin"
get_fails renamed.bin "deleted during transfer|changed during transfer"
got_truth renamed.bin

start_get fifo.bin
mkfifo "$T/fifo" && mv "$T/fifo" "$A/fifo.bin"
get_fails fifo.bin "deleted during transfer|changed during transfer"
wait_until 10 not_sees bob alice fifo.bin || fail "a FIFO is still published as fifo.bin"

start_get link.bin
echo secret >"$T/secret.txt" && ln -sf "$T/secret.txt" "$A/link.bin"
get_fails link.bin "deleted during transfer|changed during transfer"
wait_until 10 not_sees bob alice link.bin || fail "a symlink is still published as link.bin"

start_get mtime.bin
stamp=$(stat -c %y "$A/mtime.bin")
dd if=/dev/urandom of="$A/mtime.bin" bs=1M count=1 seek=100 conv=notrunc status=none
touch -d "$stamp - 1 hour" "$A/mtime.bin"
get_fails mtime.bin "file changed during transfer"
wait_until 10 view_has mtime.bin || fail "mtime.bin: not published as it is now"

# Deleted and made again, the same size and mtime, other bytes
start_get again.bin
stamp=$(stat -c %y "$A/again.bin")
rm "$A/again.bin"
head -c 2M /dev/urandom >"$A/again.bin" && truncate -s 2G "$A/again.bin"
touch -d "$stamp" "$A/again.bin"
get_fails again.bin "deleted during transfer|changed during transfer"
wait_until 10 view_has again.bin || fail "again.bin: not published as it is now"
echo "get_served_changes: ok"
