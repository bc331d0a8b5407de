#!/bin/bash
# web_fds_banner.sh - fshare-web (ulimit -n 32) run out of file descriptors
# by a local process that holds connections open: its status poll of the
# agent cannot make a socket. The banner said "The agent is not answering"
# (state `unreachable`), blaming a healthy agent; now it says the true
# cause, fshare-web's own shortage (state `no_fds`), and goes back to
# online once the connections go.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
DL="$T/dl"
mkdir -p "$DL" "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
echo '{}' >"$T/map.json"
bg fake "$PY" "$FAKE" web "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$DL" "$T/map.json"
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/bob.ctl" || fail "the fake agent did not bind"
bg web bash -c 'ulimit -n 32 && exec "$0" -v --user bob --listen 127.0.0.1:0' "$BIN/fshare-web"
WEB_PID=$LAST_PID
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)
wait_until 20 log_has web "agent state: online" || fail "never online: $(cat "$T/web.log")"

WEB_LOG="$T/web.log" "$PY" - "$WEB_URL" >"$T/http.out" 2>&1 <<'PY' || fail "the holder failed: $(cat "$T/http.out")"
import os, socket, sys, time, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
def said():
    log = open(os.environ["WEB_LOG"]).read()
    return "agent state: no_fds" in log or "agent state: unreachable" in log
held = []
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not said():
    try:
        held.extend(socket.create_connection((url.hostname, url.port), timeout=5)
                    for _ in range(5))
    except OSError:
        pass
    time.sleep(0.05)
for sock in held:
    sock.close()
print("held %d, said %s" % (len(held), said()))
PY
log_has web "agent state: no_fds" || fail "the banner did not say no_fds: $(grep 'agent state' "$T/web.log")"
log_has web "agent state: unreachable" && fail "the banner blamed the agent: $(grep 'agent state' "$T/web.log")"
wait_until 30 log_has_n web "agent state: online" 2 || fail "not online again: $(grep 'agent state' "$T/web.log")"
kill -0 "$WEB_PID" 2>/dev/null || fail "fshare-web died: $(tail -n 5 "$T/web.log")"
exit 0
