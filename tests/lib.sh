# lib.sh - sourced by every scenario test (tests/scenario/*.sh).
#
# Usage in a test:  . "$(dirname "$0")/../lib.sh" "$1"
# Gives: $BIN (build dir with the programs), $T (a fresh temp dir, removed at
# exit), `bg NAME COMMAND...` to start a program in the background,
# `wait_until SECS CMD` to wait for a condition with a deadline (never a bare
# sleep), `fail MSG`, `skip WHY` (exit 77), `start_broker [OPTIONS]` on ipc
# endpoints inside $T, `expect STATUS COMMAND...` with its checks of what the
# command printed (err_is, err_has, err_lines, lines), `stopped PID STATUS`,
# `gone PID`, and the json/view checks (json_is, not_empty).
#
# At exit every process the test started is checked (check_processes): each
# is sent SIGTERM and must end within STOP_SECS with status 0 (or by the
# SIGTERM itself); a process the test ended on purpose some other way (kill
# -9, a refused login) is reaped by the test with `stopped PID STATUS` or
# `wait PID` first. Every log of the test ($T/*.log, the agents' logs that
# `fshare-ctl connect` writes to $T/run/fshare/, and $T/san/, where
# ASAN_OPTIONS/UBSAN_OPTIONS send every sanitizer report whatever became of
# the program's stderr) is searched for sanitizer reports. Either problem
# fails the test, with the report printed.
set -u
BIN=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/fshare-test.XXXXXX")
export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state HOME=$T/home
mkdir -p "$XDG_RUNTIME_DIR" "$HOME" "$T/san"
chmod 700 "$XDG_RUNTIME_DIR"
# Reports to files of their own (asan.PID, ubsan.PID): daemons and programs
# whose stderr a test discards leave them there too. (gcc's UBSan linked with
# ASan and -fno-sanitize-recover ignores log_path and writes to stderr, that
# is to the logs searched below; it also aborts, which the exit status shows.)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/san/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/san/ubsan"
SAN_REPORT='(Address|Leak|UndefinedBehavior|Thread|Memory)Sanitizer|runtime error:'
# How long a process may take to end after SIGTERM. Under ASan the exit's
# leak check scans the whole heap (a broker that relayed 1 GiB keeps its
# chunk buffers): 15 s did not hold on a loaded 2-core machine.
if grep -q '^FSHARE_SANITIZE:BOOL=ON' "$BIN/CMakeCache.txt" 2>/dev/null; then
    STOP_SECS=${STOP_SECS:-60}
else
    STOP_SECS=${STOP_SECS:-20}
fi
PIDS=""                 # every process to stop and check at exit (a test may add some)
declare -A PID_NAME     # pid -> name of its log, for the messages
declare -A REAPED       # pid -> 1 once the test waited for it: its status is the test's

# wait [PID...]: bash's wait, remembering which processes the test has
# reaped itself (bash would give their status again at exit)
wait() {
    builtin wait "$@"
    local rc=$? arg
    for arg in "$@"; do [[ "$arg" == [0-9]* ]] && REAPED[$arg]=1; done
    return $rc
}

# alive PID: the process exists and is not a zombie
alive() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}
# gone PID: the process has ended (a zombie waiting for its reaper counts)
gone() { ! alive "$1"; }

# san_reports: the files under $T that hold a sanitizer report
san_reports() {
    find "$T/san" "$T" "$T/run/fshare" "$T/state" -maxdepth 1 -type f \
        \( -path "$T/san/*" -o -name '*.log' -o -name err -o -name out \) 2>/dev/null \
        | sort -u | xargs -r grep -lE "$SAN_REPORT" 2>/dev/null
}

# check_processes: stop every process of the test and check how each ended
# and what it logged; prints the problems, false if there were any.
check_processes() {
    local pid st bad=0 left
    # processes started some other way (fshare-ctl connect's agents) that
    # the test did not add: found by the paths in $T on their command line
    left=$(pgrep -f -- "$T/" 2>/dev/null | tr '\n' ' ')
    for pid in $left; do
        [[ " $PIDS " == *" $pid "* ]] || [ "$pid" = $$ ] || PIDS="$PIDS $pid"
    done
    # the last started first: clients end before the servers they use
    for pid in $(tr ' ' '\n' <<<"$PIDS" | tac); do
        alive "$pid" || continue
        { kill -TERM "$pid"; kill -CONT "$pid"; } 2>/dev/null
        wait_until "$STOP_SECS" gone "$pid" && continue
        echo "FAIL: ${PID_NAME[$pid]:-process} $pid did not stop within $STOP_SECS s of SIGTERM" >&2
        kill -KILL "$pid" 2>/dev/null
        bad=1
    done
    for pid in $PIDS; do
        # not a child (no status to read), or reaped and checked by the test
        [ -n "${PID_NAME[$pid]:-}" ] && [ -z "${REAPED[$pid]:-}" ] || continue
        builtin wait "$pid" 2>/dev/null
        st=$?
        # 143: ended by the SIGTERM itself
        case $st in 0|143) continue ;; esac
        echo "FAIL: ${PID_NAME[$pid]} (pid $pid) exited $st" >&2
        tail -n 20 "$T/${PID_NAME[$pid]}.log" >&2 2>/dev/null
        bad=1
    done
    builtin wait 2>/dev/null
    for log in $(san_reports); do
        echo "FAIL: sanitizer report in ${log#"$T"/}:" >&2
        head -n 80 "$log" >&2
        bad=1
    done
    return $bad
}

cleanup() {
    local rc=$?
    trap - EXIT
    set +e
    if [ -z "${CHECKED:-}" ] && ! check_processes; then
        [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] && rc=1
    fi
    [ -n "${KEEP_T:-}" ] && [ "$rc" -ne 0 ] && echo "kept $T" >&2 || rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for log in "$T"/*.log "$T"/run/fshare/*.log; do
        [ -f "$log" ] && { echo "--- ${log#"$T"/}" >&2; tail -n 30 "$log" >&2; }
    done
    exit 1
}

# skip WHY: the test cannot run here; ctest counts it skipped (SKIP_RETURN_CODE)
skip() { echo "SKIP: $*"; exit 77; }

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
    PID_NAME[$LAST_PID]=$name
}

# stopped PID STATUS: the process (a child started with bg) ends within
# 5 s with that exit status (137 after kill -9)
stopped() {
    wait_until 5 gone "$1" || fail "process $1 did not stop"
    wait "$1"
    local got=$?
    [ "$got" -eq "$2" ] || fail "process $1 exited $got, not $2"
}

# halt PID: stop the process (SIGSTOP) and return once it is stopped: kill
# alone returns before the signal has taken effect
halted() { [[ "$(cat "/proc/$1/stat" 2>/dev/null)" =~ \)\ [tT]\  ]]; }
halt() {
    kill -STOP "$1" || fail "cannot stop process $1"
    wait_until 10 halted "$1" || fail "process $1 did not stop on SIGSTOP"
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

# json_is FILTER [JQ ARGS...] < JSON: true when the input is one or more JSON
# values and FILTER holds for the last; false on empty input (jq 1.6's -e
# alone is true there) and on anything jq cannot parse.
json_is() {
    local in
    in=$(cat)
    [ -n "${in//[[:space:]]/}" ] || return 1
    jq -e "$@" <<<"$in" >/dev/null 2>&1
}
