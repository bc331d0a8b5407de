# peer_restart.sh - right after a broker restart (SPEC 4.1, issue 9.6): an
# agent that has not noticed yet finds out with its own ping, logs in again
# at once, and the command that needed the broker waits for that login
# rather than failing; "unknown session" is never "broker unreachable"; a
# disconnect in that window exits 0. A broker that is really down makes the
# same commands fail fast with broker unreachable.
. "$(dirname "$0")/../lib.sh" "$1"

# A slow heartbeat: the agents learn of the restart from the commands, not
# from their next ping
start_broker --hash-cost min --heartbeat 3000
mkdir -p "$T/alice_files" "$T/bob_files"
echo a >"$T/alice_files/a.txt"
echo b >"$T/bob_files/b.txt"
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice a.txt && wait_until 10 sees alice bob b.txt || fail "views"
first=$(broker_id alice)
[ -n "$first" ] || fail "alice names no broker"

restart_broker() {
    kill -KILL "$BROKER_PID"
    wait "$BROKER_PID" 2>/dev/null
    rm -f "$T/broker.req" "$T/broker.pub"
    start_broker --hash-cost min --heartbeat 3000
}

# --- a get right after the restart waits for the new login ---------------------------
restart_broker
# alice's get finds out about the restart and waits for her new login; it
# succeeds, or (bob not back yet) fails for that reason, never as unreachable
out=$(ctl alice get bob b.txt 2>&1) || grep -q "unknown user" <<<"$out" \
    || fail "alice's get after the restart: $out"
log_has alice "does not know our session" || fail "alice did not learn of the restart"
second=$(broker_id alice)
[ -n "$second" ] && [ "$second" != "$first" ] || fail "alice names the old broker (or none): '$second'"
# bob has most likely not pinged the new broker yet: his get waits too
out=$(ctl bob get alice a.txt 2>&1) || fail "bob's get after the restart: $out"
cmp -s "$T/alice_files/a.txt" "$T/bob_dl/a.txt" || fail "bob's a.txt differs"
grep -q "lost the broker" "$T/alice.log" "$T/bob.log" && fail "a download saw the session lost"

# --- a disconnect right after the restart exits 0 --------------------------------------
wait_online 10 bob
restart_broker
expect 0 "$CTL" --user bob disconnect
stopped "$PID_bob" 0

# --- a broker really gone: fail fast, broker unreachable --------------------------------
kill -KILL "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
wait_until 15 is_state alice reconnecting || fail "alice did not notice: $(state alice)"
expect 1 "$CTL" --user alice get bob b.txt
err_has "broker unreachable"
expect 1 "$CTL" --user alice disconnect
err_has "broker unreachable; stopped anyway"
stopped "$PID_alice" 0
exit 0
