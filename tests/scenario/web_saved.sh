# web_saved.sh - fshare-web hands out a saved file only from beneath the
# agent's downloads directory. Something posing as bob's agent
# (fake_agent.py web) reports as "saved": /etc/passwd, a file of a sibling
# directory whose name begins like the downloads directory's (dl-evil vs
# dl), a path through "..", a file through a linked directory and a link
# to /etc/passwd, each with the size of what is there: every one is
# refused 403 with a clear message and none of its bytes is sent, while a
# file truly beneath the downloads directory is served.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
DL="$T/dl"
mkdir -p "$DL/sub" "$T/dl-evil" "$T/away"
echo "good file" >"$DL/sub/good.txt"
echo "evil sibling" >"$T/dl-evil/x.txt"
echo "away secret" >"$T/away/secret.txt"
ln -s "$T/away" "$DL/linkdir"
ln -s /etc/passwd "$DL/passwd-link"
cat >"$T/map.json" <<EOF
{"good.txt": "$DL/sub/good.txt", "passwd": "/etc/passwd", "sibling.txt": "$T/dl-evil/x.txt",
 "dotdot.txt": "$DL/../away/secret.txt", "linkdir.txt": "$DL/linkdir/secret.txt",
 "link.txt": "$DL/passwd-link"}
EOF

mkdir -p "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
bg fake "$PY" "$FAKE" web "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$DL" "$T/map.json"
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/bob.ctl" || fail "the fake agent did not bind"
bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)

# Each file downloaded from the page, then asked for as a saved file:
# {path: [HTTP status, the first bytes of the body]}
"$PY" - "$WEB_URL" "$T/map.json" "$(cd "$(dirname "$0")" && pwd)" >"$T/http.out" 2>"$T/http.err" <<'EOF' ||
import http.client, json, sys, time, urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
paths = list(json.load(open(sys.argv[2])))
origin = "http://" + url.netloc

sys.path.insert(0, sys.argv[3])
from webclient import Web, until  # noqa: E402
web = Web(sys.argv[1])
request = web.request
jar = web.login()

def download(path):
    headers = {"Cookie": jar, "Origin": origin, "Accept": "application/json",
               "Content-Type": "application/x-www-form-urlencoded"}
    body = urllib.parse.urlencode({"user": "alice", "path": path})
    status, _, data = request("POST", "/download", headers, body)
    return json.loads(data)["job"] if status == 200 else None

def saved(job):
    status, _, data = request("GET", "/saved?job=%d&item=0" % job, {"Cookie": jar})
    return None if status == 404 else [status, data[:200].decode(errors="replace")]

answers = {}
for path in paths:
    # the listing reaches the page once the bridge has asked the agent
    job = until(time.monotonic() + 10, lambda: download(path))
    if job is None:
        sys.exit("no download of %s" % path)
    answers[path] = until(time.monotonic() + 10, lambda: saved(job))
print(json.dumps(answers))
EOF
    fail "the web checks failed: $(cat "$T/http.err")"

json_is '.["good.txt"] == [200, "good file\n"]' <"$T/http.out" \
    || fail "the file beneath the downloads directory was not served: $(cat "$T/http.out")"
json_is 'del(.["good.txt"]) | length == 5 and all(.[]; .[0] == 403
         and (.[1] | test("Refused: the agent reports this file saved outside its downloads directory")))' \
    <"$T/http.out" || fail "a saved path outside the downloads directory was not refused: $(cat "$T/http.out")"
grep -q "root:" "$T/http.out" && fail "/etc/passwd was served: $(cat "$T/http.out")"
for path in passwd sibling.txt dotdot.txt linkdir.txt link.txt; do
    log_has fake "get $path: reported" || fail "the fake agent was not asked for $path"
done
exit 0
