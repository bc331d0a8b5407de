#!/bin/bash
# peer_broker_crash.sh - the broker killed (-9) and started again while the
# host directory changes and a download runs (SPEC 4.1, 4.3, 4.4): a
# removal, a directory renamed, a file rewritten keeping its size and
# mtime, an addition, all while the broker is down; once the agents are
# back bob's view of alice equals her disk (paths, sizes, mtimes, digests,
# no ghost or doubled entry), each user is listed once, and a snapshot of
# the new broker says the same. A get running when the broker dies ends
# with an error instead of hanging, and the next get saves the file.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

mkdir -p "$DIR/docs"
for i in 1 2 3; do echo "doc $i" >"$DIR/docs/d$i.txt"; done
echo gone >"$DIR/gone.txt"
echo same >"$DIR/same.txt"
head -c 2M /dev/urandom >"$DIR/big.bin" && truncate -s 512M "$DIR/big.bin"
start_broker --hash-cost min --heartbeat 200
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice big.bin || fail "bob does not see alice's files"
same_sums 20 "at start"

# --- a get held when the broker dies --------------------------------------------------
PART="$T/bob_dl/.big.bin.fshare-part"
bg get1 "$CTL" --user bob get alice big.bin
GET_PID=$LAST_PID
wait_until 20 has_bytes "$PART" || fail "no byte arrived"
halt "$PID_bob"
kill -9 "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
kill -CONT "$PID_bob"
wait_until 40 gone "$GET_PID" || fail "the get hangs after the broker died"
wait "$GET_PID" && fail "the get succeeded without a broker"
[ -e "$T/bob_dl/big.bin" ] && fail "big.bin is under its final name after a failed get"

# --- changes while the broker is down ---------------------------------------------------
wait_until 5 is_state alice reconnecting || fail "alice did not notice: $(state alice)"
rm "$DIR/gone.txt"
mv "$DIR/docs" "$DIR/papers"
touch -r "$DIR/same.txt" "$T/stamp" && echo SAME >"$DIR/same.txt" && touch -r "$T/stamp" "$DIR/same.txt"
echo new >"$DIR/new.txt"
wait_until 5 ctl_jq alice 'any(.[]; .path == "new.txt")' -- ls || fail "alice's own list missed new.txt"

mv "$T/broker.log" "$T/broker-first.log"
start_broker --hash-cost min --heartbeat 200
wait_online 15 alice bob
same_as_disk
same_sums 20 "after the broker's restart"
ctl_jq bob '[.[] | .user] | sort == ["alice", "bob"]' -- peers \
    || fail "bob's peer list is not alice and bob once each: $(ctl bob --json peers)"
has_files bob alice "$(find "$DIR" -type f | wc -l)" || fail "bob counts $(peer_files bob alice) files of alice's"
"$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot --json --timeout 3 >"$T/snap" 2>/dev/null
jq -r 'select(.type == "join" and .user == "alice") | .files[] | "\(.path) \(.size) \(.mtime)"' "$T/snap" \
    | sort >"$T/snap.alice"
[ "$(cat "$T/snap.alice")" = "$(disk_lines '^$')" ] || fail "the new broker's snapshot differs from alice's disk:
$(diff "$T/snap.alice" <(disk_lines '^$'))"

out=$(ctl bob get alice big.bin 2>&1) || fail "the get after the restart failed: $out"
cmp -s "$DIR/big.bin" "$T/bob_dl/big.bin" || fail "big.bin saved differs"
[ -e "$PART" ] && fail "the partial file was left behind"
exit 0
