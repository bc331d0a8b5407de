# ctl_failures.sh - fshare-ctl when things go wrong: a refused login makes
# connect fail with the broker's reason and leaves no agent behind; no
# password source; a control socket that never answers ("agent not
# responding", and discovery ignores it); events end when the agent stops.
. "$(dirname "$0")/../lib.sh" "$1"



start_broker --hash-cost min

# --- a refused login ----------------------------------------------------------------------
FSHARE_PASSWORD=right connect dave          # creates the account (registration is on for ipc)
expect 0 "$CTL" --user dave disconnect
wait_until 5 no_agent dave || fail "dave's first agent did not stop"
FSHARE_PASSWORD=wrong try_connect dave --broker "$BROKER_EP"
[ $? -eq 1 ] || fail "a refused connect did not exit 1"
err_is "fshare-ctl: connect failed: login refused: invalid user or password"
[ -s "$T/out" ] && fail "a failed connect printed: $(cat "$T/out")"
no_agent dave || fail "the refused agent is still running"
expect 1 "$CTL" --user dave status
err_has "no agent running for dave"
FSHARE_PASSWORD=right connect dave          # the right password still works
expect 0 "$CTL" --user dave disconnect

# --- no password source: no terminal, no variable, no file ------------------------------------
env -u FSHARE_PASSWORD setsid "$CTL" connect erin --broker "$BROKER_EP" --dir "$T/erin_files" \
    >"$T/out" 2>"$T/err" </dev/null && fail "connect worked without a password"
err_is "fshare-ctl: no password: use --password-file, FSHARE_PASSWORD or a terminal"
no_agent erin || fail "an agent started without a password"
expect 1 env -u FSHARE_PASSWORD "$CTL" connect erin --broker "$BROKER_EP" \
    --dir "$T/erin_files" --password-file "$T/missing.pw"
err_has "fshare-ctl: connect failed: "
no_agent erin || fail "an agent runs without its password file"

# --- a control socket that never answers -------------------------------------------------------
mkdir -p "$XDG_RUNTIME_DIR/fshare"
bg mute socat "UNIX-LISTEN:$XDG_RUNTIME_DIR/fshare/mute.ctl,fork" /dev/null
wait_until 5 test -S "$XDG_RUNTIME_DIR/fshare/mute.ctl" || fail "socat did not listen"
started=$(now_ms)
expect 1 "$CTL" --user mute status
err_is "fshare-ctl: agent not responding"
[ $(( $(now_ms) - started )) -lt 8000 ] || fail "the request deadline is too long"
expect 1 "$CTL" status       # discovery: a socket that does not answer is no agent
err_is "fshare-ctl: no agent running (start one with: fshare-ctl connect USER)"

# --- events: printed as they come, the agent's end ends it ---------------------------------------
FSHARE_PASSWORD=pw connect frank
bg events "$CTL" --user frank events
EVENTS=$LAST_PID
bg events_json "$CTL" --user frank --json events
EVENTS_JSON=$LAST_PID
wait_until 10 log_has events ' stats ' || fail "events printed no stats event"
wait_until 10 log_has events_json '"type":"stats"' || fail "events --json printed no stats"
printf 'x' >"$T/frank_files/x.txt"
wait_until 10 log_has events "file_added *frank: x.txt" || fail "events missed file_added"
wait_until 10 log_has events_json '"type":"file_added","user":"frank","path":"x.txt"' \
    || fail "events --json missed file_added"
kill -INT "$EVENTS_JSON"
wait "$EVENTS_JSON" || fail "events did not exit 0 on SIGINT"
expect 0 "$CTL" --user frank disconnect
wait "$EVENTS" && fail "events exited 0 although its agent went away"
log_has events "fshare-ctl: the agent stopped" || fail "events did not say the agent stopped"

# --- the broker goes away: commands that need it fail fast, disconnect still stops ---------------
FSHARE_PASSWORD=pw connect gina
GINA=$(agent_pid gina)
kill -TERM "$BROKER_PID"
wait "$BROKER_PID"
wait_until 10 not_online gina || fail "gina did not notice the broker leaving"
expect 0 "$CTL" --user gina status
expect 1 "$CTL" --user gina ls --all
err_is "fshare-ctl: broker unreachable"
expect 1 "$CTL" --user gina peers
err_is "fshare-ctl: broker unreachable"
expect 0 "$CTL" --user gina ls            # own files need no broker
expect 1 "$CTL" --user gina disconnect
err_is "fshare-ctl: broker unreachable; stopped anyway"
wait_until 5 gone "$GINA" || fail "gina's agent did not stop"

# --- connect interrupted while the agent waits for an absent broker: no agent left behind ---------
FSHARE_PASSWORD=pw "$CTL" connect hank --broker "ipc://$T/nobroker" --dir "$T/hank_files" \
    >"$T/out" 2>"$T/err" </dev/null &
CONNECT=$!
PIDS="$PIDS $CONNECT"
wait_until 10 is_state hank connecting || fail "hank's agent is not waiting for the broker"
HANK=$(agent_pid hank)
kill -INT "$CONNECT"
wait "$CONNECT" && fail "an interrupted connect exited 0"
wait_until 5 gone "$HANK" || fail "an interrupted connect left its agent running"
# --- a control path no socket can be at ---------------------------------------------------------
# through a regular file: no agent, said at once (it waited 5 s for
# "agent not responding")
touch "$T/plainfile"
started=$(now_ms)
expect 1 "$CTL" --json --control "ipc://$T/plainfile/x.ctl" status
[ $(( $(now_ms) - started )) -lt 2000 ] || fail "a control path through a file was waited on"
json_is '.code == "no_agent"' <"$T/out" || fail "through a file: $(cat "$T/out")"
err_is "fshare-ctl: no agent listens on ipc://$T/plainfile/x.ctl"
# longer than a socket's path can be: a usage error naming it (it was
# "agent not responding", and connect's code was internal)
DEEP="$T/$(head -c 110 /dev/zero | tr '\0' d)"
mkdir -p "$DEEP"
XDG_RUNTIME_DIR=$DEEP expect 2 "$CTL" --json --user ivan status
err_has "fshare-ctl: control endpoint ipc://$DEEP/fshare/ivan.ctl: an ipc:// path is at most 107 bytes"
json_is '.code == "bad_request"' <"$T/out" || fail "a deep control dir: $(cat "$T/out")"
XDG_RUNTIME_DIR=$DEEP FSHARE_PASSWORD=pw expect 2 "$CTL" --json connect ivan \
    --broker "$BROKER_EP"
err_has "fshare-ctl: connect: control endpoint ipc://$DEEP/fshare/ivan.ctl: an ipc:// path"
json_is '.code == "bad_request"' <"$T/out" || fail "connect, a deep control dir: $(cat "$T/out")"
no_agent ivan || fail "an agent started with a control path too long"
echo "ctl_failures: ok"
