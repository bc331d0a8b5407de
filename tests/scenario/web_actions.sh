#!/bin/bash
# web_actions.sh - fshare-web's actions and its token from a hostile local
# process (python3's http.client and raw sockets), against something posing
# as bob's agent (fake_agent.py web) whose downloads of slow/* never end.
# A download posted again while it is unfinished is the same job (a
# double click does not fetch twice); distinct downloads are bounded
# (DOWNLOADS_PENDING unfinished jobs: then 429 with a clear message, and
# the agent is asked for no more than DOWNLOADS_RUNNING at once); a
# cancelled download may be asked for anew. And what needs no browser:
# no data without the token (a prefix of it, the token longer, in the
# query of another address, or the cookie cut short), the token never
# in a refusal, the cookie's flags, actions refused without Origin (a
# Referer is not enough) and as GET, encoded '..' and odd methods. A name
# with a right-to-left override (invoice<U+202E>fdp.exe, which a browser
# shows as invoiceexe.pdf) shows escaped, as fshare-ctl shows it
# (invoice\u202efdp.exe), in the listing and in the downloads panel, while
# the form still posts the name itself.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
DL="$T/dl"
mkdir -p "$DL"
echo "good file" >"$DL/good.txt"
RLO=$(printf '\u202e')
echo "not a pdf" >"$DL/invoice${RLO}fdp.exe"
"$PY" -c '
import json, sys
paths = {"slow/%03d" % i: None for i in range(150)}
paths.update({"many/%04d.txt" % i: sys.argv[1] + "/good.txt" for i in range(1000)})
paths["good.txt"] = sys.argv[1] + "/good.txt"
paths["docs/invoice\u202efdp.exe"] = sys.argv[1] + "/invoice\u202efdp.exe"
json.dump(paths, open(sys.argv[2], "w"))' "$DL" "$T/map.json"

mkdir -p "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
bg fake "$PY" "$FAKE" web "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$DL" "$T/map.json"
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/bob.ctl" || fail "the fake agent did not bind"
bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)

"$PY" - "$WEB_URL" >"$T/http.out" 2>&1 <<'EOF' || fail "the web checks failed: $(cat "$T/http.out")"
import http.client, json, socket, sys, time, urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
token = urllib.parse.parse_qs(url.query)["token"][0]
origin = "http://" + url.netloc
problems = []

def check(condition, what):
    if not condition:
        problems.append(what)

