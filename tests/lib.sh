# lib.sh - sourced by every scenario test (tests/scenario/*.sh).
#
# Usage in a test:  . "$(dirname "$0")/../lib.sh" "$1"
# Gives: $BIN (build dir with the programs), $T (a fresh temp dir, removed at
# exit), `bg NAME COMMAND...` to start a program in the background,
# `wait_until SECS CMD` to wait for a condition with a deadline (never a bare
# sleep), `fail MSG`, `skip WHY` (exit 77), `start_broker [OPTIONS]` on ipc
# endpoints inside $T, `expect STATUS COMMAND...` with its checks of what the
# command printed (err_is, err_has, err_lines, lines), `stopped PID STATUS`,
# `gone PID`, and the JSON check json_is. Agents and
# fshare-ctl: `start_peer`, `connect`, `ctl`, the view checks (online, sees,
# not_sees, has_peer, lacks_peer, peer_files), and the small probes every
# scenario family needs (agent_pid, broker_id, size_of, has_bytes,
# log_count, rss_of). The hostile scenarios' python3-zmq: `need_pyzmq`.
# The files_* family's host-directory helpers: `files_family`, then
# start_all, next_events/expect_events/expect_set, same_as_disk, start/finish_writer.
# Helpers of one scenario stay in it; a helper two scenarios need is here.
#
# At exit every process the test started is checked (check_processes): each
# is sent SIGTERM and must end within STOP_SECS with status 0 (or by the
# SIGTERM itself); a process the test ended on purpose some other way (kill
# -9, a refused login) is reaped by the test with `stopped PID STATUS` or
# `wait PID` first (`end_clean` runs the check before the end). Every log of the test ($T/*.log, the agents' logs that
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
# SANITIZED: non-empty when the programs are an ASan/UBSan build.
SANITIZED=$(grep -l '^FSHARE_SANITIZE:BOOL=ON' "$BIN/CMakeCache.txt" 2>/dev/null)
# LeakSanitizer's exit-time scan stays on for every program a scenario
# starts. (Once it was off: in .ci/run's ASan phase programs took their
# SIGTERM and then did not finish exiting within 60 s, one stack showing the
# scan's stop-the-world. A SIGCONT sent after every SIGTERM could land during
# that scan and discard the SIGSTOP it waits for; see check_processes.)
if [ -n "$SANITIZED" ]; then
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

# threads_of PID: each thread's name, state and where it waits in the
# kernel, for the message of a process that would not stop
threads_of() {
    local task
    for task in /proc/"$1"/task/*; do
        printf '  thread %s %s state %s wchan %s\n' "${task##*/}" \
            "$(cat "$task/comm" 2>/dev/null)" \
            "$(awk '/^State:/ { print $2 }' "$task/status" 2>/dev/null)" \
            "$(cat "$task/wchan" 2>/dev/null)"
    done
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
        # a process the test left stopped (halt, state T) gets SIGCONT
        # first; never one that runs: SIGCONT discards a pending SIGSTOP,
        # and LeakSanitizer's exit-time scan stops every thread with one
        # (PTRACE_ATTACH), then waits for each to stop: for ever, if its
        # SIGSTOP was discarded. (A thread in that scan shows state t.)
        [[ "$(cat "/proc/$pid/stat" 2>/dev/null)" =~ \)\ T\  ]] && kill -CONT "$pid" 2>/dev/null
        kill -TERM "$pid" 2>/dev/null
        wait_until "$STOP_SECS" gone "$pid" && continue
        echo "FAIL: ${PID_NAME[$pid]:-process} $pid did not stop within $STOP_SECS s of SIGTERM" >&2
        threads_of "$pid" >&2
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

# at_exit 'COMMANDS': COMMANDS run at exit (an unmount), then cleanup, with
# the test's own exit status: cleanup takes $? for it, and a trap that
# ran something else first once made every failure of such a test exit 0
at_exit() {
    # shellcheck disable=SC2064
    trap "at_exit_rc=\$?; $1; (exit \$at_exit_rc); cleanup" EXIT
}

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

# end_clean: stop every program now and check how each ended and what it
# logged (check_processes, which the exit would run anyway), for a test
# that has more to check afterwards.
end_clean() {
    CHECKED=1
    check_processes || exit 1
}

