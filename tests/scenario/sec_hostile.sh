# sec_hostile.sh - a raw hostile client (hostile_client.py, python3-zmq, not
# fshare's code) throws garbage at the broker twice over: empty, truncated,
# oversized and random frames, wrong frame counts, requests in the wrong
# state, a second login, absurd counts and sizes, a flood of 20,000
# messages, 70 logins padded to 3 MB each that the login throttle holds
# (the broker must keep only their login fields). The broker and the honest agents keep serving (a change still
# reaches the other view), the broker's memory stays bounded, and the log
# holds a rate-limited trickle, not a line per rejection.
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq

# Under AddressSanitizer freed memory waits in a quarantine (256 MB by
# default) before reuse: keep it small so that RSS measures the broker
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
log_lines() { wc -l <"$T/broker.log"; }

start_broker --hash-cost min --max-files 10000
start_peer alice
start_peer bob
wait_online 10 alice
wait_online 10 bob
echo before >"$T/alice_files/before.txt"
wait_until 10 sees bob alice before.txt || fail "bob does not see alice's file"

rss_start=$(rss_of "$BROKER_PID")
lines_start=$(log_lines)
"$PY" "$HOSTILE" hostile "$BROKER_EP" "$EVENTS_EP" mallory pw 4194304 >"$T/round1.json" \
    || fail "hostile round 1: $(cat "$T/round1.json")"
kill -0 "$BROKER_PID" || fail "the broker died"
rss_round1=$(rss_of "$BROKER_PID")

# The honest users did not notice
online alice || fail "alice is no longer online: $(state alice)"
online bob || fail "bob is no longer online: $(state bob)"
echo during >"$T/alice_files/after-round1.txt"
wait_until 10 sees bob alice after-round1.txt || fail "a change no longer reaches bob"

"$PY" "$HOSTILE" hostile "$BROKER_EP" "$EVENTS_EP" eve pw 4194304 >"$T/round2.json" \
    || fail "hostile round 2: $(cat "$T/round2.json")"
kill -0 "$BROKER_PID" || fail "the broker died in round 2"
rss_round2=$(rss_of "$BROKER_PID")
lines_end=$(log_lines)
echo again >"$T/alice_files/after-round2.txt"
wait_until 10 sees bob alice after-round2.txt || fail "a change no longer reaches bob (round 2)"
echo more >"$T/bob_files/bobs.txt"
wait_until 10 sees alice bob bobs.txt || fail "bob's change no longer reaches alice"
ctl_jq bob 'map(select(.user == "mallory" or .user == "eve")) | length == 0' -- ls --all \
    || fail "mallory's refused files are in bob's view: $(ctl bob --json ls --all)"

# Memory: a generous bound on the first round, and the second round (the
# same garbage again) must not keep growing
echo "broker VmRSS: ${rss_start} kB, after round 1 ${rss_round1} kB, after round 2 ${rss_round2} kB"
[ $((rss_round1 - rss_start)) -lt 131072 ] || fail "broker memory grew by $((rss_round1 - rss_start)) kB"
[ $((rss_round2 - rss_round1)) -lt 32768 ] \
    || fail "broker memory keeps growing: $rss_round1 kB -> $rss_round2 kB"

# Logs: every kind of rejection was logged, but rate-limited (tens of
# thousands of rejections, a few hundred lines at most)
lines=$((lines_end - lines_start))
echo "broker log: $lines lines for two rounds"
[ "$lines" -lt 600 ] || fail "$lines log lines: rejections are not rate-limited"
log_has broker "more rejections not logged" || fail "no sign of log rate-limiting"
log_has broker "dropped a malformed request" || fail "malformed requests were not logged"
log_has broker "publishes more than 10000 files" || fail "the huge file list was not logged"
json_is '.flood_pongs > 0 and .garbage_answers > 0' <"$T/round2.json" \
    || fail "odd hostile summary: $(cat "$T/round2.json")"
end_clean
echo "sec_hostile: ok ($(cat "$T/round1.json"))"
