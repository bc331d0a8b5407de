#!/bin/bash
# web_folder_many.sh - a folder of 2,000 small files downloaded from the
# web page between two real agents: every file arrives under
# <downloads>/<folder name>/ with its structure, byte for byte the owner's,
# and the panel says 2000 of 2000 saved. The time it took is printed (not
# asserted: the machine's load decides it): 16 files/s before a9a92c9, when
# each file waited for the bridge's next 250 ms tick (four a tick); about
# 600 after, on a loaded 2-core machine.
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="secret-$$"
start_broker --hash-cost min
mkdir -p "$T/alice_files/set" "$T/bob_files"
for d in 0 1 2 3 4 5 6 7 8 9; do
    mkdir -p "$T/alice_files/set/d$d"
    for i in $(seq -w 0 199); do
        echo "file $d/$i of alice" >"$T/alice_files/set/d$d/f$i.txt"
    done
done
connect alice
connect bob
# bob's view holds all 2,000 (with their digests: a get needs none)
wait_until 120 has_files bob alice 2000 || fail "bob does not see alice's 2,000 files: $(peer_files bob alice)"

bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)

"$PY" - "$WEB_URL" "$(dirname "$0")" >"$T/http.out" 2>&1 <<'EOF' || fail "the web checks failed: $(cat "$T/http.out")"
import json, sys, time
sys.path.insert(0, sys.argv[2])
from webclient import Web, until

web = Web(sys.argv[1], timeout=20)
jar = web.login()
post = {"Cookie": jar, "Origin": web.origin, "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded"}
def listed():
    status, _, data = web.request("GET", "/?filter=set/d9/f199.txt", {"Cookie": jar})
    return status == 200 and b'data-path="set/d9/f199.txt"' in data
if not until(time.monotonic() + 60, listed):
    sys.exit("the page does not list set/d9/f199.txt")
start = time.monotonic()
status, _, data = web.request("POST", "/download", post, "user=alice&dir=set")
if status != 200:
    sys.exit("the folder's download: %d %r" % (status, data[:200]))
job = json.loads(data)["job"]
def over():
    status, _, data = web.request("GET", "/frag/downloads", {"Cookie": jar})
    html = json.loads(data)["html"] if status == 200 else ""
    return html if 'data-job="%s" data-state="' % job in html and \
        'data-job="%s" data-state="running"' % job not in html and \
        'data-job="%s" data-state="queued"' % job not in html else None
html = until(time.monotonic() + 240, over)
took = time.monotonic() - start
print("2000 files in %.1f s: %.0f files/s" % (took, 2000 / took))
if not html or "2000 of 2000 files saved" not in html:
    sys.exit("the folder's panel: %r" % (html or "")[:600])
print("folder done")
EOF
cat "$T/http.out"
grep -q "folder done" "$T/http.out" || fail "no verdict"
# byte for byte, and nothing else
(cd "$T/alice_files/set" && find . -type f | sort | xargs sha256sum) >"$T/want"
[ -d "$T/bob_dl/set" ] || fail "no $T/bob_dl/set"
(cd "$T/bob_dl/set" && find . -type f | sort | xargs sha256sum) >"$T/got"
cmp -s "$T/want" "$T/got" || fail "bob's copy differs: $(diff "$T/want" "$T/got" | head -n 5)"
lines "$T/got" 2000
kill -0 "$LAST_PID" 2>/dev/null || fail "fshare-web died"
exit 0
