# hostile_greedy.sh - a requester that grants credit but never reads cannot
# make the broker hold the file for it: every chunk carries a receipt, and
# the broker forwards credit only up to one window (16 MiB) beyond the last
# receipt returned, so an owner flooding as fast as its credit allows is
# sent 16 MiB of credit in all, the broker's memory grows by about that
# (not by the 512 MiB the greedy client asks for), and an honest download
# completes meanwhile.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

# ASan keeps freed chunks in its quarantine: keep that small, as for hostile_memory
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$BROKER_PID/status"; }

start_broker --hash-cost min --stall-timeout 4
start_peer alice
start_peer bob
wait_online 10 alice bob
head -c 6M /dev/urandom >"$T/alice_files/honest.bin"
wait_until 10 sees bob alice honest.bin || fail "bob does not see alice's file"
rss_start=$(rss_of "$BROKER_PID")

bg flood "$PY" "$HOSTILE" flooder "$BROKER_EP" flood pw big.bin 4294967296 10
FLOOD=$LAST_PID
wait_until 10 sees bob flood big.bin || fail "bob does not see the flooder's file"
bg greedy "$PY" "$HOSTILE" greedy "$BROKER_EP" greedy pw flood big.bin 512 6
GREEDY=$LAST_PID
clamped() { log_has broker "greedy granted .* bytes beyond the window; clamped"; }
wait_until 10 clamped || fail "the broker did not clamp the greedy requester's credit"

expect 0 "$CTL" --user bob get alice honest.bin
cmp "$T/alice_files/honest.bin" "$T/bob_dl/honest.bin" || fail "bob's copy differs"

wait_until 30 gone "$GREEDY" || fail "the greedy client did not end"
wait_until 30 gone "$FLOOD" || fail "the flooder did not end"
json_is '.granted == 536870912' <"$T/greedy.log" || fail "greedy: $(cat "$T/greedy.log")"
json_is '.credit <= 16777216 and .sent <= .credit' <"$T/flood.log" \
    || fail "the owner was given credit beyond one window: $(cat "$T/flood.log")"
grew=$(( $(hwm) - rss_start ))
echo "flooder: $(cat "$T/flood.log"); broker peak RSS grew by $grew kB"
[ "$grew" -lt 65536 ] || fail "the broker's memory grew by $grew kB for a requester that reads nothing"
kill -0 "$BROKER_PID" || fail "the broker died"
end_clean
echo "hostile_greedy: ok"
