#!/bin/bash
# cli_output_errors.sh - results that cannot be written are a runtime
# failure (SPEC 2: one line on stderr, exit 1), not a success. Before,
# `fshare-ctl --json ls --all >/dev/full` and `fshare-tap --count 1
# >/dev/full` exited 0 with nothing said; a tap without --count wrote into
# a full disk until its timeout; and with standard output closed (`>&-`)
# descriptor 1 went to a ZeroMQ eventfd, which took the output, and the
# programs exited 0. fshare-passwd and every program's --help lost their
# text the same way. Written normally, the same outputs are still whole.
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="pw-$$"
P="$BIN/fshare-passwd"

# unwritten STATUS PROGRAM WHY COMMAND...: COMMAND, its stdout already
# redirected by the caller, exits STATUS within 20 s and says on stderr, in
# one line, that PROGRAM cannot write the output, and WHY
unwritten() {
    local want=$1 program=$2 why=$3; shift 3
    timeout -k 5 20 "$@" 2>"$T/err" </dev/null
    local got=$?
    [ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(cat "$T/err"))"
    grep -qx "$program: cannot write the output: $why" "$T/err" \
        || fail "$*: no error line for the output: $(cat "$T/err")"
}
FULL="No space left on device"
CLOSED="Bad file descriptor"

start_broker --hash-cost min
mkdir -p "$T/alice_files"
echo hello >"$T/alice_files/hello.txt"
connect alice
wait_until 10 sees alice alice hello.txt || fail "alice does not see her own file"

# --- fshare-ctl ---------------------------------------------------------------------
expect 0 ctl alice --json ls --all
json_is 'length == 1 and .[0].path == "hello.txt"' <"$T/out" || fail "ls --all: $(cat "$T/out")"
unwritten 1 fshare-ctl "$FULL" "$CTL" --user alice --json ls --all >/dev/full
unwritten 1 fshare-ctl "$FULL" "$CTL" --user alice ls --all >/dev/full
unwritten 1 fshare-ctl "$CLOSED" "$CTL" --user alice --json peers >&-
unwritten 1 fshare-ctl "$CLOSED" "$CTL" --user alice status >&-
# a failure already said keeps its own status and line (the JSON object
# that would carry it cannot be written either)
timeout 20 "$CTL" --bogus --json >/dev/full 2>"$T/err"
[ $? -eq 2 ] || fail "a usage error with an unwritable output is not exit 2"
err_has "unknown option '--bogus'"
err_has "cannot write the output: $FULL"

# --- fshare-tap ---------------------------------------------------------------------
TAP_SNAPSHOT=("$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --snapshot --json)
expect 0 "${TAP_SNAPSHOT[@]}" --count 1
json_is '.type == "join" and .user == "alice"' <"$T/out" || fail "tap: $(cat "$T/out")"
unwritten 1 fshare-tap "$FULL" "${TAP_SNAPSHOT[@]}" --count 1 >/dev/full
unwritten 1 fshare-tap "$CLOSED" "${TAP_SNAPSHOT[@]}" --count 1 >&-
# without --count it stops at the first event it cannot write, not at the timeout
started=$(now_ms)
unwritten 1 fshare-tap "$FULL" "${TAP_SNAPSHOT[@]}" --timeout 15 >/dev/full
[ $(( $(now_ms) - started )) -lt 10000 ] || fail "the tap wrote into a full disk until its timeout"

# --- fshare-passwd, and --help of every program ---------------------------------------
timeout 20 "$P" --stdin --cost min "$T/accounts" bob <<<"bob pw" >/dev/full 2>"$T/err"
[ $? -eq 1 ] || fail "fshare-passwd: exit $? with an unwritable output ($(cat "$T/err"))"
grep -qx "fshare-passwd: cannot write the output: $FULL" "$T/err" || fail "passwd: $(cat "$T/err")"
"$P" --stdin --cost min "$T/accounts" carol <<<"carol pw" >"$T/out" 2>"$T/err" \
    || fail "fshare-passwd: $(cat "$T/err")"
out_has "added user 'carol'"
for program in fshare-ctl fshare-tap fshare-peer fshare-broker fshare-passwd fshare-web \
               fshare-bench; do
    unwritten 1 "$program" "$FULL" "$BIN/$program" --help >/dev/full
    unwritten 1 "$program" "$CLOSED" "$BIN/$program" --help >&-
    expect 0 "$BIN/$program" --help
    [ -s "$T/out" ] || fail "$program --help printed nothing"
done
exit 0
