# hostile_snapshots.sh - a client that asks for snapshot after snapshot and
# never reads them (a raw client, hostile_client.py). Each is the whole
# state (here 20,000 files of 200-byte paths, about 4 MB); libzmq would
# queue them all for that one connection, up to the ROUTER's high-water
# mark (10,000 pages: 640 MB). The broker sends a connection its next
# snapshot only once the previous one has left: its memory stays flat,
# the flood is logged, and the newest request is answered once the
# client reads. An honest snapshot meanwhile comes at once.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
start_broker --hash-cost min
start_peer bob
wait_online 10 bob
rss_start=$(rss_of "$BROKER_PID")

bg flood "$PY" "$HOSTILE" snapflood "$BROKER_EP" mallory pw 20000 2000 8
FLOOD=$LAST_PID
wait_until 30 log_has broker "faster than it reads them" || fail "the flood was not noticed"
# While the flood waits: an honest snapshot (the tap's) is answered
expect 0 "$TAP" --broker "$BROKER_EP" --events "$EVENTS_EP" --snapshot --count 2 --timeout 10
rss_flood=$(rss_of "$BROKER_PID")
wait "$FLOOD" || fail "snapflood: $(cat "$T/flood.log")"
grep -v '^[IWD]: ' "$T/flood.log" | json_is '.answered[-1] == 2000' \
    || fail "the newest request was not answered: $(cat "$T/flood.log")"
echo "broker VmRSS: ${rss_start} kB, during the flood ${rss_flood} kB"
[ $((rss_flood - rss_start)) -lt 131072 ] \
    || fail "broker memory grew by $((rss_flood - rss_start)) kB for one client's snapshots"
online bob || fail "bob is not online: $(state bob)"
end_clean
echo "hostile_snapshots: ok"
