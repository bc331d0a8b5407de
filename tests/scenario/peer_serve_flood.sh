# peer_serve_flood.sh - something posing as a broker (fake_broker.py) asks
# an agent to serve one of its files 3,000 times at once and never grants
# credit. Each upload holds its file open: beyond what the descriptor
# limit (1024 here, a desktop's default) leaves, the agent refuses with
# owner_busy (logged, a few lines a second) instead of running out of
# descriptors, which made libzmq abort the agent at the next fshare-ctl
# connection. The agent stays online, answers fshare-ctl and downloads.
# (3,000 requests take an ASan agent on a loaded machine over 30 s.)
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

ulimit -n 1024 || fail "cannot set the descriptor limit"
FAKE="$(dirname "$0")/fake_broker.py"
REQ="ipc://$T/fake-req" PUB="ipc://$T/fake-pub"
cat >"$T/script.json" <<'JSON'
{"serve": {"good.bin": "good"}, "serve_flood": {"path": "x.txt", "count": 3000}}
JSON
bg fake "$PY" "$FAKE" "$REQ" "$PUB" "$T/script.json"
mkdir -p "$T/bob_files"
echo hello >"$T/bob_files/x.txt"
start_peer bob --broker "$REQ"
wait_online 20 bob
wait_until 120 log_has fake "served 3000" || fail "the fake broker did not flood"
# 3,000 asked, at most (1024 - 256) / 2 = 384 served: 2,616 refused owner_busy (18)
wait_until 120 log_has fake "cancelled 18 2000" || fail "the agent did not refuse the flood: $(tail -n 5 "$T/fake.log")"
alive "$PID_bob" || fail "the agent died"
expect 0 "$CTL" --user bob --json status
json_is '.state == "online"' <"$T/out" || fail "status: $(cat "$T/out")"
expect 0 "$CTL" --user bob get mallory good.bin
[ "$(cat "$T/bob_dl/good.bin")" = 0123456789 ] || fail "the download did not arrive"
log_has bob "refused to serve eve: already serving 384 transfers" || fail "the refusal was not logged"
[ "$(log_count bob 'refused to serve')" -lt 100 ] || fail "every refusal was logged"
fds=$(ls "/proc/$PID_bob/fd" | wc -l)
[ "$fds" -lt 700 ] || fail "the agent holds $fds descriptors"
exit 0
