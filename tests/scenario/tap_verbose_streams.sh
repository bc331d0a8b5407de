# tap_verbose_streams.sh - with -v, log lines of fshare-tap (here the wire
# layer's warning about a malformed reply from a broken broker) go to
# standard error, as the man pages of fshare-tap, fshare-ctl and fshare-web
# say: standard output stays the data, JSON lines a script can parse.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

# A fake broker: answers every request with three frames, which no reply
# has, and publishes nothing
"$PY" - "ipc://$T/fake.req" "ipc://$T/fake.pub" "$T/fake.ready" >"$T/fake.log" 2>&1 <<'EOF_PY' &
import sys, zmq
ctx = zmq.Context.instance()
sock = ctx.socket(zmq.ROUTER)
sock.linger = 0
sock.bind(sys.argv[1])
pub = ctx.socket(zmq.PUB)
pub.linger = 0
pub.bind(sys.argv[2])
open(sys.argv[3], "w").close()
while sock.poll(20000):
    frames = sock.recv_multipart()
    sock.send_multipart([frames[0], b"\x08\x01", b"junk", b"more junk"])
EOF_PY
FAKE=$!
wait_until 10 test -e "$T/fake.ready" || fail "the fake broker did not start"

"$TAP" -v --json --snapshot --broker "ipc://$T/fake.req" --events "ipc://$T/fake.pub" \
    --timeout 2 >"$T/out" 2>"$T/err" </dev/null
err_has "wire: dropped a malformed message (3 frames)"
[ -s "$T/out" ] && fail "a log line went to standard output: $(cat "$T/out")"
# Without -v the warning is not printed at all
"$TAP" --json --snapshot --broker "ipc://$T/fake.req" --events "ipc://$T/fake.pub" \
    --timeout 2 >"$T/out" 2>"$T/err" </dev/null
grep -q "malformed" "$T/out" "$T/err" && fail "a log line without -v: $(cat "$T/out" "$T/err")"
kill "$FAKE"
wait "$FAKE" 2>/dev/null
exit 0
