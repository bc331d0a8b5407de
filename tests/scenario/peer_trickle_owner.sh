# peer_trickle_owner.sh - an agent downloading from something posing as a
# broker (fake_broker.py trickle) whose owner sends 100 bytes every 0.2 s
# of a 10 MiB file: a trickle is no progress (README "Stalls": at least
# 64 KiB per stall timeout), so the agent's own stall clock ends the get
# `stalled` soon after the stall timeout (2 s here, told at login) and
# cancels the transfer, instead of holding it for the 30 hours the file
# would take; the partial file is kept for a resume; the session goes on.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_broker.py"
REQ="ipc://$T/fake-req" PUB="ipc://$T/fake-pub"
cat >"$T/script.json" <<'JSON'
{"serve": {"slow.bin": "trickle", "good.bin": "good"}, "stall_ms": 2000}
JSON
bg fake "$PY" "$FAKE" "$REQ" "$PUB" "$T/script.json"
start_peer bob --broker "$REQ"
wait_online 20 bob
began=$(date +%s)
expect 1 timeout 60 "$CTL" --user bob --json get mallory slow.bin
json_is '.code == "stalled"' <"$T/out" || fail "get slow.bin: $(cat "$T/out")"
[ $(($(date +%s) - began)) -lt 20 ] || fail "the trickle held the get $(($(date +%s) - began)) s"
wait_until 10 log_has fake "cancel 100 " || fail "the agent did not cancel the transfer"
[ -e "$T/bob_dl/slow.bin" ] && fail "slow.bin was saved"
expect 0 "$CTL" --user bob --json get mallory good.bin
[ "$(cat "$T/bob_dl/good.bin")" = 0123456789 ] || fail "good.bin: $(cat "$T/out")"
online bob || fail "bob lost its session"
exit 0
