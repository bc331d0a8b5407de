#!/bin/bash
# hostile_churn.sh - a session that sends Changes as fast as its socket
# takes them (one file of a 3.8 KB path renamed back and forth: 20,000
# events of 7.6 KB a second reached every subscriber, a paused tap grew to
# 1.5 GB, other users' changes came seconds late) is held to
# --max-change-rate: what it sends beyond is refused busy and never
# published, and an honest user's change still reaches the others at once.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

RATE=1048576                    # bytes a second; 4 s of it at once
start_broker --max-change-rate "$RATE"
start_peer alice
start_peer bob
wait_online 10 alice bob
bg tap "$TAP" --events "$EVENTS_EP" --json --topic files
TAP_PID=$LAST_PID

bg churn "$PY" "$HOSTILE" churn "$BROKER_EP" churn pw 6
CHURN=$LAST_PID
wait_until 10 sees bob churn "$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); \
    from hostile_client import long_path; print(long_path("a", 3800))' "$(dirname "$HOSTILE")")" \
    || fail "bob does not see the churner's file"
# Meanwhile an honest change is published as ever
echo "honest" >"$T/alice_files/during.txt"
wait_until 10 sees bob alice during.txt || fail "alice's change did not reach bob during the churn"
wait_until 30 gone "$CHURN" || fail "the churner did not end"
wait "$CHURN" || fail "churn: $(cat "$T/churn.log")"
echo "churn: $(cat "$T/churn.log")"
# Beyond the budget (4 s of the rate at once, then the rate) it was refused
json_is '.busy > 0 and .other == 0' <"$T/churn.log" \
    || fail "the churner was not refused busy: $(cat "$T/churn.log")"
json_is --argjson rate "$RATE" \
    '(.sent - .busy) * (512 + 2 * .path_bytes) <= 4 * $rate + $rate * (.seconds + 2)' \
    <"$T/churn.log" || fail "more changes were taken than the budget allows: $(cat "$T/churn.log")"
# ...and what was refused was never published: the tap heard at most what
# was taken (and at least some of it)
renamed() { grep -c '"type":"file_renamed","user":"churn"' "$T/tap.log"; }
taken=$(jq '.sent - .busy' <"$T/churn.log")
heard_some() { [ "$(renamed)" -ge 1 ]; }
wait_until 10 heard_some || fail "the tap heard no rename at all"
[ "$(renamed)" -le "$taken" ] || fail "the tap heard $(renamed) renames, $taken were taken"
log_has broker "changes beyond --max-change-rate" || fail "the broker did not log the refusals"
kill -0 "$BROKER_PID" || fail "the broker died"
kill "$TAP_PID"
stopped "$TAP_PID" 0
end_clean
echo "hostile_churn: ok"
