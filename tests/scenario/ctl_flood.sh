# ctl_flood.sh - fshare-ctl against something posing as an agent
# (fake_agent.py flood) that streams `more` replies for as long as they
# are read: fshare-ctl keeps a bounded amount of them (FSHARE_CTL_MAX_BYTES,
# 1 GiB by default), then stops reading and fails too_large with exit
# status 1, its memory never growing with the stream. A long honest
# listing below the bound is still printed whole.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
mkdir -p "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
# Streams up to 16 MiB, then ends the reply: the bound must stop it first
bg fake "$PY" "$FAKE" flood "ipc://$XDG_RUNTIME_DIR/fshare/mallory.ctl" 16
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/mallory.ctl" || fail "the fake agent did not bind"

# --- beyond the bound: too_large, exit 1, and the rest never read --------------------
FSHARE_CTL_MAX_BYTES=1048576 expect 1 "$CTL" --user mallory ls --all
err_is "fshare-ctl: the agent's replies exceed 1048576 bytes (FSHARE_CTL_MAX_BYTES): ask for less (ls --all --user NAME, a glob)"
[ -s "$T/out" ] && fail "a refused listing printed: $(head -c 300 "$T/out")"
# fshare-ctl went away long before the stream's end (what it sent is what
# fshare-ctl read, plus the sockets' small queues)
wait_until 10 grep -q "flood: gone after" "$T/fake.log" \
    || fail "fshare-ctl read on past its bound: $(tail -n 1 "$T/fake.log")"
sent=$(grep -o "gone after [0-9]*" "$T/fake.log" | tail -n 1 | grep -o "[0-9]*$")
[ "$sent" -lt $((12 * 1024 * 1024)) ] || fail "fshare-ctl took $sent bytes before it stopped"

FSHARE_CTL_MAX_BYTES=1048576 expect 1 "$CTL" --json --user mallory peers
json_is '.code == "too_large"' <"$T/out" || fail "--json: not too_large: $(cat "$T/out")"

# --- below the bound: a long listing comes whole ---------------------------------------
expect 0 "$CTL" --json --user mallory ls --all
json_is 'length > 100000 and all(.[]; .user == "mallory")' <"$T/out" \
    || fail "the whole listing was not printed: $(head -c 300 "$T/out")"
log_has fake "flood: done" || fail "the honest listing was not read to its end"
exit 0
