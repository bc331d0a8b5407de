#!/bin/bash
# web_folder_crash.sh - the agent behind fshare-web killed (-9) in the
# middle of a folder download started from the page: the job ends soon
# after, every file not saved failed `the agent went away`, none left
# queued or running. (Each file started after the agent died once waited
# for its word on a socket nobody listened on: 15 s of silence per four
# files before it failed "agent not responding".)
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="secret-$$"
start_broker --hash-cost min
mkdir -p "$T/alice_files/set" "$T/bob_files"
# Random heads around sparse middles: cheap to make, long enough to move
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16; do
    head -c 1M /dev/urandom >"$T/alice_files/set/f$i.bin"
    truncate -s 64M "$T/alice_files/set/f$i.bin"
done
connect alice
connect bob
wait_until 60 has_files bob alice 16 || fail "bob does not see alice's 16 files: $(peer_files bob alice)"
BOB=$(agent_pid bob)
[ -n "$BOB" ] || fail "no pid of bob's agent"

bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)

"$PY" - "$WEB_URL" "$(dirname "$0")" "$T/bob_dl/set" "$BOB" >"$T/http.out" 2>&1 <<'EOF' || fail "the web checks failed: $(cat "$T/http.out")"
import glob, json, os, signal, sys, time
sys.path.insert(0, sys.argv[2])
from webclient import Web, until

web = Web(sys.argv[1], timeout=20)
jar = web.login()
post = {"Cookie": jar, "Origin": web.origin, "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded"}
def listed():
    status, _, data = web.request("GET", "/?filter=set/f16.bin", {"Cookie": jar})
    return status == 200 and b'data-path="set/f16.bin"' in data
if not until(time.monotonic() + 60, listed):
    sys.exit("the page does not list set/f16.bin")
status, _, data = web.request("POST", "/download", post, "user=alice&dir=set")
if status != 200:
    sys.exit("the folder's download: %d %r" % (status, data[:200]))
job = json.loads(data)["job"]
def moving():
    return any(os.path.getsize(p) > 0 for p in glob.glob(sys.argv[3] + "/.*.fshare-part"))
if not until(time.monotonic() + 30, moving):
    sys.exit("no byte arrived in %s" % sys.argv[3])
os.kill(int(sys.argv[4]), signal.SIGKILL)
def over():
    status, _, data = web.request("GET", "/frag/downloads", {"Cookie": jar})
    html = json.loads(data)["html"] if status == 200 else ""
    return html if 'data-job="%s" data-state="failed"' % job in html else None
# Well within the 15 s a silent download is allowed
html = until(time.monotonic() + 10, over)
if not html:
    sys.exit("the job did not end once the agent was killed")
if "the agent went away" not in html or "agent not responding" in html:
    sys.exit("the job's panel: %r" % html[:2000])
print("job failed at once")
EOF
grep -q "job failed at once" "$T/http.out" || fail "the web checks did not finish: $(cat "$T/http.out")"
# killed on purpose: not one of the processes to stop and check at exit
gone "$BOB" || fail "bob's agent still runs"
PIDS=${PIDS/ $BOB/}
