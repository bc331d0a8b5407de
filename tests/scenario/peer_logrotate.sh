# peer_logrotate.sh - an agent started by fshare-ctl connect logs to
# <control dir>/USER.log, and that file is rotated at a size (FSHARE_LOG_MAX,
# default 1 MiB): USER.log.1 holds the old part, the agent goes on in a new
# USER.log.
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="pw-$$" FSHARE_LOG_MAX=4096
LOG="$XDG_RUNTIME_DIR/fshare/alice.log"

start_broker
mkdir -p "$XDG_RUNTIME_DIR/fshare" "$T/alice_files"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
# an old log, already beyond the limit
head -c 6000 /dev/zero | tr '\0' x >"$LOG"
echo >>"$LOG"
connect alice

wait_until 10 test -s "$LOG.1" || fail "the log was not rotated: $(ls -l "$XDG_RUNTIME_DIR/fshare")"
grep -q xxxxxxxx "$LOG.1" || fail "the old part is not in $LOG.1"
grep -q xxxxxxxx "$LOG" && fail "the old part is still in $LOG"
grep -q "log rotated" "$LOG" || fail "the new log does not say it was rotated: $(cat "$LOG")"
[ "$(stat -c %a "$LOG")" = 600 ] || fail "new log mode $(stat -c %a "$LOG"), not 600"
# the agent keeps logging into the new file, which stays below the limit
expect 0 "$CTL" --user alice disconnect
wait_until 10 grep -qi "log" "$LOG" || fail "nothing logged after the rotation"
[ "$(stat -c %s "$LOG")" -lt 4096 ] || fail "the new log is already $(stat -c %s "$LOG") bytes"

# without a file behind standard error (a pipe, the journal) nothing happens.
# The agent is this shell's child (its output through a process
# substitution, not a pipeline): its exit status is checked.
start_peer_pipe() {
    "$BIN/fshare-peer" --user bob --broker "$BROKER_EP" --dir "$T/bob_files" \
        --downloads "$T/bob_dl" > >(cat >"$T/bob-pipe.log") 2>&1 &
    BOB_PIPE=$!
    PIDS="$PIDS $BOB_PIPE"
    PID_NAME[$BOB_PIPE]=bob-pipe
}
mkdir -p "$T/bob_files"
start_peer_pipe
wait_online 10 bob
[ -p "/proc/$BOB_PIPE/fd/2" ] || fail "bob's standard error is not a pipe"
expect 0 "$CTL" --user bob disconnect
wait_until 10 gone "$BOB_PIPE" || fail "bob's agent did not stop on disconnect"
wait "$BOB_PIPE" || fail "bob's agent (standard error a pipe) exited $?: $(cat "$T/bob-pipe.log")"
[ -e "$T/bob-pipe.log.1" ] && fail "a pipe was 'rotated'"
echo "peer_logrotate: ok"
