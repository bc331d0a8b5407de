# passwd.sh - fshare-passwd: add, change, delete accounts; errors and exit codes.
. "$(dirname "$0")/../lib.sh" "$1"

P="$BIN/fshare-passwd"
F="$T/state/fshare/accounts"

# lib.sh's expect, but standard input is the test's: --stdin reads it
expect() {
    local want=$1; shift
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    [ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(cat "$T/err"))"
}
hash_of() { grep "^$1:" "$F" | cut -d: -f2-; }

# --- help, version, usage errors ------------------------------------------------
expect 0 "$P" --help
grep -q "Usage: fshare-passwd" "$T/out" || fail "--help prints no usage"
expect 0 "$P" -h
expect 0 "$P" --version
grep -qx "fshare-passwd [0-9][0-9.]*" "$T/out" || fail "bad --version: $(cat "$T/out")"
expect 2 "$P" --bogus "$F" alice
err_has "unknown option '--bogus'"; err_has "--help"; err_lines 2
expect 2 "$P" -x "$F" alice
err_has "unknown option '-x'"
expect 2 "$P" "$F"
err_has "missing"; err_lines 2
expect 2 "$P" "$F" alice extra
expect 2 "$P" --stdin "$F" ".alice" </dev/null
err_has "invalid USER"
# an empty ACCOUNTS path is a usage error, as any program's empty path
expect 2 "$P" --stdin "" alice
err_has "ACCOUNTS: no path given"; err_lines 2
expect 2 "$P" --delete "" alice
err_has "no path given"
expect 2 "$P" --cost
expect 2 "$P" --cost huge "$F" alice
[ -e "$F" ] && fail "a usage error created the file"

# --- add a user ---------------------------------------------------------------------
expect 0 "$P" --stdin --cost min "$F" alice <<<"alice secret 1"
[ "$(stat -c %a "$F")" = 600 ] || fail "file mode is $(stat -c %a "$F"), not 600"
[ "$(stat -c %a "$(dirname "$F")")" = 700 ] || fail "new directory is not mode 700"
grep -q '^alice:\$argon2id\$v=19\$m=8,t=1,p=1\$' "$F" || fail "no argon2id hash for alice: $(cat "$F")"
grep -q "secret" "$F" && fail "plaintext password in the file"
[ "$(wc -l <"$F")" -eq 1 ] || fail "expected one line: $(cat "$F")"
ls -A "$(dirname "$F")" | grep -qv '^accounts$' && fail "temp file left behind"

# the default cost is libsodium's interactive level
expect 0 "$P" --stdin "$F" bob <<<"bob pw"
grep -q '^bob:\$argon2id\$v=19\$m=65536,t=2,p=1\$' "$F" || fail "bob not at interactive cost: $(cat "$F")"

# --- change a password: new hash, same place, others untouched ----------------------
old=$(hash_of alice); bob=$(hash_of bob)
expect 0 "$P" --stdin --cost min "$F" alice <<<"alice secret 2"
new=$(hash_of alice)
[ -n "$new" ] && [ "$new" != "$old" ] || fail "alice's hash did not change"
[ "$(hash_of bob)" = "$bob" ] || fail "changing alice changed bob"
[ "$(grep -c '^alice:' "$F")" -eq 1 ] || fail "alice appears twice"
[ "$(head -n1 "$F" | cut -d: -f1)" = alice ] || fail "alice moved"
[ "$(stat -c %a "$F")" = 600 ] || fail "mode not kept 600 after a change"

# --- refused passwords: empty, none, no terminal --------------------------------------
cp "$F" "$T/before"
expect 1 "$P" --stdin --cost min "$F" carol <<<""
err_has "empty password"; err_lines 1
expect 1 "$P" --stdin --cost min "$F" carol </dev/null
err_has "no password"
setsid -w "$P" --cost min "$F" carol </dev/null >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "no terminal and no --stdin did not exit 1"
err_has "no terminal"
cmp -s "$F" "$T/before" || fail "a refused password changed the file"

