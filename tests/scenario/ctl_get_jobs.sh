# ctl_get_jobs.sh - `fshare-ctl get OWNER DIR/ --jobs N` runs at most N
# files at once, and does run N. The owner is something posing as a broker
# (fake_broker.py "held") that answers no Get while further Gets keep
# coming: once they are quiet for a second it says how many it holds and
# serves the oldest, so each "held K" is the requester's in-flight count.
# A ctl that ran N+1 (or every file) at once shows K > N at the first one.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_broker.py"
REQ="ipc://$T/fake-req" PUB="ipc://$T/fake-pub"
"$PY" -c '
import json, sys
serve = {"set/f%d.txt" % i: "held" for i in range(8)}
json.dump({"serve": serve, "stall_ms": 120000}, open(sys.argv[1], "w"))' "$T/script.json"
bg fake "$PY" "$FAKE" "$REQ" "$PUB" "$T/script.json"
start_peer bob --broker "$REQ"
wait_online 20 bob
wait_until 20 has_files bob mallory 8 || fail "bob does not see mallory's 8 files: $(peer_files bob mallory)"

expect 0 timeout 120 "$CTL" --user bob --json get mallory set/ --jobs 3
json_is 'length == 8 and all(.[]; .size == 10)' <"$T/out" || fail "get set/: $(cat "$T/out")"
for i in $(seq 0 7); do
    [ "$(cat "$T/bob_dl/set/f$i.txt")" = 0123456789 ] || fail "set/f$i.txt not saved"
done
[ "$(log_count fake '^get set/f.*held$')" -eq 8 ] || fail "not 8 gets: $(grep '^get' "$T/fake.log")"
held=$(grep -o '^held [0-9]*' "$T/fake.log" | awk '{ print $2 }')
[ "$(wc -l <<<"$held")" -eq 8 ] || fail "not 8 releases: $held"
max=$(sort -n <<<"$held" | tail -n 1)
[ "$max" -eq 3 ] || fail "--jobs 3 ran up to $max at once: $(tr '\n' ' ' <<<"$held")"
# The first three ran together: 3, 3, 3, 3, 3, 3 (each end starts the next), then 2, 1
[ "$(head -n 6 <<<"$held" | sort -u)" = 3 ] || fail "fewer than 3 at once: $(tr '\n' ' ' <<<"$held")"
exit 0
