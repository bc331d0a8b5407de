# peer_takeover.sh - a crashed agent comes back at once (SPEC 4.1, issue
# 9.5): killed with -9 and started again, it logs in with its instance id
# and replaces its stale session instead of waiting for the broker to
# expire it; the event stream shows leave, then join; the other view ends
# exact. While it runs, a second agent of the same user on this machine
# (a service plus fshare-ctl connect) is refused, naming the running one.
. "$(dirname "$0")/../lib.sh" "$1"

# A long heartbeat: the old session would take 30 s to expire, so being
# online within 10 s can only be the takeover
start_broker --hash-cost min --heartbeat 10000
bg tap "$BIN/fshare-tap" --events "$EVENTS_EP" --json
mkdir -p "$T/alice_files"
echo one >"$T/alice_files/one.txt"
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice one.txt || fail "bob does not see one.txt"
[ -s "$T/state/fshare/peer-alice/instance" ] || fail "no instance id in alice's state directory"
instance=$(cat "$T/state/fshare/peer-alice/instance")

# --- a second agent of a user here: refused, naming the first -------------------------
# carol runs as a service would, on a control endpoint of its own; connect
# does not find it there, starts a second agent, and that one is refused
start_peer carol --control "ipc://$T/carol-service.ctl"
service() { "$CTL" --control "ipc://$T/carol-service.ctl" --json status 2>/dev/null | jq -r .state; }
carol_online() { [ "$(service)" = online ]; }
wait_until 10 carol_online || fail "carol not online"
FSHARE_PASSWORD=$(cat "$T/pw") expect 1 "$CTL" connect carol --broker "$BROKER_EP" \
    --dir "$T/carol_files" --downloads "$T/carol_dl"
err_has "another agent of this user is running here (pid $PID_carol"
carol_online || fail "the refused second agent disturbed carol"

# --- kill -9 and start again at once: online, the old session replaced ------------------
kill -KILL "$PID_alice"
wait "$PID_alice" 2>/dev/null
echo two >"$T/alice_files/two.txt"
start_peer alice
wait_online 10 alice
[ "$(cat "$T/state/fshare/peer-alice/instance")" = "$instance" ] || fail "the instance id changed"
wait_until 10 sees bob alice two.txt || fail "bob does not see two.txt"
wait_until 10 has_peer bob alice || fail "bob lost alice"

# the stream: alice joined, left (the stale session), joined again
sequence() {
    grep '^{' "$T/tap.log" | jq -r 'select(.user == "alice" and (.type == "join"
        or .type == "leave") and ((.page // 0) == 0)) | .type' | tr '\n' ' '
}
replaced() { [ "$(sequence)" = "join leave join " ]; }
wait_until 10 replaced || fail "alice's presence events: '$(sequence)'"
(cd "$T/alice_files" && find . -type f | sed 's|^\./||' | sort) >"$T/real"
ctl bob --json ls --all --user alice | jq -r '.[].path' | sort >"$T/view"
[ -s "$T/view" ] || fail "bob's view is empty"
cmp -s "$T/real" "$T/view" || fail "bob's view differs: $(diff "$T/real" "$T/view")"
log_has broker "already logged in" && fail "the restarted agent was refused first"
exit 0
