# lib.sh - sourced by every scenario test (tests/scenario/*.sh).
#
# Usage in a test:  . "$(dirname "$0")/../lib.sh" "$1"
# Gives: $BIN (build dir with the programs), $T (a fresh temp dir, removed at
# exit), every process started with `bg` killed at exit, `wait_until SECS CMD`
# to wait for a condition with a deadline (never a bare sleep), `fail MSG`,
# and `start_broker [OPTIONS]` on ipc endpoints inside $T.
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