# size_of FILE: its size in bytes, 0 when it does not exist (yet)
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# has_bytes FILE: FILE exists and is not empty (a download has begun)
has_bytes() { [ "$(size_of "$1")" -gt 0 ]; }
# log_count NAME TEXT: how many lines of NAME's log hold TEXT
log_count() { grep -c -- "$2" "$T/$1.log" 2>/dev/null; }
# log_has_n NAME TEXT N: NAME's log holds TEXT on at least N lines
log_has_n() { [ "$(log_count "$1" "$2")" -ge "$3" ]; }
# out_has TEXT: the last `expect`'s stdout holds TEXT (a grep pattern)
out_has() { grep -q -- "$1" "$T/out" || fail "stdout lacks '$1': $(cat "$T/out")"; }
# rss_of PID: the process's resident memory in kB
rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# --- agents and fshare-ctl -------------------------------------------------

PEER="$BIN/fshare-peer"
CTL="$BIN/fshare-ctl"
TAP="$BIN/fshare-tap"
PY=/usr/bin/python3
HOSTILE="$(dirname "$0")/hostile_client.py"    # raw protocol clients
OWNER_PY="$(dirname "$0")/digest_owner.py"     # a raw owner publishing digests
echo "secret-$$" >"$T/pw"

# need_pyzmq: the raw protocol clients (hostile_client.py) can run; tools/
# setup.sh installs python3-zmq, so its absence fails rather than skips
need_pyzmq() {
    "$PY" -c "import zmq" 2>/dev/null || fail "python3-zmq is missing (tools/setup.sh installs it)"
}

# start_owner NAME [OPTIONS] PATH...: digest_owner.py logged in as NAME
# (password pw), serving PATHs under $T/NAME_files (a trailing number is no
# part of that dir: alice2 serves $T/alice_files); online before it
# returns; its pid in PID_NAME.
start_owner() {
    local name=$1; shift
    bg "$name" "$PY" "$OWNER_PY" "$BROKER_EP" "$name" pw "$T/${name%%[0-9]*}_files" "$@"
    eval "PID_$name=$LAST_PID"
    wait_until 10 log_has "$name" online || fail "$name is not online"
}

# start_peer NAME [OPTIONS]: NAME's agent, host dir $T/NAME_files, password
# $T/pw; its pid in PID_NAME.
start_peer() {
    local name=$1; shift
    mkdir -p "$T/${name}_files"
    bg "$name" "$PEER" --user "$name" --dir "$T/${name}_files" \
        --downloads "$T/${name}_dl" --broker "$BROKER_EP" --password-file "$T/pw" "$@"
    eval "PID_$name=$LAST_PID"
}

ctl() { local name=$1; shift; "$CTL" --user "$name" "$@"; }

# agent_pid USER: the pid of USER's agent, as it says itself
agent_pid() { ctl "$1" --json status 2>/dev/null | jq -r .pid; }
# broker_id USER: the id of the broker USER's agent is logged in to
broker_id() { ctl "$1" --json status 2>/dev/null | jq -r '.broker_id // empty'; }

# try_connect USER [OPTIONS]: `fshare-ctl connect USER` with host dir
# $T/USER_files and downloads $T/USER_dl (stdin /dev/null, output in $T/out
# and $T/err); its exit status. The password: FSHARE_PASSWORD or OPTIONS.
try_connect() {
    local user=$1; shift
    mkdir -p "$T/${user}_files"
    "$CTL" connect "$user" --dir "$T/${user}_files" --downloads "$T/${user}_dl" "$@" \
        >"$T/out" 2>"$T/err" </dev/null
}
# connect USER [OPTIONS]: try_connect to the test's broker, which must work;
# the agent is stopped and checked at the end like the test's own processes
connect() {
    local user=$1; shift
    try_connect "$user" --broker "$BROKER_EP" "$@" || fail "connect $user exited $?: $(cat "$T/err")"
    PIDS="$PIDS $(agent_pid "$user")"
}

# no_agent USER: no agent of USER's that fshare-ctl started runs (found by
# the command line connect gives it)
no_agent() { ! pgrep -f "fshare-peer --user $1 --dir $T/" >/dev/null; }

# ctl_jq NAME FILTER [JQ ARGS] -- CTL ARGS: run `fshare-ctl --user NAME --json
# CTL ARGS` and test its output with json_is FILTER. False when the command
# fails or prints nothing.
ctl_jq() {
    local name=$1 filter=$2; shift 2
    local jqargs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do jqargs+=("$1"); shift; done
    shift
    local out
    out=$(ctl "$name" --json "$@" 2>/dev/null) || return 1
    json_is "${jqargs[@]}" "$filter" <<<"$out"
}

