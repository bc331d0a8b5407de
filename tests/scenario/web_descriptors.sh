#!/bin/bash
# web_descriptors.sh - fshare-web run out of file descriptors (ulimit -n 32)
# by a hostile local process that holds connections open (no token needed
# to connect: the gate accepts until the limit) while a folder of 1,500 files
# downloads: libzmq cannot make the downloads' control sockets, and CZMQ's
# zsock_new aborts when it cannot (src/zsock.c: Assertion `self->handle').
# fshare-web keeps running instead, says once that downloads wait for
# descriptors, and, once the connections go, finishes the folder, every
# one of the 1,500 files saved, with the page answering again.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
DL="$T/dl"
mkdir -p "$DL"
echo "good file" >"$DL/good.txt"
"$PY" -c '
import json, sys
paths = {"many/%04d.txt" % i: sys.argv[1] + "/good.txt" for i in range(1500)}
json.dump(paths, open(sys.argv[2], "w"))' "$DL" "$T/map.json"
mkdir -p "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
bg fake "$PY" "$FAKE" web "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$DL" "$T/map.json"
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/bob.ctl" || fail "the fake agent did not bind"
# ulimit -n sets the hard limit too: fshare-web cannot raise it
bg web bash -c 'ulimit -n 32 && exec "$0" --user bob --listen 127.0.0.1:0' "$BIN/fshare-web"
WEB_PID=$LAST_PID
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)
[ "$(awk '/^Max open files/ { print $4 }' "/proc/$WEB_PID/limits")" = 32 ] \
    || fail "fshare-web's descriptor limit is not 32: $(grep 'open files' "/proc/$WEB_PID/limits")"

WEB_LOG="$T/web.log" "$PY" - "$WEB_URL" "$(dirname "$0")" >"$T/http.out" 2>&1 <<'EOF' || fail "the web checks failed: $(cat "$T/http.out")"
import json, os, socket, sys, time
sys.path.insert(0, sys.argv[2])
from webclient import Web, until

web = Web(sys.argv[1], timeout=20)
problems = []
def check(condition, what):
    if not condition:
        problems.append(what)

jar = web.login()
post = {"Cookie": jar, "Origin": web.origin, "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded"}
# The folder is known once fshare-web has its first listing (slow under load)
def asked():
    answer = web.request("POST", "/download", post, "user=alice&dir=many")
    return answer if answer[0] != 404 else None
status, _, data = until(time.monotonic() + 60, asked) or (404, None, b"never listed")
check(status == 200, "the folder's download: %d %r" % (status, data[:200]))
job = json.loads(data).get("job")

# Every descriptor the program may open, taken by connections that say nothing
held = []
def said_busy():
    return "busy: no file descriptor left" in open(os.environ["WEB_LOG"]).read()
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not said_busy():
    try:
        held.extend(socket.create_connection((web.url.hostname, web.url.port), timeout=5)
                    for _ in range(20))
    except OSError:
        pass
    time.sleep(0.05)
check(said_busy(), "fshare-web never said that downloads wait for descriptors")
for sock in held:
    sock.close()

def panel():
    try:
        status, _, data = web.request("GET", "/frag/downloads", {"Cookie": jar})
    except OSError:
        return None
    return status == 200 and json.loads(data)["html"]
done = 'data-job="%s" data-state="done"' % job
html = until(time.monotonic() + 200, lambda: (lambda h: h if h and done in h else None)(panel()))
check(html and "1500 of 1500 files saved" in html,
      "the folder after the descriptors came back: %r" % (html or panel() or "")[:600])
status, _, _ = web.request("GET", "/", {"Cookie": jar})
check(status == 200, "the page afterwards: %d" % status)
print(json.dumps({"problems": problems}))
sys.exit(1 if problems else 0)
EOF
grep -q '"problems": \[\]' "$T/http.out" || fail "no verdict: $(cat "$T/http.out")"
[ "$(log_count fake "get many/.*: reported")" -ge 1500 ] || fail "the agent was not asked for the 1,500 files"
[ "$(log_count web "busy: no file descriptor left")" -ge 1 ] || fail "the shortage was not logged"
kill -0 "$WEB_PID" 2>/dev/null || fail "fshare-web died: $(tail -n 5 "$T/web.log")"
exit 0
