# cli_bad_values.sh - every program's endpoint, path and number options,
# given values that libzmq or the disk would take differently from what the
# user meant: each is a usage error (exit 2, one line and the hint) at
# once, before anything is bound, connected, created or waited for. libzmq
# binds tcp://127.0.0.1:99999 as port 34463 and :-5 as 65531; strtod reads
# "0x10" seconds as 16. What an error line quotes of the command line (an
# unknown option or command, a stray word, a path) is escaped: an ESC, BEL
# or OSC there went to the terminal raw.
. "$(dirname "$0")/../lib.sh" "$1"

BROKER="$BIN/fshare-broker"
WEB="$BIN/fshare-web"

# bad STATUS PROGRAM ARGS...: exits STATUS within 20 s (timeout's 124 is a
# hang), says it in two lines (error and hint) with no sanitizer report
bad() {
    local want=$1; shift
    timeout -k 5 20 "$@" >"$T/out" 2>"$T/err" </dev/null
    local got=$?
    [ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(head -c 300 "$T/err"))"
    grep -E -q "$SAN_REPORT" "$T/err" && fail "sanitizer report: $*: $(cat "$T/err")"
    err_lines 2
    err_has "--help"
}

LONG_IPC="ipc://$T/$(head -c 120 /dev/zero | tr '\0' a)"
for ep in tcp://127.0.0.1:99999 tcp://127.0.0.1:-5 tcp://127.0.0.1:0 tcp://127.0.0.1:+5 \
          "tcp://127.0.0.1: 5" tcp://127.0.0.1 "tcp://[::1" "" ipc:// "$LONG_IPC" \
          $'tcp://127.0.0.1:5555\n' udp://127.0.0.1:5 5555 inproc://x inproc://; do
    bad 2 "$BROKER" --listen "$ep" --publish "ipc://$T/p"
    err_has "fshare-broker: --listen: '.*' is not a usable endpoint"
    bad 2 "$BROKER" --listen "ipc://$T/l" --publish "$ep"
    err_has "fshare-broker: --publish:"
    bad 2 "$PEER" --user alice --broker "$ep" --password-file "$T/pw"
    err_has "fshare-peer: --broker:"
    bad 2 "$PEER" --user alice --broker "ipc://$T/l" --events "$ep" --password-file "$T/pw"
    err_has "fshare-peer: --events:"
    bad 2 "$TAP" --broker "$ep"
    err_has "fshare-tap: --broker:"
    bad 2 "$TAP" --events "$ep"
    err_has "fshare-tap: --events:"
    bad 2 "$CTL" connect alice --broker "$ep" --password-file "$T/pw"
    err_has "fshare-ctl: connect: --broker: not a usable endpoint"
done
[ ! -e "$T/l" ] && [ ! -e "$T/p" ] || fail "a refused run bound an endpoint"
# inproc:// reaches nothing outside the program (a tap on it waited and
# exited 0, a broker on it started): refused, naming only what is allowed
bad 2 "$TAP" --events inproc://x
err_has "fshare-tap: --events: 'inproc://x' is not a usable endpoint: not a tcp:// or ipc:// endpoint"
bad 2 "$BROKER" --listen inproc://a --publish "ipc://$T/p"
err_has "not a tcp:// or ipc:// endpoint"

# '*' binds any port or address, but is nothing to connect to
bad 2 "$PEER" --user alice --broker "tcp://127.0.0.1:*" --password-file "$T/pw"
err_has "'\\*' only applies to binding"
bad 2 "$TAP" --broker "tcp://*:5555"

# An agent's control socket is ipc:// only: its 0700 directory is what
# keeps other local users from driving the agent
for ep in tcp://127.0.0.1:5999 "" "ipc://" inproc://x; do
    bad 2 "$PEER" --user alice --control "$ep" --broker "ipc://$T/l" --password-file "$T/pw"
    err_has "fshare-peer: --control:"
    bad 2 "$CTL" --control "$ep" status
    err_has "fshare-ctl: --control:"
    bad 2 "$WEB" --control "$ep"
    err_has "fshare-web: --control:"
