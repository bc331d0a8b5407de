# peer_other_events.sh - an agent whose --events names another broker than
# its --broker: every event of that broker (its stats, every 2 s) was taken
# for a restart and made the agent fetch its own broker's snapshot again,
# for ever, without a word. Now the second event of that stranger is
# another broker: said once in the log and in `status` (events_problem,
# and a "problem:" line), its events dropped, and a snapshot fetched again
# only now and then (after 8 s, then 16 s, ...). The agent stays online and
# its view follows its own broker's snapshots.
. "$(dirname "$0")/../lib.sh" "$1"
start_broker --hash-cost min
bg other "$BIN/fshare-broker" --listen "ipc://$T/other.req" --publish "ipc://$T/other.pub" \
    --state-dir "$T/state/other" --hash-cost min
wait_until 10 test -S "$T/other.pub" || fail "the other broker did not start"
start_peer bob
start_peer alice --events "ipc://$T/other.pub"
wait_online 20 alice bob || fail "not online: $(cat "$T/alice.log")"
wait_until 10 has_peer alice bob || fail "alice does not see bob"

wait_until 20 log_has alice "names another broker" \
    || fail "alice did not say that her events are another broker's: $(cat "$T/alice.log")"
ctl alice --json status >"$T/status" || fail "no status"
json_is --arg ep "ipc://$T/other.pub" '.events_problem | test("another broker") and contains($ep)' \
    <"$T/status" || fail "status: $(cat "$T/status")"
ctl alice status | grep -q '^problem: .*another broker' || fail "status text: $(ctl alice status)"
ctl bob --json status | jq -e '.events_problem == null' >/dev/null || fail "bob has a problem"

# No longer a snapshot per stats event of the other broker (one every 2 s,
# 6 or so in 12 s): at most 2 in the 12 s after the warning (one at 8 s)
resyncs() { log_count alice "view resync #"; }
before=$(resyncs)
more_resyncs() { [ "$(resyncs)" -gt $((before + 2)) ]; }
wait_until 12 more_resyncs && fail "alice still fetches snapshots again and again: $(grep "view resync" "$T/alice.log")"
[ "$(log_count alice "names another broker")" -eq 1 ] || fail "the warning was said more than once"

# Still online, and her view still follows her own broker (its snapshots)
online alice || fail "alice is not online"
has_peer alice bob || fail "alice lost bob"
ctl alice disconnect >/dev/null || fail "disconnect alice"
ctl bob disconnect >/dev/null || fail "disconnect bob"
echo "peer_other_events: ok"
