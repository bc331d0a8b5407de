#!/bin/bash
# get_resume.sh - the requester's agent is killed mid-transfer; restarted,
# the next get continues from the partial file ("resumed at N bytes") and
# the file arrives identical; a partial file of a file that changed since
# is restarted ("restarted").
. "$(dirname "$0")/../lib.sh" "$1"

start_broker
mkdir -p "$T/alice_files"
# Random head and tail around a sparse middle: a wrong resume would show
head -c 3M /dev/urandom >"$T/alice_files/big.bin"
truncate -s 512M "$T/alice_files/big.bin"
head -c 1M /dev/urandom >>"$T/alice_files/big.bin"
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice big.bin || fail "bob does not see big.bin"

PART="$T/bob_dl/.big.bin.fshare-part"

bg get1 "$CTL" --user bob get alice big.bin
GET_PID=$LAST_PID
wait_until 20 has_bytes "$PART" || fail "no byte arrived"
halt "$PID_bob"
kill -KILL "$PID_bob"
stopped "$PID_bob" 137
wait_until 10 gone "$GET_PID" || fail "get did not end when its agent died"
wait "$GET_PID" && fail "get succeeded without its agent"
[ -e "$T/bob_dl/big.bin" ] && fail "a final name appeared"
kept=$(size_of "$PART")
[ "$kept" -gt 0 ] || fail "the partial file is gone"
wait_until 10 log_has alice "'big.bin' to bob stopped" || fail "alice kept serving a dead requester"

# The broker lets the old session expire before bob can log in again
wait_until 10 lacks_peer alice bob || fail "the broker kept bob's old session"
start_peer bob
wait_online 10 bob
wait_until 10 sees bob alice big.bin || fail "bob does not see big.bin again"
out=$(ctl bob get alice big.bin 2>&1) || fail "resumed get failed: $out"
grep -q "resumed at $kept bytes" <<<"$out" || fail "no 'resumed at $kept bytes': $out"
cmp -s "$T/alice_files/big.bin" "$T/bob_dl/big.bin" || fail "the resumed file differs"
[ -e "$PART" ] && fail "the partial file was left behind"

# A partial file of a version that is gone: restarted from 0
bg get2 "$CTL" --user bob get alice big.bin --again
GET_PID=$LAST_PID
PART="$T/bob_dl/.big.bin.fshare-part"
wait_until 20 has_bytes "$PART" || fail "no byte arrived (2)"
kill -INT "$GET_PID"
stopped "$GET_PID" 1
[ -e "$PART" ] || fail "the interrupted part is gone"
head -c 1M /dev/urandom >>"$T/alice_files/big.bin"
touch -d '2001-01-01' "$T/alice_files/big.bin"
wait_until 10 ctl_jq bob 'any(.[]; .path == "big.bin" and .size == 538968064)' -- ls --all \
    || fail "bob does not see the new big.bin"
out=$(ctl bob get alice big.bin 2>&1) || fail "restarted get failed: $out"
grep -q "restarted" <<<"$out" || fail "no 'restarted': $out"
cmp -s "$T/alice_files/big.bin" "$T/bob_dl/big_1.bin" || fail "the restarted file differs"
exit 0
