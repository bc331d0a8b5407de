#!/bin/bash
# web_hostile_heads.sh - request heads a browser never sends, from a local
# process with the cookie: a Host that is not the loopback name or address
# (DNS rebinding: evil.example resolving to 127.0.0.1), without its port,
# with a trailing dot, missing, or given twice (the second one evil: the
# request is refused, as RFC 9112 wants, not judged by the first), and a
# query of 2,000 arguments (libmicrohttpd ran out of its connection's
# memory and closed the connection without an answer), a path or query
# with %00 (which cut it short: /app.js%00.html served /app.js), a bad
# escape, a control character or bytes that are no UTF-8 (400), a query
# value over 4 KiB (414), two body lengths (400): each gets an HTTP error,
# and fshare-web goes on serving.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
DL="$T/dl"
mkdir -p "$DL" "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
echo "{}" >"$T/map.json"
bg fake "$PY" "$FAKE" web "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$DL" "$T/map.json"
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/bob.ctl" || fail "the fake agent did not bind"
bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0
WEB_PID=$LAST_PID
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)

"$PY" - "$WEB_URL" "$(dirname "$0")" >"$T/http.out" 2>&1 <<'EOF' || fail "the web checks failed: $(cat "$T/http.out")"
import json, socket, sys
sys.path.insert(0, sys.argv[2])
from webclient import Web

web = Web(sys.argv[1])
jar = web.login().encode()
here = web.url.netloc.encode()
port = web.url.port
problems = []

def status_of(head):
    sock = socket.create_connection((web.url.hostname, port), timeout=20)
    sock.sendall(head)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    sock.close()
    line = data.split(b"\r\n")[0].split(b" ")
    return int(line[1]) if len(line) > 1 and line[1].isdigit() else None

def get(target, hosts):
    head = b"GET %s HTTP/1.1\r\n" % target
    head += b"".join(b"Host: %s\r\n" % host for host in hosts)
    return head + b"Cookie: %s\r\nConnection: close\r\n\r\n" % jar

cases = [
    ("the right Host", get(b"/", [here]), 200),
    ("Host evil.example", get(b"/", [b"evil.example:%d" % port]), 403),
    ("Host without its port", get(b"/", [b"127.0.0.1"]), 403),
    ("Host localhost. (trailing dot)", get(b"/", [b"localhost.:%d" % port]), 403),
    ("no Host", get(b"/", []), 403),
    ("two Hosts, the second evil", get(b"/", [here, b"evil.example:%d" % port]), 400),
    ("two Hosts, the first evil", get(b"/", [b"evil.example:%d" % port, here]), 400),
    ("two Hosts, the same", get(b"/", [here, here]), 400),
    ("a query of 10 arguments", get(b"/?" + b"&".join(b"a%d=1" % i for i in range(10)), [here]), 200),
    ("a query of 100 arguments", get(b"/?" + b"&".join(b"a%d=1" % i for i in range(100)), [here]), 400),
    ("a query of 2,000 arguments", get(b"/?" + b"&".join(b"a%d=1" % i for i in range(2000)), [here]), 400),
    ("a query of 5,000 empty arguments", get(b"/?" + b"&" * 5000, [here]), 400),
    # Escapes: a NUL cut the text short (/app.js%00.html was /app.js, ?q=%00
    # no filter at all), a bad one was taken as it is
    ("a path with %00", get(b"/app.js%00.html", [here]), 400),
    ("a path of %00 alone", get(b"/%00", [here]), 400),
    ("a path with a bad escape", get(b"/%zz", [here]), 400),
    ("a path with a control character", get(b"/\x01", [here]), 400),
    ("a path that is no UTF-8 (overlong '.')", get(b"/%C0%AE%C0%AE/etc/passwd", [here]), 400),
    ("a path with an encoded '..'", get(b"/%2e%2e/%2e%2e/etc/passwd", [here]), 404),
    ("a good escape in the path", get(b"/%61pp.js", [here]), 200),
    ("a query value with %00", get(b"/?q=%00", [here]), 400),
    ("a query value with a bad escape", get(b"/?q=%zz", [here]), 400),
    ("a query value with an escape cut short", get(b"/?q=a%2", [here]), 400),
    ("a query key with %00", get(b"/?%00=1", [here]), 400),
    ("a query value that is no UTF-8", get(b"/?q=%ff", [here]), 400),
    ("a good escape in a query value", get(b"/?q=%2A.md", [here]), 200),
    ("a query value of 5,000 bytes", get(b"/?q=" + b"a" * 5000, [here]), 414),
    ("an address of 3,000 bytes", get(b"/" + b"a" * 3000, [here]), 414),
    # Which body length is meant is anyone's guess (RFC 9112 6.3)
    ("two Content-Lengths", get(b"/", [here]).replace(
        b"\r\n\r\n", b"\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\nx"), 400),
    ("Content-Length with chunked", get(b"/", [here]).replace(
        b"\r\n\r\n", b"\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),
]
for what, head, want in cases:
    got = status_of(head)
    if got != want:
        problems.append("%s: %r, not %d" % (what, got, want))
if status_of(get(b"/", [here])) != 200:
    problems.append("the page afterwards")
print(json.dumps({"problems": problems}))
sys.exit(1 if problems else 0)
EOF
grep -q '"problems": \[\]' "$T/http.out" || fail "no verdict: $(cat "$T/http.out")"
kill -0 "$WEB_PID" 2>/dev/null || fail "fshare-web died"
exit 0