# state NAME: the agent's state word
state() { ctl "$1" --json status 2>/dev/null | jq -r .state; }
is_state() { ctl_jq "$1" '.state == $s' --arg s "$2" -- status; }
online() { is_state "$1" online; }
# wait_online SECS NAME...: each NAME's agent is online within SECS, or
# the test fails saying which one and in what state
wait_online() {
    local secs=$1 name; shift
    for name in "$@"; do
        wait_until "$secs" online "$name" || fail "$name not online: $(state "$name")"
    done
}
# not_online NAME: NAME's agent answers, in another state than online
not_online() { ctl_jq "$1" '.state != "online"' -- status; }

# sees NAME OWNER PATH: OWNER's PATH is in NAME's view
sees() {
    ctl_jq "$1" 'any(.[]; .user == $u and .path == $p)' --arg u "$2" --arg p "$3" -- ls --all
}
# not_sees NAME OWNER PATH: NAME's view is known (see view_known) and lacks
# OWNER's PATH; false on an empty answer or an agent without a view
not_sees() {
    view_known "$1" &&
    ctl_jq "$1" 'all(.[]; .user != $u or .path != $p)' --arg u "$2" --arg p "$3" -- ls --all
}
# view_known NAME: NAME's agent is online and its peer list holds NAME itself
# (so that "not in the view" never passes on a view that is empty or stale)
view_known() { online "$1" && has_peer "$1" "$1"; }

# has_peer NAME USER: USER is logged in according to NAME's agent
has_peer() { ctl_jq "$1" 'any(.[]; .user == $u)' --arg u "$2" -- peers; }
# lacks_peer NAME USER: NAME's peer list, which holds NAME itself, lacks USER
lacks_peer() {
    ctl_jq "$1" 'any(.[]; .user == $me) and all(.[]; .user != $u)' \
        --arg me "$1" --arg u "$2" -- peers
}
# peer_files NAME USER: how many files of USER's NAME's agent knows of
# (empty when USER is not in its peer list)
peer_files() {
    ctl "$1" --json peers 2>/dev/null | jq --arg u "$2" '.[] | select(.user == $u) | .files'
}
# has_files NAME USER N: NAME's agent knows of exactly N files of USER's
has_files() { [ "$(peer_files "$1" "$2")" = "$3" ]; }

# --- the files_* scenarios: the host directory as real programs see it ------
# alice publishes $DIR, bob keeps a view, a `fshare-tap --json` records the
# events. `files_family` first, then start_all.

files_family() {
    DIR="$T/alice_files"
    SYNC=0 SEEN=0
    mkdir -p "$DIR" "$T/outside"
}

# same_sums SECS [WHAT]: within SECS, bob's digests of alice's files are
# sha256sum of the disk (view_sums, disk_sums), else the test fails
# showing the difference
view_sums() {
    ctl bob --json ls --all --user alice 2>/dev/null | jq -r '.[] | "\(.sha256) \(.path)"' | sort
}
disk_sums() {
    (cd "$DIR" && find . -type f -print0 | xargs -0 -r sha256sum) | sed 's|  \./| |' | sort
}
sums_are_disk() { [ "$(view_sums)" = "$(disk_sums)" ]; }
same_sums() {
    wait_until "$1" sums_are_disk || fail "bob's digests differ from the disk${2:+ ($2)}:
$(diff <(view_sums) <(disk_sums) | head -40)"
}

# start_all [ALICE OPTIONS]: broker, tap, alice and bob, all online
start_all() {
    start_broker --hash-cost min
    bg tap "$BIN/fshare-tap" --events "$EVENTS_EP" --json
    # subscribed once the broker's periodic stats come through
    wait_until 10 log_has tap '"type":"stats"' || fail "the tap saw no stats event"
    start_peer alice "$@"
    start_peer bob
    wait_online 10 alice bob
    wait_until 10 has_peer bob alice || fail "bob does not see alice"
}

# file_events: alice's file events on the tap so far, "type path [from]"
# per line (a line still being written is skipped). A file_changed of the
# same size and mtime as the path's last event only brings its digest
# (SPEC 4.5: a large file's digest follows its first event): not a change.
file_events() {
    jq -R -r -n '[inputs | fromjson? | select(.user == "alice" and (.type | startswith("file_")))]
              | foreach .[] as $e ({last: {}, out: null};
                    .out = (if $e.type == "file_changed" and .last[$e.path] == [$e.size, $e.mtime]
                            then null else $e end)
                    | .last[$e.path] = [$e.size, $e.mtime];
                    .out)
              | select(. != null)
              | [.type, .path] + (if .from then [.from] else [] end) | join(" ")' \
        "$T/tap.log" 2>/dev/null
}
tap_has() { file_events | grep -qx -- "$1"; }

