# peer_share.sh - two agents see each other's files, live changes travel,
# the events stream, logout by `disconnect` and by SIGTERM.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker --hash-cost min
mkdir -p "$T/alice_files/sub"
echo hello >"$T/alice_files/a.txt"
echo pdf >"$T/alice_files/sub/b.pdf"
start_peer alice
start_peer bob
wait_online 10 alice
wait_online 10 bob

# --- the files present at login ---------------------------------------------------
wait_until 5 sees bob alice a.txt || fail "bob does not see alice's a.txt"
sees bob alice sub/b.pdf || fail "bob does not see alice's sub/b.pdf"
wait_until 5 has_peer alice bob || fail "alice does not see bob"
has_peer bob bob || fail "bob's peers lack bob himself"
[ "$(ctl bob --json peers | jq -r '.[] | select(.user == "alice") | .files')" = 2 ] \
    || fail "alice's file count is wrong: $(ctl bob --json peers)"
ctl_jq alice '.my_files == 2 and .peers == 1 and .other_files == 0' -- status \
    || fail "alice's status: $(ctl alice --json status)"

# ls: my own files; a glob's **/ matches across directories; --user
[ "$(ctl alice --json ls | jq -r '[.[].path] | join(",")')" = "a.txt,sub/b.pdf" ] \
    || fail "alice's own files: $(ctl alice --json ls)"
[ "$(ctl bob --json ls --all '**/*.pdf' | jq -r '[.[].path] | join(",")')" = "sub/b.pdf" ] \
    || fail "glob **/*.pdf: $(ctl bob --json ls --all '**/*.pdf')"
[ "$(ctl bob --json ls --all --user alice | jq length)" = 2 ] || fail "ls --all --user alice"
ctl bob ls --all --user nobody >"$T/out" 2>&1 && fail "an unknown user was accepted"
grep -q "unknown user nobody" "$T/out" || fail "no 'unknown user': $(cat "$T/out")"
ctl bob nonsense >"$T/out" 2>&1 && fail "an unknown command was accepted"

# --- live changes, seen by the other agent and by an events subscriber -------------
bg events "$CTL" --user bob --json events
EVENTS_PID=$LAST_PID
# subscribed once the broker's periodic stats come through
wait_until 5 grep -q '"type":"stats"' "$T/events.log" || fail "no events reach ctl events"
echo new >"$T/alice_files/new.txt"
wait_until 5 sees bob alice new.txt || fail "a new file did not reach bob"
wait_until 5 grep -q '"type":"file_added".*"path":"new.txt"' "$T/events.log" \
    || fail "the events stream missed file_added"
mkdir -p "$T/alice_files/d/e" && echo z >"$T/alice_files/d/e/z.txt"
wait_until 5 sees bob alice d/e/z.txt || fail "a file in a new directory did not reach bob"
mv "$T/alice_files/a.txt" "$T/alice_files/d/a2.txt"
wait_until 5 sees bob alice d/a2.txt || fail "a renamed file did not reach bob"
not_sees bob alice a.txt || fail "bob still sees the old name"
rm "$T/alice_files/sub/b.pdf"
wait_until 5 not_sees bob alice sub/b.pdf || fail "a removed file stays in bob's view"
echo from-bob >"$T/bob_files/hi.txt"
wait_until 5 sees alice bob hi.txt || fail "bob's new file did not reach alice"
# both views agree on everything
same_views() {
    local a b
    a=$(ctl alice --json ls --all) && b=$(ctl bob --json ls --all) || return 1
    [ -n "$a" ] && [ "$a" = "$b" ]
}
wait_until 5 same_views || fail "the views differ"

# --- logout: disconnect, then SIGTERM -------------------------------------------------
ctl alice disconnect >"$T/out" 2>&1 || fail "disconnect failed: $(cat "$T/out")"
stopped "$PID_alice" 0
log_has broker "alice logged out" || fail "the broker did not see alice log out"
wait_until 5 lacks_peer bob alice || fail "bob still lists alice"
not_sees bob alice new.txt || fail "bob still sees alice's files"
wait_until 5 grep -q '"type":"leave".*"user":"alice"' "$T/events.log" \
    || fail "the events stream missed the leave"
kill -TERM "$PID_bob"
stopped "$PID_bob" 0
wait_until 5 log_has broker "bob logged out" || fail "SIGTERM did not log bob out"
log_has bob "logged out" || fail "bob did not report the logout"
# the control endpoint is gone with the agent
ctl bob status >/dev/null 2>&1 && fail "bob's control socket still answers"
# and the events stream ends with it, saying so
stopped "$EVENTS_PID" 1
log_has events "the agent stopped" || fail "events did not say the agent stopped"
exit 0