done

# Every number of the broker, one beyond either end of its range
for range in "--heartbeat 49 60001" "--liveness 0 101" "--max-message 65535 1073741825" \
             "--max-files 0 100000001" "--max-path 0 4097" "--max-depth 0 65" \
             "--max-observers -1 1025" "--max-transfers 0 4097" "--max-serving 0 4097" \
             "--stall-timeout 0 3601" "--max-list-bytes 4095 1099511627777" \
             "--max-total-bytes 4095 1099511627777" "--login-delay-ms 0 60001" \
             "--login-delay-max-ms 0 600001"; do
    read -r option below above <<<"$range"
    for value in "$below" "$above"; do
        bad 2 "$BROKER" --listen "ipc://$T/l" --publish "ipc://$T/p" "$option" "$value"
        err_has "fshare-broker: $option: '$value' is not "
    done
done

# An empty path is no path (the broker would keep "0 accounts in ''")
bad 2 "$BROKER" --listen "ipc://$T/l" --publish "ipc://$T/p" --accounts ""
err_has "fshare-broker: --accounts: no path given"
bad 2 "$BROKER" --listen "ipc://$T/l" --publish "ipc://$T/p" --state-dir ""
bad 2 "$PEER" --user alice --dir "" --broker "ipc://$T/l" --password-file "$T/pw"
err_has "fshare-peer: --dir: no path given"
bad 2 "$PEER" --user alice --downloads "" --broker "ipc://$T/l" --password-file "$T/pw"
bad 2 "$CTL" --user alice get -o "" bob x
err_has "fshare-ctl: get: --output: no path given"
bad 2 "$CTL" connect alice --dir "" --password-file "$T/pw"
bad 2 "$CTL" connect alice --downloads "" --password-file "$T/pw"
[ ! -e "$T/state" ] || fail "a refused run made its state directory"

# A password file only a logged-in tap would read
bad 2 "$TAP" --password-file "$T/pw"
err_has "needs --user"

# Seconds are digits with an optional fraction: digits[.digits], strictly
for s in 0x10 1e3 " 5" +5 1.5x inf nan 0 -1 "" 5. .5 1..2; do
    bad 2 "$TAP" --timeout "$s" --broker "ipc://$T/l"
    err_has "fshare-tap: --timeout needs a positive number of seconds"
done
# ... and a good one still works: nothing there, so it times out (exit 0)
timeout 20 "$TAP" --timeout 0.2 --events "ipc://$T/none" --broker "ipc://$T/none" \
    >"$T/out" 2>"$T/err" </dev/null || fail "a good --timeout failed: $(cat "$T/err")"

# Words of the command line quoted in error lines: escaped, never raw
HOSTILE=$'x\033]0;PWNED\007\033[2J\xff'
# raw_ctl FILE: FILE holds an ESC, a BEL or a byte that is no UTF-8
raw_ctl() { LC_ALL=C grep -q -e $'\033' -e $'\007' -e $'\xff' "$1"; }
escaped() {
    raw_ctl "$T/err" && fail "$1 wrote a word of the command line raw: $(cat -v "$T/err")"
    grep -q 'x\\x1b\]0;PWNED\\x07' "$T/err" || fail "$1: no escaped word: $(cat -v "$T/err")"
}
for program in fshare-broker fshare-peer fshare-tap fshare-web fshare-passwd fshare-ctl; do
    bad 2 "$BIN/$program" "--$HOSTILE"
    escaped "$program (unknown option)"
