# tap_busy_broker.sh - fshare-tap --user against something posing as a
# broker that answers every login `busy` (fake_broker.py "login": "busy"),
# without --timeout: the tap backs off (250 ms doubling to 4 s) and gives up
# after 30 s of busy answers (README "fshare-tap"), exit 1 with one line
# naming `busy`, rather than retrying for ever once a second.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_broker.py"
REQ="ipc://$T/fake-req" PUB="ipc://$T/fake-pub"
echo '{"login": "busy"}' >"$T/script.json"
bg fake "$PY" "$FAKE" "$REQ" "$PUB" "$T/script.json"
began=$(now_ms)
FSHARE_PASSWORD=secret bg tap "$TAP" --user alice --broker "$REQ" --events "$PUB"
tap=$LAST_PID
wait_until 90 gone "$tap" || fail "the tap still retries after 90 s: $(log_count fake 'busy login') logins"
wait "$tap"
status=$?
took=$(( $(now_ms) - began ))
[ "$status" -eq 1 ] || fail "the tap exited $status, not 1: $(cat "$T/tap.log")"
grep -q '^fshare-tap: busy: .* answered every login "busy" for 30 s' "$T/tap.log" \
    || fail "no busy message: $(cat "$T/tap.log")"
[ "$(wc -l <"$T/tap.log")" -eq 1 ] || fail "more than one line: $(cat "$T/tap.log")"
[ "$took" -ge 25000 ] || fail "gave up after $took ms, before the 30 s"
# Backoff: 250 ms doubling to 4 s is about 12 tries in 30 s (once a second: 30)
logins=$(log_count fake 'busy login')
[ "$logins" -ge 5 ] && [ "$logins" -le 16 ] || fail "$logins logins in $took ms"
exit 0
