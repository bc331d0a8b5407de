# sec_curve.sh - CURVE end to end (SPEC 6): the broker's key pair in its state
# dir (--print-key, printed at start), peers and a tap working under CURVE
# (sharing, live changes, a download, fshare-ctl connect --server-key, a
# broker restart), and the event stream closed to everyone who did not log
# in: a plain subscriber and a CURVE subscriber with an unknown key get
# nothing, a client without the key or with the wrong one never gets in,
# and no password leaves in clear for a non-local endpoint.
. "$(dirname "$0")/../lib.sh" "$1"

STATE="$T/state/fshare"
need_pyzmq

# --- the key pair ------------------------------------------------------------------------
expect 0 "$BIN/fshare-broker" --print-key --state-dir "$STATE"
KEY=$(cat "$T/out")
[ ${#KEY} -eq 40 ] || fail "--print-key printed '$KEY'"
grep -q "created a new CURVE key pair" "$T/err" || fail "no word of a new key: $(cat "$T/err")"
[ "$(stat -c %a "$STATE/broker.cert_secret")" = 600 ] || fail "secret file mode is not 600"
grep -qF -- "$KEY" "$STATE/broker.cert" || fail "the public file lacks the key"
expect 0 "$BIN/fshare-broker" --print-key --state-dir "$STATE"
[ "$(cat "$T/out")" = "$KEY" ] || fail "--print-key changed the key"
[ -s "$T/err" ] && fail "a second --print-key said: $(cat "$T/err")"
chmod 644 "$STATE/broker.cert_secret"
expect 1 "$BIN/fshare-broker" --print-key --state-dir "$STATE"
grep -q "readable by others" "$T/err" || fail "an open secret file was taken: $(cat "$T/err")"
chmod 600 "$STATE/broker.cert_secret"
expect 2 "$BIN/fshare-peer" --user alice --server-key "not-a-key"
grep -q "server-key" "$T/err" || fail "a bad --server-key was not named: $(cat "$T/err")"

# --- no password in clear off loopback (refused before any connection) ------------------------
expect 1 "$PEER" --user alice --broker tcp://192.0.2.1:5555 --password-file "$T/pw"
grep -q "refusing to send a password unencrypted" "$T/err" || fail "peer: $(cat "$T/err")"
expect 1 "$TAP" --user alice --broker tcp://192.0.2.1:5555 --events tcp://192.0.2.1:5556 \
    --password-file "$T/pw" --timeout 1
grep -q "refusing to send a password unencrypted" "$T/err" || fail "tap: $(cat "$T/err")"
expect 2 "$TAP" --server-key "$KEY" --events "$EVENTS_EP"
grep -q "needs --user" "$T/err" || fail "tap --server-key alone: $(cat "$T/err")"

# --- a CURVE broker; peers sharing under it -------------------------------------------------
start_broker --curve --hash-cost min
wait_until 5 grep -qF "fshare-broker: public key $KEY" "$T/broker.log" \
    || fail "the broker did not say its key"
grep -qxF -- "$KEY" "$T/broker.log" || fail "the broker did not print its key alone on a line"
echo hello >"$T/alice_files_hello.txt"
mkdir -p "$T/alice_files" && mv "$T/alice_files_hello.txt" "$T/alice_files/hello.txt"
start_peer alice --server-key "$KEY"
start_peer bob --server-key "$KEY"
wait_online 10 alice
wait_online 10 bob
wait_until 10 sees bob alice hello.txt || fail "bob does not see alice's file"

# A tap with alice's credentials sees the stream (bob's new file, a join)
bg tap "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --server-key "$KEY" --user alice \
    --password-file "$T/pw" --json
TAP_PID=$LAST_PID
wait_until 10 log_has tap '"type":"stats"' || fail "the CURVE tap got no events"
echo new >"$T/bob_files/new.txt"
wait_until 10 sees alice bob new.txt || fail "a live change did not reach alice"
wait_until 10 log_has tap '"type":"file_added".*"new.txt"' || fail "the tap missed file_added"
# ... and its --snapshot works with its session
expect 0 "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --server-key "$KEY" --user bob \
    --password-file "$T/pw" --snapshot --json --count 2 --timeout 10
json_is -s 'map(.user) | sort == ["alice", "bob"]' <"$T/out" \
    || fail "CURVE snapshot: $(cat "$T/out")"
# A wrong password: a clear refusal
echo wrong >"$T/wrong"
expect 1 "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --server-key "$KEY" --user alice \
    --password-file "$T/wrong" --timeout 5
grep -q "login refused: invalid user or password" "$T/err" || fail "tap: $(cat "$T/err")"

# A download under CURVE
ctl bob get alice hello.txt >"$T/get.out" 2>&1 || fail "get under CURVE: $(cat "$T/get.out")"
cmp -s "$T/alice_files/hello.txt" "$T/bob_dl/hello.txt" || fail "the download differs"

# fshare-ctl connect passes the key on
mkdir -p "$T/carol_files"
"$CTL" connect carol --broker "$BROKER_EP" --dir "$T/carol_files" --downloads "$T/carol_dl" \
    --password-file "$T/pw" --server-key "$KEY" >"$T/connect.out" 2>&1 \
    || fail "connect --server-key: $(cat "$T/connect.out")"
PIDS="$PIDS $(ctl carol --json status | jq -r .pid)"
wait_until 10 has_peer alice carol || fail "alice does not see carol"

# --- the event stream is closed to the others -----------------------------------------------
# Three subscribers over the same 3 s (stats come every 2 s, and a file
# changes meanwhile): plain, CURVE with an unknown key, CURVE logged in
"$PY" "$HOSTILE" sub "$EVENTS_EP" 3 >"$T/plain.json" &
plain_pid=$!
"$PY" "$HOSTILE" sub "$EVENTS_EP" 3 --server-key "$KEY" >"$T/stranger.json" &
stranger_pid=$!
"$PY" "$HOSTILE" sub "$EVENTS_EP" 3 --server-key "$KEY" --login "$BROKER_EP" alice \
    "$(cat "$T/pw")" >"$T/member.json" &
member_pid=$!
echo during >"$T/bob_files/during.txt"
wait "$plain_pid" || fail "plain sub: $(cat "$T/plain.json")"
wait "$stranger_pid" || fail "curve sub: $(cat "$T/stranger.json")"
wait "$member_pid" || fail "logged-in sub: $(cat "$T/member.json")"
json_is '.events == 0' <"$T/plain.json" || fail "a plain subscriber got events: $(cat "$T/plain.json")"
json_is '.events == 0' <"$T/stranger.json" \
    || fail "an unknown CURVE subscriber got events: $(cat "$T/stranger.json")"
json_is '.events > 0' <"$T/member.json" \
    || fail "a logged-in CURVE subscriber got nothing: $(cat "$T/member.json")"
# fshare-tap without CURVE: nothing either
expect 0 "$TAP" --events "$EVENTS_EP" --timeout 1.5
[ -s "$T/out" ] && fail "a plain fshare-tap got events: $(cat "$T/out")"
log_has broker "gate: refused a events connection" || fail "the gate logged no refusal"

# A peer without the key, or with another key, never gets in
start_peer dave
start_peer erin --server-key "$("$BIN/fshare-broker" --print-key --state-dir "$T/other" 2>/dev/null)"
wait_until 3 online dave && fail "a peer without CURVE got in"
online erin && fail "a peer with the wrong key got in"
lacks_peer alice dave || fail "alice sees dave"
kill "$PID_dave" "$PID_erin"

# --- a broker restart: agents and the tap log in again and are let back in ----------------------
kill -TERM "$BROKER_PID"
wait_until 10 gone "$BROKER_PID" || fail "the broker did not stop"
start_broker --curve --hash-cost min
wait_online 15 alice
wait_until 15 has_peer alice bob || fail "alice does not see bob again"
bg events "$CTL" --user bob --json events
wait_until 10 log_has events '"type":"stats"' || fail "bob's agent was not let back into the events"
echo later >"$T/alice_files/later.txt"
wait_until 10 log_has events '"type":"file_added".*"later.txt"' \
    || fail "bob's agent gets no live events after the restart"
wait_until 15 log_has tap '"type":"file_added".*"later.txt"' \
    || fail "the tap did not come back after the restart"
kill -TERM "$TAP_PID"
wait "$TAP_PID" || fail "the tap did not exit 0 on SIGTERM"
end_clean
echo "sec_curve: ok"
