# ctl_slow_agent.sh - fshare-ctl against something posing as an agent that
# takes its requests and never answers (fake_agent.py drip with no reply
# at all is a mute ROUTER), or answers for ever without finishing (drip:
# an empty "more follow" reply every 0.1 s or 1 s): every request command
# ends with no_agent, exit 1, within bounded time (each reply within 5 s,
# a whole answer within 60 s), never waiting for ever; the search for "the
# only agent" does not hang on a dripping one either.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
MUTE="ipc://$T/mute.ctl" DRIP="ipc://$T/drip.ctl"
mkdir -p "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
bg mute "$PY" -c 'import sys, zmq
s = zmq.Context.instance().socket(zmq.ROUTER)
s.bind(sys.argv[1])
while True:
    print("request of %d frames" % len(s.recv_multipart()), flush=True)' "$MUTE"
bg drip "$PY" "$FAKE" drip "$DRIP" 1
bg fastdrip "$PY" "$FAKE" drip "ipc://$XDG_RUNTIME_DIR/fshare/dripper.ctl" 0.1
wait_until 10 test -S "$T/mute.ctl" -a -S "$T/drip.ctl" -a -S "$XDG_RUNTIME_DIR/fshare/dripper.ctl" \
    || fail "the fake agents did not bind"

# run NAME EP COMMAND...: fshare-ctl --json in the background, its output in
# $T/NAME.out, its exit status and seconds taken in $T/NAME.rc
run() {
    local name=$1 ep=$2; shift 2
    ( began=$(date +%s)
      timeout 200 "$CTL" --control "$ep" --json "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null
      echo "$? $(($(date +%s) - began))" >"$T/$name.rc" ) &
}
for ep in mute drip; do
    var=${ep^^}
    run "$ep-status" "${!var}" status
    run "$ep-ls" "${!var}" ls
    run "$ep-all" "${!var}" ls --all
    run "$ep-peers" "${!var}" peers
    run "$ep-disconnect" "${!var}" disconnect
done
run mute-get "$MUTE" get alice x.txt
run mute-events "$MUTE" events
wait_until 200 test -s "$T/drip-peers.rc" -a -s "$T/drip-all.rc" -a -s "$T/drip-ls.rc" \
    -a -s "$T/drip-status.rc" -a -s "$T/drip-disconnect.rc" || fail "fshare-ctl still waits"
for name in mute-status mute-ls mute-all mute-peers mute-disconnect mute-get mute-events \
            drip-status drip-ls drip-all drip-peers drip-disconnect; do
    wait_until 30 test -s "$T/$name.rc" || fail "$name never ended"
    read -r rc secs <"$T/$name.rc"
    [ "$rc" -eq 1 ] || fail "$name: exit $rc after $secs s: $(cat "$T/$name.out" "$T/$name.err")"
    json_is '.code == "no_agent"' <"$T/$name.out" || fail "$name: $(cat "$T/$name.out")"
    [ "$secs" -lt 150 ] || fail "$name took $secs s"
done
# The only agent running is a dripping one: not taken for an agent
began=$(date +%s)
expect 1 timeout 60 "$CTL" --json status
json_is '.code == "no_agent"' <"$T/out" || fail "status of the only agent: $(cat "$T/out")"
[ $(($(date +%s) - began)) -lt 30 ] || fail "finding the only agent took $(($(date +%s) - began)) s"
exit 0