def request(method, target, headers=None, body=None):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    conn.request(method, target, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data

def raw(text):
    with socket.create_connection((url.hostname, url.port), timeout=20) as sock:
        sock.sendall(text.encode())
        out = b""
        while True:
            data = sock.recv(65536)
            if not data:
                return out
            out += data

# --- the token -------------------------------------------------------------
status, headers, _ = request("GET", "/?token=" + token)
cookie = headers.get("set-cookie", "")
check(status == 303, "the token was not exchanged: %d" % status)
flags = [part.strip() for part in cookie.split(";")[1:]]
check(sorted(flags) == ["HttpOnly", "Path=/", "SameSite=Strict"], "cookie flags: %r" % cookie)
jar = cookie.split(";")[0]
name = jar.split("=")[0]
for what, target, hdrs in [
        ("no token", "/", {}),
        ("a prefix of the token", "/?token=" + token[:-1], {}),
        ("the token and more", "/?token=" + token + "A", {}),
        ("an empty token", "/?token=", {}),
        ("the token in the query of the listing", "/frag/all?token=" + token, {}),
        ("the token in the query of the stream", "/events?token=" + token, {}),
        ("the token in the query of a saved file", "/saved?job=1&item=0&token=" + token, {}),
        ("the token in the query of the script", "/app.js?token=" + token, {}),
        ("a cookie cut short", "/frag/all", {"Cookie": jar[:-1]}),
        ("a cookie of another name", "/frag/all", {"Cookie": "x" + jar}),
        ("the token as a cookie of another port", "/frag/all",
         {"Cookie": "fshare_web_1=" + token})]:
    status, headers, data = request("GET", target, hdrs)
    check(status == 403, "%s: %d, not 403" % (what, status))
    check(token.encode() not in data and token not in json.dumps(headers),
          "%s: the token is in the refusal" % what)
    check("set-cookie" not in headers, "%s: a cookie was set" % what)
# a page of another port of this host may set a cookie of the same name
# (for a longer path, sent first): the page still opens
status, _, _ = request("GET", "/frag/all", {"Cookie": "%s=%s; %s" % (name, "x" * 43, jar)})
check(status == 200, "a same-named cookie before ours: %d" % status)
# (docs/ shown alone, as a big listing shows a folder)
status, _, page = request("GET", "/?u=alice&d=docs", {"Cookie": jar})
check(status == 200 and b"invoice" in page, "the page with the cookie: %d" % status)
check(token.encode() not in page, "the token is in the page")

# --- a name that re-orders what is shown ------------------------------------
rlo = "invoice\u202efdp.exe"
text = page.decode()
check('data-path="docs/%s"' % rlo in text and 'value="docs/%s"' % rlo in text,
      "the row's data-path and form lost the name itself")
check('<td class="name">invoice\\u202efdp.exe</td>' in text, "the name is not shown escaped")
check('aria-label="Download docs/invoice\\u202efdp.exe from alice"' in text,
      "the button's name is not escaped")
shown = text.replace('data-path="docs/%s"' % rlo, "").replace('value="docs/%s"' % rlo, "")
check("\u202e" not in shown, "the override is shown raw elsewhere in the page")

# --- actions ---------------------------------------------------------------
form = {"Cookie": jar, "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json"}
good = "user=alice&path=good.txt"
for what, hdrs in [("no Origin", form), ("a Referer but no Origin", dict(form, Referer=origin + "/")),
                   ("Origin null", dict(form, Origin="null")),
                   ("Origin https", dict(form, Origin="https://" + url.netloc)),
                   ("a foreign Origin with the port", dict(form, Origin="http://evil.example:%d" % url.port))]:
    status, _, _ = request("POST", "/download", hdrs, good)
    check(status == 403, "a download with %s: %d, not 403" % (what, status))
status, _, _ = request("GET", "/download?" + good, {"Cookie": jar})
check(status != 200, "a download as GET: %d" % status)
status, _, _ = request("GET", "/cancel?job=1", {"Cookie": jar})
check(status != 200, "a cancel as GET: %d" % status)
post = dict(form, Origin=origin)
for body in ["user=alice&path=%2e%2e/good.txt", "user=alice&path=slow/%2e%2e/good.txt",
             "user=alice&dir=%2e%2e", "user=alice&path=%252e%252e/x", "user=alice&path=*",
             "user=alice&dir=slow/*", "user=al%00ice&path=good.txt", "user=alice&path=good.txt%ff"]:
    status, _, data = request("POST", "/download", post, body)
    check(status in (400, 404) and b'"error"' in data, "%s: %d %r" % (body, status, data[:80]))
host = "Host: %s\r\nCookie: %s\r\n" % (url.netloc, jar)
for target in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%252e%252e/etc/passwd",
               "//etc/passwd", "/./app.js", "/frag/../saved?job=1&item=0"]:
    head = raw("GET %s HTTP/1.1\r\n%s\r\n" % (target, host)).split(b"\r\n", 1)[0]
    check(head.startswith(b"HTTP/1.1 404"), "GET %s: %r" % (target, head))
for method in ["OPTIONS", "PUT", "DELETE", "TRACE", "PATCH"]:
    reply = raw("%s / HTTP/1.1\r\n%sContent-Length: 0\r\n\r\n" % (method, host))
    head = reply.split(b"\r\n", 1)[0]
    check(head.startswith(b"HTTP/1.1 405"), "%s /: %r" % (method, head))
    check(b"\r\nAllow: GET, HEAD, POST\r\n" in reply.split(b"\r\n\r\n", 1)[0] + b"\r\n",
          "%s /: no Allow header: %r" % (method, reply[:300]))

