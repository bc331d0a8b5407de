# hostile_hog.sh - two accounts cannot stop an owner serving anyone
# (issue 8, item 4; SPEC 4.3): each sends 2,000 Gets of alice's file and
# never grants credit, holding every one of alice's --max-serving slots;
# bob's honest get through real agents still completes (his Get takes a
# slot from the requester holding most), the hogs' Gets beyond their
# share are refused (too_many_transfers, owner_busy), and the stall
# timeout (default 30 s) is not what lets bob in.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

start_broker --hash-cost min
start_peer alice
start_peer bob
wait_online 10 alice bob
head -c 1M /dev/urandom >"$T/alice_files/shared.bin"
wait_until 10 sees bob alice shared.bin || fail "bob does not see alice's file"

bg hog1 "$PY" "$HOSTILE" hog "$BROKER_EP" hog1 pw alice shared.bin 2000 10
HOG1=$LAST_PID
bg hog2 "$PY" "$HOSTILE" hog "$BROKER_EP" hog2 pw alice shared.bin 2000 10
HOG2=$LAST_PID
serving() { grep -c "relay: transfer .* alice -> hog.* bytes from 0" "$T/broker.log"; }
filled() { [ "$(serving)" -ge 64 ]; }
wait_until 20 filled || fail "the hogs did not fill alice's slots ($(serving))"
echo "alice serves $(serving) transfers to the hogs"

start=$(now_ms)
expect 0 "$CTL" --user bob get alice shared.bin
took=$(( $(now_ms) - start ))
cmp "$T/alice_files/shared.bin" "$T/bob_dl/shared.bin" || fail "bob's copy differs"
log_has broker "gives its slot at alice to bob" || fail "no fair-share log line"
log_has broker "no progress for" && fail "a stall timeout ended a transfer: bob got in by the clock"
echo "bob's get completed in $took ms while the hogs held their Gets"

wait_until 40 gone "$HOG1" && wait_until 40 gone "$HOG2" || fail "the hogs did not end"
# At most 32 at once: every Opened beyond 32 follows a transfer of the
# same hog that the fair share took back (owner_busy, code 18)
for hog in hog1 hog2; do
    json_is '.codes["17"] > 1000 and .opened <= 32 + (.codes["18"] // 0)' <"$T/$hog.log" \
        || fail "$hog: $(cat "$T/$hog.log")"
done
echo "hogs: $(cat "$T/hog1.log") $(cat "$T/hog2.log")"
echo "hostile_hog: ok"
