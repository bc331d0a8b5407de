#!/bin/bash
# hostile_mute.sh - connections that send and never read cost the broker a
# bounded amount, whatever their number. 400 connections (no login) each
# send 5,000 Pings with a made-up session token and read no answer: libzmq
# would queue each one's answers up to the ROUTER's high-water mark (10,000
# of them, 0.7 MB a connection: 1,000 such took the broker to 730 MB, and
# it kept 560 MB after they left). Now a connection holding its answers
# unread gets no more (outflow.h: 64 each once 16 MiB of every
# connection's are in flight), its requests wait in libzmq's socket
# rather than the broker (256 a connection), and one whose answers have
# not moved for --stall-timeout is shut down; the flood is logged, and an
# honest user's change still reaches the others meanwhile. Then the same
# with frames that are no Message (answered "malformed message").
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$BROKER_PID/status"; }
# Under ASan every allocation carries red zones: the same queue costs more
LIMIT_KB=$((96 * 1024))
[ -n "$SANITIZED" ] && LIMIT_KB=$((192 * 1024))

start_broker --stall-timeout 2 --hash-cost min
start_peer alice
start_peer bob
wait_online 10 alice bob
rss_start=$(rss_of "$BROKER_PID")

flood() {   # NAME [garbage]: 400 mute connections, held until killed
    bg "$1" "$PY" "$HOSTILE" mute "$BROKER_EP" 400 5000 120 ${2:+"$2"}
    MUTE=$LAST_PID
    wait_until 60 log_has "$1" '"sent"' || fail "$1 did not send its flood"
}
flood mute
wait_until 20 log_has broker "reads none of its replies" || fail "the mute connections were not logged"
wait_until 20 log_has broker "that read none of their replies" \
    || fail "no mute connection was shut down after --stall-timeout"
log_has broker "with a session token this broker does not know" \
    || fail "the made-up session tokens were not logged"
# An honest change goes through meanwhile
echo during >"$T/alice_files/during.txt"
wait_until 20 sees bob alice during.txt || fail "alice's change did not reach bob during the flood"
kill -0 "$BROKER_PID" || fail "the broker died"
peak=$(hwm)
echo "broker VmRSS ${rss_start} kB at start, peak VmHWM ${peak} kB under 400 mute connections" \
     "x 5,000 requests (+$((peak - rss_start)) kB; at most ${LIMIT_KB})"
[ $((peak - rss_start)) -lt "$LIMIT_KB" ] || fail "the broker grew by $((peak - rss_start)) kB"
kill "$MUTE"
wait_until 10 gone "$MUTE" || fail "the mute client did not stop"

flood garbage garbage
wait_until 20 log_has broker "malformed request" || fail "the garbage was not logged"
echo after >"$T/alice_files/after.txt"
wait_until 20 sees bob alice after.txt || fail "alice's change did not reach bob during the garbage"
peak=$(hwm)
echo "peak VmHWM ${peak} kB after the garbage flood too (+$((peak - rss_start)) kB)"
[ $((peak - rss_start)) -lt "$LIMIT_KB" ] || fail "the broker grew by $((peak - rss_start)) kB"
kill "$MUTE"
wait_until 10 gone "$MUTE" || fail "the garbage client did not stop"
end_clean
echo "hostile_mute: ok"