done
bad 2 "$BIN/fshare-peer" --user alice "$HOSTILE"
escaped "fshare-peer (unexpected argument)"
bad 2 "$BIN/fshare-ctl" "$HOSTILE"
escaped "fshare-ctl (unknown command)"
bad 2 "$BIN/fshare-ctl" status "$HOSTILE"
escaped "fshare-ctl status (unexpected argument)"
bad 2 "$BIN/fshare-ctl" get alice a -o "" "--$HOSTILE"
escaped "fshare-ctl get (unknown option)"
printf '%s\n' "$HOSTILE" | "$BIN/fshare-ctl" --control "ipc://$T/none.ctl" shell \
    >"$T/out" 2>"$T/err"
escaped "fshare-ctl shell (unknown command)"
touch "$T/plain"
echo secret1 | "$BIN/fshare-passwd" --stdin "$T/plain/$HOSTILE" alice >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "fshare-passwd: not exit 1 for a file it cannot write: $(cat -v "$T/err")"
escaped "fshare-passwd (a file it cannot write)"
echo secret1 | "$BIN/fshare-passwd" --stdin --cost min "$T/$HOSTILE" alice >"$T/err" 2>&1 \
    || fail "fshare-passwd: cannot add a user: $(cat -v "$T/err")"
escaped "fshare-passwd (the file it wrote)"

# fshare-ctl --json: a usage error in the global options (before or after
# --json, or a config file that cannot be read) prints its JSON object
# too, as one in a command's options does (stdout was empty)
printf 'json = true\n' >"$T/json.conf"
json_error() {
    lines "$T/out" 1
    json_is '.code == "bad_request" and (.error | length > 0)' <"$T/out" \
        || fail "fshare-ctl $*: no JSON error object: [$(cat "$T/out")]"
}
for words in "--user .x status" "--control tcp://127.0.0.1:1 status" "--bogus status" "" \
             "--user a --control ipc://$T/x.ctl status" "-c $T/nonexistent status" "--user"; do
    # shellcheck disable=SC2086
    expect 2 "$CTL" --json $words
    json_error --json "$words"
    [ -n "$words" ] || continue
    # shellcheck disable=SC2086
    expect 2 "$CTL" $words --json
    [ "$words" = "--user" ] || json_error "$words" --json
done
expect 2 "$CTL" -c "$T/json.conf" --bogus status
json_error "-c (json = true) --bogus status"

# No home at all (HOME and XDG_STATE_HOME unset, a uid the password
# database does not know): the broker and the agent refuse to start, saying
# why, rather than keeping their state under the current directory
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && ! getent passwd 54321 >/dev/null; then
    chmod 711 "$T"      #  the other uid walks through to its directories
    mkdir -m 777 "$T/cwd" "$T/nohome"
    echo pw >"$T/nohome/pw"; chmod 644 "$T/nohome/pw"
    homeless() {
        (cd "$T/cwd" && timeout -k 5 20 setpriv --reuid 54321 --regid 54321 --clear-groups \
            env -u HOME -u XDG_STATE_HOME XDG_RUNTIME_DIR="$T/nohome" "$@") \
            >"$T/out" 2>"$T/err" </dev/null
    }
    homeless "$BROKER" --listen "ipc://$T/nohome/b" --publish "ipc://$T/nohome/p"
    [ $? -eq 1 ] || fail "a broker without a home did not fail: $(cat "$T/err")"
    err_has "fshare-broker: state directory: no home directory"
    homeless "$BIN/fshare-peer" --user alice --dir "$T/nohome/f" --downloads "$T/nohome/d" \
        --broker "ipc://$T/nohome/b" --password-file "$T/nohome/pw"
    [ $? -eq 1 ] || fail "an agent without a home did not fail: $(cat "$T/err")"
    err_has "fshare-peer: state directory: no home directory"
    [ -z "$(ls -A "$T/cwd")" ] || fail "state written under the current directory: $(ls -AR "$T/cwd")"
fi

# Good endpoints of every form pass the check (the broker binds them)
bg broker "$BROKER" --listen "tcp://127.0.0.1:*" --publish "ipc://$T/good.pub" \
    --state-dir "$T/state/fshare"
wait_until 20 log_has broker "requests on tcp://127.0.0.1:" || fail "no broker on a wildcard port"