# --- comments survive, config file works -----------------------------------------------
{ echo "# team accounts"; cat "$F"; } >"$T/with-comment" && mv "$T/with-comment" "$F"
chmod 644 "$F"
echo "cost = min" >"$T/passwd.cfg"
expect 0 "$P" -c "$T/passwd.cfg" --stdin "$F" carol <<<"carol pw"
grep -q '^carol:\$argon2id\$v=19\$m=8,' "$F" || fail "config file cost not applied: $(cat "$F")"
[ "$(head -n1 "$F")" = "# team accounts" ] || fail "comment lost"
[ "$(stat -c %a "$F")" = 640 ] || fail "mode 644 did not become 640 (others dropped)"

# --- an existing file keeps its owner, group and mode (root manages the
# --- file of a broker that runs as its own user) --------------------------------------
chmod 640 "$F"
if [ "$(id -u)" = 0 ]; then
    chown nobody:nogroup "$F"
    expect 0 "$P" --stdin --cost min "$F" erin <<<"erin pw"
    [ "$(stat -c %U:%G:%a "$F")" = nobody:nogroup:640 ] \
        || fail "owner or mode not kept: $(stat -c %U:%G:%a "$F")"
    chown root:root "$F"
else
    echo "passwd: not root, the owner part is skipped"
fi
expect 0 "$P" --stdin --cost min "$F" erin <<<"erin pw 2"
[ "$(stat -c %a "$F")" = 640 ] || fail "mode 640 not kept: $(stat -c %a "$F")"
chmod 600 "$F"
expect 2 "$P" -c "$T/missing.cfg" --stdin "$F" carol </dev/null

# --- delete --------------------------------------------------------------------------
expect 0 "$P" --delete "$F" alice
grep -q '^alice:' "$F" && fail "alice still in the file"
grep -q '^bob:' "$F" || fail "deleting alice removed bob"
cp "$F" "$T/before"
expect 1 "$P" --delete "$F" nobody
err_has "nobody"; err_lines 1
cmp -s "$F" "$T/before" || fail "deleting an unknown user changed the file"
expect 2 "$P" --delete --stdin "$F" bob </dev/null

# --- a malformed file is named by line and left alone -----------------------------------
printf 'bob:%s\n# fine\nmallory:plaintext\n' "$bob" >"$F"
chmod 600 "$F"
cp "$F" "$T/before"
expect 1 "$P" --stdin --cost min "$F" dave <<<"pw"
err_has "$F:3: bad password hash"; err_lines 1
cmp -s "$F" "$T/before" || fail "a malformed file was rewritten"
expect 1 "$P" --delete "$F" bob
err_has "$F:3:"
cmp -s "$F" "$T/before" || fail "a malformed file was rewritten by --delete"
printf 'bob:%s\nbob:%s\n' "$bob" "$bob" >"$F"
expect 1 "$P" --stdin --cost min "$F" dave <<<"pw"
err_has "$F:2: duplicate user"

# --- unreadable or unwritable places are runtime errors -------------------------------------
: >"$T/plainfile"
expect 1 "$P" --stdin --cost min "$T/plainfile/accounts" dave <<<"pw"
err_has "$T/plainfile/accounts: cannot open: Not a directory"; err_lines 1
expect 1 "$P" --stdin --cost min "$T" dave <<<"pw"
err_has "not a regular file"; err_lines 1
# nobody, not even root, may create a directory in /proc
expect 1 "$P" --stdin --cost min /proc/fshare-no-such-dir/accounts dave <<<"pw"
err_has "cannot write /proc/fshare-no-such-dir/accounts"; err_lines 1

echo "passwd: ok"

# A --password-file that is a FIFO nobody writes: fshare-peer and fshare-tap
# wait for it, but SIGTERM ends the wait (it hung for ever in the open with
# the signal blocked for the signalfd; the tap's --timeout did nothing
# either); they stop as a signal always stops them, exit 0, saying so
mkfifo "$T/pw.fifo"
waiting() { grep -q poll "/proc/$1/wchan" 2>/dev/null; }
bg fifo_peer "$BIN/fshare-peer" --user dave --dir "$T/df" --downloads "$T/dd" \
    --broker "ipc://$T/none.req" --password-file "$T/pw.fifo"
