# lib.sh - sourced by every scenario test (tests/scenario/*.sh).
#
# Usage in a test:  . "$(dirname "$0")/../lib.sh" "$1"
# Gives: $BIN (build dir with the programs), $T (a fresh temp dir, removed at
# exit), every process started with `bg` killed at exit, `wait_until SECS CMD`
# to wait for a condition with a deadline (never a bare sleep), `fail MSG`,
# `start_broker [OPTIONS]` on ipc endpoints inside $T, and `expect STATUS
# COMMAND...` with its checks of what the command printed (err_is, err_has,
# err_lines, lines).
set -u
BIN=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/fshare-test.XXXXXX")
export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state HOME=$T/home
mkdir -p "$XDG_RUNTIME_DIR" "$HOME"
chmod 700 "$XDG_RUNTIME_DIR"
PIDS=""

cleanup() {
    for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $PIDS; do
        # give each process a moment to exit cleanly, then insist
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for log in "$T"/*.log; do
        [ -f "$log" ] && { echo "--- $log" >&2; tail -n 30 "$log" >&2; }
    done
    exit 1
}

now_ms() { date +%s%3N; }

# wait_until SECONDS COMMAND...: poll COMMAND until it succeeds or time runs out.
wait_until() {
    local limit=$(( $(now_ms) + $1 * 1000 )); shift
    until "$@"; do
        [ "$(now_ms)" -gt "$limit" ] && return 1
        sleep 0.02
    done
}

# bg LOGNAME COMMAND...: start COMMAND in the background, output to $T/LOGNAME.log
bg() {
    local name=$1; shift
    "$@" >"$T/$name.log" 2>&1 &
    LAST_PID=$!
    PIDS="$PIDS $LAST_PID"
}

BROKER_EP="ipc://$T/broker.req"
EVENTS_EP="ipc://$T/broker.pub"

# start_broker [OPTIONS]: broker on ipc endpoints in $T, waits until it listens.
start_broker() {
    bg broker "$BIN/fshare-broker" --listen "$BROKER_EP" --publish "$EVENTS_EP" \
        --state-dir "$T/state/fshare" "$@"
    BROKER_PID=$LAST_PID
    wait_until 10 test -S "$T/broker.req" || fail "broker did not start"
}

# log_has NAME TEXT: the log of NAME contains TEXT
log_has() { grep -q -- "$2" "$T/$1.log" 2>/dev/null; }

# expect STATUS COMMAND...: run COMMAND (stdin /dev/null), stdout to $T/out,
# stderr to $T/err; fail unless it exits STATUS.
expect() {
    local want=$1; shift
    "$@" >"$T/out" 2>"$T/err" </dev/null
    local got=$?
    [ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(cat "$T/err"))"
}
err_is() { [ "$(cat "$T/err")" = "$1" ] || fail "stderr is not '$1': $(cat "$T/err")"; }
err_has() { grep -q -- "$1" "$T/err" || fail "stderr lacks '$1': $(cat "$T/err")"; }
err_lines() { [ "$(wc -l <"$T/err")" -eq "$1" ] || fail "stderr is not $1 line(s): $(cat "$T/err")"; }
# lines FILE N: FILE has exactly N lines
lines() { [ "$(wc -l <"$1")" -eq "$2" ] || fail "$1 has not $2 line(s): $(cat "$1")"; }
