# ctl_shell.sh - `fshare-ctl shell` on piped input: the original app's words
# (connect USER PASS, list_my_files, list_all_files, disconnect), errors that
# do not end the shell, and notifications printed as they arrive while the
# shell waits for its next line.
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="alice-pw"


start_broker --hash-cost min
bg tap "$TAP" --events "$EVENTS_EP" --json --topic presence
mkdir -p "$T/alice_files" "$T/bob_files"
printf 'alice' >"$T/alice_files/a.pdf"
printf 'bob' >"$T/bob_files/b.txt"
connect alice
ALICE=$(agent_pid alice)

# --- the original words, piped (two agents run meanwhile: bob's is the shell's) ---------------
opts="--broker $BROKER_EP --dir $T/bob_files --downloads $T/bob_dl"
printf 'connect bob bob-pw %s\nlist_my_files\nlist_all_files\nfrobnicate\nls --all --user nobody\nhelp\ndisconnect\n' \
    "$opts" | "$CTL" shell >"$T/out" 2>"$T/err" || fail "the shell did not exit 0: $(cat "$T/err")"
out_has "connected as bob"
out_has "alice .* a.pdf"                                      # connect: the others' files
grep -A1 "^ *SIZE  *MODIFIED  *PATH" "$T/out" | grep -q "3 B .* b.txt" \
    || fail "list_my_files: $(cat "$T/out")"
out_has "^bob  *3 B .* b.txt"                                 # list_all_files: everyone
grep -c "^alice .* a.pdf" "$T/out" | grep -qx 2 || fail "list_all_files lacks alice: $(cat "$T/out")"
out_has "list_all_files"                                      # help
out_has "^disconnected$"
grep -q "unknown command 'frobnicate'" "$T/err" || fail "no error for a bad word: $(cat "$T/err")"
grep -q "unknown user nobody" "$T/err" || fail "no error for an unknown user: $(cat "$T/err")"
grep -q "bob-pw" "$T/run/fshare/bob.log" && fail "the password reached the agent's log"
wait_until 5 log_has tap '"type":"leave","user":"bob"' || fail "the others did not see bob leave"
kill -0 "$ALICE" || fail "the shell's disconnect stopped alice"

# a wrong password: the reason, and the shell goes on
printf 'connect bob wrong %s\nlist_my_files\n' "$opts" | "$CTL" shell >"$T/out" 2>"$T/err" \
    || fail "the shell did not exit 0 after errors"
grep -q "^fshare-ctl: connect failed: login refused: invalid user or password$" "$T/err" \
    || fail "wrong password: $(cat "$T/err")"

# a line of 5 MB (the shell keeps 64 KiB): refused once, the next line runs
{ printf 'ls '; head -c 5000000 /dev/zero | tr '\0' a; printf '\nlist_my_files\n'; } \
    | "$CTL" --user alice shell >"$T/out" 2>"$T/err" || fail "the shell failed on a long line"
[ "$(grep -c "input line too long" "$T/err")" -eq 1 ] \
    || fail "not said once: $(grep -c "input line too long" "$T/err") times"
out_has " a.pdf$"
# list_my_files went to the only agent left: alice's
out_has "a.pdf"

# --- notifications while the shell waits ---------------------------------------------------------
mkfifo "$T/in"
exec 3<>"$T/in"     # read-write: opening does not wait for the other end
"$CTL" --user alice shell <"$T/in" >"$T/shell.log" 2>&1 3>&- &
SHELL_PID=$!
PIDS="$PIDS $SHELL_PID"
echo "status" >&3
wait_until 10 log_has shell "state: *online" || fail "the shell did not run status"
printf 'new' >"$T/alice_files/new.txt"
wait_until 10 log_has shell "file_added *alice: new.txt" || fail "no notification while waiting"
echo "list_my_files" >&3
wait_until 10 log_has shell " new.txt$" || fail "list_my_files after the change"
log_has shell " stats " && fail "the shell printed stats events"
exec 3>&-
wait "$SHELL_PID" || fail "the shell did not exit 0 at EOF"
kill -0 "$ALICE" || fail "the shell's end stopped the agent"

# --- on a terminal (script(1) gives it one): libedit's prompt, notifications while typing --------
# (script is in bsdutils, which every Debian system has: its absence fails)
command -v script >/dev/null || fail "script(1) is missing (bsdutils)"
mkfifo "$T/tty_in"
exec 4<>"$T/tty_in"
script -qfec "$CTL --user alice shell" /dev/null <"$T/tty_in" >"$T/tty.log" 2>&1 4>&- &
TTY_SHELL=$!
PIDS="$PIDS $TTY_SHELL"
wait_until 10 log_has tty "fshare> " || fail "no prompt on a terminal: $(cat "$T/tty.log")"
printf 'pee' >&4            # half a command typed when the notification comes
printf 'x' >"$T/alice_files/typing.txt"
wait_until 10 log_has tty "file_added *alice: typing.txt" || fail "no notification at the prompt"
printf 'rs\n' >&4
wait_until 10 log_has tty "^alice  *3 " || fail "the typed command did not survive: $(cat "$T/tty.log")"
printf 'quit\n' >&4
wait "$TTY_SHELL" || fail "the terminal shell did not exit 0"
exec 4>&-
"$CTL" --user alice disconnect >/dev/null || fail "disconnect alice"
echo "ctl_shell: ok"
