# web_hostile_names.sh - in fshare-web's page, others' names that would
# re-order or hide text (a right-to-left override, a C1 CSI, an isolate)
# are shown escaped as plain output shows them (invoice\u202efdp.exe, not
# "invoiceexe.pdf"), in the listing and in the downloads list, while the
# values the page sends back (data-path, the form's hidden path) keep the
# name as it is; the JSON fragments for the script carry no raw such
# character either (JSON's \uNNNN escapes, the same string). Something
# posing as bob's agent (fake_agent.py web) publishes the names.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
DL="$T/dl"
mkdir -p "$DL"
echo "good file" >"$DL/good.txt"
# The names as JSON escapes: this file is read by python, no locale needed
cat >"$T/map.json" <<EOF
{"docs/invoice\u202efdp.exe": "$DL/good.txt", "docs/c1\u009b2Jname": "$DL/good.txt",
 "docs/\u2068x\u2069.txt": "$DL/good.txt"}
EOF

mkdir -p "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
bg fake "$PY" "$FAKE" web "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$DL" "$T/map.json"
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/bob.ctl" || fail "the fake agent did not bind"
bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)

"$PY" - "$WEB_URL" "$T/map.json" "$(cd "$(dirname "$0")" && pwd)" >"$T/http.out" 2>"$T/http.err" <<'EOF' ||
import html.parser, http.client, json, re, sys, time, urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
names = list(json.load(open(sys.argv[2])))
origin = "http://" + url.netloc
HIDDEN = re.compile("[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
problems = []

sys.path.insert(0, sys.argv[3])
from webclient import Web, until  # noqa: E402
web = Web(sys.argv[1])
request = web.request
jar = web.login()

class Page(html.parser.HTMLParser):
    """The text people see, and the data-path / hidden path values."""
    def __init__(self):
        super().__init__()
        self.text, self.values = [], []
    def handle_data(self, data):
        self.text.append(data)
    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-path" in attrs:
            self.values.append(attrs["data-path"])
        if attrs.get("type") == "hidden" and attrs.get("name") == "path":
            self.values.append(attrs["value"])

def page():
    status, _, data = request("GET", "/?u=alice&d=docs", {"Cookie": jar})
    parsed = Page()
    parsed.feed(data.decode())
    return parsed if status == 200 and all(n in parsed.values for n in names) else None

def check_text(parsed, where):
    shown = "".join(parsed.text)
    for line in shown.splitlines():
        if HIDDEN.search(line):
            problems.append("%s shows a raw hidden character: %r" % (where, line))
    for escaped in ["invoice\\u202efdp.exe", "c1\\u009b2Jname"]:
        if escaped not in shown:
            problems.append("%s lacks %s" % (where, escaped))

parsed = until(time.monotonic() + 10, page)
if parsed is None:
    sys.exit("the page never listed every name as its value")
check_text(parsed, "the listing")

headers = {"Cookie": jar, "Origin": origin, "Accept": "application/json",
           "Content-Type": "application/x-www-form-urlencoded"}
evil = "docs/invoice\u202efdp.exe"
status, _, data = request("POST", "/download", headers,
                          urllib.parse.urlencode({"user": "alice", "path": evil}))
if status != 200:
    sys.exit("download: %d %r" % (status, data))

def finished():
    status, _, data = request("GET", "/", {"Cookie": jar})
    return data.decode() if status == 200 and "verified" in data.decode() else None

body = until(time.monotonic() + 10, finished)
if body is None:
    sys.exit("the download never finished")
parsed = Page()
parsed.feed(body)
check_text(parsed, "the page with its download")

for frag in ["/frag/all", "/frag/downloads", "/frag/group?u=alice&d=docs&open=1"]:
    status, _, data = request("GET", frag, {"Cookie": jar})
    text = data.decode()
    if status != 200:
        problems.append("%s: %d" % (frag, status))
    elif HIDDEN.search(text):
        problems.append("%s carries a raw hidden character" % frag)
    else:
        json.loads(text)
print(json.dumps({"problems": problems}))
sys.exit(1 if problems else 0)
EOF
    fail "the web checks failed: $(cat "$T/http.err") $(cat "$T/http.out")"
json_is '.problems == []' <"$T/http.out" || fail "$(cat "$T/http.out")"
exit 0
