# ctl_commands.sh - fshare-ctl: command line, agent discovery (none, one,
# several), connect (FSHARE_PASSWORD and --password-file), status, ls,
# ls --all [--user] [GLOB], peers, plain and --json, and disconnect (the
# agent process ends, the others see the leave).
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="pw-$$"

json() { json_is "$@" <"$T/out" || fail "JSON check $1 failed on: '$(cat "$T/out")'"; }

# --- command line ------------------------------------------------------------------------
expect 0 "$CTL" --help
out_has "usage: fshare-ctl"
expect 0 "$CTL" -h
expect 0 "$CTL" --version
grep -qx "fshare-ctl [0-9][0-9.]*" "$T/out" || fail "bad --version: $(cat "$T/out")"
expect 2 "$CTL"
err_has "missing command"; err_has "try 'fshare-ctl --help'"; lines "$T/err" 2
expect 2 "$CTL" --bogus status
err_has "unknown option '--bogus'"; lines "$T/err" 2
expect 2 "$CTL" frobnicate
err_has "unknown command 'frobnicate'"; lines "$T/err" 2
expect 2 "$CTL" --user
err_has "needs an argument"
expect 2 "$CTL" --user alice --control "ipc://$T/x.ctl" status
expect 2 "$CTL" --user ../evil status
expect 2 "$CTL" status extra
expect 2 "$CTL" ls --bogus
expect 2 "$CTL" ls --user alice          # --user without --all
expect 2 "$CTL" connect
expect 2 "$CTL" connect alice secret     # never a password on the command line
expect 2 "$CTL" connect 'bad name'

# --- no agent ------------------------------------------------------------------------------
expect 1 "$CTL" status
err_is "fshare-ctl: no agent running (start one with: fshare-ctl connect USER)"
expect 1 "$CTL" --user alice ls
err_is "fshare-ctl: no agent running for alice (start one with: fshare-ctl connect alice)"
expect 1 "$CTL" --control "ipc://$T/nobody.ctl" peers
lines "$T/err" 1

# --- connect -------------------------------------------------------------------------------
start_broker --hash-cost min
mkdir -p "$T/alice_files/docs"
head -c 1536 /dev/zero >"$T/alice_files/docs/report.pdf"
printf 'notes' >"$T/alice_files/notes.txt"
bg tap "$TAP" --events "$EVENTS_EP" --json --topic presence
connect alice
out_has "connected as alice"; out_has "no files shared by other users"
ALICE=$(agent_pid alice)
[ -n "$ALICE" ] && kill -0 "$ALICE" || fail "no agent process for alice"
log_has run/fshare/alice "logged in" || fail "the agent's log is not in the control dir"
expect 1 "$CTL" connect alice --broker "$BROKER_EP" --dir "$T/alice_files"
err_is "fshare-ctl: alice is already connected"

# one agent: found without --user
expect 0 "$CTL" status
out_has "state: *online"; out_has "user: *alice"
expect 0 "$CTL" --json status
json '.user == "alice" and .state == "online" and .my_files == 2 and .pid > 0
      and (.broker | endswith("broker.req")) and (.broker_id | length > 0)
      and (.dir | endswith("alice_files")) and has("seq") and has("peers")
      and has("other_files") and has("downloads") and has("events")'
expect 0 "$CTL" ls
out_has "SIZE *MODIFIED *PATH"; out_has "1.5 KiB .* docs/report.pdf"; out_has "5 B .* notes.txt"
lines "$T/out" 3
expect 0 "$CTL" ls --json
json 'length == 2 and .[0] == {"user":"alice","path":"docs/report.pdf","size":1536,"mtime":.[0].mtime,"sha256":.[0].sha256}
      and .[1].path == "notes.txt" and .[1].size == 5 and (.[1].mtime | type) == "number"'
expect 0 "$CTL" ls '*.txt' --json
json 'map(.path) == ["notes.txt"]'

# the password from a file; connect prints the files of the others only
mkdir -p "$T/bob_files"
printf 'b' >"$T/bob_files/b.txt"
echo "bob-secret" >"$T/bob.pw"
env -u FSHARE_PASSWORD "$CTL" connect bob --broker "$BROKER_EP" --dir "$T/bob_files" \
    --downloads "$T/bob_dl" --password-file "$T/bob.pw" >"$T/out" 2>"$T/err" </dev/null \
    || fail "connect with --password-file: $(cat "$T/err")"
PIDS="$PIDS $(agent_pid bob)"
out_has "connected as bob"; out_has "USER *SIZE *MODIFIED *PATH"
out_has "alice .*1.5 KiB .* docs/report.pdf"; grep -q "b.txt" "$T/out" && fail "connect listed bob's own file"
mkdir -p "$T/carol_files"
expect 0 "$CTL" --json connect carol --broker "$BROKER_EP" --dir "$T/carol_files" --downloads "$T/carol_dl"
PIDS="$PIDS $(agent_pid carol)"
json 'map(.user) | sort == ["alice","alice","bob"]'

# several agents
expect 1 "$CTL" status
err_is "fshare-ctl: several agents running (alice, bob, carol): choose one with --user"
expect 1 "$CTL" ls

# --- ls --all, peers ---------------------------------------------------------------------------
expect 0 "$CTL" --user bob ls --all
out_has "USER *SIZE *MODIFIED *PATH"; out_has "alice .* docs/report.pdf"; out_has "bob .* b.txt"
lines "$T/out" 4
expect 0 "$CTL" --user bob --json ls --all
json 'map([.user, .path]) == [["alice","docs/report.pdf"],["alice","notes.txt"],["bob","b.txt"]]'
expect 0 "$CTL" --user bob ls --all --user alice '**/*.pdf' --json
json 'map(.path) == ["docs/report.pdf"]'
expect 0 "$CTL" --user bob ls --all --user alice '*.pdf' --json    # as get: '*' stays in docs/
json 'length == 0'
expect 0 "$CTL" --user bob ls --all '*.nothing'
out_has "no files"
expect 1 "$CTL" --user bob ls --all --user nobody
err_is "fshare-ctl: unknown user nobody"
expect 0 "$CTL" --control "ipc://$XDG_RUNTIME_DIR/fshare/carol.ctl" peers
out_has "USER *FILES *SINCE"; out_has "alice *2 "; out_has "bob *1 "; out_has "carol *0 "
expect 0 "$CTL" --user carol peers --json
json 'map([.user, .files]) == [["alice",2],["bob",1],["carol",0]] and all(.since > 1000000000)'

# --- disconnect -----------------------------------------------------------------------------
BOB=$(agent_pid bob)
expect 0 "$CTL" --user bob disconnect
[ "$(cat "$T/out")" = "disconnected" ] || fail "disconnect said: $(cat "$T/out")"
wait_until 5 gone "$BOB" || fail "bob's agent still runs after disconnect"
wait_until 5 log_has tap '"type":"leave","user":"bob"' || fail "the others did not see bob leave"
expect 0 "$CTL" --user alice peers --json
json 'map(.user) == ["alice","carol"]'
expect 1 "$CTL" --user bob disconnect
err_is "fshare-ctl: no agent running for bob (start one with: fshare-ctl connect bob)"
expect 0 "$CTL" --user carol disconnect
# one agent left: found again without --user
expect 0 "$CTL" disconnect
wait_until 5 gone "$ALICE" || fail "alice's agent still runs after disconnect"
expect 1 "$CTL" status
err_is "fshare-ctl: no agent running (start one with: fshare-ctl connect USER)"
echo "ctl_commands: ok"
