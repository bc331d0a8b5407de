# hostile_decode.sh - frames that are small on the wire but huge once
# decoded (a raw client, hostile_client.py): a 4 MiB Publish of empty
# FileInfo entries (two bytes each, a protobuf-c allocation of ~100 bytes
# each: 250 MB) and a Ping trailed by a million unknown fields. The
# decoder counts what it would allocate first and refuses such a frame
# (bad_request, logged): the broker's peak memory stays small and the
# session goes on.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$BROKER_PID/status"; }

start_broker --hash-cost min
start_peer bob
wait_online 10 bob
hwm_start=$(hwm)
"$PY" "$HOSTILE" manyitems "$BROKER_EP" mallory pw 4194304 >"$T/items.json" \
    || fail "manyitems: $(cat "$T/items.json")"
hwm_end=$(hwm)
echo "broker VmHWM: ${hwm_start} kB, after ${hwm_end} kB ($(cat "$T/items.json"))"
[ $((hwm_end - hwm_start)) -lt 65536 ] \
    || fail "decoding two 4 MiB frames took the broker $((hwm_end - hwm_start)) kB more"
json_is 'all(.answers[]; .[1] == 6) and .session' <"$T/items.json" \
    || fail "not refused bad_request, or the session was lost: $(cat "$T/items.json")"
log_has broker "too many items" || fail "the refusal was not logged"
online bob || fail "bob is not online: $(state bob)"
end_clean
echo "hostile_decode: ok"
