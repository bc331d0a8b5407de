# ctl_silent_agent.sh - an agent that stops speaking in the middle of a
# download (SIGSTOP: alive, its connection open, so nothing says it went
# away). `fshare-ctl get` of one file and of a folder waited for ever; the
# agent speaks of each download every 200 ms, so now after 30 s of silence
# each ends `agent not responding` (code no_agent), exit 1. The owner is
# fake_broker.py trickling its files (never finished, never stalled here).
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_broker.py"
REQ="ipc://$T/fake-req" PUB="ipc://$T/fake-pub"
cat >"$T/script.json" <<'JSON'
{"serve": {"one.bin": "trickle", "tr/a.bin": "trickle", "tr/b.bin": "trickle"},
 "stall_ms": 600000}
JSON
bg fake "$PY" "$FAKE" "$REQ" "$PUB" "$T/script.json"
start_peer bob --broker "$REQ"
wait_online 20 bob
wait_until 20 has_files bob mallory 3 || fail "bob does not see mallory's files: $(peer_files bob mallory)"

"$CTL" --user bob --json get mallory one.bin >"$T/one.out" 2>"$T/one.err" &
one=$!
"$CTL" --user bob --json get mallory tr/ --jobs 2 >"$T/many.out" 2>"$T/many.err" &
many=$!
# All three transfers run (their credit is the agent's answer to Opened)
wait_until 30 log_has_n fake "^credit " 3 || fail "not all three started: $(cat "$T/fake.log")"
halt "$PID_bob"
began=$(now_ms)
wait_until 90 gone "$one" || fail "get one.bin still waits after 90 s of a silent agent"
wait_until 30 gone "$many" || fail "get tr/ still waits after a silent agent"
took=$(( $(now_ms) - began ))
kill -CONT "$PID_bob"
wait "$one"; [ $? -eq 1 ] || fail "get one.bin: exit not 1: $(cat "$T/one.err")"
wait "$many"; [ $? -eq 1 ] || fail "get tr/: exit not 1: $(cat "$T/many.err")"
[ "$took" -ge 25000 ] || fail "gave up after $took ms, before 30 s of silence"
json_is '.code == "no_agent"' <"$T/one.out" || fail "one.bin: $(cat "$T/one.out")"
json_is 'length == 2 and all(.[]; .code == "no_agent")' <"$T/many.out" \
    || fail "tr/: $(cat "$T/many.out")"
grep -q "agent not responding" "$T/one.err" || fail "one.bin: $(cat "$T/one.err")"

# The agent, running again, finds its ctls gone (or its session, after the
# pause) and ends the downloads; it is online again
wait_until 30 log_has_n bob "went away: cancelling\\|reconnecting" 1 \
    || fail "the agent did not notice: $(tail -n 5 "$T/bob.log")"
wait_online 30 bob
exit 0
