#!/bin/bash
# web_connections.sh - fshare-web keeps answering while a hostile local
# process (no token needed to connect) holds connections: 300 that never
# finish their request line and 50 that send a byte of it every 0.3 s
# (slowloris) do not keep the page from loading at once, and each is closed
# once its GATE_HEAD_MS (10 s) are over, the trickling ones with 408; a POST
# without the token is refused at once, not after a body sent slowly; 100
# live streams are 64 (HUB_CLIENTS) and 36 refusals (503), the page still
# loading meanwhile, and streams whose pages went away give their place
# back at once, not at their next keep-alive. A head cut short by its
# client's end (shutdown) is closed at once.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
DL="$T/dl"
mkdir -p "$DL"
echo "good file" >"$DL/good.txt"
echo "{\"good.txt\": \"$DL/good.txt\", \"slow\": null}" >"$T/map.json"
mkdir -p "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
bg fake "$PY" "$FAKE" web "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$DL" "$T/map.json"
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/bob.ctl" || fail "the fake agent did not bind"
bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0
WEB_PID=$LAST_PID
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)

"$PY" - "$WEB_URL" >"$T/http.out" 2>&1 <<'EOF' || fail "the web checks failed: $(cat "$T/http.out")"
import http.client, json, socket, sys, time, urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
origin = "http://" + url.netloc
problems = []

def check(condition, what):
    if not condition:
        problems.append(what)

def request(method, target, headers=None, body=None, timeout=20):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    conn.request(method, target, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data

def connect(first):
    sock = socket.create_connection((url.hostname, url.port), timeout=20)
    sock.sendall(first)
    return sock

status, headers, _ = request("GET", "/?token=" + urllib.parse.parse_qs(url.query)["token"][0])
jar = headers["set-cookie"].split(";")[0]
head = "Host: %s\r\nCookie: %s\r\n" % (url.netloc, jar)

def page_loads(what, seconds=5):
    start = time.monotonic()
    try:
        status, _, _ = request("GET", "/", {"Cookie": jar}, timeout=seconds)
        check(status == 200, "%s: the page answered %d" % (what, status))
    except OSError as error:
        problems.append("%s: the page did not load within %d s (%s)" % (what, seconds, error))
    return time.monotonic() - start

# --- connections that never finish their request head -------------------------
idle = [connect(b"GET / HTTP/1.1\r\n") for _ in range(300)]
trickle = [connect(b"G") for _ in range(50)]
opened = time.monotonic()
loads = 0
while time.monotonic() - opened < 4:
    for sock in trickle:
        try:
            sock.send(b"E")
        except OSError:
            pass
    page_loads("while 350 connections dawdle")
    loads += 1
    time.sleep(0.3)
check(loads >= 5, "only %d page loads in 4 s" % loads)

def closed(sock):
    """What the server said before closing, or None while it is open."""
    sock.setblocking(False)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except BlockingIOError:
        return None
    except OSError:
        return data

deadline = opened + 40
said = {}                   # socket -> what the server said before closing
open_ones = idle + trickle
while open_ones and time.monotonic() < deadline:
    for sock in trickle:
        try:
            sock.send(b"E")
        except OSError:
            pass
    for sock in open_ones:
        last = closed(sock)
        if last is not None:
            said[sock] = last
    open_ones = [sock for sock in open_ones if sock not in said]
    time.sleep(0.3)
check(not open_ones, "%d dawdling connections still open after 40 s" % len(open_ones))
late = [sock for sock in trickle if said.get(sock, b"").startswith(b"HTTP/1.1 408")]
check(len(late) >= 40, "only %d of the 50 trickling connections were told 408" % len(late))
for sock in idle + trickle:
    sock.close()

# --- heads cut short by their client's end: closed at once ----------------------
# (they can never complete; waiting for their deadline kept the gate's
# poll waking for them again and again, a core busy for 10 s)
halves = []
for _ in range(5):
    sock = connect(b"GET / HTTP/1.1\r\nHost: x")
    sock.shutdown(socket.SHUT_WR)
    halves.append(sock)
start = time.monotonic()
while time.monotonic() - start < 5 and any(closed(sock) is None for sock in halves):
    time.sleep(0.05)
check(all(closed(sock) is not None for sock in halves),
      "heads cut short by their end still open after 5 s")
for sock in halves:
    sock.close()

# --- a POST without the token: refused before its body ----------------------------
sock = connect(("POST /download HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nContent-Length: 4000\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n\r\nuser=al"
                % (url.netloc, origin)).encode())
sock.settimeout(5)
try:
    answer = sock.recv(100)
except OSError as error:
    answer = repr(error).encode()
check(answer.startswith(b"HTTP/1.1 403"), "a POST without the token: %r" % answer[:40])
sock.close()

# --- live streams --------------------------------------------------------------------
def streams(count):
    socks = [connect(("GET /events HTTP/1.1\r\n%s\r\n" % head).encode()) for _ in range(count)]
    codes = {}
    for sock in socks:
        try:
            line = sock.recv(4096).split(b"\r\n", 1)[0].decode()
        except OSError as error:
            line = repr(error)
        codes[line] = codes.get(line, 0) + 1
    return socks, codes

socks, codes = streams(100)
check(codes == {"HTTP/1.1 200 OK": 64, "HTTP/1.1 503 Service Unavailable": 36},
      "100 streams: %r" % codes)
page_loads("with 64 streams open")
for sock in socks:
    sock.close()
# (each try holds what it took for a while too: the next waits past that;
# before, a closed page's stream was let go at its keep-alive, 10 s on)
start = time.monotonic()
while True:
    time.sleep(1.2)
    socks, codes = streams(64)
    for sock in socks:
        sock.close()
    if codes == {"HTTP/1.1 200 OK": 64}:
        break
    if time.monotonic() - start > 6:
        problems.append("64 streams closed by their pages still held after 6 s: %r" % codes)
        break

print(json.dumps({"problems": problems}))
sys.exit(1 if problems else 0)
EOF
grep -q '"problems": \[\]' "$T/http.out" || fail "no verdict: $(cat "$T/http.out")"
kill -0 "$WEB_PID" 2>/dev/null || fail "fshare-web died"
exit 0
