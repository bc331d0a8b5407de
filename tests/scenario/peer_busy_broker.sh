# peer_busy_broker.sh - an agent logging in to something posing as a broker
# that answers every login `busy` (fake_broker.py "login": "busy"). By
# design (SPEC 4.1) the agent tries again for ever, but it says so: its log
# names each try's delay, backing off from 250 ms to 4 s and no further, and
# `fshare-ctl status` shows why it is not online (`retrying`, code `busy`,
# the next try) in both forms. `fshare-ctl connect` to such a broker fails
# after its 30 s with code `busy`, not `broker_unreachable`.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_broker.py"
REQ="ipc://$T/fake-req" PUB="ipc://$T/fake-pub"
echo '{"login": "busy"}' >"$T/script.json"
bg fake "$PY" "$FAKE" "$REQ" "$PUB" "$T/script.json"
start_peer bob --broker "$REQ"
wait_until 60 log_has bob "reconnecting in 4000 ms" || fail "no backoff to 4 s: $(cat "$T/bob.log")"
for ms in 250 500 1000 2000; do
    log_has bob "busy: too many logins at once, try again: reconnecting in $ms ms" \
        || fail "no try after $ms ms: $(cat "$T/bob.log")"
done
wait_until 20 ctl_jq bob '.retrying.code == "busy" and (.retrying.error | startswith("busy:"))
                         and .retrying.next_ms <= 4000 and .state == "connecting"' -- status \
    || fail "status does not say busy: $(ctl bob --json status)"
expect 0 ctl bob status
grep -q '^retrying: *busy: too many logins at once, try again (busy; next try in [0-4]\.[0-9] s)$' \
    "$T/out" || fail "plain status: $(cat "$T/out")"
# ... and never beyond 4 s
grep -o 'reconnecting in [0-9]* ms' "$T/bob.log" | awk '$3 > 4000 { bad = 1 } END { exit bad }' \
    || fail "a delay beyond 4 s: $(grep -o 'reconnecting in [0-9]* ms' "$T/bob.log" | sort -u)"

mkdir -p "$T/carol_files"
FSHARE_PASSWORD=secret expect 1 timeout 90 "$CTL" --json connect carol --broker "$REQ" \
    --dir "$T/carol_files" --downloads "$T/carol_dl"
json_is '.code == "busy"' <"$T/out" || fail "connect: $(cat "$T/out") $(cat "$T/err")"
err_has "busy: too many logins at once"
no_agent carol || fail "connect left its agent running"
exit 0