# next_events: the events of what was done since the last call into
# $T/events.now, once all of them are out: a sentinel file is added, then removed; its removal
# waits out the settle window like every removal before it, and the agent
# reports in order, so everything earlier is on the tap before it.
next_events() {
    SYNC=$((SYNC + 1))
    local name="sync-$SYNC"
    echo "$SYNC" >"$DIR/$name"
    wait_until 10 tap_has "file_added $name" || fail "no file_added $name on the tap"
    rm "$DIR/$name"
    wait_until 10 tap_has "file_removed $name" || fail "no file_removed $name on the tap"
    file_events >"$T/events.all"
    tail -n +$((SEEN + 1)) "$T/events.all" | grep -v "^file_[a-z]* sync-[0-9]*$" >"$T/events.now"
    SEEN=$(wc -l <"$T/events.all")
}

# every_change_within MS N: N new files in $DIR, each made as soon as the
# tap showed the one before, so each starts afresh whatever finds changes
# (a rescan every 5 s would take about 5 s for every one after the first);
# each must be on the tap within MS ms, else the test fails naming it
every_change_within() {
    local ms=$1 count=$2 i start took
    for i in $(seq "$count"); do
        start=$(now_ms)
        echo "$i" >"$DIR/within-$i.txt"
        wait_until $(( ms / 1000 + 10 )) tap_has "file_added within-$i.txt" \
            || fail "within-$i.txt was never published"
        took=$(( $(now_ms) - start ))
        [ "$took" -le "$ms" ] || fail "within-$i.txt took $took ms to publish (at most $ms)"
    done
}

# expect_events LINE...: exactly these events (none if no LINE), in order
expect_events() {
    local got want
    next_events
    got=$(cat "$T/events.now")
    want=$(printf '%s\n' "$@")
    [ "$got" = "$want" ] || fail "expected events:
$want
got:
$got"
}

# expect_set LINE...: exactly these events, in any order (a walk meets a
# directory's files in readdir's order; a removal waits out the settle
# window, so an addition in the same step may come first)
expect_set() {
    local got want
    next_events
    got=$(sort "$T/events.now")
    want=$(printf '%s\n' "$@" | sort)
    [ "$got" = "$want" ] || fail "expected events (any order):
$want
got:
$got"
}

# same_as_disk [REGEX]: bob's view of alice is exactly the files on disk
# (path, size, mtime), leaving out paths matching the (awk) REGEX: what
# the rules ignore
view_lines() {
    ctl bob --json ls --all --user alice 2>/dev/null \
        | jq -r '.[] | "\(.path) \(.size) \(.mtime)"' | sort
}
disk_lines() {
    (cd "$DIR" && find . -type f -print0 | xargs -0 -r stat -c '%n %s %Y') \
        | sed 's|^\./||' | SKIPRE="$1" awk '$1 !~ ENVIRON["SKIPRE"]' | sort
}
view_is_disk() { [ "$(view_lines)" = "$(disk_lines "$SKIP")" ]; }
same_as_disk() {
    SKIP=${1:-^$}
    wait_until 5 view_is_disk || fail "bob's view differs from the disk:
$(diff <(view_lines) <(disk_lines "$SKIP"))"
}

# start_writer NAME FILE BYTES: a process opens FILE for appending and
# writes BYTES, then holds it open until finish_writer. (A writer of its
# own: a descriptor of this shell would be inherited by every program
# started after, which would then hold the file open too.)
start_writer() {
    bg "writer_$1" perl -e '
        my ($file, $bytes, $go) = @ARGV;
        open (my $fh, ">>", $file) or die "open $file: $!";
        binmode $fh;
        syswrite ($fh, "w" x $bytes) == $bytes or die "write: $!" if $bytes;
        open (my $ready, ">", "$go.ready") or die; close $ready;
        until (-e $go) { select (undef, undef, undef, 0.01) }
        open (my $g, "<", $go) or die; my $more = <$g>; close $g; chomp $more;
        syswrite ($fh, "w" x $more) == $more or die "write: $!" if $more;
        close $fh or die "close: $!";' "$2" "$3" "$T/$1.go"
    eval "WRITER_$1=$LAST_PID"
    wait_until 10 test -e "$T/$1.go.ready" || fail "writer $1 did not start"
}

# finish_writer NAME BYTES: the writer writes BYTES more, closes and ends
finish_writer() {
    local pid
    eval "pid=\$WRITER_$1"
    echo "$2" >"$T/$1.go.tmp"
    mv "$T/$1.go.tmp" "$T/$1.go"
    wait_until 10 gone "$pid" || fail "writer $1 did not finish"
}