peer=$LAST_PID
bg fifo_tap "$BIN/fshare-tap" --user dave --broker "ipc://$T/none.req" \
    --events "ipc://$T/none.pub" --password-file "$T/pw.fifo" --timeout 600
tap=$LAST_PID
wait_until 10 waiting "$peer" || fail "the agent is not waiting for the FIFO: $(cat "/proc/$peer/wchan")"
wait_until 10 waiting "$tap" || fail "the tap is not waiting for the FIFO: $(cat "/proc/$tap/wchan")"
kill -TERM "$peer" "$tap"
stopped "$peer" 0
stopped "$tap" 0
grep -q "fshare-peer: stopped: interrupted by signal 15" "$T/fifo_peer.log" \
    || fail "the agent did not say why it stopped: $(cat "$T/fifo_peer.log")"
grep -q "fshare-tap: password: interrupted by signal 15" "$T/fifo_tap.log" \
    || fail "the tap did not say why it stopped: $(cat "$T/fifo_tap.log")"
# The tap's --timeout bounds that wait too (it waited until a signal): it
# gives up when its time is up, exit 1 as for any login that did not
# happen in time
bg fifo_tap_timeout "$BIN/fshare-tap" --user dave --broker "ipc://$T/none.req" \
    --events "ipc://$T/none.pub" --password-file "$T/pw.fifo" --timeout 0.5
tap=$LAST_PID
wait_until 20 gone "$tap" || fail "the tap's --timeout did not end its wait for the FIFO"
wait "$tap"; got=$?
[ "$got" -eq 1 ] || fail "the tap timed out waiting for its password with exit $got, not 1"
grep -q "fshare-tap: password: timed out waiting for the password file" "$T/fifo_tap_timeout.log" \
    || fail "the tap did not say its wait timed out: $(cat "$T/fifo_tap_timeout.log")"
# A signal at either prompt is an interruption that leaves the echo on: at
# "Retype" it said "the passwords do not match", and a SIGINT just as a
# prompt appeared (before the catcher was set) killed the program with
# the echo off, 4 runs in 12. The prompts read the terminal, so this runs
# on a pseudo-terminal
cat >"$T/pty_passwd.py" <<'PYEOF'
# pty_passwd.py BINARY ACCOUNTS USER first|retype: SIGINT as that prompt
# appears; exit 0 when the program ended 1 with the terminal's echo on
import os, pty, select, signal, sys, termios, time
binary, accounts, user, where = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    os.execv(binary, [binary, accounts, user])
out = b""
def read_until(text, limit):
    global out
    end = time.monotonic() + limit
    while text not in out:
        left = end - time.monotonic()
        if left <= 0:
            return False
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
    return True
ok = read_until(b"New password", 10)
if ok and where == "retype":
    os.write(fd, b"secret-one\n")
    ok = read_until(b"Retype", 10)
if ok:
    os.kill(pid, signal.SIGINT)
read_until(b"left unchanged", 10)
_, status = os.waitpid(pid, 0)
echo = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
print(out.decode(errors="replace"))
print("status", status, "echo", echo)
sys.exit(0 if ok and echo and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1 else 3)
PYEOF
for where in first retype; do
    "$PY" "$T/pty_passwd.py" "$P" "$T/$where.accounts" bob "$where" >"$T/$where.out" 2>&1 \
        || fail "fshare-passwd interrupted at the $where prompt: $(cat "$T/$where.out")"
    grep -q "fshare-passwd: interrupted: file left unchanged" "$T/$where.out" \
        || fail "a signal at the $where prompt was not an interruption: $(cat "$T/$where.out")"
    grep -q "do not match" "$T/$where.out" && fail "a signal at the $where prompt said mismatch"
    [ -e "$T/$where.accounts" ] && fail "an interrupted fshare-passwd wrote its file"
done
# ... and a directory named as the password file says so (not "empty")
expect 1 "$BIN/fshare-peer" --user dave --dir "$T/df" --downloads "$T/dd" \
    --broker "ipc://$T/none.req" --password-file "$T"
err_has "cannot read the password file: Is a directory"
exit 0
