# signals_stop.sh - the long-running programs stop on SIGTERM whenever it
# comes: right after start, while connecting, while logging in, while
# waiting for events. A signal that lands between a check of a flag and an
# endless poll would be lost (the program then hangs until SIGKILL); each
# program must take signals where it waits (a signalfd polled with its
# sockets). Each round sends SIGTERM at another moment after the start.
. "$(dirname "$0")/../lib.sh" "$1"

TAP="$BIN/fshare-tap"
export FSHARE_PASSWORD="pw-$$"
start_broker --hash-cost min

# term_at NAME DELAY COMMAND...: start COMMAND, SIGTERM it after DELAY
# seconds, and check it ends within 10 s, by the signal or with status 0
term_at() {
    local name=$1 delay=$2; shift 2
    "$@" >"$T/$name.log" 2>&1 &
    local pid=$!
    # a signal that reaches the shell's child before its exec is the
    # shell's, not the program's: wait until the program runs
    wait_until 10 runs "$pid" "$1" || fail "$name did not start"
    sleep "$delay"      # the moment of the signal, not a synchronisation
    kill -TERM "$pid" 2>/dev/null
    wait_until 10 gone "$pid" || { kill -KILL "$pid"; fail "$name did not stop within 10 s of SIGTERM sent after $delay s"; }
    wait "$pid"
    local st=$?
    case $st in 0|143) ;; *) fail "$name exited $st after SIGTERM: $(cat "$T/$name.log")" ;; esac
}

# runs PID PROGRAM: the process is PROGRAM (it has exec'd)
runs() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$2")" ]; }

# fshare-ctl events waits for as long as the agent lives
mkdir -p "$T/ctlu_files"
"$BIN/fshare-ctl" connect ctlu --broker "$BROKER_EP" --dir "$T/ctlu_files" \
    --downloads "$T/ctlu_dl" >/dev/null 2>"$T/err" || fail "connect ctlu: $(cat "$T/err")"

rounds=0
for delay in 0 0.005 0.01 0.02 0.05 0.1 0.2 0.4; do
    term_at tap "$delay" "$TAP" --events "$EVENTS_EP"
    term_at snap "$delay" "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot
    # an observer of ctlu's account (a tap creates no account: it must exist)
    term_at user "$delay" "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --user ctlu
    # nobody listens there: the tap waits for a login answer that never comes
    term_at mute "$delay" "$TAP" --events "ipc://$T/none.pub" --broker "ipc://$T/none.req" --user watcher
    term_at broker2 "$delay" "$BIN/fshare-broker" --listen "ipc://$T/b2.req" \
        --publish "ipc://$T/b2.pub" --state-dir "$T/state2" --hash-cost min
    mkdir -p "$T/files" "$T/dl"
    XDG_STATE_HOME="$T/state3" term_at agent "$delay" "$BIN/fshare-peer" --user agent \
        --broker "$BROKER_EP" --dir "$T/files" --downloads "$T/dl" --control "ipc://$T/agent.ctl"
    term_at events "$delay" "$BIN/fshare-ctl" --user ctlu events
    rounds=$((rounds + 1))
done
[ "$rounds" -eq 8 ] || fail "ran $rounds rounds, not 8"
grep -q "ctlu" "$T/events.log" && fail "events printed something unexpected: $(cat "$T/events.log")"
"$BIN/fshare-ctl" --user ctlu disconnect >/dev/null || fail "disconnect ctlu"
echo "signals_stop: ok ($rounds rounds of 7 programs)"
