# peer_refused.sh - fshare-peer's command line and its failures: usage errors
# (exit 2), a refused login (exit 1 with the broker's reason), a second
# agent of the same user, a second broker on the first one's ipc
# endpoints, a non-local broker; and an unreachable broker,
# which is not a failure: the agent waits for it.
. "$(dirname "$0")/../lib.sh" "$1"

# expect STATUS COMMAND...: stdout/stderr to $T/out, $T/err

# --- command line -------------------------------------------------------------------
expect 0 "$PEER" --help
grep -q "usage: fshare-peer" "$T/out" || fail "--help prints no usage"
expect 0 "$PEER" -h
expect 0 "$PEER" --version
grep -qx "fshare-peer [0-9][0-9.]*" "$T/out" || fail "bad --version: $(cat "$T/out")"
expect 2 "$PEER" --user alice --bogus
err_has "unknown option '--bogus'"; err_has "--help"; err_lines 2
expect 2 "$PEER"
err_has "--user"; err_lines 2
expect 2 "$PEER" --user
err_has "needs an argument"; err_lines 2
expect 2 "$PEER" --user ../evil
expect 2 "$PEER" --user alice extra
echo "bogus = 1" >"$T/bad.cfg"
expect 2 "$PEER" -c "$T/bad.cfg" --user alice
expect 1 "$PEER" --user alice --broker tcp://192.0.2.1:5555 --password-file "$T/pw"
err_has "refusing to send a password unencrypted to tcp://192.0.2.1:5555"; err_lines 1
expect 2 "$PEER" --user alice --broker tcp://127.0.0.1:notaport --password-file "$T/pw"
err_has "fshare-peer: --broker: 'tcp://127.0.0.1:notaport' is not a usable endpoint: the port"
err_lines 2
expect 2 "$PEER" --user alice --broker "$BROKER_EP" --events bogus://x --password-file "$T/pw"
err_has "fshare-peer: --events: 'bogus://x' is not a usable endpoint"; err_lines 2
expect 1 "$PEER" --user alice --broker "$BROKER_EP" --password-file "$T/pw" --dir /dev/null
err_has "host directory /dev/null"
expect 1 "$PEER" --user alice --broker "$BROKER_EP" --password-file "$T/nonexistent"
err_has "fshare-peer: password:"; err_lines 1
env -u FSHARE_PASSWORD setsid "$PEER" --user alice --broker "$BROKER_EP" \
    >"$T/out" 2>"$T/err" </dev/null && fail "started without any password source"
err_has "no password"

# --- an unreachable broker is waited for -----------------------------------------------
start_peer alice
wait_until 5 is_state alice connecting || fail "alice is not connecting: $(state alice)"
ctl alice peers >/dev/null 2>&1 && fail "peers answered without a broker"
kill -0 "$PID_alice" || fail "alice gave up on an absent broker"
start_broker --hash-cost min
wait_online 10 alice

# --- a second agent of the same user ---------------------------------------------------
# on the same machine: the state directory's lock refuses it before anything
# is sent, naming the running one (even on another control endpoint)
expect 1 "$PEER" --user alice --dir "$T/alice2" --broker "$BROKER_EP" --password-file "$T/pw"
err_has "another agent of this user is running here (pid $PID_alice"
expect 1 "$PEER" --user alice --dir "$T/alice2" --broker "$BROKER_EP" \
    --password-file "$T/pw" --control "ipc://$T/alice2.ctl"
err_has "another agent of this user is running here (pid $PID_alice"
# same control endpoint, another state directory: refused, not taken over
XDG_STATE_HOME=$T/state2 expect 1 "$PEER" --user alice --dir "$T/alice2" \
    --broker "$BROKER_EP" --password-file "$T/pw"
err_has "control endpoint"; err_has "another agent"
# another machine (another instance id): the broker refuses
XDG_STATE_HOME=$T/state2 expect 1 "$PEER" --user alice --dir "$T/alice2" \
    --broker "$BROKER_EP" --password-file "$T/pw" --control "ipc://$T/alice2.ctl"
err_has "fshare-peer: login refused: already logged in"
online alice || fail "the refused twin disturbed alice"

# --- a second broker on the first one's ipc endpoints ----------------------------------
# refused (exit 1, one line), as a TCP bind in use is; libzmq alone would
# unlink the socket file and take the name over, the first broker running on
# unreachable to every new connection
expect 1 timeout 20 "$BIN/fshare-broker" --listen "$BROKER_EP" --publish "ipc://$T/b2.pub" \
    --state-dir "$T/state-b2" --hash-cost min
err_has "^fshare-broker: cannot bind $BROKER_EP: another process is listening there$"; err_lines 1
expect 1 timeout 20 "$BIN/fshare-broker" --listen "ipc://$T/b2.req" --publish "$EVENTS_EP" \
    --state-dir "$T/state-b2" --hash-cost min
err_has "^fshare-broker: cannot bind $EVENTS_EP: another process is listening there$"; err_lines 1
start_peer dan
wait_online 10 dan                  # a new agent still reaches the first broker
ctl dan disconnect >/dev/null || fail "disconnect dan"
stopped "$PID_dan" 0

# --- wrong password ------------------------------------------------------------------------
ctl alice disconnect >/dev/null || fail "disconnect failed"
stopped "$PID_alice" 0
echo wrong >"$T/wrong"
expect 1 "$PEER" --user alice --dir "$T/alice_files" --broker "$BROKER_EP" --password-file "$T/wrong"
err_has "fshare-peer: login refused: invalid user or password"
[ "$(grep -c "login refused" "$T/err")" -eq 1 ] || fail "the refusal is not said once: $(cat "$T/err")"
log_has broker "refused" || fail "the broker did not log the refusal"
# the right password still works
start_peer alice
wait_online 10 alice
# a config file sets options; the command line wins
printf 'user = carol\nbroker = %s\npassword-file = %s\ncontrol = ipc://%s/carol.ctl\n' \
    "$BROKER_EP" "$T/pw" "$T" >"$T/carol.cfg"
bg carol "$PEER" -c "$T/carol.cfg" --dir "$T/carol_files" --downloads "$T/carol_dl"
CAROL=$LAST_PID
wait_until 10 has_peer alice carol || fail "carol (config file) did not log in"
[ -d "$T/carol_files" ] && [ -d "$T/carol_dl" ] || fail "carol's directories were not created"
kill -INT "$CAROL"
stopped "$CAROL" 0
wait_until 5 lacks_peer alice carol || fail "SIGINT did not log carol out"
exit 0
