# ctl_malformed.sh - a raw client on the agent's control socket: every
# request the agent cannot take (garbage, a truncated message, a command
# with a NUL or broken UTF-8, a get whose path holds a NUL, extra frames)
# is answered at once with status=ERROR and code bad_request, never left
# unanswered; the agent keeps serving honest requests afterwards.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker --hash-cost min
start_peer bob
wait_online 10 bob

"$PY" - "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$(cd "$(dirname "$0")" && pwd)" \
    >"$T/raw.out" 2>"$T/raw.err" <<'EOF' ||
import json, os, sys, zmq
sys.path.insert(0, sys.argv[2])
from hostile_client import f_bytes as field, parse

ctx = zmq.Context.instance()
cases = {
    "garbage": [b"\xff" * 40],
    "truncated": [field(1, b"status")[:3]],
    "nul_command": [field(1, b"status\0x")],
    "utf8_command": [field(1, b"st\xffatus")],
    "nul_path": [field(1, b"get") + field(2, b"alice") + field(2, b"a\0../../x")],
    "nul_output": [field(1, b"get") + field(2, b"alice") + field(2, b"a") + field(6, b"/tmp/x\0y")],
    "two_bodies": [field(1, b"status"), field(1, b"status")],
}
answers = {}
for name, frames in cases.items():
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(sys.argv[1])
    sock.send_multipart(frames)
    if sock.poll(3000):
        reply = parse(sock.recv_multipart()[-1])
        answers[name] = [reply.get(1, [0])[0], reply.get(11, [0])[0]]
    else:
        answers[name] = None
    sock.close()
print(json.dumps(answers))
EOF
    fail "raw client: $(cat "$T/raw.err")"

# status ERROR (1) and ERR_BAD_REQUEST (6) for every one
json_is 'length == 7 and all(.[]; . == [1, 6])' <"$T/raw.out" ||
    fail "malformed control requests not each answered bad_request: $(cat "$T/raw.out")"
log_has bob "malformed request" || fail "bob did not log the malformed requests"
# and the agent still answers
online bob || fail "bob no longer answers: $(state bob)"
