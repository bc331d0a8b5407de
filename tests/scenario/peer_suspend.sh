#!/bin/bash
# peer_suspend.sh - an agent that did not run for a while (SIGSTOP, a
# laptop's suspend) keeps its session when it goes on: its own silence is
# not the broker's. Nothing is queued for an idle agent meanwhile, so the
# first heartbeat tick after the stop finds no sign of the broker in its
# socket; the broker must get a fresh window to answer that tick's ping,
# not be taken for gone after heartbeats it was never asked for.
. "$(dirname "$0")/../lib.sh" "$1"

# The broker keeps a silent agent's session for 30 heartbeats
start_broker --liveness 30
start_peer alice
start_peer bob
wait_online 10 alice bob
bg bob_events "$CTL" --user bob --json events
wait_until 10 grep -q '"type":"stats"' "$T/bob_events.log" || fail "no events reach bob's stream"

halt "$PID_alice"
sleep 5     # how long the agent does not run (5 heartbeats), not a synchronisation
kill -CONT "$PID_alice"
# Her overdue heartbeat ran on going on; a file she closes afterwards
# reaches bob through the session she had
echo after >"$T/alice_files/after.txt"
wait_until 10 sees bob alice after.txt || fail "bob does not see after.txt"
log_has alice "reconnecting" && fail "alice reconnected after going on: $(grep reconnecting "$T/alice.log")"
[ "$(log_count alice "online:")" -eq 1 ] || fail "alice logged in again: $(grep online: "$T/alice.log")"
grep -q '"type":"leave"' "$T/bob_events.log" && fail "bob saw alice leave: $(cat "$T/bob_events.log")"
grep -q '"path":"after.txt"' "$T/bob_events.log" || fail "bob's events lack after.txt: $(cat "$T/bob_events.log")"
exit 0
