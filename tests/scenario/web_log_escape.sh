#!/bin/bash
# web_log_escape.sh - fshare-web -v logs the agent's state word as it
# changes; something posing as bob's agent (fake_agent.py web, FAKE_STATE)
# sends one holding a right-to-left override and a C1 CSI (valid UTF-8,
# which the state's check lets through): the log shows them escaped as
# plain output does (\u202e, \u009b), never the raw bytes that would
# re-order or drive the terminal reading the log.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
mkdir -p "$T/dl" "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
echo "{}" >"$T/map.json"
FAKE_STATE=$(printf 'on\u202eline\u009b2J') \
    bg fake "$PY" "$FAKE" web "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$T/dl" "$T/map.json"
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/bob.ctl" || fail "the fake agent did not bind"
bg web "$BIN/fshare-web" -v --user bob --listen 127.0.0.1:0
wait_until 10 grep -q "agent state: " "$T/web.log" || fail "fshare-web -v logged no agent state"
grep -aiF 'agent state: on\u202eline\u009b2J' "$T/web.log" >/dev/null \
    || fail "the state is not logged escaped: $(grep -a 'agent state' "$T/web.log" | od -c | head)"
if LC_ALL=C grep -aq "$(printf '\342\200\256')\|$(printf '\302\233')" "$T/web.log"; then
    fail "the log holds a raw override or C1 control"
fi
kill -0 "$LAST_PID" 2>/dev/null || fail "fshare-web died"
exit 0
