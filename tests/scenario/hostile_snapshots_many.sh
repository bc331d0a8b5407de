# hostile_snapshots_many.sh - a crowd of connections, none logged in, each
# asking one snapshot and never reading it (a snapshot needs no session
# without CURVE). One per connection is all snapflow allowed, but each was
# the whole state (here 20,000 files of 200-byte paths, about 4 MB): 200
# such connections held 600 MB in the broker, 300 held 905 MB. Now every
# connection's pages together stay within SNAPFLOW_BUDGET_BYTES (64 MiB)
# plus the snapshot that crossed it: beyond, snapshots are refused `busy`;
# a snapshot unread for --stall-timeout is dropped with its connection.
# Meanwhile an agent still logs in and loads its snapshot, and a tap's
# snapshot completes: both ask again while busy.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$BROKER_PID/status"; }
CROWD=200

start_broker --hash-cost min --stall-timeout 3
start_peer bob
wait_online 10 bob
rss_start=$(rss_of "$BROKER_PID")

bg crowd "$PY" "$HOSTILE" snapmany "$BROKER_EP" mallory pw 20000 "$CROWD" 25
CROWD_PID=$LAST_PID
wait_until 20 log_has crowd '"asked": '"$CROWD" || fail "the crowd did not ask: $(cat "$T/crowd.log")"
# Its requests have reached the broker when it refuses some busy (the old
# broker never did: it took every one, and grew past the bound)
BOUND=131072
grew() { echo $(( $(hwm) - rss_start )); }
reached() { log_has broker "snapshot refused busy" || [ "$(grew)" -ge "$BOUND" ]; }
wait_until 20 reached || fail "the crowd's requests were neither refused nor answered"
[ "$(grew)" -lt "$BOUND" ] || fail "the broker grew by $(grew) kB for $CROWD unread snapshots"
# While the crowd holds its snapshots: an agent logs in and loads its own,
# a tap's snapshot completes (bob's and mallory's joins)
expect 0 "$TAP" --broker "$BROKER_EP" --events "$EVENTS_EP" --snapshot --count 2 --timeout 20 \
    --verbose
tap_busy=$(grep -c "refused busy" "$T/err")
[ "$tap_busy" -ge 1 ] || fail "the tap was never refused busy: the crowd held no budget"
start_peer carol
wait_online 20 carol
echo "refused busy and asked again: the tap $tap_busy times, carol" \
     "$(log_count carol "busy with snapshots") times"
peak=$(hwm)
growth=$((peak - rss_start))
echo "broker VmRSS ${rss_start} kB at start; peak VmHWM ${peak} kB (+${growth} kB) under" \
     "$CROWD connections that never read their snapshot"
# 64 MiB of pages in flight, one more snapshot (4 MB) and the allocator's
# slack; the old broker grew by 3 MB a connection (600 MB here)
[ "$growth" -lt "$BOUND" ] || fail "the broker grew by $growth kB for $CROWD unread snapshots"
log_has broker "dropped .* connections whose snapshot was not read" \
    || fail "no unread snapshot was dropped"
kill -0 "$CROWD_PID" 2>/dev/null && kill "$CROWD_PID"
online bob || fail "bob is not online: $(state bob)"
online carol || fail "carol is not online: $(state carol)"
end_clean
echo "hostile_snapshots_many: ok"