# the saved file's name, in the downloads panel
status, _, data = request("POST", "/download", dict(form, Origin=origin),
                          "user=alice&path=" + urllib.parse.quote("docs/" + rlo))
check(status == 200, "the download of %r: %d %r" % (rlo, status, data[:80]))
deadline = time.monotonic() + 20
panel = ""
while time.monotonic() < deadline and "Save " not in panel:
    status, _, data = request("GET", "/frag/downloads", {"Cookie": jar})
    panel = json.loads(data)["html"]
    time.sleep(0.05)
check("Save invoice\\u202efdp.exe</a>" in panel, "the saved name is not shown escaped: %r" % panel)
check("\u202e" not in panel, "the override is shown raw in the downloads panel: %r" % panel)

# --- a folder of 1,000 small files ------------------------------------------
# The panel lists RENDER_JOB_ITEMS (100) of them, not all 1,000 on every
# update (a folder of 100,000 made it megabytes each time)
status, _, data = request("POST", "/download", dict(form, Origin=origin), "user=alice&dir=many")
check(status == 200, "the download of many/: %d %r" % (status, data[:80]))
many = json.loads(data).get("job")
start = time.monotonic()
panel = ""
while time.monotonic() - start < 120 and 'data-job="%s" data-state="done"' % many not in panel:
    status, _, data = request("GET", "/frag/downloads", {"Cookie": jar})
    panel = json.loads(data)["html"]
    time.sleep(0.2)
check("1000 of 1000 files saved" in panel and "and 900 more, in the downloads directory" in panel,
      "the panel of many/ (after %.0f s): %r" % (time.monotonic() - start, panel[:600]))
check(len(panel) < 100000, "the panel is %d bytes" % len(panel))

# --- downloads that never end: the same one twice, then too many -------------
def download(path):
    status, _, data = request("POST", "/download", post, "user=alice&path=" + path)
    return status, json.loads(data)

status, first = download("slow/000")
status2, again = download("slow/000")
check(status == 200 and status2 == 200 and first == again,
      "the same download posted twice: %d %r, %d %r" % (status, first, status2, again))
answers = [download("slow/%03d" % i) for i in range(1, 150)]
accepted = [answer for status, answer in answers if status == 200]
refused = [answer for status, answer in answers if status == 429]
check(len(accepted) == 99 and len(refused) == 50,
      "149 more downloads: %d accepted, %d refused (429), %d other" %
      (len(accepted), len(refused), len(answers) - len(accepted) - len(refused)))
check(all("too many downloads waiting" in answer.get("error", "") for answer in refused),
      "the refusal says why: %r" % refused[:1])
status, _, _ = request("GET", "/", {"Cookie": jar})
check(status == 200, "the page after the refusals: %d" % status)
# A cancelled download may be asked for again: a new job, once the agent
# has ended the old one
status, _, _ = request("POST", "/cancel", dict(post, Accept="application/json"),
                       "job=%d" % first["job"])
check(status == 200, "the cancel: %d" % status)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    status, anew = download("slow/000")
    if status == 200:
        break
    time.sleep(0.05)
check(status == 200 and anew != first, "slow/000 after its cancel: %d %r" % (status, anew))
print(json.dumps({"problems": problems}))
sys.exit(1 if problems else 0)
EOF
grep -q '"problems": \[\]' "$T/http.out" || fail "no verdict: $(cat "$T/http.out")"
# the agent was never asked for more than DOWNLOADS_RUNNING (4) at once:
# three still running, the cancelled one, and slow/000 anew
asked=$(log_count fake "get slow/.*: stalled")
log_has_n fake "get many/.*: reported" 1000 || fail "the agent was not asked for the 1,000 files"
[ "$asked" -ge 4 ] && [ "$asked" -le 5 ] || fail "the agent was asked for $asked downloads, not 4 or 5"
log_has fake "^cancel$" || fail "the agent was not told to cancel"
kill -0 "$LAST_PID" 2>/dev/null || fail "fshare-web died"
exit 0
