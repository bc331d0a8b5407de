# tap_restart.sh - fshare-tap across a broker restart: without --snapshot it
# warns "broker restarted" once; with --snapshot it silently re-fetches the
# state of the new broker and goes on, so its stream ends in the truth (alice
# present, under the new broker id, sequence numbers growing). A tap whose
# --events and --broker are two brokers says so and exits 1.
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="pw-$$"

# online_at ID: alice is online at the broker of that id
online_at() { ctl_jq alice '.state == "online" and .broker_id == $b' --arg b "$1" -- status; }

start_broker --hash-cost min
mkdir -p "$T/alice_files"
printf 'a' >"$T/alice_files/a.txt"
connect alice
OLD=$(broker_id alice)
[ -n "$OLD" ] || fail "alice names no broker"

bg tap "$TAP" --events "$EVENTS_EP"
bg snap "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot --json
wait_until 10 log_has tap " stats " || fail "the plain tap saw no stats event"
wait_until 10 log_has snap '"type":"join","user":"alice"' || fail "no snapshot join"

kill -TERM "$BROKER_PID"
wait "$BROKER_PID"
start_broker --hash-cost min
new_broker() { local id; id=$(broker_id alice); [ -n "$id" ] && [ "$id" != "$OLD" ]; }
wait_until 15 new_broker || fail "alice did not log in to the new broker"
NEW=$(broker_id alice)
wait_until 15 online_at "$NEW" || fail "alice is not online at the new broker"

wait_until 10 log_has tap "fshare-tap: broker restarted" || fail "no restart warning: $(cat "$T/tap.log")"
[ "$(grep -c "broker restarted" "$T/tap.log")" -eq 1 ] || fail "the restart was reported twice"
# the snapshot tap: alice present under the new broker, no warning, seq growing
alice_at_new() {
    [ "$(grep '"type":"\(join\|leave\)","user":"alice"' "$T/snap.log" | tail -n 1 \
         | jq -r '.type + " " + .broker')" = "join $NEW" ]
}
wait_until 10 alice_at_new \
    || fail "the snapshot tap does not end with alice at $NEW: $(cat "$T/snap.log")"
grep -q "fshare-tap:" "$T/snap.log" && fail "the snapshot tap warned: $(cat "$T/snap.log")"
json_is -s --arg b "$NEW" 'map(select(.broker == $b) | .seq) | length > 0 and . == sort' <"$T/snap.log" \
    || fail "new broker's events out of order: $(cat "$T/snap.log")"

# --events of one broker, --broker of another: every event of the first
# asked for a snapshot of the second, printed again every 2 s for ever; now
# the second such event ends the tap, exit 1, saying so (its stats suffice)
bg other "$BIN/fshare-broker" --listen "ipc://$T/other.req" --publish "ipc://$T/other.pub" \
    --state-dir "$T/state/other" --hash-cost min
wait_until 10 test -S "$T/other.pub" || fail "the other broker did not start"
expect 1 timeout 60 "$TAP" --events "ipc://$T/other.pub" --broker "$BROKER_EP" --snapshot
err_has "^fshare-tap: --events ipc://$T/other.pub and --broker $BROKER_EP are not the same broker"
err_lines 1
"$CTL" --user alice disconnect >/dev/null || fail "disconnect alice"
echo "tap_restart: ok"
