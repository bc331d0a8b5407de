# peer_reconnect.sh - the broker is killed (-9) and restarted: agents notice,
# say "broker unreachable" meanwhile, log in again by themselves and their
# views converge, including a change made while the broker was down.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker --hash-cost min --heartbeat 200
echo one >"$T/alice_files.tmp"
mkdir -p "$T/alice_files" && mv "$T/alice_files.tmp" "$T/alice_files/one.txt"
start_peer alice
start_peer bob
wait_online 10 alice
wait_online 10 bob
wait_until 5 sees bob alice one.txt || fail "bob does not see alice's file"
first=$(broker_id bob)
[ -n "$first" ] || fail "bob names no broker"

kill -9 "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
wait_until 5 is_state bob reconnecting || fail "bob did not notice: $(state bob)"
wait_until 5 is_state alice reconnecting || fail "alice did not notice: $(state alice)"
ctl bob peers >"$T/out" 2>&1 && fail "peers worked without a broker"
grep -q "broker unreachable" "$T/out" || fail "no 'broker unreachable': $(cat "$T/out")"
ctl bob ls --all >/dev/null 2>&1 && fail "ls --all worked without a broker"
ctl alice ls >/dev/null || fail "ls of my own files needs no broker"
echo two >"$T/alice_files/two.txt"
wait_until 5 ctl_jq alice 'length == 2' -- ls \
    || fail "alice's own list missed a change made while offline"

mv "$T/broker.log" "$T/broker-first.log"
start_broker --hash-cost min --heartbeat 200
wait_online 15 alice
wait_online 15 bob
wait_until 5 sees bob alice two.txt || fail "bob's view missed the offline change"
sees bob alice one.txt || fail "bob's view lost alice's first file"
wait_until 5 has_peer alice bob || fail "alice does not see bob again"
second=$(broker_id bob)
[ -n "$second" ] && [ "$second" != "$first" ] || fail "bob names the old broker (or none): '$second'"
[ "$(broker_id alice)" = "$second" ] || fail "the agents name different brokers"
log_has bob "reconnecting" || fail "bob's log does not mention reconnecting"

# live changes flow again after the restart
echo three >"$T/alice_files/three.txt"
wait_until 5 sees bob alice three.txt || fail "a change after the restart did not reach bob"
exit 0
