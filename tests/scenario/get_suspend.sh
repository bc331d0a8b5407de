#!/bin/bash
# get_suspend.sh - an agent that does not run for longer than the stall
# timeout in the middle of a download (SIGSTOP, a laptop's suspend), then
# goes on. Its own silence is not the other side's: the broker has ended
# the transfer meanwhile and said whose fault it was, and that is what the
# user reads. A requester suspended hears `requester stalled`, not `owner
# stalled` from its own clock firing late on going on; an owner suspended
# logs `owner stalled`. Either way the partial file is kept, the next get
# resumes it, and neither agent holds a descriptor more than before.
. "$(dirname "$0")/../lib.sh" "$1"

# The broker keeps a silent agent's session for 30 heartbeats: the stall
# timeout, not the session's expiry, ends these transfers
start_broker --verbose --liveness 30 --stall-timeout 2
mkdir -p "$T/alice_files"
for f in a b; do
    head -c 1M /dev/urandom >"$T/alice_files/$f.bin"
    truncate -s 1G "$T/alice_files/$f.bin"
done
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice b.bin || fail "bob does not see alice's files"
fds() { find "/proc/$1/fd" -mindepth 1 | wc -l; }
FDS_BOB=$(fds "$PID_bob") FDS_ALICE=$(fds "$PID_alice")
part() { echo "$T/bob_dl/.$1.fshare-part"; }
cancelled() { log_has broker "'$1': cancelled ($2 stalled)"; }

# suspended FILE WHO PID: a get of FILE; PID stopped once bytes arrive,
# until the broker has ended the transfer; the get then fails saying WHO
# stalled (code stalled), the partial file kept
suspended() {
    local f=$1 who=$2 pid=$3
    bg "get_$f" "$CTL" --user bob --json get alice "$f"
    local get=$LAST_PID
    wait_until 20 has_bytes "$(part "$f")" || fail "$f: no byte arrived"
    halt "$pid"
    wait_until 30 cancelled "$f" "$who" || fail "the broker did not end $f: $(tail -5 "$T/broker.log")"
    # a little beyond the agent's own clock (the stall timeout and 1 s)
    sleep 2     # how long the agent does not run, not a synchronisation
    kill -CONT "$pid"
    wait_until 30 gone "$get" || fail "get $f did not end"
    wait "$get"
    local rc=$?
    [ "$rc" -eq 1 ] || fail "get $f exited $rc, not 1: $(cat "$T/get_$f.log")"
    grep -q "^fshare-ctl: get alice $f: $who stalled" "$T/get_$f.log" \
        || fail "get $f does not say '$who stalled': $(cat "$T/get_$f.log")"
    grep '^{' "$T/get_$f.log" | json_is '.code == "stalled"' \
        || fail "get $f: not code stalled: $(cat "$T/get_$f.log")"
    wait_until 10 log_has alice "serving '$f' to bob stopped after [0-9]* bytes: $who stalled" \
        || fail "alice does not say '$who stalled': $(grep "'$f'" "$T/alice.log")"
    has_bytes "$(part "$f")" || fail "the partial file of $f is gone"
}
suspended a.bin requester "$PID_bob"
suspended b.bin owner "$PID_alice"

# Both resume, and arrive identical
wait_online 10 alice bob
for f in a b; do
    expect 0 ctl bob get alice "$f.bin"
    grep -q "resumed at" "$T/out" "$T/err" || fail "$f.bin did not resume: $(cat "$T/out" "$T/err")"
    cmp "$T/alice_files/$f.bin" "$T/bob_dl/$f.bin" || fail "$f.bin differs"
done
[ "$(fds "$PID_bob")" -le "$FDS_BOB" ] || fail "bob's agent holds more descriptors: $FDS_BOB -> $(fds "$PID_bob")"
[ "$(fds "$PID_alice")" -le "$FDS_ALICE" ] || fail "alice's agent holds more descriptors: $FDS_ALICE -> $(fds "$PID_alice")"
echo "get_suspend: ok"
